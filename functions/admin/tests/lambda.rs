//! The Lambda side of the console: API Gateway's verified JWT claims (events/admin fixtures)
//! become the staff member; without them every API call is 401. The announcement consumer
//! reports undecodable jobs as failures (SQS redelivers, then dead-letters them).

use std::path::Path;
use std::sync::Arc;

use admin::auth::Auth;
use admin::{AdminState, router, with_jwt_claims};
use axum::body::Body;
use motcua_app::ManualClock;
use motcua_app::announce::Announcements;
use motcua_app::staff::StaffDesk;
use motcua_zalo::{
    BaseUrls, SlidingWindowLimiter, TokenManager, TokenSettings, ZaloClient, ZaloMessenger,
};
use tower::ServiceExt;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events/admin")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

async fn state(dir: &Path) -> Arc<AdminState> {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    let deployment =
        motcua_config::Deployment::from_files(&config, &dir.join("secrets.json")).unwrap();
    let db = motcua_embedded::EmbeddedDb::open(dir.join("db.redb")).unwrap();
    let store = Arc::new(db.store());
    let fake = motcua_zalo_fake::ZaloFake::start().await;
    let zalo = ZaloClient::new(
        BaseUrls::all(&fake.base_url),
        Arc::new(SlidingWindowLimiter::zalo_default()),
    );
    let metrics = Arc::new(motcua_app::metrics::RecordingMetrics::default());
    // the fixtures' request time (requestContext.time), whatever today's date is
    let clock = Arc::new(ManualClock::at("2026-11-24T09:00:00Z"));
    let tokens = TokenManager::new(
        store.clone(),
        zalo.clone(),
        motcua_runtime::app_credentials(&deployment),
        clock.clone(),
        metrics.clone(),
        TokenSettings::default(),
    );
    let desk = Arc::new(StaffDesk {
        store,
        tenancy: Arc::new(deployment.tenancy),
        messenger: Arc::new(ZaloMessenger::new(zalo, Arc::new(tokens))),
        clock,
        metrics,
    });
    let queue = Arc::new(db.queue("announcements", motcua_embedded::QueueSettings::default()));
    Arc::new(AdminState {
        announcements: Arc::new(Announcements {
            messenger: desk.messenger.clone(),
            desk: desk.clone(),
            queue,
            pace: None,
        }),
        desk,
        auth: Auth::Jwt {
            login_url: Some("https://login.example.invalid/login".into()),
        },
    })
}

async fn call(state: Arc<AdminState>, event: &str) -> (u16, serde_json::Value) {
    let request = lambda_http::request::from_str(event).unwrap();
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let app = router(state).layer(axum::middleware::map_request(with_jwt_claims));
    let response = app.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

fn event() -> serde_json::Value {
    serde_json::from_str(&fixture("apigw-me-jwt.json")).unwrap()
}

#[tokio::test]
async fn verified_claims_make_the_staff_member_and_nothing_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path()).await;
    let (status, me) = call(state.clone(), &fixture("apigw-me-jwt.json")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "lan.tp");
    assert_eq!(me["name"], "Trần Thị Lan");
    assert_eq!(me["role"], "staff");
    assert_eq!(me["agency"], "so-tu-phap");
    assert_eq!(me["tenant"], "tuyen-quang");

    // no authorizer context (a route deployed without the authorizer): 401
    let mut e = event();
    e["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    assert_eq!(call(state.clone(), &e.to_string()).await.0, 401);
    // a valid token without a console group: 403
    let mut e = event();
    e["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = "[viewers]".into();
    assert_eq!(call(state.clone(), &e.to_string()).await.0, 403);
    // the page learns it must send people to the province's login page
    let mut e = event();
    e["rawPath"] = "/api/v1/admin/config".into();
    e["requestContext"]["http"]["path"] = "/api/v1/admin/config".into();
    let (status, config) = call(state.clone(), &e.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(config["auth"], "jwt");
    assert_eq!(config["login_url"], "https://login.example.invalid/login");
    // and there is no password login on AWS
    let mut e = event();
    e["rawPath"] = "/api/v1/admin/login".into();
    e["requestContext"]["http"]["method"] = "POST".into();
    e["requestContext"]["http"]["path"] = "/api/v1/admin/login".into();
    e["headers"]["content-type"] = "application/json".into();
    e["body"] = r#"{"username":"a","password":"b"}"#.into();
    assert_eq!(call(state, &e.to_string()).await.0, 404);
}

#[tokio::test]
async fn announcement_jobs_that_cannot_be_read_are_reported_failed() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path()).await;
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_str(&fixture("sqs-announcement-job.json")).unwrap();
    // a job for an announcement that does not exist is dropped, not retried forever
    let response = admin::handle_sqs(&state.announcements, event.clone()).await;
    assert!(response.batch_item_failures.is_empty());
    let mut bad = event;
    bad.records[0].body = Some("not json".into());
    let response = admin::handle_sqs(&state.announcements, bad).await;
    assert_eq!(response.batch_item_failures.len(), 1);
}
