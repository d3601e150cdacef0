//! Delivery receipts: which event a sent message belongs to (the message log), and a receipt
//! from Zalo (`user_received_message`, `user_seen_message`, ZNS receipts) shown in the
//! dossier's timeline, counted, and moving the notice's ledger record.

use chrono::{DateTime, Utc};
use motcua_domain::delivery::DeliveryState;
use motcua_domain::{DossierEvent, Tenant, TimelineEntry, time};

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
            code: event.dossier.code.clone(),
            event_id: event.event_id.clone(),
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

    /// Shows a delivery receipt in the timeline of the dossier whose message it confirms.
    /// Returns whether the message was ours and the entry is new (Zalo retries send the same
    /// receipt again: it is recorded once).
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
        let Some(view) = self.store.load_dossier(&r.tenant, &r.code).await? else {
            return Ok(false);
        };
        let (label, metric) = match kind {
            ReceiptKind::Delivered => ("delivered", "notify.delivered"),
            ReceiptKind::Seen => ("seen", "notify.seen"),
        };
        let entry = TimelineEntry {
            at,
            version: view.dossier.version,
            event_id: r.event_id.clone(),
            kind: label.into(),
            status: view.dossier.status,
            step_label: None,
            note: Some(r.channel.clone()),
        };
        let added = self
            .store
            .add_timeline_entry(&r.tenant, &r.code, &entry)
            .await?;
        if added {
            let day = time::to_vn(at).date_naive();
            self.store.incr(&r.tenant, metric, day, 1).await?;
        }
        let state = match kind {
            ReceiptKind::Delivered => DeliveryState::Delivered,
            ReceiptKind::Seen => DeliveryState::Seen,
        };
        let ledger = self.ledger();
        match ledger
            .receipt(&r.tenant, &r.code, &r.event_id, state, at)
            .await
        {
            Ok(_) => {}
            Err(LedgerError::Store(e)) => return Err(e),
            Err(LedgerError::Contended(why)) => return Err(StoreError::Conflict(why)),
            // The move is stored; its status waits in the sweep index.
            Err(e @ LedgerError::Queue(_)) => {
                tracing::warn!(event_id = %r.event_id, error = %e, "receipt status not sent; the sweep retries");
            }
        }
        Ok(added)
    }
}
