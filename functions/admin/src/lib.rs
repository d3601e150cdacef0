//! The staff console: `GET /admin` (one static page, vanilla JS, no external resources) and the
//! JSON API under `/api/v1/admin/*` it calls. The same router serves Lambda (JWT authorizer
//! claims), the local server (password login, signed cookie) and the tests.
//!
//! Errors are JSON `{"error": code, "message": Vietnamese text}`; a ticket of another agency is
//! answered exactly like a missing one (404) and audited as denied.

pub mod auth;
#[cfg(feature = "lambda")]
pub mod lambda;

#[cfg(feature = "lambda")]
pub use lambda::{handle_sqs, with_jwt_claims};

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use motcua_app::announce::{Announcements, Draft};
use motcua_app::staff::{Principal, Role, StaffDesk, StaffError, TicketFilter};
use motcua_app::stats::{self, LONGEST_RANGE_DAYS};
use motcua_app::{Audience, TicketCategory, TicketStatus};
use motcua_domain::{AnswerFallback, time};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Auth, COOKIE, JwtClaims, LocalAuth, principal_from_claims};

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

pub struct AdminState {
    pub desk: Arc<StaffDesk>,
    pub announcements: Arc<Announcements>,
    pub auth: Auth,
}

pub fn router(state: Arc<AdminState>) -> Router {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/", get(index))
        .route("/admin/app.js", get(script))
        .route("/admin/app.css", get(style))
        .route("/api/v1/admin/config", get(config))
        .route("/api/v1/admin/login", post(login))
        .route("/api/v1/admin/logout", post(logout))
        .route("/api/v1/admin/me", get(me))
        .route("/api/v1/admin/tickets", get(list_tickets))
        .route("/api/v1/admin/tickets/{number}", get(ticket))
        .route("/api/v1/admin/tickets/{number}/reveal", post(reveal))
        .route("/api/v1/admin/tickets/{number}/assign", post(assign))
        .route("/api/v1/admin/tickets/{number}/update", post(update))
        .route("/api/v1/admin/tickets/{number}/answer", post(answer))
        .route(
            "/api/v1/admin/tickets/{number}/guide-wrong",
            post(guide_wrong),
        )
        .route(
            "/api/v1/admin/announcements",
            get(list_announcements).post(create_announcement),
        )
        .route("/api/v1/admin/announcements/audience", post(audience))
        .route("/api/v1/admin/announcements/{id}", get(announcement))
        .route(
            "/api/v1/admin/announcements/{id}/send",
            post(send_announcement),
        )
        .route("/api/v1/admin/stats", get(statistics))
        .route("/api/v1/admin/stats.csv", get(statistics_csv))
        .route("/api/v1/admin/audit", get(audit))
        .route(
            "/api/v1/admin/dossiers/{code}/notifications",
            get(dossier_notices),
        )
        .route(
            "/api/v1/admin/dossiers/{code}/notifications/{event_id}/follow-up",
            post(follow_up),
        )
        .route("/api/v1/admin/not-reached", get(not_reached))
        .with_state(state)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn index() -> Response {
    let mut r = Html(INDEX).into_response();
    // Only our own script and style; no framing.
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'",
        ),
    );
    r
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// An error the console shows.
pub struct ApiError(StatusCode, Value);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<StaffError> for ApiError {
    fn from(e: StaffError) -> Self {
        let message = e.message_vi();
        let (status, code) = match &e {
            StaffError::NotFound | StaffError::NotYours => (StatusCode::NOT_FOUND, "not_found"),
            StaffError::Forbidden(_) | StaffError::NeedsSecondAdmin => {
                (StatusCode::FORBIDDEN, "forbidden")
            }
            StaffError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            StaffError::OutsideWindow {
                last_interaction_at,
                fallback,
            } => {
                return ApiError(
                    StatusCode::CONFLICT,
                    json!({"error": "outside_window", "message": message,
                        "last_interaction_at": last_interaction_at, "fallback": fallback}),
                );
            }
            StaffError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            StaffError::Unavailable(detail) => {
                tracing::error!(error = %detail, "staff console action failed");
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
        };
        ApiError(status, json!({"error": code, "message": message}))
    }
}

fn unauthenticated() -> ApiError {
    ApiError(
        StatusCode::UNAUTHORIZED,
        json!({"error": "unauthenticated", "message": "Vui lòng đăng nhập."}),
    )
}

fn bad_request(message: &str) -> ApiError {
    ApiError(
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid", "message": message}),
    )
}

type ApiResult<T> = Result<T, ApiError>;

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The signed-in staff member, or 401/403.
pub struct Staff(pub Principal);

impl FromRequestParts<Arc<AdminState>> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AdminState>,
    ) -> Result<Self, Self::Rejection> {
        match &state.auth {
            Auth::Jwt { .. } => {
                let claims = parts
                    .extensions
                    .get::<JwtClaims>()
                    .ok_or_else(unauthenticated)?;
                principal_from_claims(claims).map(Staff).map_err(|e| {
                    tracing::warn!(error = %e, "token without a console role");
                    ApiError(
                        StatusCode::FORBIDDEN,
                        json!({"error": "forbidden", "message": "Tài khoản chưa được cấp quyền dùng trang quản trị."}),
                    )
                })
            }
            Auth::Local(local) => cookie_value(&parts.headers, COOKIE)
                .and_then(|c| local.principal(c, state.desk.clock.now()))
                .map(Staff)
                .ok_or_else(unauthenticated),
        }
    }
}

