//! What the HTTP Lambdas share: the caller's address from API Gateway's request context, for
//! the rate limits (`motcua_app::ClientIp`).

use axum::Router;
use axum::extract::Request;
use lambda_http::request::RequestContext;
use motcua_app::ClientIp;

/// `router` with each request's `ClientIp` set from API Gateway's `sourceIp`.
pub fn with_source_ip(router: Router) -> Router {
    router.layer(axum::middleware::map_request(
        |mut req: Request| async move {
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
    ))
}
