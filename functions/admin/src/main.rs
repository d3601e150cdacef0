//! Two entry points in one binary, chosen by `MOTCUA_ROLE`: `api` (the console behind the
//! JWT authorizer) and `announcer` (the announcement job consumer).

use std::sync::Arc;

use admin::auth::Auth;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use motcua_app::SystemClock;
use motcua_app::announce::Announcements;
use motcua_app::metrics::EmfMetrics;
use motcua_app::staff::StaffDesk;
use motcua_zalo::{BaseUrls, SlidingWindowLimiter, TokenManager, ZaloClient, ZaloMessenger};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let env = |k: &'static str| std::env::var(k).map_err(|_| format!("{k} is not set"));
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deployment = motcua_config::Deployment::from_aws(&sdk).await?;
    let store = Arc::new(motcua_dynamodb::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        env("TABLE_NAME")?,
    ));
    let clock = Arc::new(SystemClock);
    let zalo = ZaloClient::new(
        BaseUrls::from_env(),
        Arc::new(SlidingWindowLimiter::zalo_default()),
    );
    let metrics = Arc::new(EmfMetrics {
        namespace: "Motcua".into(),
    });
    let tokens = TokenManager::for_deployment(
        store.clone(),
        zalo.clone(),
        &deployment,
        clock.clone(),
        metrics,
    );
    let desk = Arc::new(StaffDesk {
        store,
        tenancy: Arc::new(deployment.tenancy),
        messenger: Arc::new(ZaloMessenger::new(zalo, Arc::new(tokens))),
        clock,
    });
    let queue = Arc::new(motcua_sqs::SqsQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        env("ANNOUNCEMENTS_QUEUE_URL")?,
        env("ANNOUNCEMENTS_DLQ_URL")?,
    ));
    let announcements = Arc::new(Announcements {
        desk: desk.clone(),
        queue,
    });
    if env("MOTCUA_ROLE").as_deref() == Ok("announcer") {
        let a = announcements.as_ref();
        return lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
            Ok::<_, lambda_runtime::Error>(admin::handle_sqs(a, e.payload).await)
        }))
        .await;
    }
    let auth = Auth::Jwt {
        login_url: std::env::var("MOTCUA_ADMIN_LOGIN_URL").ok(),
    };
    let state = Arc::new(admin::AdminState {
        desk,
        announcements,
        auth,
    });
    let app = admin::router(state).layer(axum::middleware::map_request(admin::with_jwt_claims));
    lambda_http::run(app).await
}
