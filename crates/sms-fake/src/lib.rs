//! A brandname SMS gateway on loopback, answering `POST
//! /MainService.svc/json/SendMultipleMessage_V4_post_json/` as the eSMS API documents it
//! (developers.esms.vn, "Send OTP/Customer care message" and the table of error codes), and
//! as strictly:
//!
//! - `101` unless ApiKey and SecretKey are an account's; `300` without `SmsType` 2;
//! - `104` for a brandname the account has not registered;
//! - `108` for a phone that is not Vietnamese (`0…` or `84…`, 9 digits after), `99` for one
//!   the gateway blocks;
//! - `124` for a `RequestId` it has accepted before (nothing is sent again);
//! - `146` for a text that matches none of the registered customer-care templates, and for
//!   diacritics in a message declared without Unicode (`IsUnicode` 0);
//! - otherwise `100` with an `SMSID`.
//!
//! Every request is recorded with its answer; faults can be injected.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub const PATH: &str = "/MainService.svc/json/SendMultipleMessage_V4_post_json/";

/// One request the fake received, and the code it answered.
#[derive(Debug, Clone)]
pub struct SmsRecord {
    pub body: Value,
    /// `CodeResult`, or `http <status>` for an injected HTTP failure.
    pub code: String,
}

impl SmsRecord {
    pub fn accepted(&self) -> bool {
        self.code == "100"
    }
    pub fn phone(&self) -> &str {
        self.body["Phone"].as_str().unwrap_or_default()
    }
    pub fn content(&self) -> &str {
        self.body["Content"].as_str().unwrap_or_default()
    }
}

/// An injected failure for the next request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This `CodeResult` (e.g. `103`, out of balance).
    Code(&'static str),
    /// This HTTP status with an empty body.
    Http(u16),
}

#[derive(Default)]
struct Gateway {
    /// API key → secret key.
    accounts: HashMap<String, String>,
    brandnames: HashSet<String>,
    templates: Vec<regex_lite::Regex>,
    blocked: HashSet<String>,
    seen_requests: HashSet<String>,
    faults: VecDeque<Fault>,
    records: Vec<SmsRecord>,
    counter: u64,
}

type Shared = Arc<Mutex<Gateway>>;

/// A running fake. Dropping it stops the server.
pub struct SmsFake {
    state: Shared,
    pub base_url: String,
    _server: tokio::task::JoinHandle<()>,
}

impl SmsFake {
    pub async fn start() -> SmsFake {
        let state: Shared = Shared::default();
        let app = axum::Router::new()
            .route(PATH, post(send))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SmsFake {
            state,
            base_url: format!("http://{addr}"),
            _server: server,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Gateway) -> T) -> T {
        f(&mut self.state.lock().expect("fake state lock"))
    }

    pub fn add_account(&self, api_key: &str, secret_key: &str) {
        self.with(|g| g.accounts.insert(api_key.into(), secret_key.into()));
    }

    pub fn add_brandname(&self, brandname: &str) {
        self.with(|g| g.brandnames.insert(brandname.into()));
    }

    /// A customer-care template as registered with the carriers: literal text with `{name}`
    /// variables, each standing for any text on one line (possibly empty).
    pub fn register_template(&self, template: &str) {
        let mut pattern = String::from("^");
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            pattern.push_str(&regex_lite::escape(&rest[..open]));
            pattern.push_str("[^\\n]*");
            rest = &rest[open + close + 1..];
        }
        pattern.push_str(&regex_lite::escape(rest));
        pattern.push('$');
        let re = regex_lite::Regex::new(&pattern).expect("an escaped template");
        self.with(|g| g.templates.push(re));
    }

    /// The gateway refuses this phone (`84…` form) with code 99.
    pub fn block_phone(&self, international: &str) {
        self.with(|g| g.blocked.insert(international.into()));
    }

    pub fn fail_next(&self, fault: Fault) {
        self.with(|g| g.faults.push_back(fault));
    }

    pub fn records(&self) -> Vec<SmsRecord> {
        self.with(|g| g.records.clone())
    }

    /// The messages the gateway took (code 100), in order.
    pub fn accepted(&self) -> Vec<SmsRecord> {
        self.records()
            .into_iter()
            .filter(|r| r.accepted())
            .collect()
    }
}

fn field<'a>(body: &'a Value, name: &str) -> &'a str {
    body.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// `84` + 9 digits, or `0` + 9 digits.
fn vietnamese_phone(p: &str) -> Option<String> {
    let digits = |s: &str| s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = p.strip_prefix("84")
        && digits(rest)
    {
        return Some(p.to_string());
    }
    p.strip_prefix('0')
        .filter(|rest| digits(rest))
        .map(|rest| format!("84{rest}"))
}

/// The code the gateway answers `body` with, and whether it sends it.
fn decide(g: &mut Gateway, body: &Value) -> &'static str {
    if field(body, "SmsType") != "2" {
        return "300";
    }
    let (api, secret) = (field(body, "ApiKey"), field(body, "SecretKey"));
    if g.accounts.get(api).is_none_or(|s| s != secret) {
        return "101";
    }
    if !g.brandnames.contains(field(body, "Brandname")) {
        return "104";
    }
    let Some(phone) = vietnamese_phone(field(body, "Phone")) else {
        return "108";
    };
    if g.blocked.contains(&phone) {
        return "99";
    }
    let request = field(body, "RequestId");
    if !request.is_empty() && g.seen_requests.contains(request) {
        return "124";
    }
    let content = field(body, "Content");
    let unicode = field(body, "IsUnicode") == "1";
    if content.is_empty()
        || (!unicode && !content.is_ascii())
        || !g.templates.iter().any(|t| t.is_match(content))
    {
        return "146";
    }
    if !request.is_empty() {
        g.seen_requests.insert(request.to_string());
    }
    "100"
}

async fn send(State(state): State<Shared>, bytes: axum::body::Bytes) -> Response {
    let mut g = state.lock().expect("fake state lock");
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => {
            return (StatusCode::BAD_REQUEST, "{\"error\":\"Invalid request\"}").into_response();
        }
    };
    match g.faults.pop_front() {
        Some(Fault::Http(status)) => {
            g.records.push(SmsRecord {
                body,
                code: format!("http {status}"),
            });
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return status.into_response();
        }
        Some(Fault::Code(code)) => {
            g.records.push(SmsRecord {
                body,
                code: code.into(),
            });
            return axum::Json(
                json!({"CodeResult": code, "CountRegenerate": 0, "ErrorMessage": "injected"}),
            )
            .into_response();
        }
        None => {}
    }
    let code = decide(&mut g, &body);
    g.records.push(SmsRecord {
        body,
        code: code.into(),
    });
    let answer = match code {
        "100" => {
            g.counter += 1;
            json!({"CodeResult": "100", "CountRegenerate": 0, "SMSID": format!("{:032x}", g.counter)})
        }
        "124" => {
            json!({"CodeResult": "124", "CountRegenerate": 0, "ErrorMessage": "Request exist 1", "SendStatus": "5"})
        }
        "146" => {
            json!({"CodeResult": "146", "CountRegenerate": 0, "ErrorMessage": "Sai template Brandname CSKH"})
        }
        other => json!({"CodeResult": other, "CountRegenerate": 0, "ErrorMessage": "refused"}),
    };
    axum::Json(answer).into_response()
}
