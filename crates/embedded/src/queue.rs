use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use motcua_app::{Queue, QueueError, QueueMessage, StoreError};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::db::{EmbeddedDb, Json, get_json, key, put_json, unavailable};

/// `queue/message id` → message. Ids are UUIDv7, so key order is send order.
const MESSAGES: Json = TableDefinition::new("queue_messages");

pub(crate) fn create_tables(txn: &redb::WriteTransaction) -> Result<(), redb::TableError> {
    txn.open_table(MESSAGES)?;
    Ok(())
}

/// Behaviour of an embedded queue, mirroring the SQS queue settings in `template.yaml`.
#[derive(Debug, Clone, Copy)]
pub struct QueueSettings {
    /// How long a received message stays invisible before it is delivered again.
    pub visibility_timeout: Duration,
    /// After this many receives a message moves to the dead-letter queue (SQS maxReceiveCount).
    pub max_receives: u32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            visibility_timeout: Duration::from_secs(60),
            max_receives: 5,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    /// The body, or its sealed form when `sealed`.
    body: String,
    #[serde(default)]
    sealed: bool,
    /// When the message was first enqueued (kept when it moves to the dead-letter queue).
    #[serde(default)]
    sent_at_ms: i64,
    visible_at_ms: i64,
    receive_count: u32,
    dead_letter_reason: Option<String>,
}

/// A durable queue with SQS semantics: at-least-once delivery, a visibility timeout, and a
/// dead-letter queue after `max_receives`.
#[derive(Clone)]
pub struct EmbeddedQueue {
    db: EmbeddedDb,
    name: String,
    dead_letter_name: Option<String>,
    settings: QueueSettings,
    arrived: Arc<Notify>,
}

const POLL: Duration = Duration::from_millis(50);

impl EmbeddedQueue {
    pub(crate) fn new(db: EmbeddedDb, name: &str, settings: QueueSettings) -> Self {
        EmbeddedQueue {
            db,
            name: name.to_string(),
            dead_letter_name: Some(format!("{name}-dlq")),
            settings,
            arrived: Arc::new(Notify::new()),
        }
    }

    /// The dead-letter queue (messages there are never redriven automatically).
    pub fn dead_letter_queue(&self) -> EmbeddedQueue {
        EmbeddedQueue {
            db: self.db.clone(),
            name: self
                .dead_letter_name
                .clone()
                .unwrap_or_else(|| self.name.clone()),
            dead_letter_name: None,
            settings: QueueSettings {
                max_receives: u32::MAX,
                ..self.settings
            },
            arrived: Arc::new(Notify::new()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    async fn enqueue(
        &self,
        queue: &str,
        body: &str,
        reason: Option<&str>,
    ) -> Result<String, QueueError> {
        let id = uuid::Uuid::now_v7().to_string();
        let k = key(&[queue, &id]);
        let (body, sealed) = match &self.db.seal {
            Some(seal) => (seal.seal(body), true),
            None => (body.to_string(), false),
        };
        let stored = Stored {
            body,
            sealed,
            sent_at_ms: Utc::now().timestamp_millis(),
            visible_at_ms: 0,
            receive_count: 0,
            dead_letter_reason: reason.map(str::to_string),
        };
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(MESSAGES).map_err(unavailable)?;
                put_json(&mut t, &k, &stored)
            })
            .await
            .map_err(queue_error)?;
        self.arrived.notify_waiters();
        Ok(id)
    }

    /// One pass: takes up to `max` visible messages, moving exhausted ones to the DLQ.
    async fn take_visible(&self, max: usize) -> Result<Vec<QueueMessage>, QueueError> {
        let name = self.name.clone();
        let dlq = self.dead_letter_name.clone();
        let settings = self.settings;
        let seal = self.db.seal.clone();
        self.db
            .write(move |txn| {
                let now_ms = Utc::now().timestamp_millis();
                let prefix = format!("{}{}", name, crate::db::SEP);
                let mut t = txn.open_table(MESSAGES).map_err(unavailable)?;
                let mut candidates = Vec::new();
                for item in t.range(prefix.as_str()..).map_err(unavailable)? {
                    let (k, v) = item.map_err(unavailable)?;
                    if !k.value().starts_with(&prefix) || candidates.len() >= max {
                        break;
                    }
                    let stored: Stored =
                        serde_json::from_slice(v.value()).map_err(|e| StoreError::Corrupt {
                            key: k.value().to_string(),
                            reason: e.to_string(),
                        })?;
                    if stored.visible_at_ms <= now_ms {
                        candidates.push((k.value().to_string(), stored));
                    }
                }
                let mut out = Vec::new();
                for (k, mut stored) in candidates {
                    let id = k[prefix.len()..].to_string();
                    if stored.receive_count >= settings.max_receives
                        && let Some(dlq) = &dlq
                    {
                        t.remove(k.as_str()).map_err(unavailable)?;
                        stored.visible_at_ms = 0;
                        stored.receive_count = 0;
                        put_json(&mut t, &key(&[dlq, &id]), &stored)?;
                        continue;
                    }
                    stored.receive_count += 1;
                    stored.visible_at_ms = now_ms + settings.visibility_timeout.as_millis() as i64;
                    put_json(&mut t, &k, &stored)?;
                    let body = match (&seal, stored.sealed) {
                        (_, false) => stored.body,
                        (Some(seal), true) => {
                            seal.open(&stored.body)
                                .map_err(|reason| StoreError::Corrupt {
                                    key: k.clone(),
                                    reason: reason.into(),
                                })?
                        }
                        (None, true) => {
                            return Err(StoreError::Corrupt {
                                key: k.clone(),
                                reason: "a sealed body, and no queue key given".into(),
                            });
                        }
                    };
                    out.push(QueueMessage {
                        receipt: format!("{id}/{}", stored.receive_count),
                        message_id: id,
                        body,
                        sent_at: chrono::DateTime::from_timestamp_millis(stored.sent_at_ms)
                            .filter(|_| stored.sent_at_ms > 0),
                        receive_count: stored.receive_count,
                        dead_letter_reason: stored.dead_letter_reason,
                    });
                }
                Ok(out)
            })
            .await
            .map_err(queue_error)
    }

    fn receipt_key(&self, receipt: &str) -> Result<String, QueueError> {
        let (id, _count) = receipt.split_once('/').ok_or(QueueError::BadReceipt)?;
        Ok(key(&[&self.name, id]))
    }

    /// Deletes the messages first sent before `before` (dead letters past their retention, as
    /// SQS drops messages after `MessageRetentionPeriod`). Returns how many.
    pub async fn purge_sent_before(
        &self,
        before: chrono::DateTime<Utc>,
    ) -> Result<usize, QueueError> {
        let prefix = format!("{}{}", self.name, crate::db::SEP);
        let end = format!("{} ", self.name);
        let before_ms = before.timestamp_millis();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(MESSAGES).map_err(unavailable)?;
                let mut purged = 0;
                t.retain_in(prefix.as_str()..end.as_str(), |_, v| {
                    let old =
                        serde_json::from_slice::<Stored>(v).is_ok_and(|m| m.sent_at_ms < before_ms);
                    purged += usize::from(old);
                    !old
                })
                .map_err(unavailable)?;
                Ok(purged)
            })
            .await
            .map_err(queue_error)
    }

    /// Number of messages in this queue (visible or not), for statistics and tests.
    pub async fn depth(&self) -> Result<usize, QueueError> {
        let prefix = format!("{}{}", self.name, crate::db::SEP);
        self.db
            .read(move |txn| {
                let t = txn.open_table(MESSAGES).map_err(unavailable)?;
                let mut n = 0;
                for item in t.range(prefix.as_str()..).map_err(unavailable)? {
                    let (k, _) = item.map_err(unavailable)?;
                    if !k.value().starts_with(&prefix) {
                        break;
                    }
                    n += 1;
                }
                Ok(n)
            })
            .await
            .map_err(queue_error)
    }
}

