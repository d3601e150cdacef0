use std::sync::Arc;

use qr::QrState;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    motcua_runtime::logging::init();
    let deployment = motcua_runtime::aws::Aws::load().await?.deployment;
    // Behind API Gateway's IAM authorizer the caller is already authenticated.
    let require_api_key = std::env::var("MOTCUA_QR_AUTH").as_deref() != Ok("iam");
    let state = Arc::new(QrState {
        deployment,
        require_api_key,
    });
    // The IAM authorizer's caller, for the tenant check (qr_invokers).
    let app = qr::router(state).layer(axum::middleware::map_request(
        |mut req: axum::extract::Request| async move {
            use lambda_http::request::RequestContext;
            let arn = match req.extensions().get::<RequestContext>() {
                Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                    .authorizer
                    .as_ref()
                    .and_then(|a| a.iam.as_ref())
                    .and_then(|iam| iam.user_arn.clone()),
                _ => None,
            };
            if let Some(arn) = arn {
                req.extensions_mut().insert(qr::IamCaller(arn));
            }
            req
        },
    ));
    lambda_http::run(app).await
}
