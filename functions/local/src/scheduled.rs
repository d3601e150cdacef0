//! The scheduled jobs, as their Lambda runs them on AWS: the due-date watch (every 10 minutes
//! locally), the daily purge, which here also sweeps what DynamoDB's TTL and SQS's message
//! retention would remove (expired records, old dead letters), and the hourly read of Zalo's
//! follower count (once per day; the token refresher's run on AWS), and the delivery sweep.

use std::sync::Arc;
use std::time::Duration;

use motcua_app::retention::{Purge, PurgeReport, PurgeSettings};
use tokio::sync::watch;

use crate::AppState;

/// Dead letters are kept this many days (`MOTCUA_DEAD_LETTER_DAYS`), as SQS keeps a DLQ's
/// messages for its `MessageRetentionPeriod` (`MessageRetentionSeconds`, 14 days by default).
pub fn dead_letter_days() -> i64 {
    std::env::var("MOTCUA_DEAD_LETTER_DAYS")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|d| *d > 0)
        .unwrap_or(14)
}

/// One purge: each tenant's retention, then the dead letters of every queue. Returns the
/// store's report and how many dead letters were dropped.
pub async fn purge_once(state: &AppState) -> Result<(PurgeReport, usize), String> {
    let purge = Purge {
        store: state.store.clone(),
        tenancy: state.tenancy.clone(),
        clock: state.clock.clone(),
        metrics: state.metrics.clone(),
        settings: PurgeSettings::from_env(),
    };
    let report = purge.run().await.map_err(|e| e.to_string())?;
    let before = state.clock.now() - chrono::Duration::days(dead_letter_days());
    let mut dropped = 0;
    for q in [
        &state.inbound,
        &state.zalo_events,
        &state.outbound,
        &state.announcements,
    ] {
        dropped += q
            .dead_letter_queue()
            .purge_sent_before(before)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok((report, dropped))
}

/// The purge at start and then once a day.
pub async fn purge_daily(state: Arc<AppState>, stop: watch::Receiver<bool>) {
    every(Duration::from_secs(24 * 3600), stop, || async {
        match purge_once(&state).await {
            Ok((report, dead_letters)) => tracing::info!(?report, dead_letters, "purge"),
            Err(e) => tracing::error!(error = %e, "purge failed"),
        }
    })
    .await
}

/// The due-date watch, as the hourly Lambda does on AWS (every 10 minutes locally).
pub async fn watch_due_dates(state: Arc<AppState>, stop: watch::Receiver<bool>) {
    let watch = motcua_app::due::DueWatch {
        store: state.store.clone(),
        tenancy: state.tenancy.clone(),
        clock: state.clock.clone(),
        metrics: state.metrics.clone(),
        settings: motcua_app::due::DueSettings::from_env(),
    };
    every(Duration::from_secs(600), stop, || async {
        match watch.run().await {
            Ok(report) => tracing::info!(?report, "due-date watch"),
            Err(e) => tracing::error!(error = %e, "due-date watch failed"),
        }
    })
    .await
}

/// One delivery sweep: overdue receipts expire, unreported statuses go to the outbound queue.
pub async fn sweep_once(
    state: &AppState,
) -> Result<motcua_app::delivery::Swept, motcua_app::delivery::LedgerError> {
    motcua_app::delivery::Sweep {
        store: state.store.clone(),
        tenancy: state.tenancy.clone(),
        outbound: Arc::new(state.outbound.clone()),
        clock: state.clock.clone(),
        metrics: state.metrics.clone(),
    }
    .run()
    .await
}

/// The delivery sweep every 15 minutes, as on AWS.
pub async fn sweep_deliveries(state: Arc<AppState>, stop: watch::Receiver<bool>) {
    every(Duration::from_secs(900), stop, || async {
        if let Err(e) = sweep_once(&state).await {
            tracing::error!(error = %e, "delivery sweep failed");
        }
    })
    .await
}

/// One start of the scheduled announcements whose time has come.
pub async fn start_announcements_once(
    state: &AppState,
) -> Result<motcua_app::announce::schedule::Started, motcua_app::StoreError> {
    motcua_app::announce::ScheduledStart {
        store: state.store.clone(),
        tenancy: state.tenancy.clone(),
        queue: Arc::new(state.announcements.clone()),
        clock: state.clock.clone(),
    }
    .run()
    .await
}

/// Scheduled announcements, looked at every minute (every 5 on AWS).
pub async fn start_scheduled_announcements(state: Arc<AppState>, stop: watch::Receiver<bool>) {
    every(Duration::from_secs(60), stop, || async {
        if let Err(e) = start_announcements_once(&state).await {
            tracing::error!(error = %e, "scheduled announcements not started");
        }
    })
    .await
}

/// One read of every OA's follower count (a no-op for an OA already read today).
pub async fn read_followers_once(state: &AppState) -> motcua_app::oa_followers::FollowersReport {
    motcua_app::oa_followers::record_followers(
        state.store.as_ref(),
        &state.tenancy,
        state.conversation.messenger.as_ref(),
        state.clock.as_ref(),
    )
    .await
}

/// Zalo's follower count, hourly as on AWS: the first run of each day reads it.
pub async fn read_followers_hourly(state: Arc<AppState>, stop: watch::Receiver<bool>) {
    every(Duration::from_secs(3600), stop, || async {
        let report = read_followers_once(&state).await;
        tracing::info!(?report, "Zalo follower count");
    })
    .await
}

/// The canary every hour, as the token refresher runs it on AWS.
pub async fn canary_hourly(state: Arc<AppState>, stop: watch::Receiver<bool>) {
    every(Duration::from_secs(3600), stop, || async {
        let report = motcua_app::canary::Canary {
            tenancy: state.tenancy.clone(),
            messenger: state.conversation.messenger.clone(),
            clock: state.clock.clone(),
            metrics: state.metrics.clone(),
        }
        .run()
        .await;
        tracing::info!(?report, "canary");
    })
    .await
}

/// Runs `job` now and then every `period` until `stop` changes.
async fn every<F, Fut>(period: Duration, mut stop: watch::Receiver<bool>, job: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        job().await;
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(period) => {}
        }
    }
}
