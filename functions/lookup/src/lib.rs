//! The lookup function: `GET /tra-cuu/{code}?k=…` (the page a receipt's QR opens, mobile-first,
//! no JavaScript, no external resources), `POST /tra-cuu/{code}` (second factor: last four ID
//! digits), `GET /api/v1/dossiers/{code}` (JSON for portals and kiosks, errors as
//! `application/problem+json`) and `GET /api/v1/openapi.json`. Rate limited per client address,
//! in each instance and in the store (shared by every instance).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::DateTime;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _};
use motcua_app::lookup::{CitizenView, Proof, lookup};
use motcua_app::metrics::Metrics;
use motcua_app::{Clock, Store};
use motcua_config::Deployment;
use motcua_domain::{DossierCode, NationalStatus, time};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

pub const OPENAPI: &str = include_str!("openapi.json");

/// The caller's address, set by the Lambda entry from API Gateway's request context; the local
/// server's socket address is used otherwise.
pub use motcua_app::ClientIp;

pub struct LookupState {
    pub store: Arc<dyn Store>,
    pub deployment: Deployment,
    pub clock: Arc<dyn Clock>,
    /// Per instance, with bursts of a third: the cheap first check.
    pub limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Per client and minute across every instance, counted in the store.
    pub per_minute: u32,
    /// Whether other processes share the store (Lambda instances on DynamoDB), so that the
    /// per-client budget must be counted there too. Not when one process owns the store (the
    /// local server holds its redb file exclusively): its in-memory limiter is the whole count.
    pub shared_store: bool,
    /// `LookupIdDigitsLocked` (alarmed): someone keeps guessing a dossier's ID digits.
    pub metrics: Arc<dyn Metrics>,
}

impl LookupState {
    /// `per_minute` lookups per client address (IPv6: per /64) and minute, shared by every
    /// instance through the store; each instance also keeps bursts to a third of it.
    pub fn new(
        store: Arc<dyn Store>,
        deployment: Deployment,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
        per_minute: u32,
    ) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least one");
        let burst = NonZeroU32::new((per_minute.get() / 3).max(1)).expect("at least one");
        LookupState {
            store,
            deployment,
            clock,
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            per_minute: per_minute.get(),
            shared_store: true,
            metrics,
        }
    }

    /// For a process that owns its store alone: the per-client budget is counted in memory
    /// only, which then sees every lookup (a store write per lookup would buy nothing).
    pub fn sole_process(mut self) -> Self {
        self.shared_store = false;
        self
    }
}

pub fn router(state: Arc<LookupState>) -> Router {
    Router::new()
        .route("/tra-cuu/{code}", get(page).post(page_with_factor))
        .route("/api/v1/dossiers/{code}", get(api).post(api_with_factor))
        .route("/api/v1/openapi.json", get(openapi))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .with_state(state)
}

