//! Answers to tickets: once per request (the console's request id), by consultation message
//! inside Zalo's window, else by the tenant's fallback (`answer::outside_window_route`).

use motcua_domain::catalogue::version;
use motcua_domain::delivery::{Recipient, Subject};

use super::*;
use crate::delivery::{Ledger, Sent};

/// An answer going by ZNS: the approved template, the citizen's stored phone, the agency
/// named in it.
struct ZnsAnswer<'a> {
    template: &'a str,
    phone: &'a motcua_domain::Protected,
    agency: &'a str,
}

/// How Zalo took an answer, for its ledger record.
enum AnswerChannel<'a> {
    /// A consultation message, free or billed by the window it went in.
    Cs(motcua_domain::CsWindow),
    Zns {
        template: &'a str,
        version: String,
        phone_hash: String,
    },
}

impl StaffDesk {
    /// Answers a ticket. `request_id` (one per compose in the console) makes a double click
    /// send once; `fallback` is the staff member's confirmation when the window is closed.
    pub async fn answer(
        &self,
        p: &Principal,
        number: u64,
        text: &str,
        request_id: &str,
        fallback: Option<AnswerFallback>,
    ) -> StaffResult<AnswerOutcome> {
        let result = self
            .answer_once(p, number, text, request_id, fallback)
            .await;
        self.audited(p, "ticket.answer", &format!("ticket:{number}"), result)
            .await
    }

    async fn answer_once(
        &self,
        p: &Principal,
        number: u64,
        text: &str,
        request_id: &str,
        fallback: Option<AnswerFallback>,
    ) -> StaffResult<AnswerOutcome> {
        let text: String = text.trim().nfc().collect();
        if text.is_empty() {
            return Err(StaffError::Invalid("Câu trả lời đang để trống.".into()));
        }
        if text.chars().count() > MAX_STAFF_TEXT {
            return Err(StaffError::Invalid(format!(
                "Câu trả lời dài quá {MAX_STAFF_TEXT} ký tự, vui lòng rút gọn."
            )));
        }
        if request_id.is_empty() || request_id.len() > 64 {
            return Err(StaffError::Invalid("Thiếu mã yêu cầu (request_id).".into()));
        }
        let (ticket, _) = self.visible(p, number).await?;
        if ticket.status == TicketStatus::Closed {
            return Err(StaffError::Conflict(
                "Phiếu đã đóng: mở lại (Đang xử lý) trước khi trả lời.".into(),
            ));
        }
        let key = format!("answer#{}#{number}#{request_id}", p.tenant);
        let terms = Terms {
            lease: CLAIM_LEASE,
            keep_for: CLAIM_KEEP,
        };
        let work = self.deliver_answer(p, ticket, &text, request_id, fallback);
        match exactly_once(&*self.store, &*self.clock, &key, terms, work, |o| {
            serde_json::to_string(o).ok()
        })
        .await?
        {
            Once::Done(outcome) => Ok(outcome),
            Once::Before(result) => result
                .and_then(|r| serde_json::from_str(&r).ok())
                .ok_or_else(|| StaffError::Conflict("Câu trả lời này đã được gửi.".into())),
            Once::Busy => Err(StaffError::Conflict(
                "Câu trả lời này đang được gửi, vui lòng chờ.".into(),
            )),
        }
    }

