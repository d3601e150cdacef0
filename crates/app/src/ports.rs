//! Ports: what the use cases need from the outside world. Each has a DynamoDB/SQS adapter and an
//! embedded adapter, and both pass the same contract suite (`contract` module).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use motcua_domain::{Dossier, DossierCode, DossierView, Protected, TenantId, TimelineEntry};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: someone else wrote first. The caller decides what that means.
    #[error("conditional write failed: {0}")]
    Conflict(String),
    /// The store could not be reached or refused the call; retrying later may succeed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be decoded.
    #[error("corrupt record {key}: {reason}")]
    Corrupt { key: String, reason: String },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Outcome of writing a dossier snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Applied,
    /// The stored dossier already has this or a newer version; nothing was written.
    Stale {
        stored_version: u64,
    },
}

#[async_trait]
pub trait DossierStore: Send + Sync {
    /// The dossier and its timeline (oldest first), in one read.
    async fn load_dossier(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
    ) -> StoreResult<Option<DossierView>>;

    /// Writes `dossier` only if no dossier is stored or the stored `version` is lower.
    async fn upsert_dossier_if_newer(&self, dossier: &Dossier) -> StoreResult<Upsert>;

    /// Optimistic write: stores `dossier` only if the stored one has `sync.revision ==
    /// expected` (`None`: only if none is stored; a record written before revisions existed
    /// counts as revision 0). Returns false, writing nothing, when another writer came first.
    async fn replace_dossier(&self, dossier: &Dossier, expected: Option<u64>) -> StoreResult<bool>;

    /// Adds a timeline entry unless the dossier already has one with the same `at`, `event_id`
    /// and `kind` (a re-sent event carries its original time). Returns whether it was added.
    async fn add_timeline_entry(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
        entry: &TimelineEntry,
    ) -> StoreResult<bool>;

    /// Unfinished dossiers (status not final) whose appointment date is in `[from, to]`,
    /// soonest first. Served by an index that is eventually consistent on DynamoDB.
    async fn dossiers_due_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Dossier>>;

    /// Dossiers whose applicant or representative phone has this keyed hash. Served by an index
    /// that is eventually consistent on DynamoDB: a write is visible here within about a second.
    async fn dossiers_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<Dossier>>;
}

/// A Zalo user as seen by one tenant's OA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZaloUser {
    pub tenant: TenantId,
    /// The OA-scoped user id (a decimal string; never a number).
    pub user_id: String,
    pub following: bool,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// The phone Zalo verified for this user (`user_submit_info`), protected.
    pub phone: Option<Protected>,
    pub phone_linked_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

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
    /// Users linked to a phone hash.
    async fn zalo_users_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<ZaloUser>>;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// mới
    New,
    /// đang xử lý
    InProgress,
    /// đã trả lời
    Answered,
    /// đã đóng
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 4] = [Self::New, Self::InProgress, Self::Answered, Self::Closed];

    /// The Vietnamese name staff see.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::New => "Mới",
            Self::InProgress => "Đang xử lý",
            Self::Answered => "Đã trả lời",
            Self::Closed => "Đã đóng",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::InProgress => "in_progress",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketCategory {
    /// hỏi đáp
    Question,
    /// phản ánh
    Complaint,
    /// góp ý
    Suggestion,
}

impl TicketCategory {
    pub const ALL: [TicketCategory; 3] = [Self::Question, Self::Complaint, Self::Suggestion];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Complaint => "complaint",
            Self::Suggestion => "suggestion",
        }
    }

    /// The Vietnamese name staff and citizens see.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Question => "Hỏi đáp",
            Self::Complaint => "Phản ánh",
            Self::Suggestion => "Góp ý",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub tenant: TenantId,
    /// Per-tenant sequence, shown to the citizen.
    pub number: u64,
    pub user_id: String,
    pub category: TicketCategory,
    pub status: TicketStatus,
    pub agency: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The first staff answer.
    #[serde(default)]
    pub answered_at: Option<DateTime<Utc>>,
    /// The answer could not reach the citizen by Zalo: staff must phone them.
    #[serde(default)]
    pub call_citizen: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Author {
    Citizen,
    Staff {
        name: String,
    },
    /// Typed in Zalo's own OA tool (an `oa_send_*` echo).
    OaTool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `image`, `file`, `location`, `sticker`…
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketMessage {
    /// Unique within the ticket (Zalo `msg_id` or a generated id).
    pub message_id: String,
    pub at: DateTime<Utc>,
    pub author: Author,
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    /// How a staff answer reached the citizen (`zalo_cs`, `zns`, `call_citizen`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
}

/// What is needed to open a ticket; the store assigns the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub tenant: TenantId,
    pub user_id: String,
    pub category: TicketCategory,
    pub agency: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

impl Ticket {
    /// A ticket just opened with the number the store assigned.
    pub fn opened(new: &NewTicket, number: u64) -> Ticket {
        Ticket {
            tenant: new.tenant.clone(),
            number,
            user_id: new.user_id.clone(),
            category: new.category,
            status: TicketStatus::New,
            agency: new.agency.clone(),
            opened_at: new.opened_at,
            updated_at: new.opened_at,
            due_at: new.due_at,
            answered_at: None,
            call_citizen: false,
        }
    }
}

#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Opens a ticket with the next number of the tenant (numbers are never reused).
    async fn open_ticket(&self, new: &NewTicket) -> StoreResult<Ticket>;
    /// The ticket with its messages (oldest first), in one read.
    async fn get_ticket(
        &self,
        tenant: &TenantId,
        number: u64,
    ) -> StoreResult<Option<(Ticket, Vec<TicketMessage>)>>;
    /// Adds a message unless one with the same id exists. Returns whether it was added.
    async fn add_ticket_message(
        &self,
        tenant: &TenantId,
        number: u64,
        message: &TicketMessage,
    ) -> StoreResult<bool>;
    /// Saves status, agency and timestamps of an existing ticket.
    async fn update_ticket(&self, ticket: &Ticket) -> StoreResult<()>;
    /// The user's most recent ticket that is not closed, if any.
    async fn latest_open_ticket(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Option<Ticket>>;
    /// Erases what a citizen wrote and sent (texts, attachments) in all their tickets; staff
    /// replies and the tickets' numbers, dates and statuses stay for the statistics. Returns how
    /// many messages were erased (`user_withdraw`).
    async fn erase_citizen_messages(&self, tenant: &TenantId, user_id: &str) -> StoreResult<usize>;

    /// Tickets in a status, oldest first, at most `limit`.
    async fn tickets_by_status(
        &self,
        tenant: &TenantId,
        status: TicketStatus,
        limit: usize,
    ) -> StoreResult<Vec<Ticket>>;
}

/// An OA's token pair. `Debug` never prints the tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OaTokens {
    pub oa_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_expires_at: DateTime<Utc>,
    /// Increases by one on every rotation; writes are conditional on it.
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for OaTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OaTokens")
            .field("oa_id", &self.oa_id)
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

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

/// Which dossier event a message Zalo accepted belongs to, so that delivery receipts
/// (`user_received_message`, `user_seen_message`) can be shown in the dossier's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub tenant: TenantId,
    pub code: DossierCode,
    pub event_id: String,
    /// `zalo_cs_free`, `zns`…
    pub channel: String,
}

