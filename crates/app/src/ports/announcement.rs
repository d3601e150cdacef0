//! Announcements and their one-way move to sending.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::TenantId;
use motcua_domain::announcement::Announcement;

use super::StoreResult;

#[async_trait]
pub trait AnnouncementStore: Send + Sync {
    /// Saves a new draft; `false` if the id exists.
    async fn create_announcement(&self, announcement: &Announcement) -> StoreResult<bool>;
    async fn get_announcement(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Option<Announcement>>;
    /// Newest first, at most `limit`.
    async fn list_announcements(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> StoreResult<Vec<Announcement>>;
    /// Moves a draft to `Scheduled` for `at`, atomically: `false` if it was not a draft.
    async fn schedule_announcement(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Moves a draft or a scheduled announcement to `Sending` with its recipient count,
    /// atomically: `false` if it was sending already (someone else pressed "send", or the
    /// scheduler started it).
    async fn begin_sending(
        &self,
        tenant: &TenantId,
        id: &str,
        recipients: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
