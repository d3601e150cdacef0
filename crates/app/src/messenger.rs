//! The port for sending citizen messages through Zalo (adapter: `motcua-zalo::ZaloMessenger`).
//! Token refresh and retries on a rejected token happen inside the adapter.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use motcua_domain::PhoneNumber;

/// A consultation message: text, `oa.query.hide` buttons (title, payload), and optionally a
/// document link button (title, URL) and a call button (title, `phone_code`); five buttons at
/// most.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outgoing {
    pub text: String,
    pub buttons: Vec<(String, String)>,
    pub link: Option<(String, String)>,
    pub call: Option<(String, String)>,
}

/// Why a send failed, reduced to what the notifier does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFailure {
    /// Wait, then retry the whole message.
    RateLimited { retry_after: Duration },
    /// This channel does not reach the user now: try the next channel.
    OutsideWindow,
    /// This recipient cannot get it on this channel: try the next channel.
    RecipientPermanent,
    /// Our template, permissions, OA or billing is wrong: try the next channel, alert.
    Configuration,
    /// Retry later.
    Transient,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{failure:?}: {detail}")]
pub struct SendError {
    pub failure: SendFailure,
    /// Operator English; no token, no phone number.
    pub detail: String,
    /// Zalo's error code, when Zalo answered one (`-115` out of ZNS balance, `-144` daily
    /// ZNS quota): the notifier raises their alarms.
    pub zalo_code: Option<i64>,
}

/// Zalo's id of a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub message_id: String,
}

#[async_trait]
pub trait Messenger: Send + Sync {
    /// A consultation (CS) message to a user of the OA.
    async fn send_cs(
        &self,
        oa_id: &str,
        user_id: &str,
        message: &Outgoing,
    ) -> Result<Delivered, SendError>;

    /// A reply to the user's inbound message (Zalo counts it as a reply: free within 48 h).
    async fn reply(
        &self,
        oa_id: &str,
        inbound_message_id: &str,
        message: &Outgoing,
    ) -> Result<Delivered, SendError>;

    /// The OA's follower count as Zalo counts it (its profile, `getoa`).
    async fn follower_count(&self, oa_id: &str) -> Result<u64, SendError>;

    /// Asks the user to share their Zalo-verified phone (answer: `user_submit_info`).
    async fn request_user_info(
        &self,
        oa_id: &str,
        user_id: &str,
        title: &str,
        subtitle: &str,
    ) -> Result<Delivered, SendError>;

    /// A ZBS template addressed by user id.
    async fn send_template_uid(
        &self,
        oa_id: &str,
        user_id: &str,
        template_id: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Delivered, SendError>;

    /// A ZNS template to a phone number.
    #[allow(clippy::too_many_arguments)]
    async fn send_zns(
        &self,
        oa_id: &str,
        phone: &PhoneNumber,
        template_id: &str,
        params: &BTreeMap<String, String>,
        tracking_id: &str,
        development: bool,
    ) -> Result<Delivered, SendError>;

    /// Zalo's broadcast of an article (created in the OA manager) to the OA's followers.
    async fn broadcast_article(
        &self,
        oa_id: &str,
        article_id: &str,
    ) -> Result<Delivered, SendError>;
}
