//! The notifier's entries in the delivery ledger (`crate::delivery`). The record is written
//! inside the exactly-once work, right after Zalo accepts (or no channel does), so that it
//! exists whenever the notice went out; a failure to write it is logged, never a reason to
//! send again. Its statuses are reported after the work completes, and by the sweep if that
//! report fails.

use chrono::{DateTime, Duration, Utc};
use motcua_domain::catalogue::sms::sms_text_version;
use motcua_domain::catalogue::text_version;
use motcua_domain::delivery::{Delivery, NewDelivery, Recipient, Subject};
use motcua_domain::{Dossier, DossierEvent, Protected, Tenant};

use super::{Attempt, Decision, Notifier, tracking_id};
use crate::delivery::Ledger;
use crate::pii::PiiKeys;

/// What the ledger will say of an attempt if Zalo accepts it.
pub(super) struct Pending {
    new: NewDelivery,
    tracking: Option<String>,
    receipt_within: Duration,
    /// Whether a receipt can come: the SMS gateway sends none to us, so an SMS stays
    /// `accepted` and the sweep does not expire it.
    receipts: bool,
}

impl Notifier {
    pub fn ledger(&self) -> Ledger {
        Ledger {
            store: self.store.clone(),
            outbound: self.outbound.clone(),
            metrics: self.metrics.clone(),
        }
    }

    pub(super) fn pending(
        &self,
        tenant: &Tenant,
        keys: &PiiKeys,
        event: &DossierEvent,
        dossier: &Dossier,
        phone: &Protected,
        attempt: &Attempt<'_>,
    ) -> Pending {
        let (recipient, template) = match attempt {
            Attempt::Cs { user_id, .. } => (Recipient::ZaloUser(keys.user_tag(user_id)), None),
            Attempt::ZbsUid { user_id, template } => (
                Recipient::ZaloUser(keys.user_tag(user_id)),
                Some(template.to_string()),
            ),
            Attempt::Zns { template } => (
                Recipient::Phone(phone.hash.clone()),
                Some(template.to_string()),
            ),
            Attempt::Sms { .. } => (Recipient::Phone(phone.hash.clone()), None),
        };
        let hours = if attempt.is_template() {
            tenant.notify.template_receipt_hours
        } else {
            tenant.notify.cs_receipt_hours
        };
        Pending {
            new: new_delivery(tenant, event, recipient, &attempt.decision(), template),
            tracking: matches!(attempt, Attempt::Zns { .. }).then(|| tracking_id(event, dossier)),
            receipt_within: Duration::hours(i64::from(hours)),
            receipts: !matches!(attempt, Attempt::Sms { .. }),
        }
    }

    /// Zalo accepted the attempt as `message_id`.
    pub(super) async fn ledger_accepted(&self, p: Pending, message_id: &str, now: DateTime<Utc>) {
        let d = Delivery::accepted(p.new, message_id.into(), p.tracking, now, p.receipt_within);
        let d = if p.receipts { d } else { d.without_receipts() };
        self.ledger_create(d).await;
    }

    /// No channel took the notice.
    pub(super) async fn ledger_failed(
        &self,
        tenant: &Tenant,
        event: &DossierEvent,
        dossier: &Dossier,
        decision: &Decision,
        now: DateTime<Utc>,
    ) {
        let Decision::Undeliverable(why) = decision else {
            return;
        };
        let recipient = match dossier.phone_to_tell() {
            Some(phone) => Recipient::Phone(phone.hash.clone()),
            None => Recipient::Nobody,
        };
        let new = new_delivery(tenant, event, recipient, decision, None);
        self.ledger_create(Delivery::failed(new, now, why.clone()))
            .await;
    }

    async fn ledger_create(&self, d: Delivery) {
        if let Err(e) = self.ledger().create(&d).await {
            tracing::error!(subject = d.subject.name(), item = d.subject.item(), error = %e, "notice sent but not in the delivery ledger");
        }
    }

    /// Reports the notice's unreported transitions (after the work completed; the sweep
    /// retries what fails here). Only a sent or undeliverable notice has a record: for the
    /// others (not notified, opted out, withheld…) there is nothing to read.
    pub(super) async fn ledger_report(
        &self,
        tenant: &Tenant,
        event: &DossierEvent,
        decision: &Decision,
    ) {
        if !decision.sent() && !matches!(decision, Decision::Undeliverable(_)) {
            return;
        }
        let ledger = self.ledger();
        if let Err(e) = ledger.flush(&tenant.id, &notice_of(event)).await {
            tracing::warn!(event_id = %event.event_id, error = %e, "notification status not sent; the sweep retries");
        }
    }
}

fn new_delivery(
    tenant: &Tenant,
    event: &DossierEvent,
    recipient: Recipient,
    decision: &Decision,
    template: Option<String>,
) -> NewDelivery {
    NewDelivery {
        tenant: tenant.id.clone(),
        subject: notice_of(event),
        kind: Some(event.kind),
        recipient,
        channel: decision.label().into(),
        price_class: decision.price_class().into(),
        template,
        text_version: match decision {
            Decision::Sms => sms_text_version(event.kind),
            _ => text_version(event.kind),
        },
        expires_at: None,
    }
}

/// The ledger's subject of the notice of `event`.
pub(super) fn notice_of(event: &DossierEvent) -> Subject {
    Subject::Dossier {
        code: event.dossier.code.clone(),
        event_id: event.event_id.clone(),
    }
}
