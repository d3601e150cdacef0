//! Questions and complaints: a message that is not a code opens a ticket or joins the open
//! one; its category is guessed from the citizen's words. A typed question outside an open
//! conversation may be answered by the procedure guide instead (`guide.rs`).

use super::*;

/// Outside office hours, when staff next read (`07:30 thứ Hai, 07/12/2026`).
pub(super) fn reads_at(tenant: &Tenant, at: DateTime<Utc>) -> Option<String> {
    tenant
        .support
        .as_ref()
        .and_then(|s| s.next_opening(at))
        .map(motcua_domain::support::opening_vi)
}

impl Conversation {
    pub(super) async fn ticket(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        body: Option<String>,
        attachments: Vec<Attachment>,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let category = classify(body.as_deref().unwrap_or_default());
        // a typed text (no photo, file or location) may be a question for the guide
        let typed = attachments.is_empty();
        let message = TicketMessage {
            message_id: msg_id.to_string(),
            at: e.at,
            author: Author::Citizen,
            text: body,
            attachments,
            delivery: None,
            delivered_in_chat_at: None,
        };
        let window = chrono::Duration::from_std(self.settings.ticket_window).expect("window fits");
        if let Some(open) = self.store.latest_open_ticket(t, user).await?
            && open.updated_at + window >= e.at
        {
            self.store
                .add_ticket_message(t, open.number, &message)
                .await?;
            let mut touched = open.clone();
            touched.updated_at = touched.updated_at.max(e.at);
            self.store.update_ticket(&touched).await?;
            return Ok("ticket_appended");
        }
        if typed
            && let Some(text) = message.text.as_deref()
            && let Some(done) = self
                .guide_answer(tenant, e, user, msg_id, text, category)
                .await?
        {
            return Ok(done);
        }
        let hours = tenant.answer_hours(category.as_str());
        let ticket = self
            .store
            .open_ticket(&NewTicket {
                tenant: t.clone(),
                user_id: user.to_string(),
                category,
                agency: None,
                opened_at: e.at,
                due_at: e.at + chrono::Duration::hours(i64::from(hours)),
            })
            .await?;
        self.store
            .add_ticket_message(t, ticket.number, &message)
            .await?;
        self.store
            .incr(t, "tickets.opened", time::to_vn(e.at).date_naive(), 1)
            .await?;
        self.send(
            &e.oa_id,
            user,
            Some(msg_id),
            text(
                Msg::TicketOpened {
                    number: ticket.number,
                    hours,
                    reads_at: reads_at(tenant, e.at),
                }
                .render(),
            ),
        )
        .await?;
        Ok("ticket_opened")
    }

    /// A message typed in Zalo's own OA tool goes into the user's open ticket, never answered.
    pub(super) async fn on_echo(
        &self,
        t: &TenantId,
        e: &InboundEvent,
        user_id: &str,
        msg_id: &str,
        body: &Option<String>,
        attachments: &[Attachment],
    ) -> Result<&'static str, ConversationError> {
        if let Some(ticket) = self.store.latest_open_ticket(t, user_id).await? {
            let m = TicketMessage {
                message_id: msg_id.to_string(),
                at: e.at,
                author: Author::OaTool,
                text: body.clone(),
                attachments: attachments.to_vec(),
                delivery: None,
                delivered_in_chat_at: None,
            };
            self.store.add_ticket_message(t, ticket.number, &m).await?;
        }
        Ok("echo")
    }
}
