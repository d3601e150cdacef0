//! Cross-function end-to-end tests (the design card's `tests/`): generated one-stop data driven
//! through the real handlers to a Zalo fake as strict as Zalo. `lives` builds the data from the
//! documented contract; `Rig` wires the notifier to a store, a queue and the fake.

pub mod lives;

use std::sync::Arc;
use std::time::Duration;

use motcua_app::metrics::RecordingMetrics;
use motcua_app::notify::{Notifier, NotifierSettings};
use motcua_app::{ManualClock, Queue, RecordingQueue, Store, TenantFile};
use motcua_config::{Deployment, Secrets, TenantSecrets};
use motcua_embedded::{EmbeddedDb, EmbeddedQueue, QueueSettings};
use motcua_zalo::{
    BaseUrls, TokenManager, TokenPair, TokenSettings, Unlimited, ZaloClient, ZaloMessenger,
};
use motcua_zalo_fake::ZaloFake;

pub const OA: &str = "579745863508352884";
const APP: &str = "1234567890123456789";

/// Tuyên Quang after the 2025 merger (H60 and Hà Giang's H22), a ZNS template for every kind.
pub const TENANTS: &str = r#"
[[tenant]]
id = "tuyen-quang"
name = "Tuyên Quang"
agency_codes = ["H60", "H22"]
oa_id = "579745863508352884"
[tenant.zalo]
app_id = "1234567890123456789"
zns_templates = { submitted = "400000", received = "400001", step_changed = "400002", supplement_requested = "400003", fee_requested = "400004", rejected = "400005", withdrawn = "400006", processing_stopped = "400007", overdue_apology = "400008", result_ready = "400009", result_returned = "400010" }
[tenant.notify]
# DVCQG payloads record no consent: this province records it at the counter (RUNBOOK, "Consent")
without_consent = "notify"
"#;

/// The templates as a province registers them with Zalo, from infra/RUNBOOK.md's table ("ZNS
/// templates"): (template id, kind, declared parameters with Zalo's maximum lengths). Written
/// from the document, not from the catalogue, so that the fake holds our code to it.
pub const REGISTERED: [(&str, &str, Params); 11] = [
    ("400000", "submitted", BASE),
    ("400001", "received", BASE),
    ("400002", "step_changed", BASE),
    ("400003", "supplement_requested", REASON),
    ("400004", "fee_requested", FEE),
    ("400005", "rejected", REASON),
    ("400006", "withdrawn", BASE),
    ("400007", "processing_stopped", REASON),
    ("400008", "overdue_apology", REASON),
    ("400009", "result_ready", BASE),
    ("400010", "result_returned", BASE),
];
/// Declared parameters with their maximum lengths.
pub type Params = &'static [(&'static str, usize)];

const BASE: Params = &[
    ("ma_ho_so", 30),
    ("ten_thu_tuc", 100),
    ("trang_thai", 50),
    ("ngay_hen_tra", 20),
];
const REASON: Params = &[
    ("ma_ho_so", 30),
    ("ten_thu_tuc", 100),
    ("trang_thai", 50),
    ("ngay_hen_tra", 20),
    ("ly_do", 200),
];
const FEE: Params = &[
    ("ma_ho_so", 30),
    ("ten_thu_tuc", 100),
    ("trang_thai", 50),
    ("ngay_hen_tra", 20),
    ("so_tien", 20),
];

/// The template key of a registered template id.
pub fn kind_of_template(id: &str) -> Option<&'static str> {
    REGISTERED
        .iter()
        .find(|(t, _, _)| *t == id)
        .map(|(_, k, _)| *k)
}

/// How many seeds each generated-stream test on redb runs: `MOTCUA_STREAM_SEEDS`, 8 where it
/// is unset (the DynamoDB tests on moto run one stream each, and none below 2). The test
/// command's plain pass runs them all; its two date-shifted passes run 1, since they look for a
/// decision taken from the wall clock, which every seed shows (infra/test.sh). A soak run sets
/// more.
pub fn stream_seeds() -> u64 {
    match std::env::var("MOTCUA_STREAM_SEEDS") {
        Err(_) => 8,
        Ok(v) => {
            v.parse().ok().filter(|n| *n > 0).unwrap_or_else(|| {
                panic!("MOTCUA_STREAM_SEEDS must be a positive integer, not {v:?}")
            })
        }
    }
}

/// A scratch directory for a test store: in memory (`/dev/shm`) where the machine has it, so
/// that the many small commits of a long stream do not each wait for a disk flush.
pub fn scratch() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::Builder::new()
            .prefix("motcua-e2e")
            .tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

