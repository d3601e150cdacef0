//! The token lifecycle against the Zalo fake: concurrent refreshers cause exactly one refresh,
//! refusals are terminal and raise the alarm metric, scheduled refreshes respect the margin.
//! The same single-flight case runs on the DynamoDB adapter in crates/dynamodb's tests.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use motcua_app::metrics::RecordingMetrics;
use motcua_app::{ManualClock, TokenStore};
use motcua_zalo::tokens::RefreshOutcome;
use motcua_zalo::*;
use motcua_zalo_fake::{Endpoint, Fault, ZaloFake};

const OA: &str = "579745863508352884";

async fn embedded() -> Arc<dyn TokenStore> {
    let dir = tempfile::tempdir().unwrap().keep();
    Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.join("t.redb"))
            .unwrap()
            .store(),
    )
}

struct Setup {
    fake: ZaloFake,
    manager: Arc<TokenManager>,
    metrics: Arc<RecordingMetrics>,
    clock: Arc<ManualClock>,
    store: Arc<dyn TokenStore>,
}

async fn setup(store: Arc<dyn TokenStore>) -> Setup {
    let fake = ZaloFake::start().await;
    fake.add_app("app1", "app-secret");
    let clock = Arc::new(ManualClock::at("2026-11-24T00:00:00Z"));
    let metrics = Arc::new(RecordingMetrics::default());
    let client = ZaloClient::new(BaseUrls::all(&fake.base_url), Arc::new(Unlimited));
    let apps = HashMap::from([(
        OA.to_string(),
        AppCredentials {
            app_id: "app1".into(),
            app_secret: "app-secret".into(),
        },
    )]);
    let settings = TokenSettings {
        poll: Duration::from_millis(20),
        ..TokenSettings::default()
    };
    let manager = Arc::new(TokenManager::new(
        store.clone(),
        client,
        apps,
        clock.clone(),
        metrics.clone(),
        settings,
    ));
    let (access, refresh) = fake.issue_tokens(OA);
    let pair = TokenPair {
        access_token: access,
        refresh_token: refresh,
        expires_in: Duration::from_secs(90_000),
    };
    manager.install(OA, &pair).await.unwrap();
    Setup {
        fake,
        manager,
        metrics,
        clock,
        store,
    }
}

/// Ten callers see the access token rejected at the same time.
async fn ten_concurrent_refreshers_cause_one_refresh(s: &Setup) {
    let before = s.store.get_tokens(OA).await.unwrap().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let m = s.manager.clone();
        tasks.push(tokio::spawn(async move { m.after_rejection(OA, 1).await }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap().unwrap());
    }
    let refreshes: Vec<_> = s
        .fake
        .records()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::Token)
        .collect();
    assert_eq!(refreshes.len(), 1, "exactly one refresh reached Zalo");
    assert!(refreshes[0].ok());
    assert_eq!(
        refreshes[0].body["refresh_token"],
        before.refresh_token.as_str()
    );
    let stored = s.store.get_tokens(OA).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    for r in &results {
        assert_eq!(
            r.access_token, stored.access_token,
            "every caller ends with the same token"
        );
        assert_eq!(r.version, 2);
    }
    // the new token works and the old refresh token was never reused
    let client = ZaloClient::new(BaseUrls::all(&s.fake.base_url), Arc::new(Unlimited));
    client
        .send_text(
            &stored.access_token,
            &Recipient::User {
                user_id: "1".into(),
            },
            "ok",
        )
        .await
        .unwrap();
    assert_eq!(s.metrics.total("TokenRefreshed"), 1.0);
}

#[tokio::test]
async fn concurrent_refresh_is_single_flight_on_the_embedded_store() {
    let s = setup(embedded().await).await;
    ten_concurrent_refreshers_cause_one_refresh(&s).await;
}

