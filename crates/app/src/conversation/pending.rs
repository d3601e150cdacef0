//! Staff answers that could not reach the citizen in the chat (Zalo's 7-day window was closed,
//! so staff phoned or sent the "answer ready" ZNS): at the citizen's next interaction, which
//! opens the window again, each goes by consultation message, once, before the reply to what
//! they sent; the ticket records when (`TicketMessage::delivered_in_chat_at`).

use std::time::Duration;

use motcua_domain::ticket::PendingAnswer;

use super::*;

/// Per answer: how long a delivery holds the answer for itself, and how long "sent" is kept.
const LEASE: Duration = Duration::from_secs(120);
const KEEP: Duration = Duration::from_secs(400 * 24 * 3600);

/// Why an answer was not settled.
enum NotSent {
    /// Zalo refused this once (not a retryable failure): try at the next interaction.
    Keep,
    Failed(ConversationError),
}

impl From<StoreError> for NotSent {
    fn from(e: StoreError) -> Self {
        NotSent::Failed(e.into())
    }
}

impl Conversation {
    /// Sends the user's pending answers. A failure Zalo may recover from is retried with the
    /// event; any other leaves the answer pending for the next interaction.
    pub(super) async fn deliver_pending(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
    ) -> Result<(), ConversationError> {
        let t = &tenant.id;
        for p in self.store.pending_answers(t, user).await? {
            let key = format!("pending#{t}#{}#{}", p.number, p.message_id);
            let terms = Terms {
                lease: LEASE,
                keep_for: KEEP,
            };
            let work = self.deliver_one(tenant, e, user, &p);
            match exactly_once(&*self.store, &*self.clock, &key, terms, work, |_| None).await {
                Ok(Once::Busy) | Err(NotSent::Keep) => {}
                Ok(Once::Done(()) | Once::Before(_)) => {
                    self.store.remove_pending_answer(t, user, &p).await?;
                }
                Err(NotSent::Failed(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Settles the answer: sent now, or nothing to send (erased, purged, not this user's).
    async fn deliver_one(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        p: &PendingAnswer,
    ) -> Result<(), NotSent> {
        let t = &tenant.id;
        let Some((ticket, messages)) = self.store.get_ticket(t, p.number).await? else {
            return Ok(());
        };
        let answer = messages.iter().find(|m| m.message_id == p.message_id);
        let text = answer.and_then(|m| m.text.clone().filter(|_| m.delivered_in_chat_at.is_none()));
        let (Some(text), true) = (text, ticket.user_id == user) else {
            return Ok(());
        };
        let agency = ticket
            .agency
            .as_ref()
            .and_then(|a| tenant.agencies.get(a).cloned());
        let m = Msg::TicketAnswer {
            number: ticket.number,
            agency,
            text,
        };
        if let Err(err) = self
            .messenger
            .send_cs(&e.oa_id, user, &super::text(m.render()))
            .await
        {
            retryable(err).map_err(NotSent::Failed)?;
            return Err(NotSent::Keep);
        }
        self.store
            .mark_delivered_in_chat(t, p.number, &p.message_id, p.at, e.at)
            .await?;
        self.metrics
            .count("TicketAnswerDeliveredLater", 1.0, &[("Tenant", t.as_str())]);
        Ok(())
    }
}
