use std::sync::Arc;

use due_watch::{DueSettings, DueWatch};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_app::SystemClock;
use motcua_app::metrics::EmfMetrics;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deployment = motcua_config::Deployment::from_aws(&sdk).await?;
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let watch = DueWatch {
        store: Arc::new(motcua_dynamodb::DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            table,
        )),
        tenancy: deployment.tenancy,
        clock: Arc::new(SystemClock),
        metrics: Arc::new(EmfMetrics {
            namespace: "Motcua".into(),
        }),
        settings: DueSettings::from_env(),
    };
    let watch = &watch;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(watch.run().await?) },
    ))
    .await
}
