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
