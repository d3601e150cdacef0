//! Typed webhook events (zalo-platform.md §1.4–1.6). Ids stay strings; timestamps are accepted as
//! strings or numbers; unknown `event_name`s parse to `Unknown` so they can be acknowledged.

use serde::Deserialize;
use serde_json::Value;

/// The fields needed before verification: taken from a lenient parse of the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub event_name: String,
    pub app_id: String,
    /// Exactly as it appears in the body (the signature covers this text).
    pub timestamp: String,
    /// The OA the event belongs to (`oa_id`, else `recipient.id` for user→OA events, else
    /// `sender.id` for OA→user events and receipts).
    pub oa_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("body is not a JSON object: {0}")]
    NotJson(String),
    #[error("body has no {0} field")]
    Missing(&'static str),
    #[error("{event}: {reason}")]
    Shape { event: String, reason: String },
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |cur, k| cur.get(*k))
}

fn str_at(v: &Value, keys: &[&str]) -> Option<String> {
    path(v, keys).and_then(text).filter(|s| !s.is_empty())
}

const OA_TO_USER: [&str; 4] = [
    "user_received_message",
    "user_seen_message",
    "oa_reacted_message",
    "oa_send_",
];

impl Envelope {
    pub fn parse(raw: &[u8]) -> Result<(Envelope, Value), EventError> {
        let v: Value =
            serde_json::from_slice(raw).map_err(|e| EventError::NotJson(e.to_string()))?;
        if !v.is_object() {
            return Err(EventError::NotJson("top level is not an object".into()));
        }
        let event_name = str_at(&v, &["event_name"]).ok_or(EventError::Missing("event_name"))?;
        let app_id = str_at(&v, &["app_id"]).ok_or(EventError::Missing("app_id"))?;
        let timestamp = str_at(&v, &["timestamp"]).ok_or(EventError::Missing("timestamp"))?;
        let oa_to_user = OA_TO_USER.iter().any(|p| event_name.starts_with(p));
        let oa_id = str_at(&v, &["oa_id"]).or_else(|| {
            if oa_to_user {
                str_at(&v, &["sender", "id"])
            } else {
                str_at(&v, &["recipient", "id"])
            }
        });
        Ok((
            Envelope {
                event_name,
                app_id,
                timestamp,
                oa_id,
            },
            v,
        ))
    }
}

/// A media or location attachment of a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attachment {
    /// `image`, `gif`, `file`, `sticker`, `location`, `link`, `audio`, `video`…
    pub kind: String,
    pub url: Option<String>,
    pub thumbnail: Option<String>,
    pub name: Option<String>,
    pub size: Option<String>,
    pub sticker_id: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
}

/// What a citizen chose to share in answer to `request_user_info` (either shape).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SharedInfo {
    pub name: Option<String>,
    /// `84…` as Zalo sends it.
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Follow {
        user_id: String,
        source: Option<String>,
    },
    Unfollow {
        user_id: String,
    },
    ClickChatNow {
        user_id: String,
    },
    /// `user_send_*`: text, image, file, location, sticker, gif, link, audio, video…
    UserMessage {
        kind: String,
        user_id: String,
        msg_id: String,
        text: Option<String>,
        quote_msg_id: Option<String>,
        attachments: Vec<Attachment>,
    },
    SubmitInfo {
        user_id: String,
        info: SharedInfo,
    },
    /// An OA message reached the user's phone.
    OaDelivered {
        user_id: String,
        msg_id: String,
    },
    OaSeen {
        user_id: String,
        msg_ids: Vec<String>,
    },
    /// A ZNS template reached the phone; `tracking_id` echoes ours.
    ZnsDelivered {
        phone: String,
        msg_id: String,
        tracking_id: Option<String>,
        delivery_time_ms: Option<i64>,
    },
    /// `oa_send_*`: a message the OA sent, possibly typed by a human in Zalo's OA tool.
    OaEcho {
        kind: String,
        user_id: String,
        msg_id: String,
        text: Option<String>,
        admin_id: Option<String>,
        attachments: Vec<Attachment>,
    },
    /// Data-subject request: withdraw consent / delete.
    UserWithdraw {
        user_id: String,
    },
    Unknown,
}