#[async_trait]
pub trait MessageLog: Send + Sync {
    /// Remembers a sent message until `expires_at` (receipts come within days).
    async fn put_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
        message: &MessageRef,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    async fn get_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRef>>;
}

/// One staff action, kept for the audit trail: who, when, what, on what, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub tenant: TenantId,
    pub at: DateTime<Utc>,
    /// The staff member's username.
    pub actor: String,
    /// `ticket.view`, `ticket.reveal`, `ticket.answer`, `announcement.send`, `login`…
    pub action: String,
    /// `ticket:12`, `announcement:<id>`…; empty when the action has no object.
    pub target: String,
    /// `ok`, `denied`, `not_found`, `failed`.
    pub outcome: String,
    /// Operator English, never personal data.
    #[serde(default)]
    pub detail: Option<String>,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry (entries are never changed or deleted by the product).
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// A Vietnam calendar day's entries, newest first, at most `limit`.
    async fn audit_entries(
        &self,
        tenant: &TenantId,
        day: NaiveDate,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>>;
}

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
    /// Queued for sending; never goes back to draft, so it is never sent twice.
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
}

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
    /// Moves a draft to `Sending` with its recipient count, atomically: `false` if it was not a
    /// draft any more (someone else pressed "send").
    async fn begin_sending(
        &self,
        tenant: &TenantId,
        id: &str,
        recipients: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// Everything the product keeps. Both adapters implement all of it.
pub trait Store:
    DossierStore
    + ZaloUserStore
    + IdempotencyStore
    + TicketStore
    + TokenStore
    + CounterStore
    + MessageLog
    + AuditLog
    + AnnouncementStore
{
}

impl<T> Store for T where
    T: DossierStore
        + ZaloUserStore
        + IdempotencyStore
        + TicketStore
        + TokenStore
        + CounterStore
        + MessageLog
        + AuditLog
        + AnnouncementStore
{
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    #[error("unknown or expired receipt handle")]
    BadReceipt,
}

/// A message received from a queue; invisible to other consumers until deleted or its
/// visibility timeout passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    pub receipt: String,
    pub body: String,
    /// 1 on the first delivery.
    pub receive_count: u32,
    /// When the queue first accepted the message (SQS `SentTimestamp`; the embedded queue's
    /// enqueue time). Unchanged by re-deliveries.
    pub sent_at: Option<DateTime<Utc>>,
    /// On a dead-letter queue: why the message was put there (`None` when the queue moved it
    /// after too many receives).
    pub dead_letter_reason: Option<String>,
}

/// What a consumer tells its queue after processing a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// Done (or dead-lettered): remove it from the queue.
    Delete,
    /// Leave it: it comes back after its visibility timeout (or the delay set by the consumer).
    Retry,
}

#[async_trait]
pub trait Queue: Send + Sync {
    async fn send(&self, body: &str) -> Result<String, QueueError>;
    /// Sends in an ordered group (an SQS FIFO message group: one Zalo user's events stay in
    /// order). Queues without groups send plainly.
    async fn send_in_group(&self, body: &str, group: &str) -> Result<String, QueueError> {
        let _ = group;
        self.send(body).await
    }
    /// Up to `max` messages, waiting up to `wait` for the first one.
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<QueueMessage>, QueueError>;
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;
    /// Makes the message visible again after `delay` (a retry with back-off).
    async fn retry_later(&self, receipt: &str, delay: Duration) -> Result<(), QueueError>;
    /// Puts a message that can never succeed on the dead-letter queue with its reason.
    async fn dead_letter(&self, body: &str, reason: &str) -> Result<(), QueueError>;
}

pub use crate::clock::{Clock, ManualClock, SystemClock};
