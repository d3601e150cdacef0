//! Idempotency keys: claim, complete, release (see `crate::once`).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// Result of trying to claim an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This caller owns the key now and must `complete` or `release` it.
    Acquired,
    /// Done before; here is what was saved.
    Completed { result: Option<String> },
    /// Another worker holds an unexpired lease.
    InProgress,
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for `lease` (an expired lease or an expired completed record can be taken
    /// over). Completed records are kept until `now + keep_for`.
    async fn claim(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease: Duration,
        keep_for: Duration,
    ) -> StoreResult<Claim>;
    async fn complete(
        &self,
        key: &str,
        result: Option<&str>,
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> StoreResult<()>;
    /// Gives the key back after a failure so that a retry can run.
    async fn release(&self, key: &str) -> StoreResult<()>;
}
