//! SQS adapter of the [`Queue`] port: a queue and its dead-letter queue. SQS moves messages
//! received too often to the dead-letter queue itself (redrive policy); [`Queue::dead_letter`]
//! sends a message that can never succeed there directly, with its reason as a message attribute.

pub mod lambda;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::operation::change_message_visibility::ChangeMessageVisibilityError;
use aws_sdk_sqs::operation::delete_message::DeleteMessageError;
use aws_sdk_sqs::types::{
    Message, MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
};
use motcua_app::{Queue, QueueError, QueueMessage};
use sha2::{Digest, Sha256};

/// The message attribute that carries why a message was dead-lettered.
pub const DEAD_LETTER_REASON: &str = "motcua-dead-letter-reason";

/// Longest dead-letter reason kept, in characters.
const MAX_REASON_CHARS: usize = 1000;

const MAX_WAIT_SECONDS: u128 = 20;
const MAX_DELAY_SECONDS: u128 = 12 * 60 * 60;

/// One SQS queue and the dead-letter queue its failures go to.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    dead_letter_url: String,
}

impl SqsQueue {
    pub fn new(
        client: Client,
        queue_url: impl Into<String>,
        dead_letter_url: impl Into<String>,
    ) -> Self {
        SqsQueue {
            client,
            queue_url: queue_url.into(),
            dead_letter_url: dead_letter_url.into(),
        }
    }

    /// The dead-letter queue as a queue of its own, to read or redrive what landed there.
    /// Dead-lettering from it keeps the message in it.
    pub fn dead_letter_queue(&self) -> SqsQueue {
        SqsQueue::new(
            self.client.clone(),
            self.dead_letter_url.clone(),
            self.dead_letter_url.clone(),
        )
    }

    fn unavailable<E, R>(&self, operation: &str, queue_url: &str, err: SdkError<E, R>) -> QueueError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        QueueError::Unavailable(format!(
            "SQS {operation} on {queue_url} failed: {}",
            error_chain(&err)
        ))
    }
}

/// An error and its sources on one line, without the `Debug` form of SDK errors (it includes
/// the raw response, which may echo message bodies).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut last = text.clone();
    let mut source = err.source();
    while let Some(cause) = source {
        // Operation errors display like the service error they wrap: say it once.
        let cause_text = cause.to_string();
        if cause_text != last {
            text.push_str(": ");
            text.push_str(&cause_text);
            last = cause_text;
        }
        source = cause.source();
    }
    text
}

/// The long-poll wait in whole seconds, rounded to the nearest, at most 20 (the SQS limit).
fn wait_seconds(wait: Duration) -> i32 {
    let seconds = (wait.as_millis() + 500) / 1000;
    seconds.min(MAX_WAIT_SECONDS) as i32
}

/// A delay in whole seconds, rounded up (a back-off is never shortened), at most 12 h (the
/// SQS limit).
fn delay_seconds(delay: Duration) -> i32 {
    delay.as_millis().div_ceil(1000).min(MAX_DELAY_SECONDS) as i32
}

/// The dead-letter reason as SQS accepts it: not empty, at most [`MAX_REASON_CHARS`]
/// characters, and only characters SQS allows in attributes.
fn reason_attribute(reason: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    let reason: String = reason
        .chars()
        .take(MAX_REASON_CHARS)
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect();
    if reason.trim().is_empty() {
        "unspecified".to_string()
    } else {
        reason
    }
}

