//! A generated stream of DVCQG bodies (tests/src/lives.rs: re-sends, swaps, poison) posted to
//! the local server's `POST /local/legacy-events`, then drained by its worker (the notifier's
//! batch handler on the embedded store, the in-process Zalo fake): time to post, time to drain,
//! bodies per second, peak memory. `DOSSIERS` (default 5000) sets the size.
//!
//! `cargo bench -p local --bench stream`

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use e2e::lives::{self, Mix};
use tower::ServiceExt;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dossiers: usize = std::env::var("DOSSIERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let mix = Mix {
        resend: 0.2,
        window: 5,
        poison: true,
    };
    let stream = lives::stream(42, dossiers, mix);
    // the generated stream itself (bodies and their truth) is held by this process
    let (with_stream, _) = e2e::rss_mib();
    let dir = tempfile::tempdir().unwrap();
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    let clock = std::sync::Arc::new(motcua_app::ManualClock::at("2027-06-01T03:00:00Z"));
    let state = local::open(dir.path(), &config, None, local::LOOKUPS_PER_MINUTE, clock)
        .await
        .unwrap();
    let app = local::router(state.clone(), true);
    let started = Instant::now();
    for body in &stream.bodies {
        let request = Request::post("/local/legacy-events")
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 202);
    }
    let posted = started.elapsed();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let drain_start = Instant::now();
    let worker = tokio::spawn(local::worker::run(state.clone(), stop_rx));
    while state.inbound.depth().await.unwrap() > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = drain_start.elapsed();
    stop_tx.send(true).unwrap();
    worker.await.unwrap();
    let sent = state.zalo_fake.as_ref().map_or(0, |f| f.delivered().len());
    let n = stream.bodies.len() as f64;
    println!(
        "local server: {dossiers} dossiers, {} bodies ({} poison): posted in {:.1} s ({:.0}/s), drained in {:.1} s ({:.0} bodies/s), {sent} messages sent; RSS {with_stream:.0} MiB with the stream generated, {:.0} MiB after draining, peak {:.0} MiB (the Zalo fake keeps every call)",
        stream.bodies.len(),
        stream.poison,
        posted.as_secs_f64(),
        n / posted.as_secs_f64(),
        drained.as_secs_f64(),
        n / drained.as_secs_f64(),
        e2e::rss_mib().0,
        e2e::rss_mib().1
    );
}
