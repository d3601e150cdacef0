use std::sync::Arc;

use qr::QrState;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let deployment = motcua_runtime::aws::Aws::load().await?.deployment;
    // Behind API Gateway's IAM authorizer the caller is already authenticated.
    let require_api_key = std::env::var("MOTCUA_QR_AUTH").as_deref() != Ok("iam");
    let state = Arc::new(QrState {
        deployment,
        require_api_key,
    });
    lambda_http::run(qr::router(state)).await
}
