//! Two entry points in one binary, chosen by `MOTCUA_ROLE`: `webhook` (HTTP API: verify,
//! enqueue, 200) and `events` (SQS FIFO consumer: the conversation). One build, two functions
//! in template.yaml, the same wiring.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_app::conversation::{Conversation, ConversationSettings};
use motcua_app::notify::{Notifier, NotifierSettings};
use motcua_runtime::aws::{Aws, env};

#[tokio::main]
async fn main() -> Result<(), Error> {
    motcua_runtime::logging::init();
    let aws = Aws::load().await?;
    let events = aws.queue("ZALO_EVENTS_QUEUE_URL", "ZALO_EVENTS_DLQ_URL")?;
    if env("MOTCUA_ROLE").as_deref().ok() != Some("events") {
        let state = Arc::new(webhook::WebhookState {
            deployment: aws.deployment,
            queue: events,
            metrics: aws.metrics,
            clock: aws.clock,
            junk: webhook::JunkGuard::new(webhook::JUNK_PER_MINUTE),
        });
        let app = motcua_runtime::http::with_source_ip(webhook::router(state));
        return lambda_http::run(app).await;
    }
    let store = aws.store()?;
    let messenger = aws.zalo(store.clone()).messenger;
    let outbound = aws.queue("OUTBOUND_QUEUE_URL", "OUTBOUND_DLQ_URL")?;
    let notifier = Arc::new(Notifier {
        store: store.clone(),
        tenancy: aws.deployment.tenancy.clone(),
        messenger: messenger.clone(),
        clock: aws.clock.clone(),
        metrics: aws.metrics.clone(),
        settings: NotifierSettings::default(),
        outbound: outbound.clone(),
        sms: aws.sms(),
    });
    let conversation = Conversation {
        store,
        tenancy: aws.deployment.tenancy.clone(),
        messenger,
        notifier,
        outbound,
        clock: aws.clock.clone(),
        metrics: aws.metrics.clone(),
        settings: ConversationSettings::default(),
        guides: Default::default(),
    };
    let (conversation, events) = (&conversation, events.as_ref());
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(webhook::handle_sqs(conversation, events, e.payload).await)
    }))
    .await
}
