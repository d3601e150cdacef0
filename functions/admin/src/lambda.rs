//! The Lambda side of the console: API Gateway's verified JWT claims, and the announcement job
//! consumer on SQS. Built with the `lambda` feature only (the local server signs staff in with
//! passwords and runs the jobs on its embedded queue).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use motcua_app::announce::{AnnouncementJob, Announcements};

use crate::JwtClaims;

/// Lambda entry middleware: the claims API Gateway's JWT authorizer verified become a
/// [`JwtClaims`] extension (which no HTTP client can set).
pub async fn with_jwt_claims(mut req: axum::extract::Request) -> axum::extract::Request {
    use lambda_http::request::RequestContext;
    if let Some(RequestContext::ApiGatewayV2(ctx)) = req.extensions().get::<RequestContext>()
        && let Some(jwt) = ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref())
    {
        let claims = JwtClaims(jwt.claims.clone().into_iter().collect());
        req.extensions_mut().insert(claims);
    }
    req
}

/// The announcement job consumer (`MOTCUA_ROLE=announcer`): a record whose recipients are not
/// all handled is reported failed so that SQS delivers it again; undecodable records are
/// dead-lettered by SQS after `maxReceiveCount`, with the error logged here.
pub async fn handle_sqs(announcements: &Announcements, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let job: AnnouncementJob = match serde_json::from_str(
            record.body.as_deref().unwrap_or_default(),
        ) {
            Ok(job) => job,
            Err(e) => {
                tracing::error!(message_id = %id, error = %e, "announcement job is not valid JSON");
                response.add_failure(id);
                continue;
            }
        };
        match announcements.run_job(&job).await {
            // a continued job is on the queue again, with what is left to try
            Ok(outcome) if outcome.retry == 0 || outcome.continued => {}
            Ok(_) => response.add_failure(id),
            Err(e) => {
                tracing::warn!(message_id = %id, error = %e, "announcement job will be retried");
                response.add_failure(id);
            }
        }
    }
    response
}
