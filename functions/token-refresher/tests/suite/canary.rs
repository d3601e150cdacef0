//! The hourly canary against the Zalo fake: a tenant that names a staff tester gets one
//! consultation message per run through the real client and tokens; a refusal is reported and
//! alarmed with its reason; in the quiet hours nothing is sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use motcua_app::ManualClock;
use motcua_app::canary::Canary;
use motcua_app::metrics::RecordingMetrics;
use motcua_app::tenancy::{Tenancy, TenantFile};
use motcua_zalo::*;
use motcua_zalo_fake::{Endpoint, Fault, ZaloFake};

const TENANTS: &str = r#"
[[tenant]]
id = "tuyen-quang"
name = "Tuyên Quang"
agency_codes = ["H60"]
oa_id = "oa-1"
[tenant.canary]
zalo_user = "8801234567890"

[[tenant]]
id = "bac-ninh"
name = "Bắc Ninh"
agency_codes = ["H05"]
oa_id = "oa-2"
"#;

#[tokio::test]
async fn the_canary_reaches_the_tester_and_alarms_when_zalo_refuses() {
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
    let clock = Arc::new(ManualClock::at("2026-11-24T03:00:00Z")); // 10:00 in Vietnam
    let metrics = Arc::new(RecordingMetrics::default());
    let tokens = Arc::new(TokenManager::new(
        store,
        client.clone(),
        HashMap::from([("oa-1".to_string(), app)]),
        clock.clone(),
        metrics.clone(),
        TokenSettings::default(),
    ));
    let (access_token, refresh_token) = fake.issue_tokens("oa-1");
    let pair = TokenPair {
        access_token,
        refresh_token,
        expires_in: Duration::from_secs(90_000),
    };
    tokens.install("oa-1", &pair).await.unwrap();
    let tenancy = Tenancy::new(TenantFile::parse(TENANTS).unwrap().tenant, |_| {
        Some(vec![7; 32])
    })
    .unwrap();
    let canary = Canary {
        tenancy,
        messenger: Arc::new(ZaloMessenger::new(client, tokens)),
        clock: clock.clone(),
        metrics: metrics.clone(),
    };

    let report = canary.run().await;
    assert_eq!(report.ok, ["tuyen-quang"], "{report:?}");
    assert!(report.failed.is_empty(), "bac-ninh names no tester");
    let sent = fake.delivered();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient().as_deref(), Some("8801234567890"));
    let text = sent[0].text().unwrap();
    assert!(
        text.starts_with("Kiểm tra định kỳ lúc 10:00 24/11/2026"),
        "{text}"
    );
    assert_eq!(metrics.values("CanarySeconds").len(), 1);
    assert_eq!(metrics.total("CanaryFailed"), 0.0);

    // the tester has not written to the OA for a week: Zalo refuses, the canary says why
    fake.fail_next(Endpoint::Cs, Fault::Code(-230), 1);
    let report = canary.run().await;
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(
        report.failed[0].1.contains("OutsideWindow"),
        "{:?}",
        report.failed
    );
    assert!(
        !report.failed[0].1.contains("8801234567890"),
        "no user id in the report"
    );
    assert_eq!(
        metrics.total_where("CanaryFailed", "Tenant", "tuyen-quang"),
        1.0
    );

    // 23:00 in Vietnam: no phone buzzes for a check
    clock.set_at("2026-11-24T16:00:00Z");
    let report = canary.run().await;
    assert_eq!(report.quiet, ["tuyen-quang"]);
    assert_eq!(fake.count(Endpoint::Cs), 2, "nothing sent at night");
}
