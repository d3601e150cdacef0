use due_watch::{DueSettings, DueWatch};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_runtime::aws::Aws;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = Aws::load().await?;
    let watch = DueWatch {
        store: aws.store()?,
        tenancy: aws.deployment.tenancy.clone(),
        clock: aws.clock.clone(),
        metrics: aws.metrics.clone(),
        settings: DueSettings::from_env(),
    };
    let watch = &watch;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(watch.run().await?) },
    ))
    .await
}