async fn config(State(state): State<Arc<AdminState>>) -> Json<Value> {
    Json(match &state.auth {
        Auth::Jwt { login_url } => json!({"auth": "jwt", "login_url": login_url}),
        Auth::Local(_) => json!({"auth": "local"}),
    })
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

async fn login(
    State(state): State<Arc<AdminState>>,
    Json(body): Json<Login>,
) -> ApiResult<Response> {
    let Auth::Local(local) = &state.auth else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            json!({"error": "not_found", "message": "Đăng nhập qua trang đăng nhập của tỉnh."}),
        ));
    };
    let local: &LocalAuth = local;
    // Argon2 costs tens of milliseconds of CPU per attempt: off the async worker threads, so
    // that a burst of logins cannot stall the webhook's 2-second answers on the same server.
    let checked = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || match &state.auth {
            Auth::Local(local) => local.login(&body.username, &body.password),
            Auth::Jwt { .. } => Ok(None),
        })
        .await
    };
    let Ok(checked) = checked else {
        tracing::error!("password check panicked");
        return Err(StaffError::Unavailable("password check failed".into()).into());
    };
    match checked {
        Err(_) => Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "rate_limited", "message": "Sai mật khẩu quá nhiều lần, vui lòng thử lại sau 1 phút."}),
        )),
        Ok(None) => {
            tracing::warn!("console login refused");
            Err(ApiError(
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthenticated", "message": "Tên đăng nhập hoặc mật khẩu không đúng."}),
            ))
        }
        Ok(Some(p)) => {
            state.desk.audit(&p, "login", "", "ok", None).await?;
            let cookie = LocalAuth::set_cookie(&local.session(&p.username, state.desk.clock.now()));
            let mut r = Json(me_json(&state, &p)).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).expect("cookie is ASCII"),
            );
            Ok(r)
        }
    }
}

async fn logout() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&LocalAuth::clear_cookie()).expect("cookie is ASCII"),
    );
    r
}

fn me_json(state: &AdminState, p: &Principal) -> Value {
    let tenant = state.desk.tenancy.tenant(&p.tenant);
    let (role, agency) = match &p.role {
        Role::TenantAdmin => ("admin", None),
        Role::AgencyStaff { agency } => ("staff", Some(agency)),
    };
    json!({
        "username": p.username,
        "name": p.name,
        "tenant": p.tenant,
        "tenant_name": tenant.map(|t| t.name.clone()),
        "role": role,
        "agency": agency,
        "agencies": tenant.map(|t| t.agencies.clone()).unwrap_or_default(),
        "fallback": tenant.map(|t| t.tickets.outside_window),
    })
}

async fn me(State(state): State<Arc<AdminState>>, Staff(p): Staff) -> Json<Value> {
    Json(me_json(&state, &p))
}

async fn list_tickets(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Query(filter): Query<TicketFilter>,
) -> ApiResult<Json<Value>> {
    let tickets = state.desk.list_tickets(&p, &filter).await?;
    Ok(Json(json!({ "tickets": tickets })))
}

async fn ticket(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(number): Path<u64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(state.desk.ticket(&p, number, false).await?)))
}

async fn reveal(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(number): Path<u64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(state.desk.ticket(&p, number, true).await?)))
}

#[derive(Deserialize)]
struct Assign {
    agency: String,
}

