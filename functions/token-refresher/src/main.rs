use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_runtime::aws::Aws;
use token_refresher::Hourly;

#[tokio::main]
async fn main() -> Result<(), Error> {
    motcua_runtime::logging::init();
    let aws = Aws::load().await?;
    let store = aws.store()?;
    let zalo = aws.zalo(store.clone());
    let hourly = Hourly {
        tokens: zalo.tokens,
        store,
        canary: motcua_app::canary::Canary {
            tenancy: aws.deployment.tenancy.clone(),
            messenger: zalo.messenger,
            clock: aws.clock.clone(),
            metrics: aws.metrics.clone(),
        },
    };
    let hourly = &hourly;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(hourly.run().await) },
    ))
    .await
}
