//! The Lambda side of SQS: an event source batch as queue messages, and the partial batch
//! failures the consumers report back (every function with an SQS trigger uses both).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use motcua_app::{Ack, QueueMessage};

/// The records of an SQS event. A record without a message id could not be reported as a
/// failure on its own, so it is left out (Lambda always sets the id).
pub fn messages(event: SqsEvent) -> Vec<QueueMessage> {
    event
        .records
        .into_iter()
        .filter_map(|r| {
            Some(QueueMessage {
                message_id: r.message_id.filter(|id| !id.is_empty())?,
                receive_count: r
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
                sent_at: r
                    .attributes
                    .get("SentTimestamp")
                    .and_then(|ms| ms.parse::<i64>().ok())
                    .and_then(chrono::DateTime::from_timestamp_millis),
                receipt: r.receipt_handle.unwrap_or_default(),
                body: r.body.unwrap_or_default(),
                dead_letter_reason: None,
            })
        })
        .collect()
}

/// `ReportBatchItemFailures`: every message whose ack is `Retry` comes back, the rest are
/// deleted by Lambda.
pub fn batch_response(messages: &[QueueMessage], acks: &[Ack]) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for (m, ack) in messages.iter().zip(acks) {
        if *ack == Ack::Retry {
            response.add_failure(m.message_id.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_messages_and_retries_become_failures() {
        let event: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [
            {"messageId": "m-1", "receiptHandle": "r-1", "body": "a",
             "attributes": {"ApproximateReceiveCount": "3"}, "messageAttributes": {}},
            {"messageId": "", "receiptHandle": "r-x", "body": "no id",
             "attributes": {}, "messageAttributes": {}},
            {"messageId": "m-2", "receiptHandle": "r-2", "body": "b",
             "attributes": {}, "messageAttributes": {}}
        ]}))
        .unwrap();
        let messages = messages(event);
        let ids: Vec<_> = messages.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, ["m-1", "m-2"]);
        assert_eq!(messages[0].receive_count, 3);
        assert_eq!(messages[1].receive_count, 1);
        assert_eq!(
            (messages[0].receipt.as_str(), messages[0].body.as_str()),
            ("r-1", "a")
        );

        let response = batch_response(&messages, &[Ack::Delete, Ack::Retry]);
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["m-2"]);
    }
}
