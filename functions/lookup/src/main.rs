use std::sync::Arc;

use lambda_http::request::RequestContext;
use lookup::{ClientIp, LookupState};
use motcua_runtime::aws::Aws;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let aws = Aws::load().await?;
    let per_minute = std::env::var("MOTCUA_LOOKUPS_PER_MINUTE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let state = Arc::new(LookupState::new(
        aws.store()?,
        aws.deployment,
        aws.clock,
        aws.metrics,
        per_minute,
    ));
    // API Gateway knows the caller's address; hand it to the rate limiter.
    let app = lookup::router(state).layer(axum::middleware::map_request(
        |mut req: axum::extract::Request| async move {
            let ip = match req.extensions().get::<RequestContext>() {
                Some(RequestContext::ApiGatewayV2(ctx)) => {
                    ctx.http.source_ip.as_deref().and_then(|ip| ip.parse().ok())
                }
                _ => None,
            };
            if let Some(ip) = ip {
                req.extensions_mut().insert(ClientIp(ip));
            }
            req
        },
    ));
    lambda_http::run(app).await
}
