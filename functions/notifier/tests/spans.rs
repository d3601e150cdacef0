//! Log lines of a batch carry their own message's span and no other: the records of a batch
//! run concurrently (`join_all`), so a span entered across an await would make every later
//! record log under the earlier records' ids.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::Harness;
use motcua_app::{Queue, QueueError, QueueMessage};

/// A queue whose dead-letter call yields before it returns, as a network call would.
struct YieldingQueue;

#[async_trait]
impl Queue for YieldingQueue {
    async fn send(&self, _body: &str) -> Result<String, QueueError> {
        Ok("id".into())
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
    async fn dead_letter(&self, _body: &str, _reason: &str) -> Result<(), QueueError> {
        tokio::task::yield_now().await;
        tracing::info!("dead letter stored");
        Ok(())
    }
    async fn waiting(&self) -> Result<u64, QueueError> {
        Ok(0)
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_log_line_carries_only_its_own_message_span() {
    let h = Harness::embedded().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let messages: Vec<QueueMessage> = (1..=4)
        .map(|n| QueueMessage {
            message_id: format!("msg-{n}"),
            receipt: format!("r-{n}"),
            body: format!("not json {n}"),
            receive_count: 1,
            dead_letter_reason: None,
            sent_at: None,
        })
        .collect();
    let acks = notifier::process_batch(&h.notifier, &YieldingQueue, &messages).await;
    assert_eq!(acks, vec![notifier::Ack::Delete; 4]);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("dead")).collect();
    // each record logs twice: before the dead-letter call and after it has yielded
    assert_eq!(lines.len(), 8, "{log}");
    for line in &lines {
        assert_eq!(
            line.matches("message{").count(),
            1,
            "a line under another message's span: {line}"
        );
    }
    for n in 1..=4 {
        let own = lines
            .iter()
            .filter(|l| l.contains(&format!("message_id=msg-{n} ")))
            .count();
        assert_eq!(own, 2, "msg-{n}'s two lines carry its id:\n{log}");
    }
}