fn queue_error(e: StoreError) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn send(&self, body: &str) -> Result<String, QueueError> {
        self.enqueue(&self.name, body, None).await
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<QueueMessage>, QueueError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.arrived.notified();
            let got = self.take_visible(max.max(1)).await?;
            let now = tokio::time::Instant::now();
            if !got.is_empty() || now >= deadline {
                return Ok(got);
            }
            // Wake on a send from this process, or poll for messages whose timeout ran out.
            let _ = tokio::time::timeout((deadline - now).min(POLL), notified).await;
        }
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        let k = self.receipt_key(receipt)?;
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(MESSAGES).map_err(unavailable)?;
                t.remove(k.as_str()).map_err(unavailable)?;
                Ok(())
            })
            .await
            .map_err(queue_error)
    }

    async fn retry_later(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        let k = self.receipt_key(receipt)?;
        let found = self
            .db
            .write(move |txn| {
                let mut t = txn.open_table(MESSAGES).map_err(unavailable)?;
                let Some(mut stored) = get_json::<Stored>(&t, &k)? else {
                    return Ok(false);
                };
                stored.visible_at_ms = Utc::now().timestamp_millis() + delay.as_millis() as i64;
                put_json(&mut t, &k, &stored)?;
                Ok(true)
            })
            .await
            .map_err(queue_error)?;
        if found {
            self.arrived.notify_waiters();
            Ok(())
        } else {
            Err(QueueError::BadReceipt)
        }
    }

    async fn dead_letter(&self, body: &str, reason: &str) -> Result<(), QueueError> {
        let dlq = self.dead_letter_name.as_deref().ok_or_else(|| {
            QueueError::Unavailable(format!("{} has no dead-letter queue", self.name))
        })?;
        self.enqueue(dlq, body, Some(reason)).await.map(|_| ())
    }

    async fn waiting(&self) -> Result<u64, QueueError> {
        let prefix = format!("{}{}", self.name, crate::db::SEP);
        let now_ms = Utc::now().timestamp_millis();
        self.db
            .read(move |txn| {
                let t = txn.open_table(MESSAGES).map_err(unavailable)?;
                let mut n = 0;
                for item in t.range(prefix.as_str()..).map_err(unavailable)? {
                    let (k, v) = item.map_err(unavailable)?;
                    if !k.value().starts_with(&prefix) {
                        break;
                    }
                    let visible = serde_json::from_slice::<Stored>(v.value())
                        .is_ok_and(|m| m.visible_at_ms <= now_ms);
                    n += u64::from(visible);
                }
                Ok(n)
            })
            .await
            .map_err(queue_error)
    }
}