/// This process's resident memory now and at its peak, MiB (`/proc/self/status`; NaN where
/// there is none), for the stream benches.
pub fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub struct Rig {
    pub fake: ZaloFake,
    pub notifier: Notifier,
    pub store: Arc<dyn Store>,
    pub queue: EmbeddedQueue,
    /// The outbound queue: what the one-stop system would read.
    pub outbound: Arc<RecordingQueue>,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

impl Rig {
    /// The notifier on `store` (a fresh one), the embedded queue, and the strict fake.
    pub async fn new(store: Option<Arc<dyn Store>>) -> Rig {
        let dir = scratch();
        let db = EmbeddedDb::open(dir.path().join("e2e.redb")).unwrap();
        let store = store.unwrap_or_else(|| Arc::new(db.store()));
        let queue = db.queue(
            "inbound",
            QueueSettings {
                visibility_timeout: Duration::from_millis(200),
                max_receives: 1_000,
            },
        );
        let fake = ZaloFake::start().await;
        fake.add_app(APP, "app-secret");
        for (id, _, params) in REGISTERED {
            fake.register_template(id, params);
        }
        // every generated life is over by then; decisions take this time, not the machine's
        let clock = Arc::new(ManualClock::at("2027-06-01T03:00:00Z"));
        let secrets = Secrets {
            tenants: [(
                "tuyen-quang".to_string(),
                TenantSecrets {
                    pii_secret: "ZTJlLXBpaS1zZWNyZXQtZm9yLXRoZS1nZW5lcmF0ZWQtc3RyZWFtcw==".into(),
                    zalo_oa_secret_key: Some("oa-secret".into()),
                    zalo_app_secret: Some("app-secret".into()),
                    ..TenantSecrets::default()
                },
            )]
            .into(),
        };
        let deployment =
            Deployment::new(TenantFile::parse(TENANTS).unwrap().tenant, secrets).unwrap();
        let client = ZaloClient::with_timeout(
            BaseUrls::all(&fake.base_url),
            Arc::new(Unlimited),
            Duration::from_secs(5),
        );
        let metrics = Arc::new(RecordingMetrics::default());
        let tokens = Arc::new(TokenManager::new(
            store.clone(),
            client.clone(),
            motcua_runtime::app_credentials(&deployment),
            clock.clone(),
            metrics.clone(),
            TokenSettings::default(),
        ));
        let (access_token, refresh_token) = fake.issue_tokens(OA);
        tokens
            .install(
                OA,
                &TokenPair {
                    access_token,
                    refresh_token,
                    expires_in: Duration::from_secs(10 * 365 * 86_400),
                },
            )
            .await
            .unwrap();
        let outbound = Arc::new(RecordingQueue::default());
        let notifier = Notifier {
            outbound: outbound.clone(),
            store: store.clone(),
            tenancy: deployment.tenancy,
            messenger: Arc::new(ZaloMessenger::new(client, tokens)),
            clock: clock.clone(),
            metrics,
            settings: NotifierSettings {
                max_retry_delay: Duration::from_millis(20),
                ..NotifierSettings::default()
            },
            sms: None,
        };
        Rig {
            fake,
            notifier,
            store,
            queue,
            outbound,
            clock,
            _dir: dir,
        }
    }

    /// Sends every body to the queue in order, then drains it through the notifier's batch
    /// handler (10 at a time, concurrently, as Lambda does) until nothing is left.
    pub async fn drain(&self, bodies: &[String]) -> Drained {
        for b in bodies {
            self.queue.send(b).await.unwrap();
        }
        let mut rounds = 0;
        let mut retries = 0;
        loop {
            let batch = self
                .queue
                .receive(10, Duration::from_millis(300))
                .await
                .unwrap();
            if batch.is_empty() {
                if self.queue.depth().await.unwrap() == 0 {
                    break;
                }
                continue;
            }
            rounds += 1;
            let acks = notifier::process_batch(&self.notifier, &self.queue, &batch).await;
            for (m, ack) in batch.iter().zip(acks) {
                match ack {
                    notifier::Ack::Delete => self.queue.delete(&m.receipt).await.unwrap(),
                    notifier::Ack::Retry => retries += 1,
                }
            }
            assert!(rounds < 100_000, "the queue does not drain");
        }
        let dlq = self.queue.dead_letter_queue();
        let mut dead = Vec::new();
        loop {
            let batch = dlq.receive(10, Duration::from_millis(50)).await.unwrap();
            if batch.is_empty() {
                break;
            }
            for m in batch {
                dead.push((
                    m.body.clone(),
                    m.dead_letter_reason.clone().unwrap_or_default(),
                ));
                dlq.delete(&m.receipt).await.unwrap();
            }
        }
        Drained { retries, dead }
    }
}

pub struct Drained {
    /// Messages handed back for a later try (a progress record before its dossier).
    pub retries: usize,
    /// (body, reason) of every dead letter.
    pub dead: Vec<(String, String)>,
}
