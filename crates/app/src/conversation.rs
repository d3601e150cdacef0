//! The citizen's conversation with the province's OA, one verified webhook event at a time,
//! exactly once per event (a Zalo retry finds the event completed and sends nothing).
//!
//! - follow: remember the follower, welcome with the menu; unfollow: remember it.
//! - a receipt code in any form: the status card; status and dates only, unless the asker's
//!   Zalo-verified phone matches the dossier or the message carries the last 4 ID digits. An
//!   unknown code and a code the asker may not see answer the same. Per-user daily budget, and a
//!   scan metric when a user keeps asking for codes that do not exist.
//! - a phone number typed in chat is never searched: the reply explains how to share it.
//! - "Nhận thông báo": request_user_info; the shared phone is only a claim until the user types
//!   the one-time code sent to it by ZNS; then it links the user (later dossiers with that phone
//!   reach them by the free channel) and lists their open dossiers (`phone.rs`).
//! - "Hồ sơ của tôi": the verified user's dossiers, a page at a time (`mine.rs`).
//! - a staff answer that could not reach the user in the chat goes at their next interaction,
//!   once, before the reply (`pending.rs`).
//! - a question the tenant's procedure catalogue answers: the best 1-3 procedures, recorded as a
//!   closed ticket that "Hỏi cán bộ" reopens for staff (`guide.rs`).
//! - anything else, photos, files, locations: a question/complaint ticket, opened or appended to.
//! - buttons: delivery choice (owner only) recorded and published for the one-stop system;
//!   satisfaction rating. OA-tool echoes go into the ticket history, never answered. Receipts go
//!   to the notifier's matching. user_withdraw erases the user's link and confirms.

mod buttons;
mod codes;
mod followers;
mod guide;
mod mine;
mod pending;
mod phone;
mod tickets;

pub use motcua_domain::ticket::classify;

use motcua_domain::phone::{PHONE_ONLY_MAX_CHARS, looks_like_phone};

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua_domain::catalogue::{
    DELIVERY_COUNTER_PREFIX, DELIVERY_POSTAL_PREFIX, GUIDE_ASK_STAFF_PREFIX, MENU, Msg,
    RATING_PREFIX, SHARE_INFO_SUBTITLE, SHARE_INFO_TITLE, SUPPORT,
};
use motcua_domain::{DossierCode, PhoneNumber, Tenant, TenantId, TimelineEntry, time};

use crate::lookup::{Proof, lookup};
use crate::messenger::{Messenger, Outgoing, SendError, SendFailure};
use crate::metrics::Metrics;
use crate::notify::{Notifier, ReceiptKind};
use crate::once::{Once, Terms, exactly_once};
use crate::ports::{Attachment, Author, Clock, NewTicket, Queue, Store, StoreError, TicketMessage};
use crate::tenancy::Tenancy;

impl Inbound {
    /// The user of an event that opens Zalo's consultation window (they wrote, sent, shared,
    /// pressed, opened the chat or followed).
    fn interacting_user(&self) -> Option<&str> {
        match self {
            Inbound::Follow { user_id }
            | Inbound::ChatNow { user_id }
            | Inbound::Text { user_id, .. }
            | Inbound::Media { user_id, .. }
            | Inbound::SharedPhone { user_id, .. } => Some(user_id),
            _ => None,
        }
    }
}

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
    /// The tenants' procedure guides, rebuilt when a catalogue changes.
    pub guides: crate::guide::Guides,
}

const LEASE: Duration = Duration::from_secs(60);
const KEEP: Duration = Duration::from_secs(30 * 24 * 3600);

fn text(t: impl Into<String>) -> Outgoing {
    Outgoing {
        text: t.into(),
        buttons: Vec::new(),
        link: None,
        call: None,
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
        if let Some(user) = e.inbound.interacting_user() {
            self.deliver_pending(tenant, e, user).await?;
        }
        match &e.inbound {
            Inbound::Follow { user_id } => self.on_follow(tenant, e, user_id).await,
            Inbound::Unfollow { user_id } => self.on_unfollow(t, e, user_id).await,
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
                self.claim_phone(tenant, e, user_id, phone.as_deref()).await
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
            } => self.on_echo(t, e, user_id, msg_id, body, attachments).await,
            Inbound::Withdraw { user_id } => self.on_withdraw(t, e, user_id).await,
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
        let receipt_code = motcua_domain::zalo::receipt_code_digits(trimmed);
        if motcua_domain::zalo::is_otp(trimmed) || receipt_code.is_some() {
            let pending = self
                .store
                .get_zalo_user(&tenant.id, user)
                .await?
                .and_then(|u| u.phone_claim);
            if let Some(claim) = pending {
                return match receipt_code {
                    Some(digits) => {
                        self.check_receipt_code(tenant, e, user, msg_id, claim, &digits)
                            .await
                    }
                    None => {
                        self.check_otp(tenant, e, user, msg_id, claim, trimmed)
                            .await
                    }
                };
            }
        }
        match trimmed {
            "#tra_cuu" => return reply(Msg::AskForCode).await.map(|_| "asked_for_code"),
            "#hoi_dap" => {
                return reply(Msg::AskForQuestion)
                    .await
                    .map(|_| "asked_for_question");
            }
            "#huong_dan" | SUPPORT => return self.support(tenant, e, user, msg_id).await,
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
        if let Some(page) = mine::my_dossiers_page(trimmed) {
            return self.my_dossiers(tenant, e, user, msg_id, page).await;
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
        if let Some(rest) = trimmed.strip_prefix(GUIDE_ASK_STAFF_PREFIX) {
            return self.ask_staff(tenant, e, user, msg_id, rest).await;
        }
        if let Ok(code) = DossierCode::extract(trimmed) {
            return self
                .code_card(tenant, e, user, msg_id, &code, trimmed)
                .await;
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

    /// "Hỗ trợ": the hotline (with a call button) and office hours, then the guide.
    async fn support(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
    ) -> Result<&'static str, ConversationError> {
        let desk = tenant.support.as_ref();
        let m = Msg::Support {
            hotline: desk.and_then(|s| s.hotline.clone()),
            hours: desk.map(|s| s.hours_vi()),
        };
        let call = desk
            .and_then(|s| s.dial_code())
            .map(|code| (motcua_domain::catalogue::SUPPORT_CALL.to_string(), code));
        let out = Outgoing {
            text: m.render(),
            call,
            ..Outgoing::default()
        };
        self.send(&e.oa_id, user, Some(msg_id), out).await?;
        Ok("support")
    }

    /// The tenant's PII keys (the tenancy holds keys for every tenant it knows).
    fn keys(&self, t: &TenantId) -> &crate::pii::PiiKeys {
        self.tenancy
            .keys(t)
            .expect("Tenancy holds keys for every tenant")
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
