//! Tickets and their messages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::TenantId;
use motcua_domain::ticket::{NewTicket, Ticket, TicketMessage, TicketStatus};

use super::StoreResult;

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
    /// Records that the ticket's message `message_id`, written at `message_at`, was sent in the
    /// chat at `at` (`TicketMessage::delivered_in_chat_at`). Returns whether the message exists.
    async fn mark_delivered_in_chat(
        &self,
        tenant: &TenantId,
        number: u64,
        message_id: &str,
        message_at: DateTime<Utc>,
        at: DateTime<Utc>,
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
