//! Questions the procedure guide answers: the best 1-3 procedures of the tenant's catalogue,
//! recorded as a closed ticket (staff see it, and can mark it wrong), with "Hỏi cán bộ" to
//! reopen it for staff. A complaint, a suggestion, a message to an open conversation with
//! staff, or a question the guide does not match goes to staff as before.

use motcua_domain::catalogue::{GUIDE_ASK_STAFF, GUIDE_ASK_STAFF_PREFIX, GUIDE_ONLINE};
use motcua_domain::ticket::{GuideAnswer, TicketCategory, TicketStatus};

use super::*;

impl Conversation {
    /// Answers from the guide when it can; `None` sends the message on to a ticket. Called by
    /// `ticket` once it knows the message joins no open conversation with staff.
    pub(super) async fn guide_answer(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        body: &str,
        category: TicketCategory,
    ) -> Result<Option<&'static str>, ConversationError> {
        let t = &tenant.id;
        if category != TicketCategory::Question || carries_identifier(body) {
            return Ok(None);
        }
        let Some(guide) = self.guides.for_tenant(&*self.store, t).await? else {
            return Ok(None);
        };
        let found = guide.search(body);
        let Some(best) = found.first() else {
            return Ok(None);
        };
        let codes: Vec<String> = found.iter().map(|f| f.procedure.code.clone()).collect();
        let hours = tenant.answer_hours(TicketCategory::Question.as_str());
        let mut ticket = self
            .store
            .open_ticket(&NewTicket {
                tenant: t.clone(),
                user_id: user.to_string(),
                category: TicketCategory::Question,
                agency: None,
                opened_at: e.at,
                due_at: e.at + chrono::Duration::hours(i64::from(hours)),
            })
            .await?;
        let answer = Msg::GuideAnswer {
            number: ticket.number,
            entries: found.iter().map(|f| f.procedure.guide_entry()).collect(),
        }
        .render();
        self.record_exchange(t, ticket.number, e, msg_id, body, &answer)
            .await?;
        ticket.status = TicketStatus::Closed;
        ticket.guide = Some(GuideAnswer {
            procedures: codes.clone(),
            catalogue_version: guide.catalogue().version.clone(),
            asked_staff: false,
            marked_wrong: false,
        });
        self.store.update_ticket(&ticket).await?;
        let day = time::to_vn(e.at).date_naive();
        self.store.incr(t, "guide.answered", day, 1).await?;
        tracing::info!(
            ticket = ticket.number,
            procedures = ?codes,
            score = best.score,
            coverage = best.question_coverage,
            "question answered by the procedure guide"
        );
        let out = Outgoing {
            text: answer,
            buttons: vec![(
                GUIDE_ASK_STAFF.to_string(),
                format!("{GUIDE_ASK_STAFF_PREFIX}{}", ticket.number),
            )],
            link: best
                .procedure
                .online_url
                .clone()
                .map(|url| (GUIDE_ONLINE.to_string(), url)),
            call: None,
        };
        self.send(&e.oa_id, user, Some(msg_id), out).await?;
        Ok(Some("guide_answered"))
    }

    /// The citizen's question and the guide's answer, in the ticket's thread.
    async fn record_exchange(
        &self,
        t: &TenantId,
        number: u64,
        e: &InboundEvent,
        msg_id: &str,
        body: &str,
        answer: &str,
    ) -> Result<(), ConversationError> {
        for (id, author, text) in [
            (msg_id.to_string(), Author::Citizen, body),
            (format!("guide-{msg_id}"), Author::Guide, answer),
        ] {
            let m = TicketMessage {
                message_id: id,
                at: e.at,
                author,
                text: Some(text.to_string()),
                attachments: Vec::new(),
                delivery: None,
                delivered_in_chat_at: None,
            };
            self.store.add_ticket_message(t, number, &m).await?;
        }
        Ok(())
    }

    /// "Hỏi cán bộ" under a guide answer: the ticket reopens for staff. Someone else's ticket,
    /// or one the guide did not answer, gets the plain invitation to ask: nothing is learned.
    pub(super) async fn ask_staff(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        number: &str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let ticket = match number.trim().parse::<u64>() {
            Ok(n) => self.store.get_ticket(t, n).await?.map(|(ticket, _)| ticket),
            Err(_) => None,
        };
        let Some(mut ticket) = ticket.filter(|k| k.user_id == user && k.guide.is_some()) else {
            self.send(
                &e.oa_id,
                user,
                Some(msg_id),
                text(Msg::AskForQuestion.render()),
            )
            .await?;
            return Ok("ask_staff_refused");
        };
        let hours = tenant.answer_hours(ticket.category.as_str());
        let guide = ticket.guide.as_mut().expect("filtered on it");
        if !guide.asked_staff {
            guide.asked_staff = true;
            ticket.status = TicketStatus::New;
            ticket.updated_at = e.at;
            ticket.due_at = e.at + chrono::Duration::hours(i64::from(hours));
            self.store.update_ticket(&ticket).await?;
            let day = time::to_vn(e.at).date_naive();
            self.store.incr(t, "guide.asked_staff", day, 1).await?;
            self.store.incr(t, "tickets.opened", day, 1).await?;
        }
        let m = Msg::TicketOpened {
            number: ticket.number,
            hours,
            reads_at: super::tickets::reads_at(tenant, e.at),
        };
        self.send(&e.oa_id, user, Some(msg_id), text(m.render()))
            .await?;
        Ok("asked_staff")
    }
}

/// Six digits or more in a row (an ID or phone number, part of a receipt code): the message is
/// about the citizen's own case, which staff answer.
fn carries_identifier(body: &str) -> bool {
    let mut run = 0;
    for c in body.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 6 {
            return true;
        }
    }
    false
}
