//! The citizen's conversation with the province's OA, one verified webhook event at a time,
//! exactly once per event (a Zalo retry finds the event completed and sends nothing).
//!
//! - follow: remember the follower, welcome with the menu; unfollow: remember it.
//! - a receipt code in any form: the status card; status and dates only, unless the asker's
//!   Zalo-verified phone matches the dossier or the message carries the last 4 ID digits. An
//!   unknown code and a code the asker may not see answer the same. Per-user daily budget, and a
//!   scan metric when a user keeps asking for codes that do not exist.
//! - a phone number typed in chat is never searched: the reply explains how to share it.
//! - "Nhận thông báo": request_user_info; the shared, verified phone links the user (later
//!   dossiers with that phone reach them by the free channel) and lists their open dossiers.
//! - anything else, photos, files, locations: a question/complaint ticket, opened or appended to.
//! - buttons: delivery choice (owner only) recorded and published for the one-stop system;
//!   satisfaction rating. OA-tool echoes go into the ticket history, never answered. Receipts go
//!   to the notifier's matching. user_withdraw erases the user's link and confirms.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua_domain::catalogue::{
    DELIVERY_COUNTER_PREFIX, DELIVERY_POSTAL_PREFIX, MENU, Msg, RATING_PREFIX, SHARE_INFO_SUBTITLE,
    SHARE_INFO_TITLE,
};
use motcua_domain::{DossierCode, PhoneNumber, Tenant, TenantId, TimelineEntry, time};
use unicode_normalization::UnicodeNormalization;

use crate::lookup::{Proof, lookup};
use crate::messenger::{Messenger, Outgoing, SendError, SendFailure};
use crate::metrics::Metrics;
use crate::notify::{Notifier, ReceiptKind};
use crate::once::{Once, Terms, exactly_once};
use crate::ports::{
    Attachment, Author, Clock, NewTicket, Queue, Store, StoreError, TicketCategory, TicketMessage,
};
use crate::tenancy::Tenancy;

/// What the webhook received, already verified and typed by the Zalo adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Follow {
        user_id: String,
    },
    Unfollow {
        user_id: String,
    },
    ChatNow {
        user_id: String,
    },
    Text {
        user_id: String,
        msg_id: String,
        text: String,
    },
    Media {
        user_id: String,
        msg_id: String,
        caption: Option<String>,
        attachments: Vec<Attachment>,
    },
    SharedPhone {
        user_id: String,
        phone: Option<String>,
    },
    Receipt {
        msg_ids: Vec<String>,
        kind: ReceiptKind,
    },
    OaEcho {
        user_id: String,
        msg_id: String,
        text: Option<String>,
        attachments: Vec<Attachment>,
    },
    Withdraw {
        user_id: String,
    },
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEvent {
    pub oa_id: String,
    /// Zalo's de-duplication key of the event (message id, or name + time + subject).
    pub key: String,
    pub at: DateTime<Utc>,
    pub inbound: Inbound,
}

#[derive(Debug, Clone)]
pub struct ConversationSettings {
    /// Code lookups per user per day before the polite refusal.
    pub lookups_per_day: i64,
    /// Misses per user per day that raise the scan metric.
    pub misses_for_scan_alarm: i64,
    /// A message joins the user's open ticket if it was updated within this window.
    pub ticket_window: Duration,
}

impl Default for ConversationSettings {
    fn default() -> Self {
        ConversationSettings {
            lookups_per_day: 30,
            misses_for_scan_alarm: 10,
            ticket_window: Duration::from_secs(24 * 3600),
        }
    }
}

/// What handling an event came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Done(&'static str),
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    /// Retry later (store or Zalo temporarily unavailable).
    #[error("retry later: {0}")]
    Retry(String),
    /// The event's OA belongs to no tenant here.
    #[error("no tenant has OA {0}")]
    UnknownOa(String),
}

impl From<StoreError> for ConversationError {
    fn from(e: StoreError) -> Self {
        ConversationError::Retry(e.to_string())
    }
}

pub struct Conversation {
    pub store: Arc<dyn Store>,
    pub tenancy: Tenancy,
    pub messenger: Arc<dyn Messenger>,
    pub notifier: Arc<Notifier>,
    /// The outbound queue to the one-stop system (delivery choices).
    pub outbound: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<dyn Metrics>,
    pub settings: ConversationSettings,
}

const LEASE: Duration = Duration::from_secs(60);
const KEEP: Duration = Duration::from_secs(30 * 24 * 3600);