    async fn deliver_answer(
        &self,
        p: &Principal,
        mut ticket: Ticket,
        text: &str,
        request_id: &str,
        fallback: Option<AnswerFallback>,
    ) -> StaffResult<AnswerOutcome> {
        let tenant = self.tenant(p)?;
        let oa_id = tenant
            .oa_id
            .clone()
            .ok_or_else(|| StaffError::Unavailable("the tenant has no OA configured".into()))?;
        let now = self.clock.now();
        let user = self.store.get_zalo_user(&p.tenant, &ticket.user_id).await?;
        let last = user.as_ref().and_then(|u| u.last_interaction_at);
        let phone = user.as_ref().and_then(|u| u.phone.as_ref());
        let agency_name = ticket
            .agency
            .as_ref()
            .and_then(|a| tenant.agencies.get(a).cloned());

        let sent = if within_window(last, now) {
            let answer = Msg::TicketAnswer {
                number: ticket.number,
                agency: agency_name.clone(),
                text: text.to_string(),
            };
            self.send_cs_answer(&oa_id, &ticket.user_id, answer).await?
        } else {
            None
        };
        let (message_id, delivery) = match sent {
            Some(message_id) => {
                let channel = AnswerChannel::Cs(motcua_domain::CsWindow::at(last, now));
                self.ledger_answer(tenant, &oa_id, &ticket, request_id, channel, &message_id)
                    .await;
                (message_id, "zalo_cs")
            }
            None => match answer::outside_window_route(fallback, tenant, last, phone.is_some())? {
                Route::CallCitizen => {
                    ticket.call_citizen = true;
                    (format!("staff-{request_id}"), "call_citizen")
                }
                Route::Zns { .. }
                    if !crate::notify::spend::take_zns_spend(self.store.as_ref(), tenant, now)
                        .await?
                        .alarm(self.metrics.as_ref(), tenant) =>
                {
                    // the tenant's ZNS budget for today is spent: the citizen is called instead
                    tracing::warn!(tenant = %tenant.id, "daily ZNS spend cap reached; the answer waits for a call");
                    ticket.call_citizen = true;
                    (format!("staff-{request_id}"), "call_citizen")
                }
                Route::Zns { template } => {
                    let stored = phone.expect("the route checked it");
                    let agency = agency_name.as_deref().unwrap_or(&tenant.name);
                    let zns = ZnsAnswer {
                        template,
                        phone: stored,
                        agency,
                    };
                    let id = self
                        .answer_by_zns(p, tenant, &oa_id, &ticket, request_id, zns)
                        .await?;
                    (id, "zns")
                }
            },
        };
        self.record_answer(p, ticket, text, message_id, delivery, now)
            .await
    }

    /// The answer's ZNS (`ticket_answered`) to the citizen's proven phone, in the ledger;
    /// Zalo's message id.
    async fn answer_by_zns(
        &self,
        p: &Principal,
        tenant: &Tenant,
        oa_id: &str,
        ticket: &Ticket,
        request_id: &str,
        zns: ZnsAnswer<'_>,
    ) -> StaffResult<String> {
        let ZnsAnswer {
            template,
            phone: stored,
            agency,
        } = zns;
        let phone = self.open_phone(p, stored)?;
        let params = ticket_answered_params(ticket.number, agency);
        let tracking: String = format!("tk-{}-{request_id}", ticket.number)
            .chars()
            .take(48)
            .collect();
        let development = tenant.zalo.zns_development;
        let sent = self
            .messenger
            .send_zns(oa_id, &phone, template, &params, &tracking, development)
            .await
            .map_err(zns_refusal)?;
        let channel = AnswerChannel::Zns {
            template,
            version: version::zns(template, &params),
            phone_hash: stored.hash.clone(),
        };
        self.ledger_answer(tenant, oa_id, ticket, request_id, channel, &sent.message_id)
            .await;
        Ok(sent.message_id)
    }

    /// The answer Zalo accepted, in the delivery ledger (its receipts move it).
    async fn ledger_answer(
        &self,
        tenant: &Tenant,
        oa_id: &str,
        ticket: &Ticket,
        request_id: &str,
        channel: AnswerChannel<'_>,
        message_id: &str,
    ) {
        let Some(keys) = self.tenancy.keys(&tenant.id) else {
            return;
        };
        let subject = Subject::Ticket {
            ticket: ticket.number,
            answer: request_id.to_string(),
        };
        let sent = match channel {
            AnswerChannel::Cs(window) => {
                let paid = window == motcua_domain::CsWindow::Paid;
                Sent {
                    tenant,
                    oa_id,
                    subject,
                    recipient: Recipient::ZaloUser(keys.user_tag(&ticket.user_id)),
                    channel: if paid { "zalo_cs_paid" } else { "zalo_cs_free" },
                    price_class: if paid { "cs_paid" } else { "free" },
                    template: None,
                    text_version: version::ticket_answer(),
                    message_id,
                }
            }
            AnswerChannel::Zns {
                template,
                version,
                phone_hash,
            } => Sent {
                tenant,
                oa_id,
                subject,
                recipient: Recipient::Phone(phone_hash),
                channel: "zns",
                price_class: "zns",
                template: Some(template.to_string()),
                text_version: version,
                message_id,
            },
        };
        let ledger = Ledger::unreported(self.store.clone(), self.metrics.clone());
        ledger.record_sent(sent, self.clock.now()).await;
    }