/// A verified, parsed event with its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub envelope: Envelope,
    pub timestamp_ms: i64,
    pub event: Event,
}

fn missing(name: &str, keys: &[&str]) -> EventError {
    EventError::Shape {
        event: name.to_string(),
        reason: format!("missing {}", keys.join(".")),
    }
}

/// `user_received_message`: a ZNS receipt (it has a tracking id or a delivery time) or a
/// consultation message's.
fn received(name: &str, v: &Value) -> Result<Event, EventError> {
    let need = |keys: &[&str]| str_at(v, keys).ok_or_else(|| missing(name, keys));
    let is_zns = path(v, &["message", "tracking_id"]).is_some()
        || path(v, &["message", "delivery_time"]).is_some()
        || v.get("tracking_id").is_some();
    if !is_zns {
        return Ok(Event::OaDelivered {
            user_id: need(&["recipient", "id"])?,
            msg_id: need(&["message", "msg_id"])?,
        });
    }
    Ok(Event::ZnsDelivered {
        phone: str_at(v, &["recipient", "id"])
            .or_else(|| str_at(v, &["recipient"]))
            .ok_or_else(|| missing(name, &["recipient"]))?,
        msg_id: str_at(v, &["message", "msg_id"])
            .or_else(|| str_at(v, &["msg_id"]))
            .ok_or_else(|| missing(name, &["msg_id"]))?,
        tracking_id: str_at(v, &["message", "tracking_id"]).or_else(|| str_at(v, &["tracking_id"])),
        delivery_time_ms: str_at(v, &["message", "delivery_time"]).and_then(|s| s.parse().ok()),
    })
}

/// `user_seen_message`: one or many message ids.
fn seen(name: &str, v: &Value) -> Result<Event, EventError> {
    let need = |keys: &[&str]| str_at(v, keys).ok_or_else(|| missing(name, keys));
    let msg_ids = match path(v, &["message", "msg_ids"]) {
        Some(Value::Array(ids)) => ids.iter().filter_map(text).collect(),
        _ => vec![need(&["message", "msg_id"])?],
    };
    Ok(Event::OaSeen {
        user_id: need(&["recipient", "id"])?,
        msg_ids,
    })
}

impl WebhookEvent {
    /// Parses a body whose signature has been verified.
    pub fn parse(raw: &[u8]) -> Result<WebhookEvent, EventError> {
        let (envelope, v) = Envelope::parse(raw)?;
        let timestamp_ms =
            envelope
                .timestamp
                .trim()
                .parse::<i64>()
                .map_err(|_| EventError::Shape {
                    event: envelope.event_name.clone(),
                    reason: "timestamp is not an integer".into(),
                })?;
        let name = envelope.event_name.as_str();
        let shape = |reason: &str| EventError::Shape {
            event: name.to_string(),
            reason: reason.to_string(),
        };
        let need = |keys: &[&str]| {
            str_at(&v, keys).ok_or_else(|| shape(&format!("missing {}", keys.join("."))))
        };
        let user_from = |v: &Value| {
            str_at(v, &["follower", "id"])
                .or_else(|| str_at(v, &["user_id"]))
                .or_else(|| str_at(v, &["sender", "id"]))
                .ok_or_else(|| shape("missing follower.id / user_id / sender.id"))
        };
        let event = match name {
            "follow" => Event::Follow {
                user_id: user_from(&v)?,
                source: str_at(&v, &["source"]),
            },
            "unfollow" => Event::Unfollow {
                user_id: user_from(&v)?,
            },
            "user_click_chatnow" => Event::ClickChatNow {
                user_id: str_at(&v, &["user_id"])
                    .or_else(|| str_at(&v, &["sender", "id"]))
                    .ok_or_else(|| shape("missing user_id"))?,
            },
            "user_submit_info" => Event::SubmitInfo {
                user_id: need(&["sender", "id"])?,
                info: shared_info(v.get("info").ok_or_else(|| shape("missing info"))?),
            },
            "user_received_message" => received(name, &v)?,
            "user_seen_message" => seen(name, &v)?,
            "user_withdraw" => Event::UserWithdraw {
                user_id: user_from(&v)?,
            },
            n if n.starts_with("user_send_") => Event::UserMessage {
                kind: n["user_send_".len()..].to_string(),
                user_id: need(&["sender", "id"])?,
                msg_id: need(&["message", "msg_id"])?,
                text: str_at(&v, &["message", "text"]),
                quote_msg_id: str_at(&v, &["message", "quote_msg_id"]),
                attachments: attachments(&v),
            },
            n if n.starts_with("oa_send_") => Event::OaEcho {
                kind: n["oa_send_".len()..].to_string(),
                user_id: need(&["recipient", "id"])?,
                msg_id: need(&["message", "msg_id"])?,
                text: str_at(&v, &["message", "text"]),
                admin_id: str_at(&v, &["sender", "admin_id"]),
                attachments: attachments(&v),
            },
            _ => Event::Unknown,
        };
        Ok(WebhookEvent {
            envelope,
            timestamp_ms,
            event,
        })
    }