fn client_ip(req: &Request) -> IpAddr {
    if let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>() {
        return *ip;
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// The shared budget's record name for an address: a digest, so the store never holds a
/// client's address (the record lives two minutes).
fn budget_key(ip: IpAddr) -> String {
    let digest = Sha256::digest(format!("motcua-lookup-client:{ip}").as_bytes());
    format!("lookup:{}", hex::encode(&digest[..12]))
}

/// One more lookup from this address in the current minute of the store's budget, which
/// every instance shares (parallel requests fan out over Lambda instances, each with its own
/// in-memory limiter). `None`: allowed; `Some(secs)`: refused until the next minute. A store
/// that cannot answer lets the lookup through: the in-memory limit still holds per instance.
async fn shared_budget_refuses(state: &LookupState, ip: IpAddr) -> Option<u64> {
    if !state.shared_store {
        return None;
    }
    let now = state.clock.now();
    let ms = now.timestamp_millis();
    let start = DateTime::from_timestamp_millis(ms - ms.rem_euclid(60_000)).unwrap_or(now);
    let end = start + chrono::Duration::minutes(1);
    match state
        .store
        .take_budget(
            &budget_key(ip),
            start,
            u64::from(state.per_minute),
            end + chrono::Duration::minutes(1),
        )
        .await
    {
        Ok(true) => None,
        Ok(false) => Some(u64::try_from((end - now).num_seconds()).unwrap_or(0)),
        Err(e) => {
            tracing::warn!(error = %e, "shared lookup budget unavailable; in-memory limit only");
            None
        }
    }
}

async fn rate_limit(State(state): State<Arc<LookupState>>, req: Request, next: Next) -> Response {
    let ip = ClientIp(client_ip(&req)).rate_key();
    let refused = match state.limiter.check_key(&ip) {
        Err(not_until) => {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        }
        Ok(()) => shared_budget_refuses(&state, ip).await,
    };
    match refused {
        Some(secs) => too_many(req.uri().path().starts_with("/api/"), secs),
        None => next.run(req).await,
    }
}

fn too_many(api: bool, secs: u64) -> Response {
    let mut response = if api {
        problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Quá nhiều yêu cầu",
            "Too many lookups from this address; retry after the given seconds.",
        )
    } else {
        (StatusCode::TOO_MANY_REQUESTS, Html(format!(
            "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Tra cứu</title><p>Bạn đã tra cứu nhiều lần trong thời gian ngắn. Vui lòng thử lại sau {secs} giây.</p></html>"
        )))
            .into_response()
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    response
}

/// A lookup's proofs. In a query string only `k` (the QR link's token) counts: ID digits in a
/// URL end up in access logs and browser histories, so they are read from POST bodies only.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    k: Option<String>,
    cccd4: Option<String>,
}

impl Params {
    /// The proofs a GET may carry.
    fn link_only(mut self) -> Params {
        self.cccd4 = None;
        self
    }
}

#[derive(Template)]
#[template(path = "page.html")]
struct Page<'a> {
    title: &'a str,
    tenant_name: String,
    code: String,
    view: Option<CitizenView>,
    status_class: &'static str,
    received: Option<String>,
    due: Option<String>,
    completed: Option<String>,
    timeline: Vec<(String, String)>,
    oa_id: Option<String>,
    wrong_factor: bool,
    factor_locked: bool,
    factor_locked_text: &'static str,
    /// Only on a page opened with the receipt QR's token (`CitizenView::receipt_code`).
    receipt_code: Option<String>,
    receipt_code_text: &'static str,
}

fn status_class(s: NationalStatus) -> &'static str {
    use NationalStatus::*;
    match s {
        NewlySubmitted | Received | Processing => "s-progress",
        SupplementRequested | FeeRequested | WithdrawalRequested => "s-waiting",
        Completed | Returned => "s-done",
        NotAccepted | Stopped => "s-closed",
    }
}

enum Outcome {
    BadCode,
    Found(String, Option<String>, Box<CitizenView>),
    NotFound,
    Unavailable,
}

/// One store read, and the lookup counted for the statistics.
async fn find(state: &LookupState, raw: &str, params: &Params, channel: &str) -> Outcome {
    let Ok(code) = DossierCode::parse(raw) else {
        return Outcome::BadCode;
    };
    let proof = Proof {
        token: params.k.as_deref().filter(|k| !k.is_empty()),
        id_suffix: params.cccd4.as_deref().map(str::trim),
        phone_hash: None,
    };
    let tenancy = &state.deployment.tenancy;
    let now = state.clock.now();
    let found = lookup(
        state.store.as_ref(),
        tenancy,
        |t| state.deployment.qr_signer(t.as_str()),
        &code,
        proof,
        now,
    )
    .await;
    match found {
        Ok(Some(view)) => {
            let tenant = tenancy
                .for_code(&code)
                .expect("found dossiers have a tenant");
            let day = time::to_vn(now).date_naive();
            if let Err(e) = state
                .store
                .incr(&tenant.id, &format!("lookup.{channel}"), day, 1)
                .await
            {
                tracing::warn!(error = %e, "lookup not counted");
            }
            if view.id_suffix_locked {
                state.metrics.count(
                    "LookupIdDigitsLocked",
                    1.0,
                    &[("Tenant", tenant.id.as_str())],
                );
                tracing::warn!(tenant = %tenant.id, "ID digits refused: too many wrong tries today for this dossier");
            }
            Outcome::Found(tenant.name.clone(), tenant.oa_id.clone(), Box::new(view))
        }
        Ok(None) => Outcome::NotFound,
        Err(e) => {
            tracing::error!(error = %e, "lookup failed");
            Outcome::Unavailable
        }
    }
}

