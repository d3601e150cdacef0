//! Every message accounted for: the ledger's use cases. A message's record is written when
//! its sender decides (the notifier: accepted by Zalo, or failed; staff's answers, phone codes
//! and announcements: accepted), moved by Zalo's receipts, and expired by the sweep when no
//! receipt came in time. Every transition of a dossier notice goes to the one-stop system as
//! a `notification_status` message, in order, once.
//!
//! Reporting is an outbox on the record itself: a transition is committed first (a write
//! conditional on the record's revision), then the unreported transitions are sent oldest
//! first and `reported` moves up with another conditional write. A transition the queue did
//! not take stays in the sweep index (`Delivery::sweep_at` is its time), so the next sweep
//! sends it; a redelivered receipt or event finds nothing new and sends nothing. Only a crash
//! between the send and the `reported` write sends a status twice, with the same `message_id`
//! (the consumer's de-duplication key, infra/events/README.md).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use motcua_domain::delivery::{Delivery, DeliveryState, NewDelivery, Recipient, Subject};
use motcua_domain::{Tenant, TenantId, time};

use crate::metrics::Metrics;
use crate::ports::{MessageRef, Queue, QueueError, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("notification status not sent: {0}")]
    Queue(#[from] QueueError),
    #[error("delivery record {0} kept changing under us")]
    Contended(String),
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    /// Dossier notices that got no receipt in time.
    pub expired: usize,
    /// Other messages (answers, phone codes, announcement copies) that got none: counted
    /// apart, so the notices' expiry alarm means what it says.
    pub messages_expired: usize,
    /// Statuses sent (expiries, and transitions an earlier send left behind).
    pub reported: usize,
    /// Records whose status could not be sent this time (they stay due).
    pub left: usize,
    /// The time budget ran out: the next sweep goes on.
    pub unfinished: bool,
}

/// How many times a write that lost its condition is retried on a fresh read.
const ATTEMPTS: usize = 5;

pub struct Ledger {
    pub store: Arc<dyn Store>,
    /// The queue to the one-stop system.
    pub outbound: Arc<dyn Queue>,
    pub metrics: Arc<dyn Metrics>,
}

/// A message other than a dossier notice that Zalo accepted: staff's answer to a ticket, a
/// phone-proving code, an announcement's copy.
pub struct Sent<'a> {
    pub tenant: &'a Tenant,
    pub oa_id: &'a str,
    pub subject: Subject,
    pub recipient: Recipient,
    /// `zalo_cs_free`, `zalo_cs_paid`, `zns`, `broadcast`.
    pub channel: &'static str,
    /// `free`, `cs_paid`, `zns`, `none`.
    pub price_class: &'static str,
    /// The Zalo template id, for a ZNS.
    pub template: Option<String>,
    pub text_version: String,
    pub message_id: &'a str,
}

impl Sent<'_> {
    fn is_template(&self) -> bool {
        self.template.is_some()
    }
}

impl Ledger {
    /// The ledger of senders whose records report to nobody (every subject but a dossier
    /// notice): a status they tried to send would be an error, and waits for the sweep.
    pub fn unreported(store: Arc<dyn Store>, metrics: Arc<dyn Metrics>) -> Self {
        Ledger {
            store,
            outbound: Arc::new(LeaveToSweep),
            metrics,
        }
    }

    /// Records a message Zalo accepted at `at`, and remembers its message id for its receipts
    /// until the record expires. Best effort: a failure is logged, never a reason to send the
    /// message again (the sender's exactly-once work has already sent it).
    pub async fn record_sent(&self, sent: Sent<'_>, at: DateTime<Utc>) {
        let notify = &sent.tenant.notify;
        let hours = if sent.is_template() {
            notify.template_receipt_hours
        } else {
            notify.cs_receipt_hours
        };
        let expires = sent.tenant.retention.message_ref_expires(at);
        let new = NewDelivery {
            tenant: sent.tenant.id.clone(),
            subject: sent.subject.clone(),
            kind: None,
            recipient: sent.recipient.clone(),
            channel: sent.channel.into(),
            price_class: sent.price_class.into(),
            template: sent.template.clone(),
            text_version: sent.text_version.clone(),
            expires_at: Some(expires),
        };
        let within = Duration::hours(i64::from(hours));
        let d = Delivery::accepted(new, sent.message_id.into(), None, at, within);
        // a broadcast's copies are Zalo's to count: no receipt comes for it
        let d = if sent.recipient == Recipient::Followers {
            d.without_receipts()
        } else {
            d
        };
        let subject = sent.subject.name();
        if let Err(e) = self.create(&d).await {
            tracing::error!(subject, error = %e, "message sent but not in the delivery ledger");
            return;
        }
        let r = MessageRef {
            tenant: sent.tenant.id.clone(),
            subject: sent.subject,
            channel: sent.channel.into(),
        };
        let logged = self
            .store
            .put_message_ref(sent.oa_id, sent.message_id, &r, expires)
            .await;
        if let Err(e) = logged {
            tracing::warn!(subject, error = %e, "sent message not logged; its receipt will not be matched");
        }
    }

