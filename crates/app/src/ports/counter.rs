//! Day and month counters (the statistics).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use motcua_domain::TenantId;

use super::StoreResult;

#[async_trait]
pub trait CounterStore: Send + Sync {
    /// Adds `by` to the metric's day bucket and month bucket (atomic increments, no read).
    async fn incr(
        &self,
        tenant: &TenantId,
        metric: &str,
        day: NaiveDate,
        by: i64,
    ) -> StoreResult<()>;
    /// Adds `by` to the day bucket only, which is deleted after `expires_at`: for counters
    /// about one user or one dossier, which only enforce a day's limit (read with `daily`).
    async fn incr_day_until(
        &self,
        tenant: &TenantId,
        metric: &str,
        day: NaiveDate,
        by: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Day buckets in `[from, to]` that have a value, in date order.
    async fn daily(
        &self,
        tenant: &TenantId,
        metric: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, i64)>>;
    /// The month bucket (`month` is any day in it).
    async fn monthly(&self, tenant: &TenantId, metric: &str, month: NaiveDate) -> StoreResult<i64>;
}
