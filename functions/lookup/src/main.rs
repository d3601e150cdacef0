use std::sync::Arc;

use lookup::LookupState;
use motcua_runtime::aws::Aws;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    motcua_runtime::logging::init();
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
    lambda_http::run(motcua_runtime::http::with_source_ip(lookup::router(state))).await
}