    /// Writes a new message's record; a record already there (the same event or request
    /// processed again after a crash) is kept as it is.
    pub async fn create(&self, delivery: &Delivery) -> Result<(), LedgerError> {
        if self.store.put_delivery(delivery, None).await? {
            self.count(delivery).await;
        }
        Ok(())
    }

    /// Reports the unreported transitions of the record of `subject`; how many went.
    pub async fn flush(&self, tenant: &TenantId, subject: &Subject) -> Result<usize, LedgerError> {
        let Some(d) = self.store.get_delivery(tenant, subject).await? else {
            return Ok(0);
        };
        let before = d.reported;
        Ok(self.report(d).await?.reported.saturating_sub(before))
    }

    /// A receipt for the message of `subject`: moves it forward and reports the move. Returns
    /// whether it moved (a repeated or late receipt does not).
    pub async fn receipt(
        &self,
        tenant: &TenantId,
        subject: &Subject,
        to: DeliveryState,
        at: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        for _ in 0..ATTEMPTS {
            let Some(stored) = self.store.get_delivery(tenant, subject).await? else {
                return Ok(false);
            };
            let mut moved = stored.clone();
            if !moved.advance(to, at) {
                self.report(stored).await?;
                return Ok(false);
            }
            if self
                .store
                .put_delivery(&moved, Some(stored.revision()))
                .await?
            {
                self.count(&moved).await;
                self.report(moved).await?;
                return Ok(true);
            }
        }
        Err(LedgerError::Contended(label(subject)))
    }

    /// Sends the record's unreported transitions, oldest first, then records that they went.
    /// Returns the record as stored.
    async fn report(&self, mut d: Delivery) -> Result<Delivery, LedgerError> {
        for _ in 0..ATTEMPTS {
            let pending: Vec<usize> = d.unreported().map(|(i, _)| i).collect();
            let Some((code, _)) = d.dossier().filter(|_| !pending.is_empty()) else {
                return Ok(d);
            };
            let expected = d.revision();
            for i in pending {
                let status = d.status(i).expect("an unreported transition exists");
                let body = serde_json::to_string(&status).expect("a status serialises");
                self.outbound.send_in_group(&body, code.as_str()).await?;
            }
            let mut sent = d.clone();
            sent.reported = sent.history.len();
            if self.store.put_delivery(&sent, Some(expected)).await? {
                return Ok(sent);
            }
            // Someone moved it meanwhile (a receipt, the sweep): what they added is reported
            // on the next round; what we sent is sent again with the same message ids.
            d = self
                .store
                .get_delivery(&d.tenant, &d.subject)
                .await?
                .ok_or_else(|| LedgerError::Contended(label(&d.subject)))?;
        }
        Err(LedgerError::Contended(label(&d.subject)))
    }

    /// Expires the tenant's accepted notices whose receipt is overdue at `now` and sends
    /// whatever earlier sends left unreported: `batch` records a round, `SWEEP_CONCURRENCY` at
    /// a time (each record is its own), and no new round after `budget` (the next sweep goes
    /// on: a record leaves the index only once it is done).
    pub async fn sweep(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        batch: usize,
        budget: std::time::Duration,
    ) -> Result<Swept, LedgerError> {
        use futures_util::StreamExt;
        let started = std::time::Instant::now();
        let mut swept = Swept::default();
        loop {
            let due = self.store.deliveries_to_sweep(tenant, now, batch).await?;
            let full = due.len() == batch;
            let results: Vec<Result<Swept, LedgerError>> = futures_util::stream::iter(due)
                .map(|stored| self.sweep_one(stored, now))
                .buffer_unordered(SWEEP_CONCURRENCY)
                .collect()
                .await;
            let mut progress = false;
            for one in results {
                let one = one?;
                progress |= one.expired + one.messages_expired + one.reported > 0;
                swept.expired += one.expired;
                swept.messages_expired += one.messages_expired;
                swept.reported += one.reported;
                swept.left += one.left;
            }
            if !full || !progress {
                return Ok(swept);
            }
            if started.elapsed() >= budget {
                swept.unfinished = true;
                return Ok(swept);
            }
        }
    }