fn text(t: impl Into<String>) -> Outgoing {
    Outgoing {
        text: t.into(),
        buttons: Vec::new(),
        link: None,
    }
}

impl Conversation {
    pub async fn handle(&self, e: &InboundEvent) -> Result<Handled, ConversationError> {
        let tenant = self
            .tenancy
            .directory()
            .for_oa(&e.oa_id)
            .ok_or_else(|| ConversationError::UnknownOa(e.oa_id.clone()))?;
        let key = format!("zalo#{}", e.key);
        let terms = Terms {
            lease: LEASE,
            keep_for: KEEP,
        };
        let work = self.dispatch(tenant, e);
        match exactly_once(&*self.store, &*self.clock, &key, terms, work, |what| {
            Some((*what).to_string())
        })
        .await?
        {
            Once::Done(what) => Ok(Handled::Done(what)),
            Once::Before(_) => Ok(Handled::Duplicate),
            Once::Busy => Err(ConversationError::Retry(
                "event in progress elsewhere".into(),
            )),
        }
    }

    async fn dispatch(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        match &e.inbound {
            Inbound::Follow { user_id } => {
                self.store.set_following(t, user_id, true, e.at).await?;
                self.store.record_interaction(t, user_id, e.at).await?;
                let day = time::to_vn(e.at).date_naive();
                self.store.incr(t, "followers.follow", day, 1).await?;
                let welcome = Outgoing {
                    text: Msg::Welcome {
                        province: tenant.name.clone(),
                    }
                    .render(),
                    buttons: MENU
                        .iter()
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .collect(),
                    link: None,
                };
                self.send(&e.oa_id, user_id, None, welcome).await?;
                Ok("welcomed")
            }
            Inbound::Unfollow { user_id } => {
                self.store.set_following(t, user_id, false, e.at).await?;
                let day = time::to_vn(e.at).date_naive();
                self.store.incr(t, "followers.unfollow", day, 1).await?;
                Ok("unfollowed")
            }
            Inbound::ChatNow { user_id } => {
                self.store.record_interaction(t, user_id, e.at).await?;
                Ok("interaction")
            }
            Inbound::Text {
                user_id,
                msg_id,
                text: body,
            } => {
                self.store.record_interaction(t, user_id, e.at).await?;
                self.on_text(tenant, e, user_id, msg_id, body).await
            }
            Inbound::Media {
                user_id,
                msg_id,
                caption,
                attachments,
            } => {
                self.store.record_interaction(t, user_id, e.at).await?;
                self.ticket(
                    tenant,
                    e,
                    user_id,
                    msg_id,
                    caption.clone(),
                    attachments.clone(),
                )
                .await
            }
            Inbound::SharedPhone { user_id, phone } => {
                self.store.record_interaction(t, user_id, e.at).await?;
                self.link(tenant, e, user_id, phone.as_deref()).await
            }
            Inbound::Receipt { msg_ids, kind } => {
                for id in msg_ids {
                    self.notifier
                        .record_receipt(&e.oa_id, id, *kind, e.at)
                        .await?;
                }
                Ok("receipt")
            }
            Inbound::OaEcho {
                user_id,
                msg_id,
                text: body,
                attachments,
            } => {
                if let Some(ticket) = self.store.latest_open_ticket(t, user_id).await? {
                    let m = TicketMessage {
                        message_id: msg_id.clone(),
                        at: e.at,
                        author: Author::OaTool,
                        text: body.clone(),
                        attachments: attachments.clone(),
                        delivery: None,
                    };
                    self.store.add_ticket_message(t, ticket.number, &m).await?;
                }
                Ok("echo")
            }
            Inbound::Withdraw { user_id } => {
                self.store.delete_zalo_user(t, user_id).await?;
                self.store.erase_citizen_messages(t, user_id).await?;
                self.send(&e.oa_id, user_id, None, text(Msg::DataErased.render()))
                    .await?;
                Ok("erased")
            }
            Inbound::Other => Ok("ignored"),
        }
    }