/// The same single-flight guarantee with the lease and versioned writes on DynamoDB (moto).
#[tokio::test]
async fn concurrent_refresh_is_single_flight_on_dynamodb() {
    let Some(endpoint) = motcua_app::contract::moto_endpoint() else {
        return;
    };
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        // moto on loopback: plain HTTP (the SDK has no default client without its aws-lc TLS)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(aws_config::Region::new("ap-southeast-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("motcua-tokens-{}", uuid_like());
    motcua_dynamodb::create_table(&client, &table)
        .await
        .unwrap();
    let s = setup(Arc::new(motcua_dynamodb::DynamoStore::new(client, table))).await;
    ten_concurrent_refreshers_cause_one_refresh(&s).await;
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn a_refused_refresh_is_terminal_and_raises_the_alarm() {
    let s = setup(embedded().await).await;
    s.fake.fail_next(Endpoint::Token, Fault::Code(-14014), 1);
    let err = s.manager.after_rejection(OA, 1).await.unwrap_err();
    assert!(matches!(err, GrantError::ReconsentRequired { .. }), "{err}");
    assert_eq!(s.fake.count(Endpoint::Token), 1, "one attempt, no loop");
    assert_eq!(s.metrics.total("TokenRefreshFailed"), 1.0);
    assert_eq!(
        s.store.get_tokens(OA).await.unwrap().unwrap().version,
        1,
        "the stored pair is untouched"
    );
}

#[tokio::test]
async fn transient_failures_keep_the_grant_for_the_next_run() {
    let s = setup(embedded().await).await;
    s.fake.fail_next(Endpoint::Token, Fault::Http(503), 1);
    assert!(matches!(
        s.manager.after_rejection(OA, 1).await,
        Err(GrantError::Unavailable { .. })
    ));
    assert_eq!(s.metrics.total("TokenRefreshFailed"), 0.0);
    let t = s.manager.after_rejection(OA, 1).await.unwrap();
    assert_eq!(t.version, 2);
}

#[tokio::test]
async fn scheduled_refresh_waits_for_the_margin() {
    let s = setup(embedded().await).await;
    // 25 h token, 5 h margin: nothing to do for the first 20 h
    s.clock.advance(chrono::Duration::hours(19));
    assert!(matches!(
        s.manager.refresh_if_due(OA).await.unwrap(),
        RefreshOutcome::NotDue { .. }
    ));
    assert_eq!(s.fake.count(Endpoint::Token), 0);
    s.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        s.manager.refresh_if_due(OA).await.unwrap(),
        RefreshOutcome::Refreshed { version: 2 }
    );
    assert!(matches!(
        s.manager.refresh_if_due(OA).await.unwrap(),
        RefreshOutcome::NotDue { .. }
    ));
    // an expired access token is refreshed on use
    s.clock.advance(chrono::Duration::hours(26));
    assert_eq!(s.manager.access_token(OA).await.unwrap().version, 3);
}

#[tokio::test]
async fn a_rejected_token_gets_one_refresh_and_one_retry() {
    let s = setup(embedded().await).await;
    let client = ZaloClient::new(BaseUrls::all(&s.fake.base_url), Arc::new(Unlimited));
    let to = Recipient::User {
        user_id: "1".into(),
    };
    // Zalo stops honouring the stored access token before its expiry
    let stored = s.store.get_tokens(OA).await.unwrap().unwrap();
    s.fake.revoke_access_token(&stored.access_token);
    let sent = s
        .manager
        .call(OA, |token| {
            let (client, to) = (client.clone(), to.clone());
            async move { client.send_text(&token, &to, "xin chào").await }
        })
        .await
        .unwrap();
    assert!(!sent.message_id.is_empty());
    assert_eq!(s.fake.count(Endpoint::Token), 1);
    assert_eq!(
        s.fake.count(Endpoint::Cs),
        2,
        "the rejected call and its one retry"
    );

    // if the fresh token is rejected too, the error comes back: no second refresh, no loop
    s.fake.fail_next(Endpoint::Cs, Fault::Code(-216), 2);
    let err = s
        .manager
        .call(OA, |token| {
            let (client, to) = (client.clone(), to.clone());
            async move { client.send_text(&token, &to, "xin chào").await }
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, motcua_zalo::tokens::CallError::Zalo(ref e) if e.code == -216),
        "{err}"
    );
    assert_eq!(s.fake.count(Endpoint::Token), 2, "exactly one more refresh");
    assert_eq!(s.fake.count(Endpoint::Cs), 4);
}

#[tokio::test]
async fn first_grant_by_code_and_unknown_oa() {
    let s = setup(embedded().await).await;
    s.fake.add_auth_code("code-9", OA, "v");
    let t = s
        .manager
        .bootstrap_with_code(OA, "code-9", "v")
        .await
        .unwrap();
    assert_eq!(t.version, 2);
    assert!(matches!(
        s.manager.after_rejection("other-oa", 1).await,
        Err(GrantError::NoCredentials(_))
    ));
    assert!(matches!(
        s.manager.refresh_if_due("other-oa").await,
        Err(GrantError::NotBootstrapped(_))
    ));
}
