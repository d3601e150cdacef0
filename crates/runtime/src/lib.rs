//! The composition root: builds the services every binary shares, once. Each Lambda's
//! `main.rs`, the local server and the ops CLI call it instead of writing the wiring out.
//! With the `aws` feature it also loads the deployment from SSM and Secrets Manager and opens
//! the DynamoDB store and SQS queues named by the function's environment.

#[cfg(feature = "aws")]
pub mod aws;
pub mod budget;
mod emf;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "aws")]
pub mod logging;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use motcua_app::metrics::Metrics;
use motcua_app::{Clock, Store};
use motcua_config::Deployment;
use motcua_zalo::{
    AppCredentials, BaseUrls, RateLimiter, SlidingWindowLimiter, TokenManager, TokenSettings,
    ZaloClient, ZaloMessenger,
};

pub use budget::SharedBudget;

/// The store key of the deployment's Zalo call budget.
pub const ZALO_BUDGET_KEY: &str = "zalo-calls";

/// Zalo's OA API budget (zalo-platform.md section 6): 4,000 calls per minute per app.
pub const ZALO_CALLS_PER_MINUTE: u64 = 4000;

/// The store key of the announcements' share of the Zalo call budget.
pub const ANNOUNCEMENT_BUDGET_KEY: &str = "zalo-calls:announcements";

/// The announcements' share of [`ZALO_CALLS_PER_MINUTE`]: a quarter, so that a broadcast to
/// every follower always leaves three quarters of the OA's budget to dossier notices, replies
/// and staff answers.
pub const ANNOUNCEMENT_CALLS_PER_MINUTE: u64 = ZALO_CALLS_PER_MINUTE / 4;

/// One limit, then another: the first is taken before the second is waited for.
struct Both(Arc<dyn RateLimiter>, Arc<dyn RateLimiter>);

#[async_trait]
impl RateLimiter for Both {
    async fn acquire(&self) {
        self.0.acquire().await;
        self.1.acquire().await;
    }
}

/// The limiter of the announcer's Zalo client: the announcements' own share of the budget,
/// then `whole` (the process's and the deployment's limits every other call takes).
pub fn announcement_limiter(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    whole: Arc<dyn RateLimiter>,
) -> Arc<dyn RateLimiter> {
    let share = SharedBudget::new(
        store,
        clock,
        ANNOUNCEMENT_BUDGET_KEY,
        ANNOUNCEMENT_CALLS_PER_MINUTE,
        std::time::Duration::from_secs(60),
    );
    Arc::new(Both(Arc::new(share), whole))
}

pub use emf::EmfMetrics;

/// The CloudWatch namespace of every metric (alarms in template.yaml watch it).
pub const METRICS_NAMESPACE: &str = "Motcua";

/// Metrics as CloudWatch Embedded Metric Format lines on stdout.
pub fn metrics() -> Arc<EmfMetrics> {
    Arc::new(EmfMetrics {
        namespace: METRICS_NAMESPACE.into(),
    })
}

/// The Zalo side of a deployment: one rate-limited client for the process, the token manager
/// for every OA of the deployment, and the messenger over both. Zalo counts its budget across
/// all our instances, so every call also takes one unit of the deployment's budget in the store
/// (`SharedBudget`; the apps of a multi-province stack share it, which is the safe side).
#[derive(Clone)]
pub struct Zalo {
    pub client: ZaloClient,
    pub tokens: Arc<TokenManager>,
    pub messenger: Arc<ZaloMessenger>,
    base: BaseUrls,
    limiter: Arc<dyn RateLimiter>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl Zalo {
    pub fn new(
        base: BaseUrls,
        store: Arc<dyn Store>,
        deployment: &Deployment,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
    ) -> Self {
        let shared = SharedBudget::new(
            store.clone(),
            clock.clone(),
            ZALO_BUDGET_KEY,
            ZALO_CALLS_PER_MINUTE,
            std::time::Duration::from_secs(60),
        );
        let limiter: Arc<dyn RateLimiter> = Arc::new(Both(
            Arc::new(SlidingWindowLimiter::zalo_default()),
            Arc::new(shared),
        ));
        let client = ZaloClient::new(base.clone(), limiter.clone());
        let tokens = Arc::new(TokenManager::new(
            store.clone(),
            client.clone(),
            app_credentials(deployment),
            clock.clone(),
            metrics,
            TokenSettings::default(),
        ));
        let messenger = Arc::new(ZaloMessenger::new(client.clone(), tokens.clone()));
        Zalo {
            client,
            tokens,
            messenger,
            base,
            limiter,
            store,
            clock,
        }
    }

    /// The announcer's messenger: the same tokens, through a client that takes each call from
    /// the announcements' share first ([`announcement_limiter`]).
    pub fn announcer(&self) -> Arc<ZaloMessenger> {
        let limiter =
            announcement_limiter(self.store.clone(), self.clock.clone(), self.limiter.clone());
        let client = ZaloClient::new(self.base.clone(), limiter);
        Arc::new(ZaloMessenger::new(client, self.tokens.clone()))
    }
}

/// The brandname SMS gateway of every tenant that sends SMS (`[tenant.sms]`), at `base`
/// (`SMS_BASE_URL`; eSMS's own API without it); `None` when no tenant does.
pub fn sms_gateway(
    deployment: &Deployment,
    base: Option<String>,
) -> Option<Arc<dyn motcua_app::sms::SmsGateway>> {
    if !deployment.sends_sms() {
        return None;
    }
    let accounts = deployment
        .tenancy
        .directory()
        .iter()
        .filter(|t| t.sms.is_some())
        .filter_map(|t| {
            let (api_key, secret_key) = deployment.sms_account(t.id.as_str())?;
            let credentials = motcua_sms::Credentials {
                api_key,
                secret_key,
            };
            Some((t.id.clone(), credentials))
        })
        .collect();
    let base = base.unwrap_or_else(|| motcua_sms::ESMS_BASE.into());
    Some(Arc::new(motcua_sms::EsmsGateway::new(base, accounts)))
}

/// The app credentials of every OA of the deployment that has an app id and an app secret.
pub fn app_credentials(deployment: &Deployment) -> HashMap<String, AppCredentials> {
    deployment
        .zalo_apps()
        .into_iter()
        .map(|a| {
            let credentials = AppCredentials {
                app_id: a.app_id,
                app_secret: a.app_secret,
            };
            (a.oa_id, credentials)
        })
        .collect()
}
