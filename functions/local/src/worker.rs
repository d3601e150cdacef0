//! Consumes the inbound queue of legacy events, as the notifier Lambda does on AWS: each message
//! is applied or, if it can never succeed, moved to the dead-letter queue with its reason.

use std::sync::Arc;
use std::time::Duration;

use motcua_app::ingest::{IngestError, apply_event};
use motcua_app::{Queue, QueueMessage};
use motcua_domain::DossierEvent;
use tokio::sync::watch;

use crate::AppState;

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Applied,
    DeadLettered(String),
    /// Left on the queue; it comes back after the back-off.
    Retry(String),
}

/// Processes one message and acknowledges it as its disposition requires.
pub async fn handle(state: &AppState, msg: &QueueMessage) -> Disposition {
    let outcome = match DossierEvent::from_json(&msg.body) {
        Err(e) => Err(e.to_string()),
        Ok(event) => match apply_event(
            state.store.as_ref(),
            &state.tenancy,
            &event,
            state.clock.now(),
        )
        .await
        {
            Ok(outcome) => {
                for w in &outcome.warnings {
                    tracing::warn!(event_id = %event.event_id, code = %outcome.code, warning = %w, "event data problem");
                }
                tracing::info!(event_id = %event.event_id, code = %outcome.code, tenant = %outcome.tenant,
                    current = outcome.current, "event applied");
                Ok(())
            }
            Err(e @ IngestError::UnknownTenant(_)) => Err(e.to_string()),
            Err(e) => {
                tracing::warn!(event_id = %event.event_id, error = %e, "event will be retried");
                let delay = Duration::from_secs(2u64.pow(msg.receive_count.min(6)));
                return match state.inbound.retry_later(&msg.receipt, delay).await {
                    Ok(()) => Disposition::Retry(e.to_string()),
                    Err(q) => Disposition::Retry(format!("{e}; {q}")),
                };
            }
        },
    };
    match outcome {
        Ok(()) => match state.inbound.delete(&msg.receipt).await {
            Ok(()) => Disposition::Applied,
            Err(e) => Disposition::Retry(e.to_string()),
        },
        Err(reason) => {
            tracing::error!(message_id = %msg.message_id, reason = %reason, "message dead-lettered");
            if let Err(e) = state.inbound.dead_letter(&msg.body, &reason).await {
                return Disposition::Retry(format!("dead-letter failed: {e}"));
            }
            match state.inbound.delete(&msg.receipt).await {
                Ok(()) => Disposition::DeadLettered(reason),
                Err(e) => Disposition::Retry(e.to_string()),
            }
        }
    }
}

/// Receives and handles messages until `stop` turns true.
pub async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        let batch = tokio::select! {
            _ = stop.changed() => return,
            r = state.inbound.receive(10, Duration::from_secs(1)) => r,
        };
        match batch {
            Ok(messages) => {
                for m in &messages {
                    handle(&state, m).await;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "inbound queue receive failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        if *stop.borrow() {
            return;
        }
    }
}
