//! The AWS wiring of a Lambda (and of the ops CLI against a stack): the SDK configuration and
//! the deployment read once at cold start, then the store and queues its environment names.

use std::sync::Arc;

use motcua_app::metrics::Metrics;
use motcua_app::{Clock, SystemClock};
use motcua_config::Deployment;
use motcua_dynamodb::DynamoStore;
use motcua_sqs::SqsQueue;
use motcua_zalo::BaseUrls;

use crate::Zalo;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A required environment variable, with an error that names it.
pub fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// One function's AWS services.
pub struct Aws {
    pub sdk: aws_config::SdkConfig,
    pub deployment: Deployment,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<dyn Metrics>,
}

/// The SDK's HTTPS client: rustls on ring (the SDK's own default is aws-lc), trusting the
/// system's roots as read once for the process's every client (motcua-tls).
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{
        Provider, TlsContext, TrustStore, rustls_provider::CryptoMode,
    };
    let roots = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(motcua_tls::roots_pem());
    let context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .expect("a TLS context of PEM roots");
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https();
    aws_sdk_dynamodb::config::SharedHttpClient::new(ConnectorOnFirstUse(client))
}

/// The SDK's client without its eager connector. Each service client's constructor (SSM,
/// Secrets Manager, STS, DynamoDB, every SQS queue) asks its HTTP client to build a throw-away
/// connector "so that the certificates load at start"; with the roots given as PEM, each build
/// decoded the whole bundle again: 8 decodes, a fifth of a notifier's start (perf,
/// BENCHMARKS.md). Our roots are loaded once per process already (motcua-tls), and a start's
/// first request (the deployment's SSM parameter) builds the one connector the SDK caches per
/// timeout setting. The SDK ignores what the throw-away build returns, so nothing is lost.
#[derive(Debug)]
struct ConnectorOnFirstUse(aws_sdk_dynamodb::config::SharedHttpClient);

impl aws_sdk_dynamodb::config::HttpClient for ConnectorOnFirstUse {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_sdk_dynamodb::config::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// The SDK's default configuration (region, credentials, endpoint from the environment) with
/// [`https_client`].
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

impl Aws {
    /// The SDK's default configuration and the deployment (SSM parameter and secret).
    pub async fn load() -> Result<Self, Error> {
        let sdk = sdk_config().await;
        let deployment = Deployment::from_aws(&sdk).await?;
        Ok(Aws {
            sdk,
            deployment,
            clock: Arc::new(SystemClock),
            metrics: crate::metrics(),
        })
    }

    /// The DynamoDB table named by `TABLE_NAME`.
    pub fn store(&self) -> Result<Arc<DynamoStore>, Error> {
        Ok(self.store_named(env("TABLE_NAME")?))
    }

    /// The DynamoDB table `table` (the ops CLI's `--table`).
    pub fn store_named(&self, table: String) -> Arc<DynamoStore> {
        let client = aws_sdk_dynamodb::Client::new(&self.sdk);
        Arc::new(DynamoStore::new(client, table))
    }

    /// The queue and dead-letter queue whose URLs the two variables hold.
    pub fn queue(&self, url_var: &str, dlq_var: &str) -> Result<Arc<SqsQueue>, Error> {
        let client = aws_sdk_sqs::Client::new(&self.sdk);
        Ok(Arc::new(SqsQueue::new(
            client,
            env(url_var)?,
            env(dlq_var)?,
        )))
    }

    /// Zalo at the base URLs of the environment (`ZALO_*_BASE`, else Zalo's own), with the
    /// tokens kept in `store`.
    pub fn zalo(&self, store: Arc<DynamoStore>) -> Zalo {
        Zalo::new(
            BaseUrls::from_env(),
            store,
            &self.deployment,
            self.clock.clone(),
            self.metrics.clone(),
        )
    }

    /// The SMS gateway at `SMS_BASE_URL` (else eSMS's own), if a tenant sends SMS.
    pub fn sms(&self) -> Option<Arc<dyn motcua_app::sms::SmsGateway>> {
        crate::sms_gateway(&self.deployment, std::env::var("SMS_BASE_URL").ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::config::{
        BehaviorVersion, ConfigBag, Credentials, HttpClient, Region, RuntimeComponents,
        RuntimeComponentsBuilder, SharedHttpClient,
    };
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the eager validations the SDK asks for; never used for a request.
    #[derive(Debug, Default)]
    struct Counting(Arc<AtomicUsize>);

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            unreachable!("no request is sent")
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    /// Builds the service clients a notifier builds at start on `http`.
    fn five_service_clients(http: SharedHttpClient) {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("ap-southeast-1"))
            .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
                Credentials::for_tests(),
            ))
            .http_client(http)
            .build();
        let _ = aws_sdk_dynamodb::Client::new(&sdk);
        for _ in 0..4 {
            let _ = aws_sdk_sqs::Client::new(&sdk);
        }
    }

    #[test]
    fn service_clients_build_no_throw_away_connector() {
        let (bare, wrapped) = (Counting::default(), Counting::default());
        let (bare_count, wrapped_count) = (bare.0.clone(), wrapped.0.clone());
        five_service_clients(SharedHttpClient::new(bare));
        five_service_clients(SharedHttpClient::new(ConnectorOnFirstUse(
            SharedHttpClient::new(wrapped),
        )));
        // the control: unwrapped, every client's constructor asks for one (a decode of the roots)
        assert_eq!(bare_count.load(Ordering::SeqCst), 5);
        assert_eq!(wrapped_count.load(Ordering::SeqCst), 0);
    }
}
