//! One scheduled run over two OAs against the Zalo fake: the due one is refreshed, the fresh one
//! left alone, and a refused grant is reported without a retry loop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use motcua_app::ManualClock;
use motcua_app::metrics::RecordingMetrics;
use motcua_zalo::*;
use motcua_zalo_fake::{Endpoint, Fault, ZaloFake};

#[tokio::test]
async fn refreshes_what_is_due_and_reports_refusals() {
    let fake = ZaloFake::start().await;
    fake.add_app("app", "secret");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.path().join("db.redb"))
            .unwrap()
            .store(),
    );
    let client = ZaloClient::new(BaseUrls::all(&fake.base_url), Arc::new(Unlimited));
    let app = AppCredentials {
        app_id: "app".into(),
        app_secret: "secret".into(),
    };
    let apps = HashMap::from([
        ("oa-due".to_string(), app.clone()),
        ("oa-fresh".to_string(), app.clone()),
        ("oa-refused".to_string(), app),
    ]);
    let metrics = Arc::new(RecordingMetrics::default());
    let manager = TokenManager::new(
        store,
        client,
        apps,
        Arc::new(ManualClock::at("2026-11-24T03:00:00Z")),
        metrics.clone(),
        TokenSettings::default(),
    );
    for (oa, lifetime) in [("oa-due", 3600), ("oa-fresh", 90_000), ("oa-refused", 60)] {
        let (access_token, refresh_token) = fake.issue_tokens(oa);
        manager
            .install(
                oa,
                &TokenPair {
                    access_token,
                    refresh_token,
                    expires_in: Duration::from_secs(lifetime),
                },
            )
            .await
            .unwrap();
    }
    // the second refresh call (oa-refused, in id order) is refused by Zalo
    fake.fail_next(Endpoint::Token, Fault::Delay(Duration::ZERO), 1);
    fake.fail_next(Endpoint::Token, Fault::Code(-14014), 1);

    let report = token_refresher::run(&manager).await;
    assert_eq!(report.refreshed, vec!["oa-due".to_string()]);
    assert_eq!(report.not_due, vec!["oa-fresh".to_string()]);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, "oa-refused");
    assert!(
        report.failed[0].1.contains("consent again"),
        "{}",
        report.failed[0].1
    );
    assert_eq!(
        fake.count(Endpoint::Token),
        2,
        "one call per due OA, no retry loop"
    );
    assert_eq!(metrics.total("TokenRefreshFailed"), 1.0);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains("fake-access") && !json.contains("fake-refresh"),
        "no token in the report"
    );
}