    async fn on_text(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        body: &str,
    ) -> Result<&'static str, ConversationError> {
        let trimmed = body.trim();
        let reply = |m: Msg| self.send(&e.oa_id, user, Some(msg_id), text(m.render()));
        match trimmed {
            "#tra_cuu" => return reply(Msg::AskForCode).await.map(|_| "asked_for_code"),
            "#hoi_dap" => {
                return reply(Msg::AskForQuestion)
                    .await
                    .map(|_| "asked_for_question");
            }
            "#huong_dan" => return reply(Msg::Guide).await.map(|_| "guide"),
            "#nhan_thong_bao" => {
                if let Err(e) = self
                    .messenger
                    .request_user_info(&e.oa_id, user, SHARE_INFO_TITLE, SHARE_INFO_SUBTITLE)
                    .await
                {
                    retryable(e)?;
                }
                return Ok("requested_phone");
            }
            _ => {}
        }
        if let Some(code) = trimmed.strip_prefix(DELIVERY_POSTAL_PREFIX) {
            return self.delivery(tenant, e, user, msg_id, code, true).await;
        }
        if let Some(code) = trimmed.strip_prefix(DELIVERY_COUNTER_PREFIX) {
            return self.delivery(tenant, e, user, msg_id, code, false).await;
        }
        if let Some(rest) = trimmed.strip_prefix(RATING_PREFIX) {
            return self.rating(tenant, e, user, msg_id, rest).await;
        }
        if let Ok(code) = DossierCode::extract(trimmed) {
            return self.lookup(tenant, e, user, msg_id, &code, trimmed).await;
        }
        // A short message that is a phone number is someone trying to look their dossiers up
        // by phone; a longer one that mentions a number (a call-back number in a complaint)
        // is a question for staff.
        if trimmed.chars().count() <= PHONE_ONLY_MAX_CHARS && looks_like_phone(trimmed) {
            reply(Msg::PhoneTypedInChat).await?;
            return Ok("phone_not_searched");
        }
        self.ticket(tenant, e, user, msg_id, Some(body.to_string()), Vec::new())
            .await
    }

    async fn lookup(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        code: &DossierCode,
        body: &str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let day = time::to_vn(e.at).date_naive();
        let budget_metric = format!("lookup_user.{user}");
        self.store.incr(t, &budget_metric, day, 1).await?;
        let used = self
            .store
            .daily(t, &budget_metric, day, day)
            .await?
            .first()
            .map_or(0, |d| d.1);
        if used > self.settings.lookups_per_day {
            self.metrics
                .count("LookupRateLimited", 1.0, &[("Tenant", t.as_str())]);
            self.send(
                &e.oa_id,
                user,
                Some(msg_id),
                text(
                    Msg::LookupRateLimited {
                        retry_minutes: minutes_to_midnight(e.at),
                    }
                    .render(),
                ),
            )
            .await?;
            return Ok("rate_limited");
        }
        self.store.incr(t, "lookup.chat", day, 1).await?;
        // The second factor: four digits in the message other than the code's own.
        let id_suffix = body
            .replace(code.as_str(), " ")
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 4)
            .map(str::to_string);
        let user_phone = self
            .store
            .get_zalo_user(t, user)
            .await?
            .and_then(|u| u.phone)
            .map(|p| p.hash);
        // Only this OA's province answers; another province's code looks unknown.
        let found = match self.tenancy.for_code(code) {
            Some(owner) if owner.id == *t => {
                let proof = Proof {
                    token: None,
                    id_suffix: id_suffix.as_deref(),
                    phone_hash: user_phone.as_deref(),
                };
                lookup(
                    self.store.as_ref(),
                    &self.tenancy,
                    |_| None,
                    code,
                    proof,
                    self.clock.now(),
                )
                .await?
            }
            _ => None,
        };
        let Some(view) = found else {
            let misses = format!("lookup_miss_user.{user}");
            self.store.incr(t, &misses, day, 1).await?;
            let missed = self
                .store
                .daily(t, &misses, day, day)
                .await?
                .first()
                .map_or(0, |d| d.1);
            if missed >= self.settings.misses_for_scan_alarm {
                self.metrics
                    .count("LookupScanSuspected", 1.0, &[("Tenant", t.as_str())]);
                tracing::warn!(tenant = %t, misses = missed, "a Zalo user keeps asking for codes that do not exist");
            }
            self.send(
                &e.oa_id,
                user,
                Some(msg_id),
                text(
                    Msg::DossierNotFound {
                        code: code.to_string(),
                    }
                    .render(),
                ),
            )
            .await?;
            return Ok("lookup_miss");
        };
        let s = &view.status;
        let short = Msg::StatusShort {
            code: s.code.clone(),
            status: s.status,
            step: s.step_label.clone(),
            received: s.received_at.map(time::vn_date),
            due: s.due_at.map(time::vn_date),
            overdue: s.overdue,
        };
        let msg = match view.card {
            Some(card) => Msg::StatusFull {
                short: Box::new(short),
                applicant: card.applicant,
                procedure: card.procedure,
                steps: card
                    .timeline
                    .iter()
                    .rev()
                    .take(5)
                    .rev()
                    .map(|i| format!("{} {}", time::vn_date(i.at), i.label))
                    .collect(),
            },
            None => short,
        };
        self.send(&e.oa_id, user, Some(msg_id), text(msg.render()))
            .await?;
        Ok("lookup")
    }

    async fn link(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        phone: Option<&str>,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let Some(phone) = phone.and_then(|p| PhoneNumber::parse(p).ok()) else {
            self.send(
                &e.oa_id,
                user,
                None,
                text(Msg::SharedPhoneUnusable.render()),
            )
            .await?;
            return Ok("phone_unusable");
        };
        let keys = self
            .tenancy
            .keys(t)
            .expect("Tenancy holds keys for every tenant");
        let protected = keys.protect_phone(&phone);
        self.store.link_phone(t, user, &protected, e.at).await?;
        let open: Vec<String> = self
            .store
            .dossiers_by_phone(t, &protected.hash)
            .await?
            .into_iter()
            .filter(|d| !d.status.is_final())
            .map(|d| format!("{} – {} ({})", d.code, d.procedure_name, d.status.name_vi()))
            .collect();
        self.send(
            &e.oa_id,
            user,
            None,
            text(Msg::Linked { dossiers: open }.render()),
        )
        .await?;
        Ok("linked")
    }

    async fn ticket(
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
        let message = TicketMessage {
            message_id: msg_id.to_string(),
            at: e.at,
            author: Author::Citizen,
            text: body,
            attachments,
            delivery: None,
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
                }
                .render(),
            ),
        )
        .await?;
        Ok("ticket_opened")
    }

    /// The dossier, if the user's verified phone is its applicant's or representative's.
    async fn owned(
        &self,
        t: &TenantId,
        user: &str,
        raw: &str,
    ) -> Result<Option<motcua_domain::Dossier>, ConversationError> {
        let Ok(code) = DossierCode::parse(raw) else {
            return Ok(None);
        };
        let Some(hash) = self
            .store
            .get_zalo_user(t, user)
            .await?
            .and_then(|u| u.phone)
            .map(|p| p.hash)
        else {
            return Ok(None);
        };
        let Some(view) = self.store.load_dossier(t, &code).await? else {
            return Ok(None);
        };
        let d = view.dossier;
        let mine = [&d.applicant_phone, &d.representative_phone]
            .into_iter()
            .flatten()
            .any(|p| p.hash == hash);
        Ok(mine.then_some(d))
    }

    async fn delivery(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        raw: &str,
        postal: bool,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let Some(d) = self.owned(t, user, raw).await? else {
            self.send(
                &e.oa_id,
                user,
                Some(msg_id),
                text(Msg::DeliveryNotAllowed.render()),
            )
            .await?;
            return Ok("delivery_not_allowed");
        };
        let choice = if postal { "postal" } else { "counter" };
        let entry = TimelineEntry {
            at: e.at,
            version: d.version,
            event_id: format!("choice-{msg_id}"),
            kind: "delivery_choice".into(),
            status: d.status,
            step_label: None,
            note: Some(choice.into()),
        };
        self.store.add_timeline_entry(t, &d.code, &entry).await?;
        let out = serde_json::json!({
            "schema_version": 1,
            "type": "delivery_choice",
            "message_id": format!("zalo-{msg_id}"),
            "tenant": t.as_str(),
            "code": d.code.as_str(),
            "choice": choice,
            "chosen_at": e.at.to_rfc3339(),
        });
        self.outbound
            .send(&out.to_string())
            .await
            .map_err(|q| ConversationError::Retry(q.to_string()))?;
        self.send(
            &e.oa_id,
            user,
            Some(msg_id),
            text(
                Msg::DeliveryChosen {
                    code: d.code.to_string(),
                    postal,
                }
                .render(),
            ),
        )
        .await?;
        Ok("delivery_chosen")
    }

    async fn rating(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        rest: &str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let Some((raw, score)) = rest.rsplit_once(':') else {
            return Ok("ignored");
        };
        let Ok(score @ 1..=5) = score.parse::<u8>() else {
            return Ok("ignored");
        };
        let Some(d) = self.owned(t, user, raw).await? else {
            return Ok("rating_not_allowed");
        };
        let entry = TimelineEntry {
            at: e.at,
            version: d.version,
            event_id: format!("rating-{msg_id}"),
            kind: "rating".into(),
            status: d.status,
            step_label: None,
            note: Some(score.to_string()),
        };
        self.store.add_timeline_entry(t, &d.code, &entry).await?;
        self.store
            .incr(
                t,
                &format!("rating.{score}"),
                time::to_vn(e.at).date_naive(),
                1,
            )
            .await?;
        self.send(
            &e.oa_id,
            user,
            Some(msg_id),
            text(Msg::RatingThanks.render()),
        )
        .await?;
        Ok("rated")
    }

    /// Replies (by inbound message id when there is one) or messages the user.
    async fn send(
        &self,
        oa: &str,
        user: &str,
        reply_to: Option<&str>,
        m: Outgoing,
    ) -> Result<(), ConversationError> {
        let sent = match reply_to {
            Some(id) => self.messenger.reply(oa, id, &m).await,
            None => self.messenger.send_cs(oa, user, &m).await,
        };
        match sent {
            Ok(_) => Ok(()),
            Err(e) => retryable(e).map(|_| ()),
        }
    }
}

