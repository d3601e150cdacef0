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

/// All records of a batch at once, except that one dossier's records go one after the other,
/// in the order the queue took them: a batch of 10 costs about one Zalo round trip, and a
/// dossier's received / processing / result bodies in one batch are applied in their order,
/// not raced (the older one would be history by the time it lands). SQS batches are at most 10
/// records, which bounds the concurrency.
pub async fn process_batch(
    notifier: &Notifier,
    queue: &dyn Queue,
    messages: &[QueueMessage],
) -> Vec<Ack> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let key = dossier_key(&m.body).unwrap_or_else(|| format!("message:{}", m.message_id));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for (_, members) in &mut groups {
        members.sort_by_key(|&i| (messages[i].sent_at, i));
    }
    let done = futures_util::future::join_all(groups.iter().map(|(_, members)| async move {
        let mut acks = Vec::with_capacity(members.len());
        for &i in members {
            acks.push((i, process(notifier, queue, &messages[i]).await));
        }
        acks
    }))
    .await;
    let mut acks = vec![Ack::Retry; messages.len()];
    for (i, ack) in done.into_iter().flatten() {
        acks[i] = ack;
    }
    acks
}

/// The dossier a body is about (canonical `dossier.code`, DVCQG `MaHoSo`, bare or in an
/// envelope), to keep one dossier's records in order; `None` when it cannot be told.
fn dossier_key(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let code = motcua_domain::event::code_in_body(&v)?;
    Some(format!("dossier:{}", code.trim().to_uppercase()))
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
