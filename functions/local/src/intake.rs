//! `POST /api/v1/intake/events`: the one-stop system's door into an on-premises deployment (on
//! AWS it writes to the SQS queue with IAM credentials instead). One queue message body per
//! request, exactly as it would go on SQS: our canonical event or a DVCQG payload.
//!
//! The caller proves which province it is with that tenant's `intake_api_key` (`X-Api-Key`,
//! compared in constant time), and may only send about that tenant's dossiers: every receipt
//! code in the body must belong to one of its agencies. Bodies are limited to
//! [`crate::MAX_MESSAGE_BYTES`]. The rest of the validation happens in the consumer, as on AWS:
//! a bad event ends on the dead-letter queue with its reason.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lookup::problem;
use motcua_app::Queue;
use motcua_domain::{DossierCode, Tenant};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::AppState;

pub const PATH: &str = "/api/v1/intake/events";

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(crate::MAX_MESSAGE_BYTES))
        .with_state(state)
}

/// The tenant whose intake key this is. Every tenant's key is compared, so the time taken does
/// not tell which tenant came close.
fn caller<'a>(state: &'a AppState, headers: &HeaderMap) -> Option<&'a Tenant> {
    let given = headers.get("x-api-key")?.as_bytes();
    if given.is_empty() {
        return None;
    }
    let mut found = None;
    for t in state.tenancy.directory().iter() {
        let expected = state
            .secrets
            .tenant(t.id.as_str())
            .and_then(|s| s.intake_api_key.as_deref())
            .unwrap_or_default();
        if !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given)) {
            found = Some(t);
        }
    }
    found
}

/// Every receipt code the body names: the canonical `dossier.code`, a DVCQG record's `MaHoSo`,
/// or each record of a DVCQG envelope.
fn codes(v: &Value) -> Vec<&str> {
    let mut codes: Vec<&str> = v
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("MaHoSo").and_then(Value::as_str))
        .collect();
    codes.extend(motcua_domain::event::code_in_body(v));
    codes
}

async fn receive(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(tenant) = caller(&state, &headers) else {
        tracing::warn!("intake refused: no or unknown X-Api-Key");
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unknown intake key",
            "Send the tenant's intake_api_key in X-Api-Key.",
        );
    };
    let parsed = std::str::from_utf8(&body)
        .ok()
        .and_then(|text| Some((text, serde_json::from_str::<Value>(text).ok()?)));
    let Some((text, v)) = parsed else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Not a JSON document",
            "Send one event (UTF-8 JSON) per request.",
        );
    };
    let codes = codes(&v);
    if codes.is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            "No receipt code",
            "The body names no dossier (dossier.code, or MaHoSo for DVCQG payloads).",
        );
    }
    for raw in codes {
        let owned = DossierCode::parse(raw).ok().is_some_and(|code| {
            state
                .tenancy
                .owner_of(None, &code)
                .is_ok_and(|owner| owner.id == tenant.id)
        });
        if !owned {
            tracing::warn!(tenant = %tenant.id, "intake refused: a code of another tenant");
            return problem(
                StatusCode::FORBIDDEN,
                "Not this tenant's dossier",
                &format!(
                    "Receipt code {raw:?} does not belong to an agency of tenant {}.",
                    tenant.id
                ),
            );
        }
    }
    match state.inbound.send(text).await {
        Ok(id) => (StatusCode::ACCEPTED, axum::Json(json!({"message_id": id}))).into_response(),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Queue unavailable",
            &e.to_string(),
        ),
    }
}
