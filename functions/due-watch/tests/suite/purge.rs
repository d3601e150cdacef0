//! The daily purge, driven as the schedule drives it: each tenant's retention decides, with the
//! injected clock; a run that runs out of time says so and the next one goes on.

use std::sync::Arc;
use std::time::Duration;

use due_watch::{DueSettings, DueWatch, Purge, PurgeSettings, Scheduled};
use motcua_app::metrics::RecordingMetrics;
use motcua_app::{ManualClock, Store, Tenancy, TenantFile};
use motcua_domain::{DossierCode, NationalStatus, TenantId};
use serde_json::json;

const TENANTS: &str = r#"
[[tenant]]
id = "tuyen-quang"
name = "Tuyên Quang"
agency_codes = ["H60"]
[tenant.retention]
dossiers_after_closing = 30
tickets_after_closing = 10

[[tenant]]
id = "bac-ninh"
name = "Bắc Ninh"
agency_codes = ["H27"]
"#;

fn returned(agency: &str, seq: u32, at: &str) -> motcua_domain::Dossier {
    let tenant = if agency == "H60" {
        "tuyen-quang"
    } else {
        "bac-ninh"
    };
    let code = format!("000.00.04.{agency}-260101-{seq:04}");
    let mut d = motcua_app::contract::dossier(tenant, &code, 1);
    d.status = NationalStatus::Returned;
    d.returned_at = Some(at.parse().unwrap());
    d.updated_at = at.parse().unwrap();
    d
}

fn jobs(store: Arc<dyn Store>, clock: Arc<ManualClock>, settings: PurgeSettings) -> Scheduled {
    let tenancy = Tenancy::new(TenantFile::parse(TENANTS).unwrap().tenant, |_| {
        Some(vec![7; 32])
    })
    .unwrap();
    let metrics = Arc::new(RecordingMetrics::default());
    Scheduled {
        watch: DueWatch {
            store: store.clone(),
            tenancy: tenancy.clone(),
            clock: clock.clone(),
            metrics: metrics.clone(),
            settings: DueSettings::default(),
        },
        sweep: due_watch::Sweep {
            store: store.clone(),
            tenancy: tenancy.clone(),
            outbound: Arc::new(motcua_app::RecordingQueue::default()),
            clock: clock.clone(),
            metrics: metrics.clone(),
        },
        announcements: due_watch::ScheduledStart {
            store: store.clone(),
            tenancy: tenancy.clone(),
            queue: Arc::new(motcua_app::RecordingQueue::default()),
            clock: clock.clone(),
        },
        purge: Purge {
            store,
            tenancy,
            clock,
            metrics,
            settings,
        },
    }
}

fn store() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap().keep();
    Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.join("db.redb"))
            .unwrap()
            .store(),
    )
}

async fn exists(store: &Arc<dyn Store>, tenant: &str, code: &str) -> bool {
    let t = TenantId::parse(tenant).unwrap();
    let c = DossierCode::parse(code).unwrap();
    store.load_dossier(&t, &c).await.unwrap().is_some()
}

/// A fresh table on moto (`AWS_ENDPOINT_URL`), or `None` to skip outside CI.
async fn moto_store() -> Option<Arc<dyn Store>> {
    let endpoint = motcua_app::contract::moto_endpoint()?;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        // moto on loopback: plain HTTP (the SDK has no default client without its aws-lc TLS)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(aws_config::Region::new("ap-southeast-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let table = format!("motcua-purge-{}-{nanos}", std::process::id());
    motcua_dynamodb::create_table(&client, &table)
        .await
        .unwrap();
    Some(Arc::new(motcua_dynamodb::DynamoStore::new(client, table)))
}

#[tokio::test]
async fn each_tenant_keeps_closed_dossiers_and_tickets_as_long_as_its_file_says() {
    retention_is_honoured(store()).await;
}

#[tokio::test]
async fn each_tenant_keeps_closed_dossiers_and_tickets_as_long_as_its_file_says_on_dynamodb() {
    if let Some(store) = moto_store().await {
        retention_is_honoured(store).await;
    }
}

