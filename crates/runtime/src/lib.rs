//! The composition root: builds the services every binary shares, once. Each Lambda's
//! `main.rs`, the local server and the ops CLI call it instead of writing the wiring out.
//! With the `aws` feature it also loads the deployment from SSM and Secrets Manager and opens
//! the DynamoDB store and SQS queues named by the function's environment.

#[cfg(feature = "aws")]
pub mod aws;
mod emf;

use std::collections::HashMap;
use std::sync::Arc;

use motcua_app::metrics::Metrics;
use motcua_app::{Clock, TokenStore};
use motcua_config::Deployment;
use motcua_zalo::{
    AppCredentials, BaseUrls, SlidingWindowLimiter, TokenManager, TokenSettings, ZaloClient,
    ZaloMessenger,
};

pub use emf::EmfMetrics;

/// The CloudWatch namespace of every metric (alarms in template.yaml watch it).
pub const METRICS_NAMESPACE: &str = "Motcua";

/// Metrics as CloudWatch Embedded Metric Format lines on stdout.
pub fn metrics() -> Arc<EmfMetrics> {
    Arc::new(EmfMetrics {
        namespace: METRICS_NAMESPACE.into(),
    })
}

/// The Zalo side of a deployment: one rate-limited client for the process (Zalo's budget is
/// per app), the token manager for every OA of the deployment, and the messenger over both.
#[derive(Clone)]
pub struct Zalo {
    pub client: ZaloClient,
    pub tokens: Arc<TokenManager>,
    pub messenger: Arc<ZaloMessenger>,
}

impl Zalo {
    pub fn new(
        base: BaseUrls,
        store: Arc<dyn TokenStore>,
        deployment: &Deployment,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
    ) -> Self {
        let client = ZaloClient::new(base, Arc::new(SlidingWindowLimiter::zalo_default()));
        let tokens = Arc::new(TokenManager::new(
            store,
            client.clone(),
            app_credentials(deployment),
            clock,
            metrics,
            TokenSettings::default(),
        ));
        let messenger = Arc::new(ZaloMessenger::new(client.clone(), tokens.clone()));
        Zalo {
            client,
            tokens,
            messenger,
        }
    }
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
