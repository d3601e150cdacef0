//! Message queues (SQS, the embedded queue).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    #[error("unknown or expired receipt handle")]
    BadReceipt,
}

/// A message received from a queue; invisible to other consumers until deleted or its
/// visibility timeout passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    pub receipt: String,
    pub body: String,
    /// 1 on the first delivery.
    pub receive_count: u32,
    /// When the queue first accepted the message (SQS `SentTimestamp`; the embedded queue's
    /// enqueue time). Unchanged by re-deliveries.
    pub sent_at: Option<DateTime<Utc>>,
    /// On a dead-letter queue: why the message was put there (`None` when the queue moved it
    /// after too many receives).
    pub dead_letter_reason: Option<String>,
}

/// What a consumer tells its queue after processing a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// Done (or dead-lettered): remove it from the queue.
    Delete,
    /// Leave it: it comes back after its visibility timeout (or the delay set by the consumer).
    Retry,
}

#[async_trait]
pub trait Queue: Send + Sync {
    async fn send(&self, body: &str) -> Result<String, QueueError>;
    /// Sends in an ordered group (an SQS FIFO message group: one Zalo user's events stay in
    /// order). Queues without groups send plainly.
    async fn send_in_group(&self, body: &str, group: &str) -> Result<String, QueueError> {
        let _ = group;
        self.send(body).await
    }
    /// Up to `max` messages, waiting up to `wait` for the first one.
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<QueueMessage>, QueueError>;
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;
    /// Makes the message visible again after `delay` (a retry with back-off).
    async fn retry_later(&self, receipt: &str, delay: Duration) -> Result<(), QueueError>;
    /// Puts a message that can never succeed on the dead-letter queue with its reason.
    async fn dead_letter(&self, body: &str, reason: &str) -> Result<(), QueueError>;
    /// How many messages wait for a consumer now: visible, neither in flight nor held back by
    /// a retry delay (SQS `ApproximateNumberOfMessages`). The notifier's backlog, which
    /// announcements give way to.
    async fn waiting(&self) -> Result<u64, QueueError>;
}

/// A queue that keeps what is sent to it, in order, and refuses sends while `failing` is set:
/// the outbound queue of tests and benches.
#[derive(Default)]
pub struct RecordingQueue {
    sent: std::sync::Mutex<Vec<String>>,
    pub failing: std::sync::atomic::AtomicBool,
}

impl RecordingQueue {
    /// Every body sent so far, oldest first.
    pub fn sent(&self) -> Vec<String> {
        self.sent.lock().expect("queue lock").clone()
    }

    pub fn fail(&self, failing: bool) {
        self.failing
            .store(failing, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait]
impl Queue for RecordingQueue {
    async fn send(&self, body: &str) -> Result<String, QueueError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(QueueError::Unavailable(
                "recording queue set to fail".into(),
            ));
        }
        let mut sent = self.sent.lock().expect("queue lock");
        sent.push(body.to_string());
        Ok(format!("m{}", sent.len()))
    }
    async fn receive(&self, _max: usize, _wait: Duration) -> Result<Vec<QueueMessage>, QueueError> {
        Ok(Vec::new())
    }
    async fn delete(&self, _receipt: &str) -> Result<(), QueueError> {
        Ok(())
    }
    async fn retry_later(&self, _receipt: &str, _delay: Duration) -> Result<(), QueueError> {
        Ok(())
    }
    async fn dead_letter(&self, body: &str, _reason: &str) -> Result<(), QueueError> {
        self.send(body).await.map(|_| ())
    }
    /// Nobody consumes a recording queue: nothing waits on it.
    async fn waiting(&self) -> Result<u64, QueueError> {
        Ok(0)
    }
}
