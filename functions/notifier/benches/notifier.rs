//! Figures for BENCHMARKS.md: `cargo bench -p notifier`. One notifier instance (as one Lambda
//! would run it) on the embedded store, against the in-process Zalo fake.

use std::sync::Arc;
use std::time::{Duration, Instant};

use motcua_app::metrics::RecordingMetrics;
use motcua_app::notify::{Notifier, NotifierSettings};
use motcua_app::{Clock, ManualClock, Queue, QueueMessage, Store, TenantFile};
use motcua_config::{Deployment, Secrets, TenantSecrets};
use motcua_domain::{PhoneNumber, TenantId};
use motcua_embedded::{EmbeddedDb, QueueSettings};
use motcua_zalo::*;
use motcua_zalo_fake::ZaloFake;
use notifier::Ack;

const OA: &str = "579745863508352884";

struct Setup {
    fake: ZaloFake,
    notifier: Notifier,
    db: EmbeddedDb,
    _dir: tempfile::TempDir,
}

async fn setup(limiter: Arc<dyn RateLimiter>, linked: u32) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = EmbeddedDb::open(dir.path().join("db.redb")).unwrap();
    let store: Arc<dyn Store> = Arc::new(db.store());
    let fake = ZaloFake::start().await;
    fake.add_app("app", "secret");
    let toml = "[[tenant]]\nid = \"tuyen-quang\"\nname = \"Tuyên Quang\"\nagency_codes = [\"H60\"]\noa_id = \"579745863508352884\"\n[tenant.zalo]\napp_id = \"app\"\nzns_templates = { received = \"1\" }\n";
    let secrets = Secrets {
        tenants: [(
            "tuyen-quang".to_string(),
            TenantSecrets {
                pii_secret: "YmVuY2htYXJrLXBpaS1zZWNyZXQtb2YtYXQtbGVhc3QtMzItYnl0ZXM=".into(),
                zalo_oa_secret_key: Some("oa".into()),
                zalo_app_secret: Some("secret".into()),
                ..TenantSecrets::default()
            },
        )]
        .into(),
    };
    let deployment = Deployment::new(TenantFile::parse(toml).unwrap().tenant, secrets).unwrap();
    let clock = Arc::new(ManualClock::at("2026-11-24T03:00:00Z"));
    let metrics = Arc::new(RecordingMetrics::default());
    let client = ZaloClient::new(BaseUrls::all(&fake.base_url), limiter);
    let tokens = Arc::new(TokenManager::new(
        store.clone(),
        client.clone(),
        motcua_runtime::app_credentials(&deployment),
        clock.clone(),
        metrics.clone(),
        TokenSettings::default(),
    ));
    let (access_token, refresh_token) = fake.issue_tokens(OA);
    let expires_in = Duration::from_secs(90_000);
    let pair = TokenPair {
        access_token,
        refresh_token,
        expires_in,
    };
    tokens.install(OA, &pair).await.unwrap();
    let tenant = TenantId::parse("tuyen-quang").unwrap();
    let keys = deployment.tenancy.keys(&tenant).unwrap().clone();
    for n in 0..linked {
        let p = keys.protect_phone(&PhoneNumber::parse(&format!("0912{n:06}")).unwrap());
        let at = clock.now() - chrono::Duration::hours(1);
        store
            .set_following(&tenant, &format!("u{n}"), true, at)
            .await
            .unwrap();
        store
            .link_phone(&tenant, &format!("u{n}"), &p, at)
            .await
            .unwrap();
        store
            .record_interaction(&tenant, &format!("u{n}"), at)
            .await
            .unwrap();
    }
    let notifier = Notifier {
        outbound: Arc::new(motcua_app::RecordingQueue::default()),
        store,
        tenancy: deployment.tenancy,
        messenger: Arc::new(ZaloMessenger::new(client, tokens)),
        clock,
        metrics,
        settings: NotifierSettings {
            max_retry_delay: Duration::from_millis(20),
            ..NotifierSettings::default()
        },
        sms: None,
    };
    Setup {
        fake,
        notifier,
        db,
        _dir: dir,
    }
}