    /// De-duplication key (zalo-platform.md §1.3): the message id where there is one, else
    /// event name + timestamp + subject. A Zalo retry re-sends the same body, so it maps to the
    /// same key.
    pub fn idempotency_key(&self) -> String {
        let e = &self.envelope;
        let oa = e.oa_id.as_deref().unwrap_or("-");
        let subject = match &self.event {
            Event::UserMessage { msg_id, .. } | Event::OaEcho { msg_id, .. } => {
                return format!("zalo:{oa}:msg:{msg_id}");
            }
            Event::OaDelivered { msg_id, .. } => return format!("zalo:{oa}:delivered:{msg_id}"),
            Event::ZnsDelivered { msg_id, .. } => return format!("zalo:{oa}:zns:{msg_id}"),
            Event::OaSeen { user_id, .. }
            | Event::Follow { user_id, .. }
            | Event::Unfollow { user_id }
            | Event::ClickChatNow { user_id }
            | Event::SubmitInfo { user_id, .. }
            | Event::UserWithdraw { user_id } => user_id.as_str(),
            Event::Unknown => "-",
        };
        format!("zalo:{oa}:{}:{}:{subject}", e.event_name, e.timestamp)
    }
}

fn shared_info(info: &Value) -> SharedInfo {
    let s = |k: &[&str]| str_at(info, k);
    SharedInfo {
        name: s(&["name"]),
        phone: s(&["phone"]),
        address: s(&["address"]).or_else(|| s(&["full_address", "user_address"])),
        city: s(&["city"]).or_else(|| s(&["full_address", "user_city"])),
    }
}

fn attachments(v: &Value) -> Vec<Attachment> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "type", default)]
        kind: String,
        #[serde(default)]
        payload: Value,
    }
    let mut out: Vec<Attachment> = path(v, &["message", "attachments"])
        .and_then(|a| serde_json::from_value::<Vec<Raw>>(a.clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let p = &r.payload;
            Attachment {
                kind: r.kind,
                url: str_at(p, &["url"]),
                thumbnail: str_at(p, &["thumbnail"]),
                name: str_at(p, &["name"]),
                size: str_at(p, &["size"]),
                sticker_id: str_at(p, &["id"]),
                latitude: str_at(p, &["coordinates", "latitude"]),
                longitude: str_at(p, &["coordinates", "longitude"]),
            }
        })
        .collect();
    // One source shows `message.location` instead of an attachment: tolerate it.
    if let Some(loc) = path(v, &["message", "location"]) {
        out.push(Attachment {
            kind: "location".into(),
            latitude: str_at(loc, &["latitude"]),
            longitude: str_at(loc, &["longitude"]),
            ..Attachment::default()
        });
    }
    out
}
