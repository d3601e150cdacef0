//! The notifier: takes the raw SQS batch (never `SqsEventObj`, so one bad body cannot fail the
//! batch), processes its records concurrently, and reports partial batch failures. A record
//! that can never succeed goes to the dead-letter queue with its reason and is not retried.
//! The local server runs the same `process_batch` on its embedded queue.

#[cfg(feature = "lambda")]
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
pub use motcua_app::Ack;
use motcua_app::notify::{Disposition, Notifier};
use motcua_app::{Queue, QueueMessage};
#[cfg(feature = "lambda")]
use motcua_sqs::lambda;
use tracing::Instrument;

/// Processes one message and does the queue-side work of its disposition. Its log lines carry
/// the message's span; the span is attached to the future (`Instrument`), never entered across
/// an await, so concurrent messages of a batch never log under each other's ids.
pub async fn process(notifier: &Notifier, queue: &dyn Queue, msg: &QueueMessage) -> Ack {
    let span = tracing::info_span!("message", message_id = %msg.message_id, receive_count = msg.receive_count);
    dispose(notifier, queue, msg).instrument(span).await
}

async fn dispose(notifier: &Notifier, queue: &dyn Queue, msg: &QueueMessage) -> Ack {
    match notifier.process_message_sent(&msg.body, msg.sent_at).await {
        Disposition::Done(_) => Ack::Delete,
        Disposition::DeadLetter(reason) => {
            tracing::error!(reason = %reason, "dead-lettering a message that can never succeed");
            let letter = motcua_app::dead_letter::seal(&notifier.tenancy, &msg.body);
            match queue.dead_letter(&letter, &reason).await {
                Ok(()) => Ack::Delete,
                Err(e) => {
                    tracing::error!(error = %e, "dead-letter queue unavailable; leaving the message");
                    Ack::Retry
                }
            }
        }
        Disposition::Retry { after, reason } => {
            tracing::warn!(reason = %reason, after_secs = after.map(|d| d.as_secs()), "will retry");
            if let Some(delay) = after {
                let delay = delay.min(notifier.settings.max_retry_delay);
                if let Err(e) = queue.retry_later(&msg.receipt, delay).await {
                    tracing::warn!(error = %e, "could not delay the retry; the visibility timeout applies");
                }
            }
            Ack::Retry
        }
    }
}

/// All records of a batch at once: a batch of 10 costs about one Zalo round trip, not ten.
/// SQS batches are at most 10 records, which bounds the concurrency.
pub async fn process_batch(
    notifier: &Notifier,
    queue: &dyn Queue,
    messages: &[QueueMessage],
) -> Vec<Ack> {
    futures_util::future::join_all(messages.iter().map(|m| process(notifier, queue, m))).await
}

/// The Lambda entry: SQS event in, partial batch failures out.
#[cfg(feature = "lambda")]
pub async fn handle_sqs(
    notifier: &Notifier,
    queue: &dyn Queue,
    event: SqsEvent,
) -> SqsBatchResponse {
    let messages = lambda::messages(event);
    let acks = process_batch(notifier, queue, &messages).await;
    lambda::batch_response(&messages, &acks)
}
