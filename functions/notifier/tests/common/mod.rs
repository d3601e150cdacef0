//! A notifier wired to the Zalo fake, with a settable clock, for the notifier's tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use motcua_app::metrics::RecordingMetrics;
use motcua_app::notify::{Notifier, NotifierSettings};
use motcua_app::{Clock, ManualClock, RecordingQueue, Store, TenantFile};
use motcua_config::{Deployment, Secrets, TenantSecrets};
use motcua_domain::{PhoneNumber, TenantId};
use motcua_sms_fake::SmsFake;
use motcua_zalo::*;
use motcua_zalo_fake::ZaloFake;

pub const SMS_API_KEY: &str = "esms-api-tq";
pub const SMS_SECRET_KEY: &str = "esms-secret-tq";
pub const SMS_BRANDNAME: &str = "UBND-TQ";
/// The customer-care templates as infra/RUNBOOK.md ("Brandname SMS") tells a province to
/// register them, copied from the document: the gateway fake refuses any other text (146).
pub const SMS_TEMPLATES: [&str; 4] = [
    "Ho so {ma_ho_so} can bo sung, hoan thien. Moi ong/ba lien he Bo phan Mot cua hoac xem chi tiet tren Zalo OA.",
    "Ho so {ma_ho_so}: moi ong/ba nop phi, le phi{so_tien}. Chi tiet tai Bo phan Mot cua hoac tren Zalo OA.",
    "Ho so {ma_ho_so} da co ket qua. Moi ong/ba nhan tai Bo phan Mot cua hoac chon nhan qua buu chinh tren Zalo OA.",
    "Thanh that xin loi ong/ba: ho so {ma_ho_so} chua co ket qua dung hen.{hen_moi}",
];

pub const OA: &str = "579745863508352884";
pub const APP: &str = "1234567890123456789";
pub const TENANTS: &str = r#"
[[tenant]]
id = "tuyen-quang"
name = "Tuyên Quang"
agency_codes = ["H60", "H22"]
oa_id = "579745863508352884"
[tenant.zalo]
app_id = "1234567890123456789"
zns_development = true
zns_templates = { received = "300001", step_changed = "300002", supplement_requested = "300003", fee_requested = "300004", rejected = "300005", withdrawn = "300006", processing_stopped = "300007", overdue_apology = "300008", result_ready = "300009", result_returned = "300010" }

# a second province in the same stack: its feed must never reach Tuyên Quang's dossiers
[[tenant]]
id = "bac-ninh"
name = "Bắc Ninh"
agency_codes = ["H05", "H02"]
"#;

pub struct Harness {
    pub fake: ZaloFake,
    /// The brandname SMS gateway, with the RUNBOOK's templates registered.
    pub sms: SmsFake,
    pub notifier: Notifier,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub metrics: Arc<RecordingMetrics>,
    pub tenant: TenantId,
    /// The outbound queue: the notices' `notification_status` messages.
    pub outbound: Arc<RecordingQueue>,
    _dir: Option<tempfile::TempDir>,
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../events/notifier")
            .join(name),
    )
    .unwrap()
}

/// `body` (a canonical event) with the citizen's consent recorded by the one-stop system.
pub fn with_consent(body: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["dossier"]["zalo_opt_in"] = true.into();
    v.to_string()
}

pub fn life() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/notifier/life");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

pub async fn embedded_store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.path().join("db.redb"))
            .unwrap()
            .store(),
    );
    (store, dir)
}

impl Harness {
    pub async fn embedded() -> Harness {
        let (store, dir) = embedded_store().await;
        let mut h = Self::with_store(store, Duration::from_secs(2)).await;
        h._dir = Some(dir);
        h
    }

    pub async fn with_store(store: Arc<dyn Store>, zalo_timeout: Duration) -> Harness {
        Self::with_tenants(store, zalo_timeout, TENANTS).await
    }

    /// On the embedded store, with another tenants file.
    pub async fn embedded_with(tenants: &str) -> Harness {
        let (store, dir) = embedded_store().await;
        let mut h = Self::with_tenants(store, Duration::from_secs(2), tenants).await;
        h._dir = Some(dir);
        h
    }

