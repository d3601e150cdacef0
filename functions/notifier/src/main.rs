use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_app::notify::{Notifier, NotifierSettings};
use motcua_runtime::aws::Aws;

#[tokio::main]
async fn main() -> Result<(), Error> {
    motcua_runtime::logging::init();
    let aws = Aws::load().await?;
    let store = aws.store()?;
    let queue = aws.queue("INBOUND_QUEUE_URL", "INBOUND_DLQ_URL")?;
    let notifier = Notifier {
        messenger: aws.zalo(store.clone()).messenger,
        store,
        tenancy: aws.deployment.tenancy.clone(),
        clock: aws.clock.clone(),
        metrics: aws.metrics.clone(),
        settings: NotifierSettings::default(),
        outbound: aws.queue("OUTBOUND_QUEUE_URL", "OUTBOUND_DLQ_URL")?,
        sms: aws.sms(),
    };
    let (notifier, queue) = (&notifier, queue.as_ref());
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(notifier::handle_sqs(notifier, queue, e.payload).await)
    }))
    .await
}
