//! Purges: what the tenant's retention says is no longer needed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::TenantId;

use super::StoreResult;

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes up to `limit` of the tenant's dossiers that closed (`Dossier::closed_at`) before
    /// `closed_before`, each with its timeline and its entries in every index, so that nothing
    /// of it can be looked up or matched to a phone again. Returns how many; fewer than `limit`
    /// means none is left. Served by an index; eventually consistent on DynamoDB.
    async fn purge_closed_dossiers(
        &self,
        tenant: &TenantId,
        closed_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<usize>;

    /// Deletes up to `limit` of the tenant's tickets that closed (`Ticket::closed_at`) before
    /// `closed_before`, with all their messages. Returns how many.
    async fn purge_closed_tickets(
        &self,
        tenant: &TenantId,
        closed_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<usize>;

    /// Deletes up to `limit` records whose expiry, fixed when they were written, is before
    /// `now`: message references, audit entries, idempotency records, call budgets, subject
    /// counters. DynamoDB does this itself from the `ttl` attribute (within about two days),
    /// so its adapter deletes nothing and returns 0.
    async fn purge_expired(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<usize>;
}