fn event(n: u32) -> String {
    format!(
        r#"{{"schema_version":1,"event_id":"b-{n}","type":"received","occurred_at":"2026-11-24T09:00:00+07:00","version":1,
        "dossier":{{"code":"000.00.04.H60-261124-{n:06}","procedure_name":"Cấp phiếu lý lịch tư pháp","applicant_name":"Người nộp {n}",
        "phone":"0912{n:06}","due_at":"2026-12-01T17:00:00+07:00","status":2}}}}"#
    )
}

fn msg(n: u32) -> QueueMessage {
    QueueMessage {
        message_id: n.to_string(),
        receipt: format!("{n}/1"),
        body: event(n),
        receive_count: 1,
        dead_letter_reason: None,
        sent_at: None,
    }
}

/// Lambda-style: batches of 10 processed concurrently, one batch after another.
async fn throughput(label: &str, latency: Duration, events: u32) {
    let s = setup(Arc::new(Unlimited), events).await;
    s.fake.set_latency(latency);
    let queue = s.db.queue("bench", QueueSettings::default());
    let start = Instant::now();
    let mut batch_times = Vec::new();
    for first in (0..events).step_by(10) {
        let batch: Vec<QueueMessage> = (first..first + 10).map(msg).collect();
        let t = Instant::now();
        let acks = notifier::process_batch(&s.notifier, &queue, &batch).await;
        batch_times.push(t.elapsed());
        assert!(acks.iter().all(|a| *a == Ack::Delete));
    }
    let secs = start.elapsed().as_secs_f64();
    batch_times.sort();
    assert_eq!(s.fake.delivered().len() as u32, events);
    println!(
        "notifier {label}: {events} events in {secs:.2} s = {:.0} events/s; batch of 10: p50 {:?}, p99 {:?}",
        events as f64 / secs,
        batch_times[batch_times.len() / 2],
        batch_times[batch_times.len() * 99 / 100]
    );
}

/// A backlog drained through the queue loop while the fake allows `limit` calls per second.
async fn backlog(events: u32, limit: usize) {
    let limiter = Arc::new(SlidingWindowLimiter::new(
        limit,
        Duration::from_millis(1050),
    ));
    let s = setup(limiter, 0).await; // nobody linked: every event is a ZNS call
    s.fake.set_rate_limit(limit, Duration::from_secs(1));
    let queue = s.db.queue(
        "backlog",
        QueueSettings {
            visibility_timeout: Duration::from_secs(5),
            max_receives: 50,
        },
    );
    for n in 0..events {
        queue.send(&event(n)).await.unwrap();
    }
    let start = Instant::now();
    while queue.depth().await.unwrap() > 0 {
        let batch = queue.receive(10, Duration::from_millis(100)).await.unwrap();
        for (m, ack) in batch
            .iter()
            .zip(notifier::process_batch(&s.notifier, &queue, &batch).await)
        {
            if ack == Ack::Delete {
                queue.delete(&m.receipt).await.unwrap();
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let sent = s.fake.delivered().len();
    let rate = sent as f64 / secs;
    println!(
        "backlog: {events} events drained in {secs:.1} s, {sent} sent = {rate:.0}/s vs limit {limit}/s ({:.0} %), -32 answered: {}",
        100.0 * rate / limit as f64,
        s.fake.rate_limited()
    );
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        throughput("fake at 0 ms", Duration::ZERO, 2000).await;
        throughput("fake at 100 ms", Duration::from_millis(100), 300).await;
        println!(
            "peak RSS after the throughput runs: {:.1} MiB",
            peak_rss_mib()
        );
        backlog(10_000, 200).await;
        println!(
            "peak RSS of the whole bench process: {:.1} MiB",
            peak_rss_mib()
        );
    });
}