    /// One record of the sweep: its expiry if due, then its unreported transitions.
    async fn sweep_one(&self, stored: Delivery, now: DateTime<Utc>) -> Result<Swept, LedgerError> {
        let mut one = Swept::default();
        let mut d = stored.clone();
        if d.expire_if_due(now) {
            if !self.store.put_delivery(&d, Some(stored.revision())).await? {
                return Ok(one); // a receipt came meanwhile; the next sweep sees it
            }
            if d.subject.reports() {
                one.expired = 1;
            } else {
                one.messages_expired = 1;
            }
            self.count(&d).await;
        }
        let before = d.reported;
        match self.report(d).await {
            Ok(after) => one.reported = after.reported.saturating_sub(before),
            Err(LedgerError::Queue(e)) => {
                tracing::warn!(error = %e, "notification status not sent; the next sweep retries");
                one.left = 1;
            }
            Err(e) => return Err(e),
        }
        Ok(one)
    }

    /// The day counter and the metric of a message's new state (statistics: a failed
    /// increment is logged, never a reason to retry). Dossier notices keep their own names
    /// (`NotificationState`, `delivery.{state}`: the statistics page and the alarms read
    /// them); the other subjects count as `MessageState` and `{subject}.{state}`.
    async fn count(&self, d: &Delivery) {
        let Some(last) = d.history.last() else {
            return;
        };
        let state = last.state.as_str();
        let tenant = d.tenant.as_str();
        let metric = if d.subject.reports() {
            let dims = [("Tenant", tenant), ("State", state)];
            self.metrics.count("NotificationState", 1.0, &dims);
            format!("delivery.{state}")
        } else {
            let subject = d.subject.name();
            let dims = [("Tenant", tenant), ("Subject", subject), ("State", state)];
            self.metrics.count("MessageState", 1.0, &dims);
            format!("{subject}.{state}")
        };
        let day = time::to_vn(last.at).date_naive();
        if let Err(e) = self.store.incr(&d.tenant, &metric, day, 1).await {
            tracing::warn!(metric, error = %e, "counter not incremented");
        }
    }
}

/// A record's name for logs and errors: its subject's kind and last part (an event id, a
/// request id, a user's tag: none names a person).
fn label(subject: &Subject) -> String {
    format!("{}:{}", subject.name(), subject.item())
}

/// The scheduled sweep over every tenant (due-watch's `{"job": "sweep"}`).
pub struct Sweep {
    pub store: Arc<dyn Store>,
    pub tenancy: crate::tenancy::Tenancy,
    pub outbound: Arc<dyn Queue>,
    pub clock: Arc<dyn crate::ports::Clock>,
    pub metrics: Arc<dyn Metrics>,
}

/// Records read per round of the sweep.
pub const SWEEP_BATCH: usize = 100;

/// Records of a round swept at once.
pub const SWEEP_CONCURRENCY: usize = 8;

/// No new round of the sweep after this: it runs every 15 minutes, and the due-date watch
/// shares its function (one at a time).
pub const SWEEP_TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(8 * 60);

impl Sweep {
    pub async fn run(&self) -> Result<Swept, LedgerError> {
        let now = self.clock.now();
        let ledger = Ledger {
            store: self.store.clone(),
            outbound: self.outbound.clone(),
            metrics: self.metrics.clone(),
        };
        let mut total = Swept::default();
        for tenant in self.tenancy.directory().iter() {
            let s = ledger
                .sweep(&tenant.id, now, SWEEP_BATCH, SWEEP_TIME_BUDGET)
                .await?;
            let dims = [("Tenant", tenant.id.as_str())];
            self.metrics
                .count("NotificationsExpired", s.expired as f64, &dims);
            self.metrics
                .count("MessagesExpired", s.messages_expired as f64, &dims);
            self.metrics
                .count("NotificationStatusesPending", s.left as f64, &dims);
            total.expired += s.expired;
            total.messages_expired += s.messages_expired;
            total.reported += s.reported;
            total.left += s.left;
            total.unfinished |= s.unfinished;
        }
        tracing::info!(?total, "delivery sweep");
        Ok(total)
    }
}

/// The outbound queue of a process that has none (the operator CLI): every status waits in
/// the sweep index, and the next scheduled sweep sends it.
pub struct LeaveToSweep;

#[async_trait::async_trait]
impl Queue for LeaveToSweep {
    async fn send(&self, _body: &str) -> Result<String, QueueError> {
        Err(QueueError::Unavailable(
            "no outbound queue here; the next sweep reports this status".into(),
        ))
    }
    async fn receive(
        &self,
        _max: usize,
        _wait: std::time::Duration,
    ) -> Result<Vec<crate::ports::QueueMessage>, QueueError> {
        Ok(Vec::new())
    }
    async fn delete(&self, _receipt: &str) -> Result<(), QueueError> {
        Err(QueueError::BadReceipt)
    }
    async fn retry_later(
        &self,
        _receipt: &str,
        _delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        Err(QueueError::BadReceipt)
    }
    async fn dead_letter(&self, body: &str, _reason: &str) -> Result<(), QueueError> {
        self.send(body).await.map(|_| ())
    }
    async fn waiting(&self) -> Result<u64, QueueError> {
        Ok(0)
    }
}
