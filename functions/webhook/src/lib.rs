//! `POST /zalo/webhook`: the signature is verified on the raw bytes before anything is parsed;
//! unsigned or mis-signed → 401 and nothing stored; a signed body older than Zalo's retries
//! (`signature::MAX_AGE`) → 401 (a replay); not a Zalo event → 400; a source with more than
//! `JUNK_PER_MINUTE` such refusals in a minute → 429 unread for a minute; every correctly
//! signed event (unknown ones too) is put on the internal queue and answered 200 at once, well
//! inside Zalo's 2 seconds. Processing happens after the 200 (`process`), exactly once per event
//! (a Zalo retry re-sends the same body: the conversation finds it completed).

use std::net::IpAddr;
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
pub use motcua_app::Ack;
use motcua_app::conversation::{Conversation, ConversationError, Inbound, InboundEvent};
use motcua_app::metrics::Metrics;
use motcua_app::notify::ReceiptKind;
use motcua_app::{Attachment, ClientIp, Clock, Queue, QueueMessage};
use motcua_config::Deployment;
use motcua_zalo::events::{Envelope, Event, WebhookEvent};
use motcua_zalo::signature::{self, SignatureSettings};

/// Zalo bodies are small; anything bigger is not a webhook event.
pub const MAX_BODY: usize = 256 * 1024;

pub mod junk;

pub use junk::JunkGuard;

/// Refused bodies per source and minute before the source is refused unread (`junk`).
pub const JUNK_PER_MINUTE: u32 = 30;

pub struct WebhookState {
    pub deployment: Deployment,
    /// Verified events waiting for processing.
    pub queue: Arc<dyn Queue>,
    pub metrics: Arc<dyn Metrics>,
    /// Judges a body's freshness (`signature::check_fresh`).
    pub clock: Arc<dyn Clock>,
    /// Sources that keep sending bodies that fail verification.
    pub junk: JunkGuard,
}

pub fn router(state: Arc<WebhookState>) -> Router {
    Router::new()
        // Zalo's console checks the URL with a GET; answer it plainly.
        .route(
            "/zalo/webhook",
            get(|| async { StatusCode::OK }).post(receive),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

fn settings(d: &Deployment, oa: &str) -> Option<SignatureSettings> {
    let tenant = d.tenancy.directory().for_oa(oa)?;
    let secrets = d.secrets.tenant(tenant.id.as_str())?;
    Some(SignatureSettings {
        app_ids: tenant.zalo.app_id.clone().into_iter().collect(),
        oa_id: oa.to_string(),
        oa_secret_key: secrets.zalo_oa_secret_key.clone()?,
        app_secret_fallback: secrets
            .zalo_app_secret
            .clone()
            .filter(|_| tenant.zalo.signature_accepts_app_secret),
        allow_oa_id_first_term: tenant.zalo.signature_accepts_oa_id,
    })
}

/// The source's address, when the entry knows it (API Gateway's `sourceIp`, the local server's
/// peer or trusted proxy).
fn source(req_ip: Option<Extension<ClientIp>>) -> Option<IpAddr> {
    req_ip.map(|Extension(ip)| ip.rate_key())
}

async fn receive(
    State(state): State<Arc<WebhookState>>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let source = source(client);
    if let Some(left) = source.and_then(|ip| state.junk.blocked(ip)) {
        state
            .metrics
            .count("WebhookSignature", 1.0, &[("Result", "throttled")]);
        let secs = left.as_secs().max(1);
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, secs)]).into_response();
    }
    match verified(&state, &headers, &body) {
        Ok(envelope) => enqueue(&state, envelope, &body).await,
        Err(status) => {
            if let Some(ip) = source
                && state.junk.refused(ip)
            {
                tracing::warn!(
                    for_secs = junk::BLOCK.as_secs(),
                    "webhook source blocked: too many refused bodies"
                );
            }
            status.into_response()
        }
    }
}

