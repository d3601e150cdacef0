//! The delivery ledger: one record per message (`Subject`), the sweep's index of records that
//! still await a receipt or have a transition to report, and staff's index of notices that
//! need a follow-up. A dossier's notices are deleted with the dossier; every other record at
//! its `expires_at` (the stores' expiry, DynamoDB's TTL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::delivery::{Delivery, Subject};
use motcua_domain::{DossierCode, TenantId};

use super::StoreResult;

#[async_trait]
pub trait DeliveryLedger: Send + Sync {
    /// Writes `delivery` if the stored record's revision is `expected` (`None`: there is no
    /// record of this subject yet). Returns whether it was written. Both indexes follow the record
    /// (`Delivery::sweep_at`, `Delivery::not_reached_since`) in the same write.
    async fn put_delivery(&self, delivery: &Delivery, expected: Option<u64>) -> StoreResult<bool>;

    async fn get_delivery(
        &self,
        tenant: &TenantId,
        subject: &Subject,
    ) -> StoreResult<Option<Delivery>>;

    /// A dossier's notices, oldest first. They are deleted with the dossier.
    async fn deliveries_of(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
    ) -> StoreResult<Vec<Delivery>>;

    /// Up to `limit` records whose `sweep_at` is at or before `now`, earliest first.
    async fn deliveries_to_sweep(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>>;

    /// Up to `limit` notices that need a follow-up (`Delivery::not_reached_since`), oldest
    /// first.
    async fn not_reached(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Delivery>>;
}
