use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_app::SystemClock;
use motcua_app::metrics::EmfMetrics;
use motcua_app::notify::{Notifier, NotifierSettings};
use motcua_zalo::{BaseUrls, SlidingWindowLimiter, TokenManager, ZaloClient, ZaloMessenger};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let env = |k: &'static str| std::env::var(k).map_err(|_| format!("{k} is not set"));
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deployment = motcua_config::Deployment::from_aws(&sdk).await?;
    let store = Arc::new(motcua_dynamodb::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        env("TABLE_NAME")?,
    ));
    let queue = motcua_sqs::SqsQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        env("INBOUND_QUEUE_URL")?,
        env("INBOUND_DLQ_URL")?,
    );
    let metrics = Arc::new(EmfMetrics {
        namespace: "Motcua".into(),
    });
    let clock = Arc::new(SystemClock);
    let zalo = ZaloClient::new(
        BaseUrls::from_env(),
        Arc::new(SlidingWindowLimiter::zalo_default()),
    );
    let tokens = Arc::new(TokenManager::for_deployment(
        store.clone(),
        zalo.clone(),
        &deployment,
        clock.clone(),
        metrics.clone(),
    ));
    let notifier = Notifier {
        store,
        tenancy: deployment.tenancy,
        messenger: Arc::new(ZaloMessenger::new(zalo, tokens)),
        clock,
        metrics,
        settings: NotifierSettings::default(),
    };
    let (notifier, queue) = (&notifier, &queue);
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(notifier::handle_sqs(notifier, queue, e.payload).await)
    }))
    .await
}