    pub async fn with_tenants(
        store: Arc<dyn Store>,
        zalo_timeout: Duration,
        tenants: &str,
    ) -> Harness {
        let fake = ZaloFake::start().await;
        fake.add_app(APP, "app-secret");
        let sms = SmsFake::start().await;
        sms.add_account(SMS_API_KEY, SMS_SECRET_KEY);
        sms.add_brandname(SMS_BRANDNAME);
        for template in SMS_TEMPLATES {
            sms.register_template(template);
        }
        // a Tuesday, 10:00 in Vietnam; the tests' events and users are dated from it
        let clock = Arc::new(ManualClock::at("2026-11-24T03:00:00Z"));
        let metrics = Arc::new(RecordingMetrics::default());
        let secrets = Secrets {
            tenants: [
                (
                    "tuyen-quang".to_string(),
                    TenantSecrets {
                        pii_secret: "dGVzdC1waWktc2VjcmV0LWZvci10aGUtbm90aWZpZXItdGVzdHM=".into(),
                        zalo_oa_secret_key: Some("oa-secret".into()),
                        zalo_app_secret: Some("app-secret".into()),
                        sms_api_key: Some(SMS_API_KEY.into()),
                        sms_secret_key: Some(SMS_SECRET_KEY.into()),
                        ..TenantSecrets::default()
                    },
                ),
                (
                    "bac-ninh".to_string(),
                    TenantSecrets {
                        pii_secret: "YW5vdGhlci1wcm92aW5jZS1waWktc2VjcmV0LWtleS1mb3ItdGhlLXRlc3Rz"
                            .into(),
                        ..TenantSecrets::default()
                    },
                ),
            ]
            .into(),
        };
        let deployment =
            Deployment::new(TenantFile::parse(tenants).unwrap().tenant, secrets).unwrap();
        let client = ZaloClient::with_timeout(
            BaseUrls::all(&fake.base_url),
            Arc::new(Unlimited),
            zalo_timeout,
        );
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
                    expires_in: Duration::from_secs(90_000),
                },
            )
            .await
            .unwrap();
        let outbound = Arc::new(RecordingQueue::default());
        let sms_gateway = motcua_runtime::sms_gateway(&deployment, Some(sms.base_url.clone()));
        let notifier = Notifier {
            outbound: outbound.clone(),
            store: store.clone(),
            tenancy: deployment.tenancy,
            messenger: Arc::new(ZaloMessenger::new(client, tokens)),
            clock: clock.clone(),
            metrics: metrics.clone(),
            settings: NotifierSettings {
                max_retry_delay: Duration::from_millis(50),
                ..NotifierSettings::default()
            },
            sms: sms_gateway,
        };
        Harness {
            fake,
            sms,
            notifier,
            store,
            clock,
            metrics,
            outbound,
            tenant: TenantId::parse("tuyen-quang").unwrap(),
            _dir: None,
        }
    }

    /// Links a Zalo user to a phone, following, last interaction `ago` before the clock.
    pub async fn link(&self, phone: &str, user: &str, ago: chrono::Duration) {
        let keys = self.notifier.tenancy.keys(&self.tenant).unwrap();
        let p = keys.protect_phone(&PhoneNumber::parse(phone).unwrap());
        let at = self.clock.now() - ago;
        self.store
            .set_following(&self.tenant, user, true, at)
            .await
            .unwrap();
        self.store
            .link_phone(&self.tenant, user, &p, at)
            .await
            .unwrap();
        self.store
            .record_interaction(&self.tenant, user, at)
            .await
            .unwrap();
    }
}

/// The SDK configuration for moto on loopback: plain HTTP (the SDK has no default client
/// without its aws-lc TLS).
pub async fn sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(aws_config::Region::new("ap-southeast-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await
}

/// A fresh DynamoDB table on moto.
pub async fn moto_store(endpoint: &str) -> Arc<dyn Store> {
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk(endpoint).await);
    let table = format!("motcua-notifier-{}", uuid::Uuid::new_v4().simple());
    motcua_dynamodb::create_table(&dynamo, &table)
        .await
        .unwrap();
    Arc::new(motcua_dynamodb::DynamoStore::new(dynamo, table))
}
