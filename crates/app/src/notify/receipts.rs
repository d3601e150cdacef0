//! Delivery receipts: which event a sent message belongs to (the message log), and a receipt
//! from Zalo (`user_received_message`, `user_seen_message`, ZNS receipts) moving the message's
//! ledger record and, for a dossier notice, shown in the dossier's timeline and counted.

use chrono::{DateTime, Utc};
use motcua_domain::delivery::{DeliveryState, Subject};
use motcua_domain::{DossierCode, DossierEvent, Tenant, TimelineEntry, time};

use super::{Decision, Notifier, ReceiptKind};
use crate::delivery::LedgerError;
use crate::ports::{MessageRef, StoreError};

impl Notifier {
    /// Remembers which event a sent message belongs to, for its delivery receipt (best effort).
    pub(super) async fn log_message(
        &self,
        oa: &str,
        message_id: &str,
        tenant: &Tenant,
        event: &DossierEvent,
        decision: &Decision,
    ) {
        let r = MessageRef {
            tenant: tenant.id.clone(),
            subject: super::ledger::notice_of(event),
            channel: decision.label().to_string(),
        };
        let expires = tenant.retention.message_ref_expires(self.clock.now());
        if let Err(e) = self
            .store
            .put_message_ref(oa, message_id, &r, expires)
            .await
        {
            tracing::warn!(event_id = %event.event_id, error = %e, "sent message not logged; its receipt will not be matched");
        }
    }

    /// Moves the ledger record of the message a delivery receipt confirms and, for a dossier
    /// notice, shows the receipt in the dossier's timeline. Returns whether the message was
    /// ours and the receipt is news (Zalo retries send the same receipt again: it is recorded
    /// once).
    pub async fn record_receipt(
        &self,
        oa_id: &str,
        message_id: &str,
        kind: ReceiptKind,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(r) = self.store.get_message_ref(oa_id, message_id).await? else {
            return Ok(false);
        };
        let state = match kind {
            ReceiptKind::Delivered => DeliveryState::Delivered,
            ReceiptKind::Seen => DeliveryState::Seen,
        };
        let news = match &r.subject {
            Subject::Dossier { code, event_id } => {
                let added = self.timeline_receipt(&r, code, event_id, kind, at).await?;
                self.ledger_receipt(&r, state, at).await?;
                added
            }
            _ => self.ledger_receipt(&r, state, at).await?,
        };
        Ok(news)
    }

    /// The receipt in the dossier's timeline, counted; whether the entry is new.
    async fn timeline_receipt(
        &self,
        r: &MessageRef,
        code: &DossierCode,
        event_id: &str,
        kind: ReceiptKind,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(view) = self.store.load_dossier(&r.tenant, code).await? else {
            return Ok(false);
        };
        let (label, metric) = match kind {
            ReceiptKind::Delivered => ("delivered", "notify.delivered"),
            ReceiptKind::Seen => ("seen", "notify.seen"),
        };
        let entry = TimelineEntry {
            at,
            version: view.dossier.version,
            event_id: event_id.to_string(),
            kind: label.into(),
            status: view.dossier.status,
            step_label: None,
            note: Some(r.channel.clone()),
        };
        let added = self
            .store
            .add_timeline_entry(&r.tenant, code, &entry)
            .await?;
        if added {
            let day = time::to_vn(at).date_naive();
            self.store.incr(&r.tenant, metric, day, 1).await?;
        }
        Ok(added)
    }

    /// Moves the message's record; whether it moved.
    async fn ledger_receipt(
        &self,
        r: &MessageRef,
        state: DeliveryState,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        match self
            .ledger()
            .receipt(&r.tenant, &r.subject, state, at)
            .await
        {
            Ok(moved) => Ok(moved),
            Err(LedgerError::Store(e)) => Err(e),
            Err(LedgerError::Contended(why)) => Err(StoreError::Conflict(why)),
            // The move is stored; its status waits in the sweep index.
            Err(e @ LedgerError::Queue(_)) => {
                tracing::warn!(subject = r.subject.name(), item = r.subject.item(), error = %e, "receipt status not sent; the sweep retries");
                Ok(true)
            }
        }
    }
}