/// The envelope of a body that Zalo signed for an OA we serve, recently; else the status to
/// answer.
fn verified(
    state: &WebhookState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Envelope, StatusCode> {
    let (envelope, _) = match Envelope::parse(body) {
        Ok(parsed) => parsed,
        Err(e) => {
            tracing::warn!(reason = %e, "webhook body refused");
            return Err(StatusCode::BAD_REQUEST);
        }
    };
    let header = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    let Some(settings) = envelope
        .oa_id
        .as_deref()
        .and_then(|oa| settings(&state.deployment, oa))
    else {
        tracing::warn!(oa = ?envelope.oa_id, event = %envelope.event_name, "webhook for an OA this deployment does not serve");
        state
            .metrics
            .count("WebhookSignature", 1.0, &[("Result", "unknown_oa")]);
        return Err(StatusCode::UNAUTHORIZED);
    };
    if let Err(e) = signature::verify_counted(
        &settings,
        header,
        body,
        &envelope.app_id,
        &envelope.timestamp,
        state.metrics.as_ref(),
    ) {
        tracing::warn!(reason = %e, event = %envelope.event_name, "webhook signature refused");
        return Err(StatusCode::UNAUTHORIZED);
    }
    // A correctly signed body stays valid for ever; only its signed timestamp dates it. Older
    // than Zalo's retry ladder, it is a replay (its idempotency record may have expired).
    if let Err(e) = signature::check_fresh(&envelope.timestamp, state.clock.now()) {
        tracing::warn!(reason = %e, event = %envelope.event_name, "webhook body refused");
        state
            .metrics
            .count("WebhookSignature", 1.0, &[("Result", "stale")]);
        return Err(StatusCode::UNAUTHORIZED);
    }
    if std::str::from_utf8(body).is_err() {
        return Err(StatusCode::BAD_REQUEST);
    }
    Ok(envelope)
}

/// A verified event onto the internal queue: 200, or 503 so that Zalo retries.
async fn enqueue(state: &WebhookState, envelope: Envelope, body: &[u8]) -> Response {
    let text = std::str::from_utf8(body).expect("verified bodies are UTF-8");
    // One user's events stay in order (FIFO group); a Zalo retry of the same body within five
    // minutes is dropped by SQS, later ones by the conversation's idempotency.
    let group = envelope.oa_id.clone().unwrap_or_default();
    let user = WebhookEvent::parse(body)
        .ok()
        .and_then(|e| subject(&e))
        .unwrap_or(group);
    match state.queue.send_in_group(text, &user).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => {
            // Zalo retries (30 s, 5 min…): the event is not lost.
            tracing::error!(error = %e, "event queue unavailable");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Zalo's attachments as the conversation reads them: a link, a place as a `geo:` URI, or a
/// sticker by its id.
fn attachments(a: &[motcua_zalo::events::Attachment]) -> Vec<Attachment> {
    a.iter()
        .map(|a| Attachment {
            kind: a.kind.clone(),
            url: match (&a.url, &a.latitude, &a.longitude) {
                (Some(u), _, _) => u.clone(),
                (None, Some(lat), Some(lon)) => format!("geo:{lat},{lon}"),
                _ => a
                    .sticker_id
                    .clone()
                    .map(|s| format!("sticker:{s}"))
                    .unwrap_or_default(),
            },
        })
        .collect()
}

/// The conversation's view of a verified Zalo event.
pub fn to_inbound(e: &WebhookEvent) -> InboundEvent {
    let inbound = match &e.event {
        Event::Follow { user_id, .. } => Inbound::Follow {
            user_id: user_id.clone(),
        },
        Event::Unfollow { user_id } => Inbound::Unfollow {
            user_id: user_id.clone(),
        },
        Event::ClickChatNow { user_id } => Inbound::ChatNow {
            user_id: user_id.clone(),
        },
        Event::UserMessage {
            kind,
            user_id,
            msg_id,
            text,
            ..
        } if kind == "text" => Inbound::Text {
            user_id: user_id.clone(),
            msg_id: msg_id.clone(),
            text: text.clone().unwrap_or_default(),
        },
        Event::UserMessage {
            user_id,
            msg_id,
            text,
            attachments: a,
            ..
        } => Inbound::Media {
            user_id: user_id.clone(),
            msg_id: msg_id.clone(),
            caption: text.clone(),
            attachments: attachments(a),
        },
        Event::SubmitInfo { user_id, info } => Inbound::SharedPhone {
            user_id: user_id.clone(),
            phone: info.phone.clone(),
        },
        Event::OaDelivered { msg_id, .. } | Event::ZnsDelivered { msg_id, .. } => {
            Inbound::Receipt {
                msg_ids: vec![msg_id.clone()],
                kind: ReceiptKind::Delivered,
            }
        }
        Event::OaSeen { msg_ids, .. } => Inbound::Receipt {
            msg_ids: msg_ids.clone(),
            kind: ReceiptKind::Seen,
        },
        Event::OaEcho {
            user_id,
            msg_id,
            text,
            attachments: a,
            ..
        } => Inbound::OaEcho {
            user_id: user_id.clone(),
            msg_id: msg_id.clone(),
            text: text.clone(),
            attachments: attachments(a),
        },
        Event::UserWithdraw { user_id } => Inbound::Withdraw {
            user_id: user_id.clone(),
        },
        Event::Unknown => Inbound::Other,
    };
    InboundEvent {
        oa_id: e.envelope.oa_id.clone().unwrap_or_default(),
        key: e.idempotency_key(),
        at: chrono::DateTime::from_timestamp_millis(e.timestamp_ms).unwrap_or_default(),
        inbound,
    }
}

/// Processes one queued event; a body that can never be handled goes to the dead-letter queue.
pub async fn process(conversation: &Conversation, queue: &dyn Queue, msg: &QueueMessage) -> Ack {
    let reason = match WebhookEvent::parse(msg.body.as_bytes()) {
        Err(e) => format!("verified but not a usable event: {e}"),
        Ok(event) => match conversation.handle(&to_inbound(&event)).await {
            Ok(_) => return Ack::Delete,
            Err(ConversationError::Retry(reason)) => {
                tracing::warn!(reason = %reason, "event will be retried");
                return Ack::Retry;
            }
            Err(e @ ConversationError::UnknownOa(_)) => e.to_string(),
        },
    };
    // Zalo events carry user ids and what citizens wrote: sealed, never kept in clear.
    let letter = motcua_app::dead_letter::seal(&conversation.tenancy, &msg.body);
    match queue.dead_letter(&letter, &reason).await {
        Ok(()) => Ack::Delete,
        Err(_) => Ack::Retry,
    }
}

/// A batch: each user's events in arrival order (a shared phone must be linked before the
/// button pressed right after it is handled), different users concurrently.
pub async fn process_batch(
    conversation: &Conversation,
    queue: &dyn Queue,
    messages: &[QueueMessage],
) -> Vec<Ack> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let user = WebhookEvent::parse(m.body.as_bytes())
            .ok()
            .and_then(|e| subject(&e))
            .unwrap_or_default();
        match groups.iter_mut().find(|(u, _)| *u == user && !u.is_empty()) {
            Some((_, idx)) => idx.push(i),
            None => groups.push((user, vec![i])),
        }
    }
    let runs = groups.iter().map(|(_, idx)| async move {
        // After a failure the rest of the group waits too (FIFO semantics: nothing overtakes).
        let mut acks = Vec::with_capacity(idx.len());
        let mut blocked = false;
        for &i in idx {
            let ack = if blocked {
                Ack::Retry
            } else {
                process(conversation, queue, &messages[i]).await
            };
            blocked |= ack == Ack::Retry;
            acks.push((i, ack));
        }
        acks
    });
    let mut acks = vec![Ack::Retry; messages.len()];
    for (i, ack) in futures_util::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
    {
        acks[i] = ack;
    }
    acks
}

/// The Lambda entry of the event consumer: SQS (FIFO) batch in, partial batch failures out.
#[cfg(feature = "lambda")]
pub async fn handle_sqs(
    conversation: &Conversation,
    queue: &dyn Queue,
    event: aws_lambda_events::event::sqs::SqsEvent,
) -> aws_lambda_events::event::sqs::SqsBatchResponse {
    let messages = motcua_sqs::lambda::messages(event);
    let acks = process_batch(conversation, queue, &messages).await;
    motcua_sqs::lambda::batch_response(&messages, &acks)
}

/// The user an event is about, for per-user ordering.
fn subject(e: &WebhookEvent) -> Option<String> {
    match &e.event {
        Event::Follow { user_id, .. }
        | Event::Unfollow { user_id }
        | Event::ClickChatNow { user_id }
        | Event::UserMessage { user_id, .. }
        | Event::SubmitInfo { user_id, .. }
        | Event::OaDelivered { user_id, .. }
        | Event::OaSeen { user_id, .. }
        | Event::OaEcho { user_id, .. }
        | Event::UserWithdraw { user_id } => Some(user_id.clone()),
        Event::ZnsDelivered { .. } | Event::Unknown => None,
    }
}
