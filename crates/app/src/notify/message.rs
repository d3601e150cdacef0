//! What a notice says: its text as a consultation message, the digest that tells a repeated
//! notice from a new one, and the ZNS tracking id that matches receipts back.

use chrono::Utc;
use motcua_domain::catalogue::{Msg, Notice, document_for};
use motcua_domain::{Dossier, DossierEvent, Tenant, time};

use crate::messenger::Outgoing;

/// Deterministic, so that the ZNS delivery receipt can be matched back to the dossier event:
/// `hs-<code>-<version>` (≤ 48 characters of [A-Za-z0-9.-]).
pub fn tracking_id(event: &DossierEvent, dossier: &Dossier) -> String {
    let id = format!("hs-{}-{}", dossier.code, event.version);
    id.chars().take(48).collect()
}

/// What the recipient of `dossier`'s notices would be told by `event`: a digest of the
/// recipient and of the text and template parameters (`None` when nothing would be sent).
pub(super) fn notice_digest(
    tenant: &Tenant,
    event: &DossierEvent,
    dossier: &Dossier,
) -> Option<String> {
    use sha2::{Digest, Sha256};
    if !tenant.notify.kinds.contains(&event.kind) || dossier.zalo_opt_in == Some(false) {
        return None;
    }
    let recipient = dossier.phone_to_tell()?;
    let notice = notice(event, dossier);
    let mut h = Sha256::new();
    h.update(recipient.hash.as_bytes());
    h.update([0]);
    h.update(Msg::Notice(notice.clone()).render().as_bytes());
    for (k, v) in notice.template_params() {
        h.update([0]);
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
    }
    Some(hex::encode(h.finalize()))
}

/// The consultation message of a notice: its text, its buttons and the document it announces.
pub(super) fn chat_message(event: &DossierEvent, dossier: &Dossier, notice: &Notice) -> Outgoing {
    let link = document_for(event.kind).and_then(|(doc_kind, title)| {
        let doc = dossier.documents.iter().find(|d| d.kind == doc_kind)?;
        Some((title.to_string(), doc.url.clone()))
    });
    Outgoing {
        text: Msg::Notice(notice.clone()).render(),
        buttons: notice.buttons(),
        link,
        call: None,
    }
}

pub(super) fn notice(event: &DossierEvent, dossier: &Dossier) -> Notice {
    Notice {
        kind: event.kind,
        code: dossier.code.to_string(),
        procedure: dossier.procedure_name.clone(),
        status: dossier.status,
        step: dossier.step_label.clone(),
        unit: dossier.step_unit.clone(),
        due: dossier.due_at.map(time::vn_date),
        new_due: event
            .details
            .new_due_at
            .map(|d| time::vn_date(d.with_timezone(&Utc))),
        reason: event.details.reason.clone(),
        missing_papers: event.details.missing_papers.clone(),
        fee_amount: event.details.fee_amount,
    }
}
