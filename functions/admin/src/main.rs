//! Two entry points in one binary, chosen by `MOTCUA_ROLE`: `api` (the console behind the
//! JWT authorizer) and `announcer` (the announcement job consumer).

use std::sync::Arc;

use admin::auth::Auth;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use motcua_app::announce::{Announcements, Pace};
use motcua_app::staff::StaffDesk;
use motcua_runtime::aws::{Aws, env};

#[tokio::main]
async fn main() -> Result<(), Error> {
    motcua_runtime::logging::init();
    let aws = Aws::load().await?;
    let store = aws.store()?;
    let zalo = aws.zalo(store.clone());
    let desk = Arc::new(StaffDesk {
        messenger: zalo.messenger.clone(),
        store,
        tenancy: Arc::new(aws.deployment.tenancy.clone()),
        clock: aws.clock.clone(),
        metrics: aws.metrics.clone(),
    });
    let queue = aws.queue("ANNOUNCEMENTS_QUEUE_URL", "ANNOUNCEMENTS_DLQ_URL")?;
    if env("MOTCUA_ROLE").as_deref().ok() == Some("announcer") {
        // its own share of the Zalo budget, and way given to the notifier's backlog
        let notices = aws.queue("INBOUND_QUEUE_URL", "INBOUND_DLQ_URL")?;
        let announcements = Announcements {
            desk,
            messenger: zalo.announcer(),
            queue,
            pace: Some(Pace::deployed(notices)),
        };
        let a = &announcements;
        return lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
            Ok::<_, Error>(admin::handle_sqs(a, e.payload).await)
        }))
        .await;
    }
    let auth = Auth::Jwt {
        login_url: std::env::var("MOTCUA_ADMIN_LOGIN_URL").ok(),
    };
    let announcements = Arc::new(Announcements {
        desk: desk.clone(),
        messenger: zalo.messenger,
        queue,
        pace: None,
    });
    let state = Arc::new(admin::AdminState {
        desk,
        announcements,
        auth,
    });
    let app = admin::router(state).layer(axum::middleware::map_request(admin::with_jwt_claims));
    lambda_http::run(app).await
}
