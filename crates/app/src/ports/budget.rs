//! Call budgets shared by every instance: a counter per key and fixed time window.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

#[async_trait]
pub trait BudgetStore: Send + Sync {
    /// Takes one unit of `key`'s budget in the fixed window that starts at `window_start`, if
    /// fewer than `limit` were taken in it; returns whether it was taken. Atomic across
    /// instances. The window's record may be removed after `expires_at`.
    async fn take_budget(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        limit: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
