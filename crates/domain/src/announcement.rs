//! Announcements (thông báo) staff send to the OA's users.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::TenantId;

/// Who an announcement goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Audience {
    /// Zalo's broadcast of an article (created in the OA manager) to all followers.
    Broadcast { article_id: String },
    /// A consultation message to users who interacted within 48 hours (free).
    CsFree,
    /// A consultation message to users who interacted within 7 days (billed after 48 hours).
    CsWindow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnouncementStatus {
    Draft,
    /// Approved by a second admin, to start at `scheduled_for`.
    Scheduled,
    /// Queued for sending; never goes back, so it is never sent twice.
    Sending,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub tenant: TenantId,
    pub id: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub audience: Audience,
    pub status: AnnouncementStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub sending_at: Option<DateTime<Utc>>,
    /// Recipients queued when sending started (1 for a broadcast).
    pub recipients: u64,
    /// When a scheduled announcement starts (the first check at or after it).
    #[serde(default)]
    pub scheduled_for: Option<DateTime<Utc>>,
}
