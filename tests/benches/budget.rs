//! The cost the shared Zalo budget adds to every Zalo call: one `take_budget` (a conditional
//! write) per call, on the embedded store and on DynamoDB (moto on loopback, which answers far
//! slower than DynamoDB in a region; set `AWS_ENDPOINT_URL`). Sequential calls, as one sending
//! task makes them, then 8 concurrent tasks on the same key (the contention of a busy minute).
//!
//! `cargo bench -p e2e --bench budget` (`CALLS`, default 2000)

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use motcua_app::Store;

#[path = "../tests/moto/mod.rs"]
mod moto;

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    let start: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
    (start, start + chrono::Duration::minutes(2))
}

async fn measure(name: &str, store: Arc<dyn Store>, calls: usize) {
    let (start, expires) = window();
    let mut each = Vec::with_capacity(calls);
    let began = Instant::now();
    for i in 0..calls {
        let t = Instant::now();
        let key = format!("bench-seq-{}", i / 1000);
        assert!(
            store
                .take_budget(&key, start, 1_000_000, expires)
                .await
                .unwrap()
        );
        each.push(t.elapsed());
    }
    let total = began.elapsed();
    each.sort();
    let pct = |p: f64| each[((each.len() as f64 * p) as usize).min(each.len() - 1)];
    println!(
        "{name}: {calls} sequential takes in {:.2} s: p50 {:?}, p99 {:?}, max {:?}",
        total.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        each[each.len() - 1]
    );
    let began = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..calls / 8 {
                    store
                        .take_budget("bench-concurrent", start, 1_000_000, expires)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let total = began.elapsed();
    println!(
        "{name}: {} takes from 8 concurrent tasks on one key in {:.2} s ({:.0} takes/s)",
        calls / 8 * 8,
        total.as_secs_f64(),
        (calls / 8 * 8) as f64 / total.as_secs_f64().max(f64::EPSILON)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let calls: usize = std::env::var("CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let redb: Arc<dyn Store> = Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.path().join("budget.redb"))
            .unwrap()
            .store(),
    );
    measure("embedded (redb)", redb, calls).await;
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(endpoint) => {
            let store: Arc<dyn Store> = Arc::new(moto::table(&endpoint, "motcua-budget").await);
            measure("DynamoDB (moto)", store, calls).await;
        }
        Err(_) => println!(
            "DynamoDB: AWS_ENDPOINT_URL is not set; start moto (infra/scripts/moto.sh start)"
        ),
    }
}
