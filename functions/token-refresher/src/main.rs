use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_app::SystemClock;
use motcua_app::metrics::EmfMetrics;
use motcua_zalo::{BaseUrls, SlidingWindowLimiter, TokenManager, ZaloClient};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deployment = motcua_config::Deployment::from_aws(&sdk).await?;
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let store = motcua_dynamodb::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let client = ZaloClient::new(
        BaseUrls::from_env(),
        Arc::new(SlidingWindowLimiter::zalo_default()),
    );
    let metrics = Arc::new(EmfMetrics {
        namespace: "Motcua".into(),
    });
    let manager = TokenManager::for_deployment(
        Arc::new(store),
        client,
        &deployment,
        Arc::new(SystemClock),
        metrics,
    );
    let manager = &manager;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, Error>(token_refresher::run(manager).await)
        },
    ))
    .await
}
