//! A Zalo fake for tests and the local server. It serves the endpoints our client calls (OA
//! API, ZNS, OAuth token), validates what Zalo validates (access token header, JSON shape,
//! lengths, phone format, single-use refresh tokens), records every request, and injects faults
//! on demand: error codes per endpoint or per recipient, HTTP 5xx, delays, and a per-window
//! rate limit answering `-32`. It can also sign and post webhook events like Zalo does.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod oauth;
use oauth::{new_pair, token};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Cs,
    TemplateUid,
    Zns,
    Broadcast,
    UploadFile,
    UserDetail,
    Quota,
    Token,
    OaInfo,
}

/// An injected failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 200 with `{"error": code}`.
    Code(i64),
    /// An HTTP status with an empty body (a 5xx from Zalo's edge).
    Http(u16),
    /// Wait this long, then answer normally (for client timeouts and latency).
    Delay(Duration),
}

/// One request the fake received, and what it answered.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub endpoint: Endpoint,
    /// Milliseconds since the fake started.
    pub at_ms: u128,
    pub access_token: Option<String>,
    pub body: Value,
    pub error: i64,
    pub http_status: u16,
    /// The JSON answered (null for an HTTP failure).
    pub answer: Value,
}

impl Record {
    pub fn ok(&self) -> bool {
        self.error == 0 && self.http_status == 200
    }