async fn render(state: &LookupState, raw: &str, params: Params) -> Response {
    let channel = if params.k.is_some() { "qr_page" } else { "web" };
    let outcome = find(state, raw, &params, channel).await;
    let code = DossierCode::parse(raw).map_or_else(|_| raw.to_string(), |c| c.to_string());
    let mut page = Page {
        title: "Tra cứu hồ sơ",
        tenant_name: "Dịch vụ công trực tuyến".into(),
        code,
        view: None,
        status_class: "s-progress",
        received: None,
        due: None,
        completed: None,
        timeline: Vec::new(),
        oa_id: None,
        wrong_factor: false,
        factor_locked: false,
        factor_locked_text: motcua_domain::catalogue::ID_DIGITS_LOCKED,
        receipt_code: None,
        receipt_code_text: motcua_domain::catalogue::RECEIPT_CODE_ON_PAGE,
    };
    let status = match outcome {
        Outcome::BadCode | Outcome::NotFound => StatusCode::NOT_FOUND,
        Outcome::Unavailable => {
            return (StatusCode::SERVICE_UNAVAILABLE, Html("<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><p>Hệ thống đang bận, vui lòng thử lại sau ít phút.</p></html>")).into_response();
        }
        Outcome::Found(tenant_name, oa_id, view) => {
            page.tenant_name = tenant_name;
            page.oa_id = oa_id;
            page.status_class = status_class(view.status.status);
            page.received = view.status.received_at.map(time::vn_datetime);
            page.due = view.status.due_at.map(time::vn_datetime);
            page.completed = view.status.completed_at.map(time::vn_datetime);
            if let Some(card) = &view.card {
                page.timeline = card
                    .timeline
                    .iter()
                    .map(|i| (time::vn_datetime(i.at), i.label.clone()))
                    .collect();
            }
            page.wrong_factor =
                view.card.is_none() && params.cccd4.is_some() && !view.id_suffix_locked;
            page.factor_locked = view.id_suffix_locked;
            page.receipt_code = view.receipt_code.clone();
            page.view = Some(*view);
            StatusCode::OK
        }
    };
    match page.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn page(
    State(state): State<Arc<LookupState>>,
    Path(raw): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    render(&state, &raw, params.link_only()).await
}

async fn page_with_factor(
    State(state): State<Arc<LookupState>>,
    Path(raw): Path<String>,
    Form(params): Form<Params>,
) -> Response {
    render(&state, &raw, params).await
}

async fn api(
    State(state): State<Arc<LookupState>>,
    Path(raw): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    if params.cccd4.is_some() {
        return problem(
            StatusCode::BAD_REQUEST,
            "Không gửi số CCCD trên đường dẫn",
            "cccd4 is read from a POST body only (JSON {\"cccd4\": \"1234\"}): a query string ends up in logs.",
        );
    }
    answer(&state, &raw, params).await
}

async fn api_with_factor(
    State(state): State<Arc<LookupState>>,
    Path(raw): Path<String>,
    body: Result<axum::Json<Params>, axum::extract::rejection::JsonRejection>,
) -> Response {
    match body {
        Ok(axum::Json(params)) => answer(&state, &raw, params).await,
        Err(e) => problem(
            StatusCode::BAD_REQUEST,
            "Yêu cầu không hợp lệ",
            &format!("Send a JSON object with cccd4 and/or k: {}", e.body_text()),
        ),
    }
}

async fn answer(state: &LookupState, raw: &str, params: Params) -> Response {
    match find(state, raw, &params, "api").await {
        Outcome::Found(_, _, view) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(view),
        )
            .into_response(),
        Outcome::BadCode => problem(
            StatusCode::BAD_REQUEST,
            "Mã hồ sơ không hợp lệ",
            "The path segment is not a receipt code such as 000.00.04.H60-230215-0028.",
        ),
        Outcome::NotFound => problem(
            StatusCode::NOT_FOUND,
            "Không tìm thấy hồ sơ",
            "No dossier with this code is available.",
        ),
        Outcome::Unavailable => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Hệ thống đang bận",
            "The store is unavailable; try again shortly.",
        ),
    }
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// An RFC 9457 problem document.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail});
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}
