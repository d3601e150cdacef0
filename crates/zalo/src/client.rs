//! The HTTP client for the OA API, ZNS and the OAuth token endpoint. Every response's `error` is
//! read whatever the HTTP status; texts are NFC-normalised and checked against Zalo's limits
//! before anything is sent; every call passes the rate limiter.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use motcua_domain::PhoneNumber;
use serde::Deserialize;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::error::ZaloError;
use crate::limiter::RateLimiter;

mod oauth;
pub use oauth::{AppCredentials, TokenError, TokenPair};

pub const MAX_TEXT_CHARS: usize = 2000;
pub const MAX_BUTTONS: usize = 5;
pub const MAX_BUTTON_TITLE: usize = 100;
pub const MAX_QUERY_PAYLOAD: usize = 1000;
pub const MAX_TRACKING_ID: usize = 48;
/// A ZNS template parameter; templates may set lower limits, Zalo then answers `-1121`.
pub const MAX_TEMPLATE_PARAM: usize = 400;

/// Where the three Zalo hosts are; tests, the local server and operators point them at a fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrls {
    pub openapi: String,
    pub oauth: String,
    pub business: String,
}

impl Default for BaseUrls {
    fn default() -> Self {
        BaseUrls {
            openapi: "https://openapi.zalo.me".into(),
            oauth: "https://oauth.zaloapp.com".into(),
            business: "https://business.openapi.zalo.me".into(),
        }
    }
}

impl BaseUrls {
    /// `ZALO_OPENAPI_BASE`, `ZALO_OAUTH_BASE`, `ZALO_BUSINESS_BASE`, else the real hosts.
    pub fn from_env() -> Self {
        let d = BaseUrls::default();
        let var = |k: &str, default: String| std::env::var(k).unwrap_or(default);
        BaseUrls {
            openapi: var("ZALO_OPENAPI_BASE", d.openapi),
            oauth: var("ZALO_OAUTH_BASE", d.oauth),
            business: var("ZALO_BUSINESS_BASE", d.business),
        }
    }

    /// All three on one host (the Zalo fake serves every path).
    pub fn all(base: &str) -> Self {
        BaseUrls {
            openapi: base.into(),
            oauth: base.into(),
            business: base.into(),
        }
    }
}

/// Who gets a consultation message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A reply to the user's inbound message: counted as a reply by Zalo (free within 48 h).
    Reply {
        message_id: String,
    },
    User {
        user_id: String,
    },
}

