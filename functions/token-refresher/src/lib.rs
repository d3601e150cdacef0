//! The scheduled token refresher: for every OA, refresh when less than the margin (5 h) of the
//! access token's 25 h is left. Runs hourly, so a refresh gets several chances before expiry.
//! A refused refresh raises `TokenRefreshFailed` (alarmed) and is not retried by this run.

use motcua_zalo::TokenManager;
use motcua_zalo::tokens::RefreshOutcome;
use serde::Serialize;

/// What one run did, returned as the invocation result (visible in the Lambda console).
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub refreshed: Vec<String>,
    pub not_due: Vec<String>,
    /// OA id and reason (never a token).
    pub failed: Vec<(String, String)>,
}

pub async fn run(manager: &TokenManager) -> Report {
    let mut report = Report::default();
    for oa in manager.oa_ids() {
        match manager.refresh_if_due(&oa).await {
            Ok(RefreshOutcome::NotDue { expires_at }) => {
                tracing::info!(oa, %expires_at, "token not due");
                report.not_due.push(oa);
            }
            Ok(
                RefreshOutcome::Refreshed { version }
                | RefreshOutcome::RefreshedElsewhere { version },
            ) => {
                tracing::info!(oa, version, "token refreshed");
                report.refreshed.push(oa);
            }
            Err(e) => {
                tracing::error!(oa, error = %e, "token refresh failed");
                report.failed.push((oa, e.to_string()));
            }
        }
    }
    report
}

/// The hourly run: every OA's tokens, then, once per Vietnam day, Zalo's follower count of each
/// tenant's OA into the statistics (`motcua_app::oa_followers`), then the canary
/// (`motcua_app::canary`) of each tenant that names a staff tester.
pub struct Hourly {
    pub tokens: std::sync::Arc<TokenManager>,
    pub store: std::sync::Arc<dyn motcua_app::Store>,
    pub canary: motcua_app::canary::Canary,
}

#[derive(Debug, Serialize)]
pub struct HourlyReport {
    pub tokens: Report,
    pub followers: motcua_app::oa_followers::FollowersReport,
    pub canary: motcua_app::canary::CanaryReport,
}

impl Hourly {
    pub async fn run(&self) -> HourlyReport {
        let tokens = run(&self.tokens).await;
        let c = &self.canary;
        let followers = motcua_app::oa_followers::record_followers(
            self.store.as_ref(),
            &c.tenancy,
            c.messenger.as_ref(),
            c.clock.as_ref(),
        )
        .await;
        let canary = c.run().await;
        HourlyReport {
            tokens,
            followers,
            canary,
        }
    }
}
