//! OA tokens and the refresh lease.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::zalo::OaTokens;

use super::StoreResult;

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn get_tokens(&self, oa_id: &str) -> StoreResult<Option<OaTokens>>;
    /// Stores `tokens` if the stored version is `tokens.version - 1` (or nothing is stored and
    /// `tokens.version == 1`); otherwise `Conflict`.
    async fn put_tokens(&self, tokens: &OaTokens) -> StoreResult<()>;
    /// Takes the refresh lease for `oa_id` if it is free or expired. Returns whether taken.
    async fn acquire_lease(
        &self,
        oa_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<bool>;
    /// Frees the lease if `holder` still holds it.
    async fn release_lease(&self, oa_id: &str, holder: &str) -> StoreResult<()>;
}
