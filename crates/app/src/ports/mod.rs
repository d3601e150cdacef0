//! Ports: what the use cases need from the outside world, one file per port. Each has a
//! DynamoDB/SQS adapter and an embedded adapter, and both pass the same contract suite
//! (`contract` module). The entities they carry live in `motcua_domain`; they are re-exported
//! here so that a use case names a port and its records from one place.

mod announcement;
mod audit;
mod budget;
mod counter;
mod delivery;
mod dossier;
mod idempotency;
mod message_log;
mod pending_answer;
mod procedure;
mod queue;
mod retention;
mod ticket;
mod token;
mod zalo_user;

pub use announcement::AnnouncementStore;
pub use audit::AuditLog;
pub use budget::BudgetStore;
pub use counter::CounterStore;
pub use delivery::DeliveryLedger;
pub use dossier::{DossierStore, Upsert};
pub use idempotency::{Claim, IdempotencyStore};
pub use message_log::MessageLog;
pub use pending_answer::PendingAnswerStore;
pub use procedure::ProcedureStore;
pub use queue::{Ack, Queue, QueueError, QueueMessage, RecordingQueue};
pub use retention::RetentionStore;
pub use ticket::TicketStore;
pub use token::TokenStore;
pub use zalo_user::ZaloUserStore;

pub use motcua_domain::announcement::{Announcement, AnnouncementStatus, Audience};
pub use motcua_domain::audit::AuditEntry;
pub use motcua_domain::ticket::{
    Attachment, Author, NewTicket, PendingAnswer, Ticket, TicketCategory, TicketMessage,
    TicketStatus,
};
pub use motcua_domain::zalo::{MessageRef, OaTokens, PhoneClaim, ZaloUser};

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
    + BudgetStore
    + RetentionStore
    + PendingAnswerStore
    + ProcedureStore
    + DeliveryLedger
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
        + BudgetStore
        + RetentionStore
        + PendingAnswerStore
        + ProcedureStore
        + DeliveryLedger
{
}

pub use crate::clock::{Clock, ManualClock, SystemClock};
