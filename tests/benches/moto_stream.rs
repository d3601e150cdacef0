//! A generated stream of DVCQG bodies through the notifier's batch handler on DynamoDB (moto on
//! loopback) and the strict Zalo fake: drain time, bodies per second, peak memory. moto answers
//! far slower than DynamoDB, so this measures our side's request count more than a real table.
//! `DOSSIERS` (default 300); needs `AWS_ENDPOINT_URL` (infra/scripts/moto.sh start).
//!
//! `cargo bench -p e2e --bench moto_stream`

use std::sync::Arc;
use std::time::Instant;

use e2e::Rig;

#[path = "../tests/moto/mod.rs"]
mod moto;
use e2e::lives::{self, Mix};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        println!(
            "moto_stream: AWS_ENDPOINT_URL is not set; start moto (infra/scripts/moto.sh start)"
        );
        return;
    };
    let dossiers: usize = std::env::var("DOSSIERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let store = Arc::new(moto::table(&endpoint, "motcua-bench").await);
    let rig = Rig::new(Some(store)).await;
    let mix = Mix {
        resend: 0.2,
        window: 5,
        poison: true,
    };
    let stream = lives::stream(42, dossiers, mix);
    let started = Instant::now();
    let drained = rig.drain(&stream.bodies).await;
    let took = started.elapsed().as_secs_f64();
    println!(
        "notifier on DynamoDB (moto): {dossiers} dossiers, {} bodies: drained in {took:.1} s ({:.0} bodies/s), {} dead letters, {} ZNS sent, RSS {:.0} MiB, peak {:.0} MiB",
        stream.bodies.len(),
        stream.bodies.len() as f64 / took,
        drained.dead.len(),
        rig.fake.delivered().len(),
        e2e::rss_mib().0,
        e2e::rss_mib().1
    );
}
