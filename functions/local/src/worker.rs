//! Consumes the inbound queue of legacy events with the notifier Lambda's own code: each
//! message is processed (concurrently within a batch) and deleted when done or dead-lettered;
//! a retryable one stays and comes back after its visibility timeout.

use std::sync::Arc;
use std::time::Duration;

use motcua_app::Queue;
use notifier::Ack;
use tokio::sync::watch;

use crate::AppState;

/// Receives one batch and processes it. Returns how many messages were finished.
pub async fn drain_once(state: &AppState, wait: Duration) -> Result<usize, motcua_app::QueueError> {
    let batch = state.inbound.receive(10, wait).await?;
    let acks = notifier::process_batch(&state.notifier, &state.inbound, &batch).await;
    let mut done = 0;
    for (m, ack) in batch.iter().zip(acks) {
        if ack == Ack::Delete {
            state.inbound.delete(&m.receipt).await?;
            done += 1;
        }
    }
    Ok(done)
}

/// Receives one batch of verified Zalo events and runs the conversation on it.
pub async fn drain_events_once(
    state: &AppState,
    wait: Duration,
) -> Result<usize, motcua_app::QueueError> {
    let batch = state.zalo_events.receive(10, wait).await?;
    let acks = webhook::process_batch(&state.conversation, &state.zalo_events, &batch).await;
    let mut done = 0;
    for (m, ack) in batch.iter().zip(acks) {
        if ack == webhook::Ack::Delete {
            state.zalo_events.delete(&m.receipt).await?;
            done += 1;
        }
    }
    Ok(done)
}

/// Runs the conversation on the webhook's queue until `stop` turns true.
pub async fn run_events(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        let result = tokio::select! {
            _ = stop.changed() => return,
            r = drain_events_once(&state, Duration::from_secs(1)) => r,
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "Zalo event queue unavailable");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Runs until `stop` turns true.
pub async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        let result = tokio::select! {
            _ = stop.changed() => return,
            r = drain_once(&state, Duration::from_secs(1)) => r,
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "inbound queue unavailable");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// The announcement job consumer, as the `announcer` Lambda does on AWS: a job with recipients
/// left to try goes back on the queue for a later attempt.
pub async fn run_announcements(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let queue = &state.announcements;
    loop {
        let batch = tokio::select! {
            _ = stop.changed() => return,
            r = queue.receive(1, Duration::from_secs(1)) => r,
        };
        match batch {
            Err(e) => {
                tracing::error!(error = %e, "announcement queue unavailable");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(messages) => {
                for m in messages {
                    let job: motcua_app::announce::AnnouncementJob = match serde_json::from_str(
                        &m.body,
                    ) {
                        Ok(job) => job,
                        Err(e) => {
                            let reason = format!("not an announcement job: {e}");
                            if let Err(e) = queue.dead_letter(&m.body, &reason).await {
                                tracing::error!(error = %e, "announcement job not dead-lettered");
                                continue;
                            }
                            let _ = queue.delete(&m.receipt).await;
                            continue;
                        }
                    };
                    let done = matches!(
                        state.admin.announcements.run_job(&job).await,
                        Ok(outcome) if outcome.retry == 0 || outcome.continued
                    );
                    let ack = if done {
                        queue.delete(&m.receipt).await
                    } else {
                        queue.retry_later(&m.receipt, Duration::from_secs(5)).await
                    };
                    if let Err(e) = ack {
                        tracing::error!(error = %e, "announcement job not acknowledged");
                    }
                }
            }
        }
        if *stop.borrow() {
            return;
        }
    }
}
