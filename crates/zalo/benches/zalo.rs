//! Figures for BENCHMARKS.md: `cargo bench -p motcua-zalo`.
//! - webhook signature verification and typed parse, per event;
//! - client overhead per send against the in-process Zalo fake (p50/p99), sequential and with
//!   32 concurrent senders.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use motcua_zalo::events::{Envelope, WebhookEvent};
use motcua_zalo::signature::{self, SignatureSettings};
use motcua_zalo::*;
use motcua_zalo_fake::ZaloFake;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn webhook() {
    let names = [
        "user_send_text",
        "follow",
        "user_send_image",
        "user_submit_info_full_address",
        "user_received_message_zns",
    ];
    let settings = SignatureSettings {
        app_ids: vec!["1234567890123456789".into()],
        oa_id: "579745863508352884".into(),
        oa_secret_key: "bench-secret".into(),
        app_secret_fallback: None,
        allow_oa_id_first_term: false,
    };
    for name in names {
        let raw = std::fs::read(format!(
            "{}/../../events/zalo-webhook/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let (env, _) = Envelope::parse(&raw).unwrap();
        let header = signature::sign(&env.app_id, &raw, &env.timestamp, "bench-secret");
        let rounds = 100_000u32;
        let start = Instant::now();
        for _ in 0..rounds {
            let (env, _) = Envelope::parse(black_box(&raw)).unwrap();
            signature::verify(&settings, Some(&header), &raw, &env.app_id, &env.timestamp).unwrap();
            black_box(WebhookEvent::parse(&raw).unwrap());
        }
        let per = start.elapsed() / rounds;
        println!(
            "webhook verify+parse {name:<32} {:>6.2} µs/event ({} bytes)",
            per.as_nanos() as f64 / 1000.0,
            raw.len()
        );
    }
}

async fn client() {
    let fake = ZaloFake::start().await;
    let (token, _) = fake.issue_tokens("oa");
    // Overhead only: the production budget (4,000/min) would throttle this run after the
    // first minute's worth of sends; the limiter's own cost is one uncontended lock per call.
    let client = ZaloClient::new(BaseUrls::all(&fake.base_url), Arc::new(Unlimited));
    let to = Recipient::User {
        user_id: "7001234567890123456".into(),
    };
    for _ in 0..200 {
        client.send_text(&token, &to, "khởi động").await.unwrap();
    }
    let mut lat = Vec::new();
    for i in 0..3000 {
        let t = Instant::now();
        client
            .send_text(&token, &to, &format!("Hồ sơ {i} đã được tiếp nhận"))
            .await
            .unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    println!(
        "client send_text vs fake, sequential: p50 {:?} p99 {:?} (n={}, includes the fake's own handling)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.len()
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..32 {
        let (client, token, to) = (client.clone(), token.clone(), to.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for i in 0..100 {
                let t = Instant::now();
                client
                    .send_text(&token, &to, &format!("{w}-{i}"))
                    .await
                    .unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    lat.sort();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "client send_text vs fake, 32 concurrent: p50 {:?} p99 {:?}, {:.0} sends/s",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.len() as f64 / secs
    );
}

fn main() {
    webhook();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(client());
}