fn decode(message: &Message) -> Result<QueueMessage, QueueError> {
    let missing = |what: &str| {
        QueueError::Unavailable(format!(
            "SQS ReceiveMessage returned a message without {what}"
        ))
    };
    let receive_count = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .ok_or_else(|| missing("ApproximateReceiveCount"))?;
    let sent_at = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(chrono::DateTime::from_timestamp_millis);
    Ok(QueueMessage {
        sent_at,
        message_id: message
            .message_id()
            .ok_or_else(|| missing("MessageId"))?
            .to_string(),
        receipt: message
            .receipt_handle()
            .ok_or_else(|| missing("ReceiptHandle"))?
            .to_string(),
        body: message.body().unwrap_or_default().to_string(),
        receive_count: receive_count.parse().map_err(|_| {
            QueueError::Unavailable(format!(
                "SQS ReceiveMessage returned ApproximateReceiveCount {receive_count:?}, not a count"
            ))
        })?,
        dead_letter_reason: message
            .message_attributes()
            .and_then(|a| a.get(DEAD_LETTER_REASON))
            .and_then(|v| v.string_value())
            .map(str::to_string),
    })
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, body: &str) -> Result<String, QueueError> {
        let out = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|err| self.unavailable("SendMessage", &self.queue_url, err))?;
        out.message_id().map(str::to_string).ok_or_else(|| {
            QueueError::Unavailable(format!(
                "SQS SendMessage on {} returned no MessageId",
                self.queue_url
            ))
        })
    }

    /// On a FIFO queue (`….fifo`) the group keeps order and the body's SHA-256 de-duplicates
    /// identical sends within SQS's 5-minute window; on a standard queue this is `send`.
    async fn send_in_group(&self, body: &str, group: &str) -> Result<String, QueueError> {
        if !self.queue_url.ends_with(".fifo") {
            return self.send(body).await;
        }
        let dedup = hex::encode(Sha256::digest(body.as_bytes()));
        let out = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_group_id(group)
            .message_deduplication_id(dedup)
            .send()
            .await
            .map_err(|err| self.unavailable("SendMessage (FIFO)", &self.queue_url, err))?;
        out.message_id().map(str::to_string).ok_or_else(|| {
            QueueError::Unavailable(format!(
                "SQS SendMessage on {} returned no MessageId",
                self.queue_url
            ))
        })
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<QueueMessage>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            // SQS returns at most 10 messages per call.
            .max_number_of_messages(max.min(10) as i32)
            .wait_time_seconds(wait_seconds(wait))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .message_attribute_names(DEAD_LETTER_REASON)
            .send()
            .await
            .map_err(|err| self.unavailable("ReceiveMessage", &self.queue_url, err))?;
        out.messages().iter().map(decode).collect()
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        let result = self
            .client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(DeleteMessageError::ReceiptHandleIsInvalid(_)) => Err(QueueError::BadReceipt),
                _ => Err(self.unavailable("DeleteMessage", &self.queue_url, err)),
            },
        }
    }

    async fn retry_later(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        let result = self
            .client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(delay_seconds(delay))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(
                    ChangeMessageVisibilityError::ReceiptHandleIsInvalid(_)
                    | ChangeMessageVisibilityError::MessageNotInflight(_),
                ) => Err(QueueError::BadReceipt),
                _ => Err(self.unavailable("ChangeMessageVisibility", &self.queue_url, err)),
            },
        }
    }

    async fn dead_letter(&self, body: &str, reason: &str) -> Result<(), QueueError> {
        let reason = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(reason_attribute(reason))
            .build()
            .map_err(|e| {
                QueueError::Unavailable(format!(
                    "cannot build the dead-letter reason attribute: {e}"
                ))
            })?;
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.dead_letter_url)
            .message_body(body)
            .message_attributes(DEAD_LETTER_REASON, reason);
        // A FIFO queue's dead-letter queue is FIFO too: SQS refuses a send without a group.
        // One group keeps dead letters in the order they died.
        if self.dead_letter_url.ends_with(".fifo") {
            send = send
                .message_group_id("dead-letters")
                .message_deduplication_id(hex::encode(Sha256::digest(body.as_bytes())));
        }
        send.send()
            .await
            .map_err(|err| self.unavailable("SendMessage", &self.dead_letter_url, err))?;
        Ok(())
    }

    async fn waiting(&self) -> Result<u64, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|err| self.unavailable("GetQueueAttributes", &self.queue_url, err))?;
        let value = out
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .map(String::as_str)
            .unwrap_or("0");
        value.parse().map_err(|_| {
            QueueError::Unavailable(format!(
                "SQS GetQueueAttributes on {} returned ApproximateNumberOfMessages {value:?}, not a count",
                self.queue_url
            ))
        })
    }
}

/// How [`create_queue_pair`] sets up the main queue.
#[derive(Debug, Clone, Copy)]
pub struct QueuePairSettings {
    /// How long a received message stays invisible before it is delivered again.
    pub visibility_timeout: Duration,
    /// Receives after which SQS moves a message to the dead-letter queue.
    pub max_receive_count: u32,
}

impl Default for QueuePairSettings {
    fn default() -> Self {
        QueuePairSettings {
            visibility_timeout: Duration::from_secs(30),
            max_receive_count: 5,
        }
    }
}

/// Creates `<name>-dlq` and `<name>` redriving to it, for tests and local tooling. Returns the
/// URLs of the queue and of its dead-letter queue.
pub async fn create_queue_pair(
    client: &Client,
    name: &str,
    settings: QueuePairSettings,
) -> Result<(String, String), QueueError> {
    let setup_error = |operation: &str, detail: String| {
        QueueError::Unavailable(format!("SQS {operation} for queue {name} failed: {detail}"))
    };
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        // Keep dead letters as long as SQS allows (14 days).
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|err| setup_error("CreateQueue (dead-letter queue)", error_chain(&err)))?;
    let dlq_url = dlq
        .queue_url()
        .ok_or_else(|| setup_error("CreateQueue (dead-letter queue)", "no QueueUrl".into()))?
        .to_string();
    let attributes = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|err| setup_error("GetQueueAttributes (dead-letter queue)", error_chain(&err)))?;
    let dlq_arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .ok_or_else(|| {
            setup_error(
                "GetQueueAttributes (dead-letter queue)",
                "no QueueArn".into(),
            )
        })?;
    let redrive = format!(
        r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":{}}}"#,
        settings.max_receive_count
    );
    let queue = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            delay_seconds(settings.visibility_timeout).to_string(),
        )
        .send()
        .await
        .map_err(|err| setup_error("CreateQueue", error_chain(&err)))?;
    let url = queue
        .queue_url()
        .ok_or_else(|| setup_error("CreateQueue", "no QueueUrl".into()))?
        .to_string();
    Ok((url, dlq_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letter_reasons_are_short_valid_and_never_empty() {
        assert_eq!(reason_attribute("invalid JSON"), "invalid JSON");
        assert_eq!(reason_attribute(""), "unspecified");
        assert_eq!(reason_attribute("  "), "unspecified");
        assert_eq!(reason_attribute("bad\u{0}byte"), "bad\u{FFFD}byte");
        let long = "ă".repeat(1500);
        assert_eq!(reason_attribute(&long).chars().count(), 1000);
    }

    #[test]
    fn durations_become_whole_seconds_within_sqs_limits() {
        assert_eq!(wait_seconds(Duration::ZERO), 0);
        assert_eq!(wait_seconds(Duration::from_millis(300)), 0);
        assert_eq!(wait_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(wait_seconds(Duration::from_secs(3600)), 20);
        assert_eq!(delay_seconds(Duration::ZERO), 0);
        assert_eq!(delay_seconds(Duration::from_millis(300)), 1);
        assert_eq!(delay_seconds(Duration::from_secs(86_400)), 43_200);
    }
}
