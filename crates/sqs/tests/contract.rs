//! The queue contract suite against SQS on moto (`AWS_ENDPOINT_URL`, see
//! `infra/scripts/moto.sh`), one fresh queue pair per test, plus what only this adapter has to
//! show.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::Credentials;
use motcua_app::contract::moto_endpoint;
use motcua_app::{Queue, QueueError};
use motcua_sqs::{QueuePairSettings, SqsQueue, create_queue_pair};

/// A client for moto with static test credentials (never the ambient ones).
async fn client(endpoint: &str) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        // moto on loopback: plain HTTP (the SDK has no default client without its aws-lc TLS)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(Region::new("ap-southeast-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    Client::new(&config)
}

/// A new, empty queue and its dead-letter queue.
async fn fresh_pair(endpoint: &str, settings: QueuePairSettings) -> (SqsQueue, SqsQueue) {
    let client = client(endpoint).await;
    let name = format!("motcua-test-{}", uuid::Uuid::new_v4().simple());
    let (url, dlq_url) = create_queue_pair(&client, &name, settings)
        .await
        .expect("create a test queue pair on moto");
    let queue = SqsQueue::new(client, url, dlq_url);
    let dead_letters = queue.dead_letter_queue();
    (queue, dead_letters)
}

async fn fresh_queues(endpoint: String) -> (SqsQueue, SqsQueue) {
    fresh_pair(&endpoint, QueuePairSettings::default()).await
}

// The factory expression is awaited inside each generated test: its `return` skips the test.
motcua_app::queue_contract_tests!(match moto_endpoint() {
    Some(endpoint) => fresh_queues(endpoint),
    None => return,
});

#[tokio::test]
async fn unknown_receipts_are_bad_receipts() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let (q, _) = fresh_queues(endpoint).await;
    assert_eq!(q.delete("not-a-receipt").await, Err(QueueError::BadReceipt));
    assert_eq!(
        q.retry_later("not-a-receipt", Duration::ZERO).await,
        Err(QueueError::BadReceipt)
    );
}

#[tokio::test]
async fn messages_received_too_often_move_to_the_dead_letter_queue() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let settings = QueuePairSettings {
        visibility_timeout: Duration::from_secs(1),
        max_receive_count: 2,
    };
    let (q, dlq) = fresh_pair(&endpoint, settings).await;
    q.send("poison").await.unwrap();
    for attempt in 1..=2 {
        let got = q.receive(1, Duration::from_secs(3)).await.unwrap();
        assert_eq!(got.len(), 1, "attempt {attempt}");
        assert_eq!(got[0].receive_count, attempt);
        // not deleted: the visibility timeout brings it back
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(q.receive(1, Duration::ZERO).await.unwrap().is_empty());
    let dead = dlq.receive(1, Duration::from_secs(2)).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].dead_letter_reason, None);
}

#[tokio::test]
async fn sdk_errors_are_unavailable_and_name_the_operation() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let url = format!("{endpoint}/123456789012/motcua-test-missing-queue");
    let q = SqsQueue::new(client(&endpoint).await, url, "unused");
    match q.send("x").await {
        Err(QueueError::Unavailable(message)) => {
            assert!(message.contains("SendMessage"), "{message}");
            assert!(message.contains("motcua-test-missing-queue"), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
}

/// A FIFO queue keeps one group's order and drops an identical body sent again (Zalo's quick
/// retries); a standard queue takes `send_in_group` as a plain send.
#[tokio::test]
async fn fifo_groups_keep_order_and_drop_identical_resends() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let client = client(&endpoint).await;
    let name = format!("motcua-fifo-{}.fifo", uuid::Uuid::new_v4().simple());
    let url = client
        .create_queue()
        .queue_name(&name)
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_url = client
        .create_queue()
        .queue_name(name.replace(".fifo", "-dlq.fifo"))
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let q = SqsQueue::new(client, url.clone(), dlq_url);
    // a poison event dead-letters into the FIFO dead-letter queue with its reason
    q.dead_letter("poison", "not a Zalo event").await.unwrap();
    let dead = q
        .dead_letter_queue()
        .receive(10, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].dead_letter_reason.as_deref(),
        Some("not a Zalo event")
    );
    for body in ["u1-first", "u1-second", "u1-first", "u1-third"] {
        q.send_in_group(body, "user-1").await.unwrap();
    }
    let mut bodies = Vec::new();
    for _ in 0..5 {
        for m in q.receive(10, Duration::from_secs(1)).await.unwrap() {
            bodies.push(m.body.clone());
            q.delete(&m.receipt).await.unwrap();
        }
        if bodies.len() >= 3 {
            break;
        }
    }
    assert_eq!(bodies, ["u1-first", "u1-second", "u1-third"]);

    let (standard, _) = fresh_queues(endpoint).await;
    standard.send_in_group("plain", "user-1").await.unwrap();
    assert_eq!(
        standard.receive(1, Duration::from_secs(1)).await.unwrap()[0].body,
        "plain"
    );
}
