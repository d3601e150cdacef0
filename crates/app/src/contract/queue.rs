//! The queue contract (`queue_contract_tests!`).

use super::*;

pub async fn queue_send_receive_delete(q: &dyn Queue, _dlq: &dyn Queue) {
    let id = q.send(r#"{"n":1}"#).await.unwrap();
    assert!(!id.is_empty());
    let got = q.receive(10, Duration::from_secs(2)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, r#"{"n":1}"#);
    assert_eq!(got[0].message_id, id);
    assert_eq!(got[0].receive_count, 1);
    q.delete(&got[0].receipt).await.unwrap();
    assert!(
        q.receive(10, Duration::from_millis(0))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn queue_received_messages_are_invisible_until_retried(q: &dyn Queue, _dlq: &dyn Queue) {
    q.send("a").await.unwrap();
    let first = q.receive(1, Duration::from_secs(2)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        q.receive(1, Duration::from_millis(0))
            .await
            .unwrap()
            .is_empty(),
        "in flight: not delivered twice"
    );
    q.retry_later(&first[0].receipt, Duration::from_secs(0))
        .await
        .unwrap();
    let again = q.receive(1, Duration::from_secs(2)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].body, "a");
    assert_eq!(again[0].receive_count, 2);
    q.delete(&again[0].receipt).await.unwrap();
}

pub async fn queue_dead_letter_keeps_body_and_reason(q: &dyn Queue, dlq: &dyn Queue) {
    q.dead_letter("{broken", "invalid JSON: expected value at line 1 column 2")
        .await
        .unwrap();
    let got = dlq.receive(10, Duration::from_secs(2)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "{broken");
    assert_eq!(
        got[0].dead_letter_reason.as_deref(),
        Some("invalid JSON: expected value at line 1 column 2")
    );
    assert!(
        q.receive(10, Duration::from_millis(0))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn queue_receive_respects_max_and_empty_wait(q: &dyn Queue, _dlq: &dyn Queue) {
    for i in 0..5 {
        q.send(&format!("m{i}")).await.unwrap();
    }
    let mut bodies = Vec::new();
    let first = q.receive(3, Duration::from_secs(2)).await.unwrap();
    assert!(!first.is_empty() && first.len() <= 3);
    bodies.extend(first.iter().map(|m| m.body.clone()));
    for m in &first {
        q.delete(&m.receipt).await.unwrap();
    }
    while bodies.len() < 5 {
        let more = q.receive(3, Duration::from_secs(2)).await.unwrap();
        assert!(!more.is_empty(), "messages went missing: have {bodies:?}");
        for m in &more {
            bodies.push(m.body.clone());
            q.delete(&m.receipt).await.unwrap();
        }
    }
    bodies.sort();
    assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4"]);
    let started = std::time::Instant::now();
    assert!(
        q.receive(3, Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

pub async fn queue_waiting_counts_what_waits_for_a_consumer(q: &dyn Queue, _dlq: &dyn Queue) {
    assert_eq!(q.waiting().await.unwrap(), 0, "a fresh queue");
    for i in 0..3 {
        q.send(&format!("w{i}")).await.unwrap();
    }
    assert_eq!(q.waiting().await.unwrap(), 3);
    let got = q.receive(1, Duration::from_secs(2)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(q.waiting().await.unwrap(), 2, "in flight is not waiting");
    q.retry_later(&got[0].receipt, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(q.waiting().await.unwrap(), 2, "held back by a retry delay");
    let rest = q.receive(10, Duration::from_secs(2)).await.unwrap();
    for m in &rest {
        q.delete(&m.receipt).await.unwrap();
    }
    let left = 2 - rest.len() as u64;
    assert_eq!(q.waiting().await.unwrap(), left);
}