impl Recipient {
    fn to_json(&self) -> Value {
        match self {
            Recipient::Reply { message_id } => json!({ "message_id": message_id }),
            Recipient::User { user_id } => json!({ "user_id": user_id }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    /// Sends `payload` back as a hidden message.
    QueryHide {
        title: String,
        payload: String,
    },
    /// Sends `payload` back as a visible message.
    QueryShow {
        title: String,
        payload: String,
    },
    OpenUrl {
        title: String,
        url: String,
    },
    /// Opens the dialer on `phone_code` (`84…` without the leading 0, or a 1800/1900 number).
    OpenPhone {
        title: String,
        phone_code: String,
    },
}

impl Button {
    fn title(&self) -> &str {
        match self {
            Button::QueryHide { title, .. }
            | Button::QueryShow { title, .. }
            | Button::OpenUrl { title, .. }
            | Button::OpenPhone { title, .. } => title,
        }
    }

    fn to_json(&self) -> Value {
        let title = nfc(self.title());
        match self {
            Button::QueryHide { payload, .. } => {
                json!({"title": title, "type": "oa.query.hide", "payload": payload})
            }
            Button::QueryShow { payload, .. } => {
                json!({"title": title, "type": "oa.query.show", "payload": nfc(payload)})
            }
            Button::OpenUrl { url, .. } => {
                json!({"title": title, "type": "oa.open.url", "payload": {"url": url}})
            }
            Button::OpenPhone { phone_code, .. } => json!({"title": title, "type": "oa.open.phone",
                "payload": {"phone_code": phone_code}}),
        }
    }
}

/// A message Zalo accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub message_id: String,
    /// `reply`, `sub_quota`, `purchase_quota`…; `None` means a billed message.
    pub quota_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZnsSent {
    pub msg_id: String,
    pub remaining_quota: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDetail {
    pub user_id: String,
    pub display_name: Option<String>,
    pub is_follower: bool,
    pub shared_phone: Option<String>,
}

#[derive(Clone)]
pub struct ZaloClient {
    http: reqwest::Client,
    urls: BaseUrls,
    limiter: Arc<dyn RateLimiter>,
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

fn check_len(endpoint: &'static str, what: &str, s: &str, max: usize) -> Result<(), ZaloError> {
    let n = s.chars().count();
    if n == 0 || n > max {
        return Err(ZaloError::invalid(
            endpoint,
            format!("{what} must be 1–{max} characters, got {n}"),
        ));
    }
    Ok(())
}

/// Splits a long text at paragraph, line or word boundaries into parts of at most
/// [`MAX_TEXT_CHARS`] characters each (never cutting a word unless one word is longer).
pub fn split_text(text: &str) -> Vec<String> {
    let text = nfc(text);
    let mut parts = Vec::new();
    let mut rest = text.as_str();
    while rest.chars().count() > MAX_TEXT_CHARS {
        let limit = rest
            .char_indices()
            .nth(MAX_TEXT_CHARS)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let head = &rest[..limit];
        let cut = head
            .rfind("\n\n")
            .or_else(|| head.rfind('\n'))
            .or_else(|| head.rfind(' '))
            .filter(|&i| i > 0)
            .unwrap_or(limit);
        parts.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    let rest = rest.trim_end();
    if !rest.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    error: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int_field(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

impl ZaloClient {
    pub fn new(urls: BaseUrls, limiter: Arc<dyn RateLimiter>) -> Self {
        Self::with_timeout(urls, limiter, Duration::from_secs(10))
    }

    /// `timeout` bounds a whole call; keep it well under the refresh lease and the Lambda timeout.
    pub fn with_timeout(urls: BaseUrls, limiter: Arc<dyn RateLimiter>, timeout: Duration) -> Self {
        // ring and the system's roots, read once per process (motcua-tls)
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(motcua_tls::client_config())
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .expect("reqwest client with static settings");
        ZaloClient {
            http,
            urls,
            limiter,
        }
    }

    pub fn urls(&self) -> &BaseUrls {
        &self.urls
    }

    /// Sends one request through the limiter and unwraps Zalo's envelope.
    async fn call(
        &self,
        endpoint: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, ZaloError> {
        self.limiter.acquire().await;
        let response = request
            .send()
            .await
            .map_err(|e| ZaloError::transient(endpoint, without_url(e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ZaloError::transient(endpoint, without_url(e)))?;
        match serde_json::from_slice::<Envelope>(&bytes) {
            Ok(env) if env.error != 0 => Err(ZaloError::api(endpoint, env.error, env.message)),
            Ok(env) if status.is_success() => Ok(env.data.unwrap_or(Value::Null)),
            _ => Err(ZaloError::transient(
                endpoint,
                format!("HTTP {status} without a Zalo envelope"),
            )),
        }
    }

    fn post_oa(&self, path: &str, token: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.urls.openapi))
            .header("access_token", token)
            .json(body)
    }

    async fn send_cs(
        &self,
        token: &str,
        to: &Recipient,
        message: Value,
    ) -> Result<Sent, ZaloError> {
        const EP: &str = "message/cs";
        let body = json!({"recipient": to.to_json(), "message": message});
        let data = self
            .call(EP, self.post_oa("/v3.0/oa/message/cs", token, &body))
            .await?;
        sent(EP, &data)
    }

    /// A consultation text. Longer texts are refused here: split them with [`split_text`].
    pub async fn send_text(
        &self,
        token: &str,
        to: &Recipient,
        text: &str,
    ) -> Result<Sent, ZaloError> {
        let text = nfc(text);
        check_len("message/cs", "text", &text, MAX_TEXT_CHARS)?;
        self.send_cs(token, to, json!({"text": text})).await
    }

    /// A consultation text with up to five buttons.
    pub async fn send_text_with_buttons(
        &self,
        token: &str,
        to: &Recipient,
        text: &str,
        buttons: &[Button],
    ) -> Result<Sent, ZaloError> {
        const EP: &str = "message/cs";
        let text = nfc(text);
        check_len(EP, "text", &text, MAX_TEXT_CHARS)?;
        if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
            return Err(ZaloError::invalid(
                EP,
                format!("1–{MAX_BUTTONS} buttons, got {}", buttons.len()),
            ));
        }
        for b in buttons {
            check_len(EP, "button title", &nfc(b.title()), MAX_BUTTON_TITLE)?;
            if let Button::QueryHide { payload, .. } | Button::QueryShow { payload, .. } = b {
                check_len(EP, "button payload", payload, MAX_QUERY_PAYLOAD)?;
            }
        }
        let buttons: Vec<Value> = buttons.iter().map(Button::to_json).collect();
        let message = json!({"text": text, "attachment": {"type": "template",
            "payload": {"buttons": buttons}}});
        self.send_cs(token, to, message).await
    }

    /// Asks the user to share name and phone; the answer arrives as `user_submit_info`.
    pub async fn request_user_info(
        &self,
        token: &str,
        user_id: &str,
        title: &str,
        subtitle: &str,
        image_url: &str,
    ) -> Result<Sent, ZaloError> {
        const EP: &str = "message/cs";
        let (title, subtitle) = (nfc(title), nfc(subtitle));
        check_len(EP, "title", &title, 100)?;
        check_len(EP, "subtitle", &subtitle, 500)?;
        let mut message = json!({"attachment": {"type": "template", "payload": {
            "template_type": "request_user_info",
            "elements": [{"title": title, "subtitle": subtitle}]}}});
        if !image_url.is_empty() {
            message["attachment"]["payload"]["elements"][0]["image_url"] = json!(image_url);
        }
        self.send_cs(
            token,
            &Recipient::User {
                user_id: user_id.into(),
            },
            message,
        )
        .await
    }

    /// Uploads a PDF/DOC/DOCX (≤ 5 MB) and returns the file token (valid about 7 days).
    pub async fn upload_file(
        &self,
        token: &str,
        file_name: &str,
        bytes: Vec<u8>,
        mime: &str,
    ) -> Result<String, ZaloError> {
        const EP: &str = "upload/file";
        if bytes.is_empty() || bytes.len() > 5 * 1024 * 1024 {
            return Err(ZaloError::invalid(
                EP,
                format!("file must be 1 byte–5 MB, got {}", bytes.len()),
            ));
        }
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str(mime)
            .map_err(|e| ZaloError::invalid(EP, e.to_string()))?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let request = self
            .http
            .post(format!("{}/v2.0/oa/upload/file", self.urls.openapi))
            .header("access_token", token)
            .multipart(form);
        let data = self.call(EP, request).await?;
        str_field(&data, "token").ok_or_else(|| ZaloError::transient(EP, "no data.token in answer"))
    }

    /// Sends an uploaded file (receipt slip, apology slip) as a consultation message.
    pub async fn send_file(
        &self,
        token: &str,
        to: &Recipient,
        file_token: &str,
    ) -> Result<Sent, ZaloError> {
        self.send_cs(
            token,
            to,
            json!({"attachment": {"type": "file", "payload": {"token": file_token}}}),
        )
        .await
    }

    /// A pre-approved ZBS template addressed by user id.
    pub async fn send_template_uid(
        &self,
        token: &str,
        user_id: &str,
        template_id: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<Sent, ZaloError> {
        const EP: &str = "message/template";
        let data = check_template_data(EP, data)?;
        let body = json!({"recipient": {"user_id": user_id},
            "template_id": template_id, "template_data": data});
        let answer = self
            .call(EP, self.post_oa("/v3.0/oa/message/template", token, &body))
            .await?;
        sent(EP, &answer)
    }

    /// A ZNS (ZBS-by-phone) template. `tracking_id` should be deterministic so that the delivery
    /// receipt can be matched back. `development` delivers only to app/OA admins.
    pub async fn send_zns(
        &self,
        token: &str,
        phone: &PhoneNumber,
        template_id: &str,
        data: &BTreeMap<String, String>,
        tracking_id: &str,
        development: bool,
    ) -> Result<ZnsSent, ZaloError> {
        const EP: &str = "zns/message/template";
        let data = check_template_data(EP, data)?;
        let tracking_ok = !tracking_id.is_empty()
            && tracking_id.len() <= MAX_TRACKING_ID
            && tracking_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !tracking_ok {
            return Err(ZaloError::invalid(
                EP,
                "tracking_id must be 1–48 of [A-Za-z0-9._-]",
            ));
        }
        let mut body = json!({"phone": phone.international(), "template_id": template_id,
            "template_data": data, "tracking_id": tracking_id});
        if development {
            body["mode"] = json!("development");
        }
        let request = self
            .http
            .post(format!("{}/message/template", self.urls.business))
            .header("access_token", token)
            .json(&body);
        let answer = self.call(EP, request).await?;
        Ok(ZnsSent {
            msg_id: str_field(&answer, "msg_id")
                .ok_or_else(|| ZaloError::transient(EP, "no data.msg_id"))?,
            remaining_quota: answer
                .get("quota")
                .and_then(|q| int_field(q, "remainingQuota")),
        })
    }

    pub async fn user_detail(&self, token: &str, user_id: &str) -> Result<UserDetail, ZaloError> {
        const EP: &str = "user/detail";
        let request = self
            .http
            .get(format!("{}/v3.0/oa/user/detail", self.urls.openapi))
            .header("access_token", token)
            .query(&[("data", json!({"user_id": user_id}).to_string())]);
        let data = self.call(EP, request).await?;
        Ok(UserDetail {
            user_id: str_field(&data, "user_id").unwrap_or_else(|| user_id.to_string()),
            display_name: str_field(&data, "display_name"),
            is_follower: data
                .get("user_is_follower")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            shared_phone: data.get("shared_info").and_then(|s| str_field(s, "phone")),
        })
    }

    /// The OA's follower count, from its profile (`getoa`, `data.num_follower`).
    pub async fn oa_followers(&self, token: &str) -> Result<u64, ZaloError> {
        const EP: &str = "getoa";
        let request = self
            .http
            .get(format!("{}/v2.0/oa/getoa", self.urls.openapi))
            .header("access_token", token);
        let data = self.call(EP, request).await?;
        int_field(&data, "num_follower")
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| ZaloError::transient(EP, "no data.num_follower"))
    }

    /// The user's last interaction with the OA (epoch ms), which decides the CS window.
    pub async fn last_interaction_ms(
        &self,
        token: &str,
        user_id: &str,
    ) -> Result<Option<i64>, ZaloError> {
        const EP: &str = "quota/message";
        let body = json!({"user_id": user_id});
        let data = self
            .call(EP, self.post_oa("/v3.0/oa/quota/message", token, &body))
            .await?;
        Ok(int_field(&data, "last_interaction"))
    }

    /// Broadcasts an article (already created in the OA) to followers.
    pub async fn broadcast_article(
        &self,
        token: &str,
        article_id: &str,
    ) -> Result<Sent, ZaloError> {
        const EP: &str = "message/broadcast";
        let body = json!({"recipient": {"target": {}}, "message": {"attachment": {"type": "template",
            "payload": {"template_type": "media", "elements": [
                {"media_type": "article", "attachment_id": article_id}]}}}});
        let data = self
            .call(EP, self.post_oa("/v2.0/oa/message", token, &body))
            .await?;
        sent(EP, &data)
    }
}

fn sent(endpoint: &'static str, data: &Value) -> Result<Sent, ZaloError> {
    Ok(Sent {
        message_id: str_field(data, "message_id")
            .ok_or_else(|| ZaloError::transient(endpoint, "no data.message_id in answer"))?,
        quota_type: data.get("quota").and_then(|q| str_field(q, "quota_type")),
    })
}

fn check_template_data(
    endpoint: &'static str,
    data: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ZaloError> {
    data.iter()
        .map(|(k, v)| {
            let v = nfc(v);
            check_len(
                endpoint,
                &format!("template parameter {k}"),
                &v,
                MAX_TEMPLATE_PARAM,
            )?;
            Ok((k.clone(), v))
        })
        .collect()
}

/// reqwest errors print the URL, which for `user/detail` carries a user id; keep the kind only.
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_decode() {
        "unreadable body"
    } else {
        "request failed"
    };
    format!("{kind}: {}", e.without_url())
}
