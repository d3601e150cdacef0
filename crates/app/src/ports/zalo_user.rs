//! The OA's users and their phone links.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::zalo::{PhoneClaim, ZaloUser};
use motcua_domain::{Protected, TenantId};

use super::StoreResult;

#[async_trait]
pub trait ZaloUserStore: Send + Sync {
    async fn get_zalo_user(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Option<ZaloUser>>;
    /// Creates the user if needed; moves `last_interaction_at` forward only (never back).
    async fn record_interaction(
        &self,
        tenant: &TenantId,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Creates the user if needed and sets the follow state.
    async fn set_following(
        &self,
        tenant: &TenantId,
        user_id: &str,
        following: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Creates the user if needed and links the verified phone (replacing an earlier one).
    async fn link_phone(
        &self,
        tenant: &TenantId,
        user_id: &str,
        phone: &Protected,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Creates the user if needed and sets (or, with `None`, drops) the pending phone claim.
    /// The linked `phone` is not touched.
    async fn set_phone_claim(
        &self,
        tenant: &TenantId,
        user_id: &str,
        claim: Option<&PhoneClaim>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Users linked to a phone hash.
    async fn zalo_users_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<ZaloUser>>;
    /// Records that the citizen of this phone withdrew from Zalo notices (`user_withdraw`, or an
    /// erasure asked for on paper): no notice goes to the phone, by any channel, until it is
    /// proven again. Only the keyed hash is kept, with the time.
    async fn suppress_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Ends a suppression (the phone was proven again). Nothing happens if there is none.
    async fn lift_phone_suppression(&self, tenant: &TenantId, phone_hash: &str) -> StoreResult<()>;
    /// Whether notices to this phone are suppressed.
    async fn phone_suppressed(&self, tenant: &TenantId, phone_hash: &str) -> StoreResult<bool>;
    /// Erases the user and the phone link. Returns whether there was anything to erase.
    async fn delete_zalo_user(&self, tenant: &TenantId, user_id: &str) -> StoreResult<bool>;
    /// Ids of the users whose last interaction is at or after `since`, most recent first, at
    /// most `limit` (the audience of a consultation-message announcement).
    async fn zalo_users_active_since(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<String>>;
}
