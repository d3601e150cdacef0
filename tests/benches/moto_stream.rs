//! A generated stream of DVCQG bodies through the notifier's batch handler on DynamoDB (moto on
//! loopback) and the strict Zalo fake: drain time, bodies per second, peak memory. moto answers
//! far slower than DynamoDB, so this measures our side's request count more than a real table.
//! `DOSSIERS` (default 300); needs `AWS_ENDPOINT_URL` (infra/scripts/moto.sh start).
//!
//! `cargo bench -p e2e --bench moto_stream`

use std::sync::Arc;
use std::time::Instant;

use e2e::Rig;
use e2e::lives::{self, Mix};

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

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
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("ap-southeast-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("motcua-bench-{}", uuid::Uuid::new_v4().simple());
    motcua_dynamodb::create_table(&client, &table)
        .await
        .unwrap();
    let store = Arc::new(motcua_dynamodb::DynamoStore::new(client, table));
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
        "notifier on DynamoDB (moto): {dossiers} dossiers, {} bodies: drained in {took:.1} s ({:.0} bodies/s), {} dead letters, {} ZNS sent, peak RSS {:.0} MiB",
        stream.bodies.len(),
        stream.bodies.len() as f64 / took,
        drained.dead.len(),
        rig.fake.delivered().len(),
        peak_rss_mib()
    );
}