/// Rate limits and outages are retried; anything else about a reply is logged and given up
/// (the user can ask again), so that one bad reply never blocks the conversation.
fn retryable(e: SendError) -> Result<(), ConversationError> {
    match e.failure {
        SendFailure::RateLimited { .. } | SendFailure::Transient => {
            Err(ConversationError::Retry(e.detail))
        }
        _ => {
            tracing::warn!(detail = %e.detail, "reply not delivered");
            Ok(())
        }
    }
}

fn minutes_to_midnight(at: DateTime<Utc>) -> u32 {
    use chrono::Timelike;
    let local = time::to_vn(at);
    (24 * 60 - (local.hour() * 60 + local.minute())).max(1)
}

/// Some run of digits, spaces, dots, dashes, brackets and `+` in the text is a Vietnamese
/// mobile number: a phone number was typed.
/// Longest message still read as "here is my phone number" rather than a question.
const PHONE_ONLY_MAX_CHARS: usize = 40;

fn looks_like_phone(s: &str) -> bool {
    s.split(|c: char| !(c.is_ascii_digit() || " .-()+".contains(c)))
        .any(|run| {
            run.chars().filter(char::is_ascii_digit).count() >= 9
                && PhoneNumber::parse(run.trim()).is_ok()
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn typed_phone_numbers_are_recognised() {
        for s in [
            "0906591985",
            "số của tôi là 0906 591 985 nhé",
            "+84 906.591.985",
            "(+84) 906-591-985",
        ] {
            assert!(super::looks_like_phone(s), "{s}");
        }
        for s in [
            "xin chào",
            "hồ sơ 000.00.04.H60-230215-0028",
            "02433824567",
            "123456789",
        ] {
            assert!(!super::looks_like_phone(s), "{s}");
        }
    }
}

/// A first guess at a ticket's category from the citizen's own words; staff correct it.
pub fn classify(text: &str) -> TicketCategory {
    let lower: String = text.nfc().collect::<String>().to_lowercase();
    if [
        "phản ánh",
        "khiếu nại",
        "tố cáo",
        "bức xúc",
        "chậm trễ",
        "gây khó khăn",
        "nhũng nhiễu",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        TicketCategory::Complaint
    } else if ["góp ý", "đề xuất", "kiến nghị", "đề nghị cải tiến"]
        .iter()
        .any(|w| lower.contains(w))
    {
        TicketCategory::Suggestion
    } else {
        TicketCategory::Question
    }
}

#[cfg(test)]
mod classify_tests {
    use super::*;

    #[test]
    fn categories_follow_the_citizens_words() {
        assert_eq!(
            classify("Tôi muốn phản ánh việc trả kết quả chậm"),
            TicketCategory::Complaint
        );
        assert_eq!(classify("KHIẾU NẠI về lệ phí"), TicketCategory::Complaint);
        // decomposed input is normalised first
        assert_eq!(
            classify("Go\u{301}p y\u{301} về giờ làm việc"),
            TicketCategory::Suggestion
        );
        assert_eq!(
            classify("Hồ sơ đất đai cần giấy tờ gì?"),
            TicketCategory::Question
        );
        assert_eq!(classify(""), TicketCategory::Question);
    }
}
