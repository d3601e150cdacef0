//! The fake's OAuth token endpoint: single-use refresh tokens, PKCE codes, app secrets.

use std::collections::{HashMap, VecDeque};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::{Endpoint, Fault, Record, Shared, State_};

pub(crate) fn new_pair(s: &mut State_, oa_id: &str) -> (String, String) {
    s.counter += 1;
    let access = format!(
        "fake-access-{}-{}",
        s.counter,
        uuid::Uuid::new_v4().simple()
    );
    let refresh = format!(
        "fake-refresh-{}-{}",
        s.counter,
        uuid::Uuid::new_v4().simple()
    );
    s.access.insert(access.clone(), oa_id.into());
    s.refresh.insert(refresh.clone(), (oa_id.into(), false));
    (access, refresh)
}

/// The OAuth token endpoint: no envelope on success; OAuth-style error fields on failure.
pub(crate) async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let secret = headers
        .get("secret_key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let fault = {
        let mut s = state.lock().expect("fake state lock");
        s.faults
            .get_mut(&Endpoint::Token)
            .and_then(VecDeque::pop_front)
    };
    if let Some(Fault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let mut s = state.lock().expect("fake state lock");
    let at_ms = s.started.map_or(0, |t| t.elapsed().as_millis());
    let (status, answer) = match fault {
        Some(Fault::Code(code)) => (200, refused(code, "injected fault")),
        Some(Fault::Http(status)) => (status, Value::Null),
        _ => (200, grant(&mut s, &form, &secret)),
    };
    let error = answer.get("error").and_then(Value::as_i64).unwrap_or(0);
    let recorded: Value = form
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect::<serde_json::Map<_, _>>()
        .into();
    s.records.push(Record {
        endpoint: Endpoint::Token,
        at_ms,
        access_token: None,
        body: recorded,
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

fn refused(code: i64, name: &str) -> Value {
    json!({"error": code, "error_name": name, "error_reason": "",
    "ref_doc": "https://developers.zalo.me/docs/official-account"})
}

fn pair(access: String, refresh: String) -> Value {
    json!({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})
}

/// The grant itself: the app's secret, then a single-use refresh token or a code whose PKCE
/// verifier matches.
fn grant(s: &mut State_, form: &HashMap<String, String>, secret: &str) -> Value {
    let app_ok = form
        .get("app_id")
        .and_then(|a| s.apps.get(a))
        .is_some_and(|expected| expected == secret);
    if !app_ok {
        return refused(-14002, "Invalid app secret");
    }
    match form.get("grant_type").map(String::as_str) {
        Some("refresh_token") => {
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            match s.refresh.get_mut(&rt) {
                Some((oa, used)) if !*used => {
                    *used = true;
                    let oa = oa.clone();
                    let (access, refresh) = new_pair(s, &oa);
                    pair(access, refresh)
                }
                _ => refused(-14014, "Invalid refresh token"),
            }
        }
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            match s.codes.remove(&code) {
                Some((oa, expected)) if expected == verifier => {
                    let (access, refresh) = new_pair(s, &oa);
                    pair(access, refresh)
                }
                _ => refused(-14019, "Invalid code"),
            }
        }
        _ => refused(-14001, "Invalid grant type"),
    }
}