    /// The answer as a consultation message; `None` when Zalo says the window is closed or
    /// the user cannot be reached (Zalo knows the window better than our record of it).
    async fn send_cs_answer(
        &self,
        oa_id: &str,
        user_id: &str,
        answer: Msg,
    ) -> StaffResult<Option<String>> {
        let message = Outgoing {
            text: answer.render(),
            buttons: Vec::new(),
            link: None,
            call: None,
        };
        match self.messenger.send_cs(oa_id, user_id, &message).await {
            Ok(d) => Ok(Some(d.message_id)),
            Err(e)
                if matches!(
                    e.failure,
                    SendFailure::OutsideWindow | SendFailure::RecipientPermanent
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(StaffError::Unavailable(e.to_string())),
        }
    }

    /// The answer joins the ticket's history, the ticket is answered, the counters move.
    async fn record_answer(
        &self,
        p: &Principal,
        mut ticket: Ticket,
        text: &str,
        message_id: String,
        delivery: &'static str,
        now: DateTime<Utc>,
    ) -> StaffResult<AnswerOutcome> {
        let message = TicketMessage {
            message_id,
            at: now,
            author: Author::Staff {
                name: p.name.clone(),
            },
            text: Some(text.to_string()),
            attachments: Vec::new(),
            delivery: Some(delivery.to_string()),
            delivered_in_chat_at: None,
        };
        self.store
            .add_ticket_message(&p.tenant, ticket.number, &message)
            .await?;
        if delivery != "zalo_cs" {
            self.await_next_interaction(p, &ticket, &message, now).await;
        }
        let counters = answer::answer_counters(&ticket, delivery, now);
        ticket.status = TicketStatus::Answered;
        ticket.updated_at = now;
        ticket.answered_at.get_or_insert(now);
        self.store.update_ticket(&ticket).await?;
        let day = time::to_vn(now).date_naive();
        for (metric, by) in counters {
            if let Err(e) = self.store.incr(&p.tenant, &metric, day, by).await {
                tracing::warn!(metric, error = %e, "counter not incremented");
            }
        }
        Ok(AnswerOutcome {
            delivery: delivery.into(),
            ticket: ticket.number,
        })
    }
}

impl StaffDesk {
    /// The answer did not reach the chat: it goes there at the citizen's next interaction
    /// (`conversation/pending.rs`). Best effort: the answer is recorded and was phoned or sent
    /// by ZNS either way, so a failure here is logged, not the staff member's to retry.
    async fn await_next_interaction(
        &self,
        p: &Principal,
        ticket: &Ticket,
        message: &TicketMessage,
        now: DateTime<Utc>,
    ) {
        let pending = crate::ports::PendingAnswer {
            number: ticket.number,
            message_id: message.message_id.clone(),
            at: message.at,
        };
        let days = self.tenancy.retention(&p.tenant).tickets_after_closing;
        let until = now + chrono::Duration::days(i64::from(days));
        if let Err(e) = self
            .store
            .add_pending_answer(&p.tenant, &ticket.user_id, &pending, until)
            .await
        {
            tracing::error!(ticket = ticket.number, error = %e, "answer not queued for the next interaction");
        }
    }
}

/// A refused "answer ready" ZNS: a Vietnamese reason for the staff member when retrying will
/// not help, else unavailable.
fn zns_refusal(e: crate::messenger::SendError) -> StaffError {
    match e.failure {
        SendFailure::Configuration | SendFailure::RecipientPermanent => {
            StaffError::Invalid(format!(
                "Zalo không nhận tin ZNS ({}): hãy chọn gọi điện cho công dân.",
                e.detail
            ))
        }
        _ => StaffError::Unavailable(e.to_string()),
    }
}
