//! Two entry points in one binary, chosen by `MOTCUA_ROLE`: `webhook` (HTTP API: verify,
//! enqueue, 200) and `events` (SQS FIFO consumer: the conversation). One build, two functions
//! in template.yaml, the same wiring.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use motcua_app::SystemClock;
use motcua_app::conversation::{Conversation, ConversationSettings};
use motcua_app::metrics::EmfMetrics;
use motcua_app::notify::{Notifier, NotifierSettings};
use motcua_zalo::{BaseUrls, SlidingWindowLimiter, TokenManager, ZaloClient, ZaloMessenger};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let env = |k: &'static str| std::env::var(k).map_err(|_| format!("{k} is not set"));
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deployment = motcua_config::Deployment::from_aws(&sdk).await?;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = Arc::new(motcua_sqs::SqsQueue::new(
        sqs.clone(),
        env("ZALO_EVENTS_QUEUE_URL")?,
        env("ZALO_EVENTS_DLQ_URL")?,
    ));
    let metrics = Arc::new(EmfMetrics {
        namespace: "Motcua".into(),
    });
    if env("MOTCUA_ROLE").as_deref() != Ok("events") {
        let state = Arc::new(webhook::WebhookState {
            deployment,
            queue: events,
            metrics,
        });
        return lambda_http::run(webhook::router(state)).await;
    }
    let store = Arc::new(motcua_dynamodb::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        env("TABLE_NAME")?,
    ));
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
    let messenger = Arc::new(ZaloMessenger::new(zalo, tokens));
    let notifier = Arc::new(Notifier {
        store: store.clone(),
        tenancy: deployment.tenancy.clone(),
        messenger: messenger.clone(),
        clock: clock.clone(),
        metrics: metrics.clone(),
        settings: NotifierSettings::default(),
    });
    let outbound = Arc::new(motcua_sqs::SqsQueue::new(
        sqs,
        env("OUTBOUND_QUEUE_URL")?,
        env("OUTBOUND_DLQ_URL")?,
    ));
    let conversation = Conversation {
        store,
        tenancy: deployment.tenancy,
        messenger,
        notifier,
        outbound,
        clock,
        metrics,
        settings: ConversationSettings::default(),
    };
    let (conversation, events) = (&conversation, events.as_ref());
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(webhook::handle_sqs(conversation, events, e.payload).await)
    }))
    .await
}
