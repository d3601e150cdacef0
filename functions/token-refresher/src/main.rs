use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_runtime::aws::Aws;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = Aws::load().await?;
    let manager = aws.zalo(aws.store()?).tokens;
    let manager = manager.as_ref();
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, Error>(token_refresher::run(manager).await)
        },
    ))
    .await
}
