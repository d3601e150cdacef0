use due_watch::{DueSettings, DueWatch, Purge, PurgeSettings, Scheduled, ScheduledStart, Sweep};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_runtime::aws::Aws;

#[tokio::main]
async fn main() -> Result<(), Error> {
    motcua_runtime::logging::init();
    let aws = Aws::load().await?;
    let store = aws.store()?;
    let tenancy = aws.deployment.tenancy.clone();
    let jobs = Scheduled {
        watch: DueWatch {
            store: store.clone(),
            tenancy: tenancy.clone(),
            clock: aws.clock.clone(),
            metrics: aws.metrics.clone(),
            settings: DueSettings::from_env(),
        },
        sweep: Sweep {
            store: store.clone(),
            tenancy: tenancy.clone(),
            outbound: aws.queue("OUTBOUND_QUEUE_URL", "OUTBOUND_DLQ_URL")?,
            clock: aws.clock.clone(),
            metrics: aws.metrics.clone(),
        },
        announcements: ScheduledStart {
            store: store.clone(),
            tenancy: tenancy.clone(),
            queue: aws.queue("ANNOUNCEMENTS_QUEUE_URL", "ANNOUNCEMENTS_DLQ_URL")?,
            clock: aws.clock.clone(),
        },
        purge: Purge {
            store,
            tenancy,
            clock: aws.clock.clone(),
            metrics: aws.metrics.clone(),
            settings: PurgeSettings::from_env(),
        },
    };
    let jobs = &jobs;
    lambda_runtime::run(service_fn(
        move |e: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, Error>(jobs.run(&e.payload).await?)
        },
    ))
    .await
}
