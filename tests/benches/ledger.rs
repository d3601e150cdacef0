//! What the delivery ledger costs. Per notice: its record's creation and first report (two
//! conditional writes, one counter, one queue send), then a receipt (one more of each). Then
//! the sweep: notices accepted with a receipt overdue, each expired and reported, 100 a round.
//! On the embedded store and on DynamoDB (moto on loopback, far slower than DynamoDB in a
//! region; set `AWS_ENDPOINT_URL`).
//!
//! `cargo bench -p e2e --bench ledger` (`NOTICES`, default 2000; `SWEEP`, default 100000 on
//! redb and `MOTO_SWEEP`, default 2000, on moto)

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use motcua_app::delivery::Ledger;
use motcua_app::metrics::RecordingMetrics;
use motcua_app::{RecordingQueue, Store};
use motcua_domain::delivery::{Delivery, DeliveryState, NewDelivery, Recipient, Subject};
use motcua_domain::{DossierCode, EventKind, TenantId};

#[path = "../tests/moto/mod.rs"]
mod moto;

fn t0() -> DateTime<Utc> {
    "2026-11-20T03:00:00Z".parse().unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse("tuyen-quang").unwrap()
}

fn code(i: usize) -> DossierCode {
    format!("000.00.04.H60-261110-{:06}", i % 1_000_000)
        .parse()
        .unwrap()
}

fn notice(run: &str, i: usize) -> Delivery {
    let new = NewDelivery {
        tenant: tenant(),
        subject: Subject::Dossier {
            code: code(i),
            event_id: format!("{run}-{i}"),
        },
        kind: Some(EventKind::Received),
        recipient: Recipient::Phone(format!("{:064x}", i)),
        channel: "zns".into(),
        price_class: "zns".into(),
        template: Some("300001".into()),
        text_version: "0123456789ab".into(),
        expires_at: None,
    };
    Delivery::accepted(
        new,
        format!("msg-{run}-{i}"),
        Some(format!("hs-{i}")),
        t0(),
        chrono::Duration::hours(72),
    )
}

fn ledger(store: Arc<dyn Store>) -> (Ledger, Arc<RecordingQueue>) {
    let outbound = Arc::new(RecordingQueue::default());
    let ledger = Ledger {
        store,
        outbound: outbound.clone(),
        metrics: Arc::new(RecordingMetrics::default()),
    };
    (ledger, outbound)
}

fn percentiles(mut each: Vec<Duration>) -> String {
    each.sort();
    let pct = |p: f64| each[((each.len() as f64 * p) as usize).min(each.len() - 1)];
    format!("p50 {:?}, p99 {:?}", pct(0.50), pct(0.99))
}

async fn per_notice(name: &str, store: Arc<dyn Store>, n: usize) {
    let (ledger, outbound) = ledger(store);
    let (mut opened, mut received) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let d = notice("life", i);
        let t = Instant::now();
        ledger.create(&d).await.unwrap();
        assert_eq!(ledger.flush(&d.tenant, &d.subject).await.unwrap(), 1);
        opened.push(t.elapsed());
        let t = Instant::now();
        let at = t0() + chrono::Duration::seconds(5);
        assert!(
            ledger
                .receipt(&d.tenant, &d.subject, DeliveryState::Delivered, at)
                .await
                .unwrap()
        );
        received.push(t.elapsed());
    }
    assert_eq!(outbound.sent().len(), 2 * n);
    println!(
        "{name}: {n} notices; record + first status: {}; receipt + status: {}",
        percentiles(opened),
        percentiles(received)
    );
}

async fn sweep(name: &str, store: Arc<dyn Store>, n: usize) {
    let began = Instant::now();
    for i in 0..n {
        let mut d = notice("sweep", i);
        d.reported = 1;
        assert!(store.put_delivery(&d, None).await.unwrap());
    }
    let setup = began.elapsed();
    let (ledger, outbound) = ledger(store);
    let now = t0() + chrono::Duration::hours(73);
    let began = Instant::now();
    let budget = Duration::from_secs(24 * 3600);
    let swept = ledger.sweep(&tenant(), now, 100, budget).await.unwrap();
    let took = began.elapsed();
    assert_eq!((swept.expired, swept.reported, swept.left), (n, n, 0));
    assert_eq!(outbound.sent().len(), n);
    println!(
        "{name}: sweep of {n} overdue notices in {:.1} s ({:.2} ms each; writing them took {:.1} s)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / n as f64,
        setup.as_secs_f64()
    );
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let notices = env("NOTICES", 2000);
    let dir = tempfile::tempdir().unwrap();
    let redb: Arc<dyn Store> = Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.path().join("ledger.redb"))
            .unwrap()
            .store(),
    );
    per_notice("embedded (redb)", redb.clone(), notices).await;
    sweep("embedded (redb)", redb, env("SWEEP", 100_000)).await;
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(endpoint) => {
            let store: Arc<dyn Store> = Arc::new(moto::table(&endpoint, "motcua-ledger").await);
            per_notice("DynamoDB (moto)", store.clone(), notices).await;
            sweep("DynamoDB (moto)", store, env("MOTO_SWEEP", 2000)).await;
        }
        Err(_) => println!(
            "DynamoDB: AWS_ENDPOINT_URL is not set; start moto (infra/scripts/moto.sh start)"
        ),
    }
}