async fn assign(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(number): Path<u64>,
    Json(body): Json<Assign>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        state.desk.assign(&p, number, &body.agency).await?
    )))
}

#[derive(Deserialize)]
struct Update {
    status: Option<TicketStatus>,
    category: Option<TicketCategory>,
}

async fn update(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(number): Path<u64>,
    Json(body): Json<Update>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        state
            .desk
            .update(&p, number, body.status, body.category)
            .await?
    )))
}

/// A staff member marks the procedure guide's answer wrong: the question goes to staff.
async fn guide_wrong(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(number): Path<u64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(state.desk.mark_guide_wrong(&p, number).await?)))
}

/// A dossier's notices and what became of each (the delivery ledger).
async fn dossier_notices(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let notices = state.desk.dossier_notices(&p, &code).await?;
    Ok(Json(json!({ "code": code, "notifications": notices })))
}

/// Deadline-bearing notices that did not reach the citizen: the follow-up worklist.
async fn not_reached(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "notices": state.desk.not_reached(&p).await? }),
    ))
}

#[derive(Deserialize)]
struct FollowUpBody {
    how: motcua_domain::delivery::FollowUpHow,
}

async fn follow_up(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path((code, event_id)): Path<(String, String)>,
    Json(body): Json<FollowUpBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        state.desk.follow_up(&p, &code, &event_id, body.how).await?
    )))
}

#[derive(Deserialize)]
struct Answer {
    text: String,
    request_id: String,
    #[serde(default)]
    fallback: Option<AnswerFallback>,
}

async fn answer(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(number): Path<u64>,
    Json(body): Json<Answer>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        state
            .desk
            .answer(&p, number, &body.text, &body.request_id, body.fallback)
            .await?
    )))
}

async fn list_announcements(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "announcements": state.announcements.list(&p).await? }),
    ))
}

async fn create_announcement(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Json(draft): Json<Draft>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(state.announcements.create(&p, &draft).await?)),
    ))
}

async fn audience(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Json(audience): Json<Audience>,
) -> ApiResult<Json<Value>> {
    if !p.is_admin() {
        return Err(StaffError::Forbidden("only a tenant admin sends announcements").into());
    }
    Ok(Json(json!(
        state.announcements.preview(&p, &audience).await?
    )))
}

async fn announcement(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(state.announcements.get(&p, &id).await?)))
}

/// The body of a send: `{"at": "2026-12-05T08:00:00+07:00"}` schedules it; none, or no
/// `at`, sends now.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SendAt {
    #[serde(default)]
    at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn send_announcement(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Path(id): Path<String>,
    body: Option<Json<SendAt>>,
) -> ApiResult<Json<Value>> {
    let at = body.map(|Json(b)| b).unwrap_or_default().at;
    Ok(Json(json!(state.announcements.send(&p, &id, at).await?)))
}

#[derive(Deserialize)]
struct Range {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

async fn compute_stats(
    state: &AdminState,
    p: &Principal,
    range: &Range,
    action: &str,
) -> ApiResult<stats::Statistics> {
    let today = time::to_vn(state.desk.clock.now()).date_naive();
    let to = range.to.unwrap_or(today);
    let from = range.from.unwrap_or_else(|| to.with_day0(0).unwrap_or(to));
    if from > to || (to - from).num_days() >= LONGEST_RANGE_DAYS {
        return Err(bad_request(
            "Khoảng thời gian không hợp lệ (từ ngày phải trước đến ngày, tối đa 366 ngày).",
        ));
    }
    Ok(state.desk.statistics(p, from, to, action).await?)
}

use chrono::Datelike;

async fn statistics(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Query(range): Query<Range>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        compute_stats(&state, &p, &range, "stats.view").await?
    )))
}

async fn statistics_csv(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Query(range): Query<Range>,
) -> ApiResult<Response> {
    let s = compute_stats(&state, &p, &range, "stats.export").await?;
    let name = format!("thong-ke-{}-{}-{}.csv", s.tenant, s.from, s.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        stats::to_csv(&s),
    )
        .into_response())
}

#[derive(Deserialize)]
struct AuditQuery {
    day: Option<NaiveDate>,
}

async fn audit(
    State(state): State<Arc<AdminState>>,
    Staff(p): Staff,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let day = q
        .day
        .unwrap_or_else(|| time::to_vn(state.desk.clock.now()).date_naive());
    let entries = state.desk.audit_trail(&p, day).await?;
    Ok(Json(json!({ "day": day, "entries": entries })))
}