    /// `user_id` or `message_id` of the recipient, or the ZNS phone.
    pub fn recipient(&self) -> Option<String> {
        let b = &self.body;
        b.pointer("/recipient/user_id")
            .or_else(|| b.pointer("/recipient/message_id"))
            .or_else(|| b.get("phone"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The id Zalo gave the message (`message_id` on the OA API, `msg_id` on ZNS).
    pub fn message_id(&self) -> Option<String> {
        self.answer
            .pointer("/data/message_id")
            .or_else(|| self.answer.pointer("/data/msg_id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    pub fn text(&self) -> Option<String> {
        self.body
            .pointer("/message/text")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

#[derive(Default)]
struct State_ {
    started: Option<Instant>,
    /// access token → OA id
    access: HashMap<String, String>,
    /// refresh token → (OA id, already used)
    refresh: HashMap<String, (String, bool)>,
    /// app id → app secret
    apps: HashMap<String, String>,
    /// authorization code → (OA id, code verifier)
    codes: HashMap<String, (String, String)>,
    faults: HashMap<Endpoint, VecDeque<Fault>>,
    recipient_codes: HashMap<String, i64>,
    latency: Duration,
    rate_limit: Option<(usize, Duration)>,
    window_start: Option<Instant>,
    window_count: usize,
    rate_limited: usize,
    records: Vec<Record>,
    /// user id → last interaction (ms), for `quota/message`.
    interactions: HashMap<String, i64>,
    /// template id → declared (parameter, max length); empty = every template id is accepted
    /// with any parameters.
    templates: HashMap<String, Vec<(String, usize)>>,
    counter: u64,
    /// OA id → its follower count, for `getoa`.
    followers: HashMap<String, u64>,
}

/// A running fake. Dropping it stops the server.
pub struct ZaloFake {
    state: Arc<Mutex<State_>>,
    pub base_url: String,
    pub addr: SocketAddr,
    _server: tokio::task::JoinHandle<()>,
}

type Shared = Arc<Mutex<State_>>;

impl ZaloFake {
    /// Starts on a free loopback port.
    pub async fn start() -> ZaloFake {
        Self::start_on("127.0.0.1:0".parse().expect("loopback address")).await
    }

    pub async fn start_on(addr: SocketAddr) -> ZaloFake {
        let state: Shared = Arc::new(Mutex::new(State_ {
            started: Some(Instant::now()),
            ..State_::default()
        }));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind the Zalo fake");
        let addr = listener.local_addr().expect("bound address");
        let app = router(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ZaloFake {
            state,
            base_url: format!("http://{addr}"),
            addr,
            _server: server,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State_) -> T) -> T {
        f(&mut self.state.lock().expect("fake state lock"))
    }

    /// Registers a Zalo app and its secret (checked on the token endpoint).
    pub fn add_app(&self, app_id: &str, secret: &str) {
        self.with(|s| s.apps.insert(app_id.into(), secret.into()));
    }

    /// Issues a valid access/refresh pair for an OA, as Zalo's console would.
    pub fn issue_tokens(&self, oa_id: &str) -> (String, String) {
        self.with(|s| new_pair(s, oa_id))
    }

    /// An authorization code the consent redirect would carry.
    pub fn add_auth_code(&self, code: &str, oa_id: &str, code_verifier: &str) {
        self.with(|s| {
            s.codes
                .insert(code.into(), (oa_id.into(), code_verifier.into()))
        });
    }

    /// Makes an access token invalid (as if expired or revoked).
    pub fn revoke_access_token(&self, token: &str) {
        self.with(|s| s.access.remove(token));
    }

    /// The next `times` calls to `endpoint` fail with `fault`.
    pub fn fail_next(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        self.with(|s| {
            s.faults
                .entry(endpoint)
                .or_default()
                .extend(std::iter::repeat_n(fault, times))
        });
    }

    /// Every send to this recipient (user id or `84…` phone) answers `code`.
    pub fn fail_recipient(&self, recipient: &str, code: i64) {
        self.with(|s| s.recipient_codes.insert(recipient.into(), code));
    }

    /// Added to every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.latency = latency);
    }

    /// At most `limit` API calls per fixed `window`; more answer `-32`.
    pub fn set_rate_limit(&self, limit: usize, window: Duration) {
        self.with(|s| s.rate_limit = Some((limit, window)));
    }

    /// Registers a template as Zalo approved it: its declared parameters and their maximum
    /// lengths. Once one is registered, unknown template ids answer -109, a missing or empty
    /// declared parameter -1122, a value too long -1121 (as Zalo does).
    pub fn register_template(&self, template_id: &str, params: &[(&str, usize)]) {
        let params = params.iter().map(|(n, m)| (n.to_string(), *m)).collect();
        self.with(|s| s.templates.insert(template_id.into(), params));
    }

    /// Sets a user's last interaction for `quota/message`.
    pub fn set_last_interaction(&self, user_id: &str, at_ms: i64) {
        self.with(|s| s.interactions.insert(user_id.into(), at_ms));
    }

    /// Sets the OA's follower count that `getoa` answers.
    pub fn set_followers(&self, oa_id: &str, count: u64) {
        self.with(|s| s.followers.insert(oa_id.into(), count));
    }

    pub fn records(&self) -> Vec<Record> {
        self.with(|s| s.records.clone())
    }

    /// Successful message sends (CS, template, ZNS, broadcast), in order.
    pub fn delivered(&self) -> Vec<Record> {
        self.with(|s| {
            s.records
                .iter()
                .filter(|r| {
                    r.ok()
                        && matches!(
                            r.endpoint,
                            Endpoint::Cs
                                | Endpoint::TemplateUid
                                | Endpoint::Zns
                                | Endpoint::Broadcast
                        )
                })
                .cloned()
                .collect()
        })
    }

    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.with(|s| s.records.iter().filter(|r| r.endpoint == endpoint).count())
    }

    /// How many calls were refused with `-32`.
    pub fn rate_limited(&self) -> usize {
        self.with(|s| s.rate_limited)
    }

    pub fn clear_records(&self) {
        self.with(|s| s.records.clear());
    }

    /// Signs `body` as Zalo does and POSTs it to `url` with the given retry count header.
    pub async fn post_webhook(
        url: &str,
        body: &[u8],
        app_id: &str,
        timestamp: &str,
        oa_secret: &str,
        num_retry: Option<u32>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut h = Sha256::new();
        h.update(app_id.as_bytes());
        h.update(body);
        h.update(timestamp.as_bytes());
        h.update(oa_secret.as_bytes());
        let mut request = http()
            .post(url)
            .header("content-type", "application/json")
            .header(
                "X-ZEvent-Signature",
                format!("mac={}", hex::encode(h.finalize())),
            )
            .body(body.to_vec());
        if let Some(n) = num_retry {
            request = request.header("num_retry", n.to_string());
        }
        request.send().await
    }
}

fn router(state: Shared) -> Router {
    Router::new()
        .route("/v3.0/oa/message/cs", post(cs))
        .route("/v3.0/oa/message/template", post(template_uid))
        .route("/v2.0/oa/message", post(broadcast))
        .route("/v2.0/oa/upload/file", post(upload_file))
        .route("/v3.0/oa/user/detail", get(user_detail))
        .route("/v2.0/oa/getoa", get(oa_info))
        .route("/v3.0/oa/quota/message", post(quota))
        .route("/message/template", post(zns))
        .route("/v4/oa/access_token", post(token))
        .route("/fake/records", get(records))
        .with_state(state)
}

fn zalo(error: i64, message: &str) -> Value {
    json!({"error": error, "message": message})
}

/// The common path of every API call: rate limit, injected faults, access token; then `check`
/// validates and answers. Records the outcome.
async fn handle(
    state: &Shared,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: Value,
    check: impl FnOnce(&mut State_, &Value) -> Value,
) -> Response {
    let token = headers
        .get("access_token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (fault, latency) = {
        let mut s = state.lock().expect("fake state lock");
        (
            s.faults.get_mut(&endpoint).and_then(VecDeque::pop_front),
            s.latency,
        )
    };
    let mut delay = latency;
    if let Some(Fault::Delay(d)) = &fault {
        delay += *d;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut s = state.lock().expect("fake state lock");
    let at_ms = s.started.map_or(0, |t| t.elapsed().as_millis());
    let (status, answer) = if over_rate_limit(&mut s) {
        s.rate_limited += 1;
        (200, zalo(-32, "Your application reached limit call api"))
    } else {
        match fault {
            Some(Fault::Code(code)) => (200, zalo(code, "injected fault")),
            Some(Fault::Http(status)) => (status, Value::Null),
            _ => {
                let valid = token.as_ref().is_some_and(|t| s.access.contains_key(t));
                if !valid {
                    let code = if endpoint == Endpoint::Zns {
                        -124
                    } else {
                        -216
                    };
                    (200, zalo(code, "Access token is invalid"))
                } else {
                    (200, check(&mut s, &body))
                }
            }
        }
    };
    let error = answer.get("error").and_then(Value::as_i64).unwrap_or(0);
    s.records.push(Record {
        endpoint,
        at_ms,
        access_token: token,
        body,
        error,
        http_status: status,
        answer: answer.clone(),
    });
    drop(s);
    if status != 200 {
        return StatusCode::from_u16(status)
            .unwrap_or(StatusCode::BAD_GATEWAY)
            .into_response();
    }
    axum::Json(answer).into_response()
}

fn over_rate_limit(s: &mut State_) -> bool {
    let Some((limit, window)) = s.rate_limit else {
        return false;
    };
    let now = Instant::now();
    let start = *s.window_start.get_or_insert(now);
    if now.duration_since(start) >= window {
        let windows = now.duration_since(start).as_nanos() / window.as_nanos();
        s.window_start = Some(start + window * windows as u32);
        s.window_count = 0;
    }
    s.window_count += 1;
    s.window_count > limit
}

/// A JSON API call: a body that is not JSON is refused like Zalo does (`-201`), unrecorded.
async fn api(
    state: &Shared,
    endpoint: Endpoint,
    headers: &HeaderMap,
    bytes: &Bytes,
    check: impl FnOnce(&mut State_, &Value) -> Value,
) -> Response {
    match serde_json::from_slice(bytes) {
        Ok(body) => handle(state, endpoint, headers, body, check).await,
        Err(_) => axum::Json(zalo(-201, "body is invalid!")).into_response(),
    }
}

fn sent(s: &mut State_, recipient: &str, quota_type: Option<&str>) -> Value {
    if let Some(code) = s.recipient_codes.get(recipient) {
        return zalo(*code, "injected recipient fault");
    }
    s.counter += 1;
    let mut data = json!({"message_id": format!("{:020x}", s.counter), "user_id": recipient,
        "sent_time": now_ms().to_string()});
    if let Some(q) = quota_type {
        data["quota"] = json!({"quota_type": q});
    }
    json!({"error": 0, "message": "Success", "data": data})
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn chars(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_str).map(|s| s.chars().count())
}

/// What Zalo checks on a CS message.
fn check_cs(s: &mut State_, body: &Value) -> Value {
    let Some(recipient) = body
        .pointer("/recipient/user_id")
        .or_else(|| body.pointer("/recipient/message_id"))
        .and_then(Value::as_str)
    else {
        return zalo(-201, "recipient is invalid!");
    };
    let Some(message) = body.get("message").filter(|m| m.is_object()) else {
        return zalo(-201, "message is invalid!");
    };
    let text = chars(message.get("text"));
    if text.is_some_and(|n| n == 0 || n > 2000) {
        return zalo(-210, "Parameter exceeds allowable limit");
    }
    let attachment = message.get("attachment");
    if text.is_none() && attachment.is_none() {
        return zalo(-201, "message is invalid!");
    }
    if let Some(buttons) = attachment.and_then(|a| a.pointer("/payload/buttons")) {
        let Some(buttons) = buttons.as_array() else {
            return zalo(-201, "buttons is invalid!");
        };
        let bad_title = buttons
            .iter()
            .any(|b| !chars(b.get("title")).is_some_and(|n| (1..=100).contains(&n)));
        if buttons.is_empty() || buttons.len() > 5 || bad_title {
            return zalo(-210, "Parameter exceeds allowable limit");
        }
        if !buttons.iter().all(button_payload_ok) {
            return zalo(-201, "buttons is invalid!");
        }
    }
    sent(s, recipient, Some("reply"))
}

/// The payload each button type takes (zalo-platform.md §2.4).
fn button_payload_ok(b: &Value) -> bool {
    let payload = &b["payload"];
    match b["type"].as_str() {
        Some("oa.query.show" | "oa.query.hide") => chars(Some(payload)).is_some_and(|n| n <= 1000),
        Some("oa.open.url") => payload["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http")),
        Some("oa.open.phone") => payload["phone_code"]
            .as_str()
            .is_some_and(|p| p.len() >= 8 && p.chars().all(|c| c.is_ascii_digit())),
        Some("oa.open.sms") => {
            payload["phone_code"].is_string()
                && chars(payload.get("content")).is_some_and(|n| n <= 160)
        }
        _ => false,
    }
}

async fn cs(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    api(&state, Endpoint::Cs, &headers, &bytes, check_cs).await
}

fn check_template_data(s: &State_, body: &Value) -> Option<Value> {
    let Some(id) = body
        .get("template_id")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return Some(zalo(-109, "template id is invalid"));
    };
    let Some(data) = body.get("template_data").and_then(Value::as_object) else {
        return Some(zalo(-1122, "Template data is missing parameter"));
    };
    if data.values().any(|v| !v.is_string()) {
        return Some(zalo(-1124, "Template data has an invalid format"));
    }
    if !s.templates.is_empty() {
        let Some(declared) = s.templates.get(id) else {
            return Some(zalo(-109, "template id is invalid"));
        };
        for (name, max) in declared {
            match data.get(name).and_then(Value::as_str) {
                None => return Some(zalo(-1122, "Template data is missing parameter")),
                Some(v) if v.trim().is_empty() => {
                    return Some(zalo(-1122, "Template data is missing parameter"));
                }
                Some(v) if v.chars().count() > *max => {
                    return Some(zalo(-1121, "Parameter data exceeds max length"));
                }
                Some(_) => {}
            }
        }
    }
    if data
        .values()
        .any(|v| chars(Some(v)).is_some_and(|n| n > 400))
    {
        return Some(zalo(-1121, "Parameter data exceeds max length"));
    }
    None
}

async fn template_uid(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    api(&state, Endpoint::TemplateUid, &headers, &bytes, |s, b| {
        if let Some(e) = check_template_data(s, b) {
            return e;
        }
        match b.pointer("/recipient/user_id").and_then(Value::as_str) {
            Some(u) => sent(s, u, Some("purchase_quota")),
            None => zalo(-201, "user_id is invalid!"),
        }
    })
    .await
}

async fn zns(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    api(&state, Endpoint::Zns, &headers, &bytes, |s, b| {
        let phone = b.get("phone").and_then(Value::as_str).unwrap_or_default();
        let phone_ok = phone.len() == 11 && phone.starts_with("84") && phone.bytes().all(|c| c.is_ascii_digit());
        if !phone_ok {
            return zalo(-108, "Phone number is invalid");
        }
        if let Some(e) = check_template_data(s, b) {
            return e;
        }
        if b.get("tracking_id").and_then(Value::as_str).is_some_and(|t| t.len() > 48) {
            return zalo(-1124, "tracking_id is invalid");
        }
        if let Some(code) = s.recipient_codes.get(phone) {
            return zalo(*code, "injected recipient fault");
        }
        s.counter += 1;
        json!({"error": 0, "message": "Success", "data": {"msg_id": format!("{:020x}", s.counter),
            "sent_time": now_ms().to_string(), "quota": {"dailyQuota": "500", "remainingQuota": "499"}}})
    })
    .await
}

async fn broadcast(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    api(&state, Endpoint::Broadcast, &headers, &bytes, |s, b| {
        let article = b
            .pointer("/message/attachment/payload/elements/0/attachment_id")
            .and_then(Value::as_str);
        match article {
            Some(_) => sent(s, "broadcast", None),
            None => zalo(-201, "attachment_id is invalid!"),
        }
    })
    .await
}

async fn upload_file(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    let size = bytes.len();
    handle(&state, Endpoint::UploadFile, &headers, json!({"multipart_bytes": size}), move |s, _| {
        if size == 0 || size > 5 * 1024 * 1024 + 4096 {
            return zalo(-210, "Parameter exceeds allowable limit");
        }
        s.counter += 1;
        json!({"error": 0, "message": "Success", "data": {"token": format!("file-{}", s.counter)}})
    })
    .await
}

async fn user_detail(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let data: Value = q
        .get("data")
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    handle(&state, Endpoint::UserDetail, &headers, data, |_, d| match d
        .get("user_id")
        .and_then(Value::as_str)
    {
        Some(u) => json!({"error": 0, "message": "Success", "data": {"user_id": u,
            "display_name": "Người dùng thử", "user_is_follower": true}}),
        None => zalo(-201, "user_id is invalid!"),
    })
    .await
}

/// `getoa`: the OA's profile with its follower count (`num_follower`), in the shape of Zalo's
/// documented answer (`data.oa_id`, `name`, `oa_type` 4 for a state agency, …).
async fn oa_info(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let oa = headers
        .get("access_token")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| {
            state
                .lock()
                .expect("fake state lock")
                .access
                .get(t)
                .cloned()
        });
    handle(
        &state,
        Endpoint::OaInfo,
        &headers,
        json!({"oa_id": oa}),
        |s, b| {
            let oa = b["oa_id"].as_str().unwrap_or_default();
            json!({"error": 0, "message": "Success", "data": {
            "oa_id": oa, "name": "Dịch vụ công thử", "description": "", "oa_alias": "",
            "is_verified": true, "oa_type": 4, "cate_name": "Cơ quan nhà nước",
            "num_follower": s.followers.get(oa).copied().unwrap_or(0),
            "avatar": "", "cover": ""}})
        },
    )
    .await
}

async fn quota(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    api(&state, Endpoint::Quota, &headers, &bytes, |s, b| {
        let user = b.get("user_id").and_then(Value::as_str).unwrap_or_default();
        match s.interactions.get(user) {
            Some(ms) => json!({"error": 0, "message": "Success", "data": {"last_interaction": ms.to_string()}}),
            None => zalo(-232, "User has not interacted with the OA"),
        }
    })
    .await
}

async fn records(State(state): State<Shared>) -> Response {
    let records = state.lock().expect("fake state lock").records.clone();
    axum::Json(records).into_response()
}

/// A client for one post (not kept: a pooled connection would outlive the test's runtime), on
/// ring and the system's roots, read once per process (motcua-tls).
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(motcua_tls::client_config())
        .build()
        .expect("reqwest client with static settings")
}