async fn retention_is_honoured(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::at("2026-11-24T03:00:00Z"));
    let jobs = jobs(store.clone(), clock.clone(), PurgeSettings::default());
    let tq_old = returned("H60", 1, "2026-10-01T03:00:00Z"); // 54 days ago
    let tq_new = returned("H60", 2, "2026-11-10T03:00:00Z"); // 14 days ago
    let bn_old = returned("H27", 1, "2026-10-01T03:00:00Z");
    for d in [&tq_old, &tq_new, &bn_old] {
        store.upsert_dossier_if_newer(d).await.unwrap();
    }
    let tq = TenantId::parse("tuyen-quang").unwrap();
    let ticket = store
        .open_ticket(&motcua_domain::ticket::NewTicket {
            tenant: tq.clone(),
            user_id: "u1".into(),
            category: motcua_domain::ticket::TicketCategory::Question,
            agency: None,
            opened_at: "2026-11-01T00:00:00Z".parse().unwrap(),
            due_at: "2026-11-02T00:00:00Z".parse().unwrap(),
        })
        .await
        .unwrap();
    let mut closed = ticket.clone();
    closed.status = motcua_domain::ticket::TicketStatus::Closed;
    closed.updated_at = "2026-11-12T00:00:00Z".parse().unwrap(); // 12 days ago
    store.update_ticket(&closed).await.unwrap();

    let report = jobs.run(&json!({"job": "purge"})).await.unwrap();
    assert_eq!(report["dossiers"], 1);
    assert_eq!(report["tickets"], 1);
    assert_eq!(report["unfinished"], false);
    assert!(!exists(&store, "tuyen-quang", tq_old.code.as_str()).await);
    assert!(exists(&store, "tuyen-quang", tq_new.code.as_str()).await);
    assert!(
        exists(&store, "bac-ninh", bn_old.code.as_str()).await,
        "Bắc Ninh keeps closed dossiers for the default 365 days"
    );
    assert_eq!(store.get_ticket(&tq, ticket.number).await.unwrap(), None);

    // 400 days on, under the same schedule, everything closed is past its time
    clock.set_at("2027-12-29T03:00:00Z");
    let report = jobs.run(&json!({"job": "purge"})).await.unwrap();
    assert_eq!(report["dossiers"], 2);
    assert!(!exists(&store, "bac-ninh", bn_old.code.as_str()).await);
}

#[tokio::test]
async fn a_run_out_of_time_stops_and_the_next_goes_on() {
    let store = store();
    let clock = Arc::new(ManualClock::at("2026-11-24T03:00:00Z"));
    for seq in 1..=3 {
        let d = returned("H60", seq, "2026-01-01T03:00:00Z");
        store.upsert_dossier_if_newer(&d).await.unwrap();
    }
    let tight = PurgeSettings {
        batch: 1,
        time_budget: Duration::ZERO,
    };
    let jobs = jobs(store.clone(), clock, tight);
    let first = jobs.run(&json!({"job": "purge"})).await.unwrap();
    assert_eq!(
        (first["dossiers"].as_u64(), first["unfinished"].as_bool()),
        (Some(1), Some(true))
    );
    jobs.run(&json!({"job": "purge"})).await.unwrap();
    jobs.run(&json!({"job": "purge"})).await.unwrap();
    for seq in 1..=3 {
        let code = format!("000.00.04.H60-260101-{seq:04}");
        assert!(!exists(&store, "tuyen-quang", &code).await, "{code}");
    }
}

#[tokio::test]
async fn the_schedule_input_names_the_job() {
    let clock = Arc::new(ManualClock::at("2026-11-24T03:00:00Z"));
    let jobs = jobs(store(), clock, PurgeSettings::default());
    let watch = jobs.run(&json!({})).await.unwrap();
    assert_eq!(watch, json!({"due_soon": 0, "overdue": 0}));
    assert_eq!(jobs.run(&json!({"job": "due_watch"})).await.unwrap(), watch);
    assert_eq!(
        jobs.run(&json!({"job": "sweep"})).await.unwrap(),
        json!({"expired": 0, "messages_expired": 0, "reported": 0, "left": 0, "unfinished": false})
    );
    assert_eq!(
        jobs.run(&json!({"job": "announcements"})).await.unwrap(),
        json!({"started": 0, "not_queued": 0})
    );
    let err = jobs.run(&json!({"job": "purge-all"})).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown job \"purge-all\" in the schedule's input (expected \"due_watch\", \"purge\", \"sweep\" or \"announcements\")"
    );
}
