//! Applying a dossier event from the one-stop system to the stored dossier and its timeline.

use chrono::{DateTime, Utc};
use motcua_domain::{
    Dossier, DossierCode, DossierEvent, IdNumber, PhoneNumber, TenantId, TimelineEntry,
    mask::mask_name,
};

use crate::ports::{DossierStore, StoreError, Upsert};
use crate::tenancy::Tenancy;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Permanent: no configured tenant owns this code (or the named tenant is unknown).
    #[error("no tenant is configured for {0}")]
    UnknownTenant(String),
    /// Transient: retry later.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    /// Retrying cannot help; the message belongs on the dead-letter queue.
    pub fn is_permanent(&self) -> bool {
        matches!(self, IngestError::UnknownTenant(_))
    }
}

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOutcome {
    pub tenant: TenantId,
    pub code: DossierCode,
    /// The event carries the dossier's current state (its version is the highest seen). An
    /// older event only adds to the timeline and must not trigger a notification.
    pub current: bool,
    /// The timeline entry was new (false on a re-delivery).
    pub timeline_added: bool,
    /// Data problems that did not stop the event (operator English, no personal data).
    pub warnings: Vec<String>,
    /// The dossier as this event describes it (protected contact data).
    pub dossier: Dossier,
}

pub async fn apply_event(
    store: &dyn DossierStore,
    tenancy: &Tenancy,
    event: &DossierEvent,
    now: DateTime<Utc>,
) -> Result<IngestOutcome, IngestError> {
    let snap = &event.dossier;
    let tenant = match &event.tenant {
        Some(id) => tenancy
            .tenant(id)
            .ok_or_else(|| IngestError::UnknownTenant(format!("tenant {id}")))?,
        None => tenancy
            .for_code(&snap.code)
            .ok_or_else(|| IngestError::UnknownTenant(format!("agency {}", snap.code.agency())))?,
    };
    let keys = tenancy
        .keys(&tenant.id)
        .expect("Tenancy holds keys for every tenant");

    let mut warnings = Vec::new();
    let mut protect = |field: &str, raw: &Option<String>| {
        let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        match PhoneNumber::parse(raw) {
            Ok(p) => Some(keys.protect_phone(&p)),
            Err(e) => {
                warnings.push(format!("{field} dropped: {e}"));
                None
            }
        }
    };
    let applicant_phone = protect("dossier.phone", &snap.phone);
    let representative_phone = protect("dossier.representative_phone", &snap.representative_phone);
    let id_suffix_hash = match snap.id_number.as_deref().map(IdNumber::parse) {
        None => None,
        Some(Ok(id)) => Some(keys.id_suffix_hash(&snap.code, id.last4())),
        Some(Err(e)) => {
            warnings.push(format!("dossier.id_number dropped: {e}"));
            None
        }
    };

    let utc = |t: &Option<chrono::DateTime<chrono::FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
    let dossier = Dossier {
        tenant: tenant.id.clone(),
        code: snap.code.clone(),
        national_code: snap.national_code.clone(),
        procedure_code: snap.procedure_code.clone(),
        procedure_name: snap.procedure_name.clone(),
        sector: snap.sector.clone(),
        agency_code: snap.agency_code.clone(),
        agency_name: snap.agency_name.clone(),
        applicant_name_masked: mask_name(&snap.applicant_name),
        applicant_phone,
        representative_phone,
        id_suffix_hash,
        received_at: utc(&snap.received_at),
        due_at: utc(&event.details.new_due_at).or(utc(&snap.due_at)),
        completed_at: utc(&snap.completed_at),
        returned_at: utc(&snap.returned_at),
        status: snap.status,
        step_label: snap.step_label.clone(),
        delivery: snap.delivery_method,
        zalo_opt_in: snap.zalo_opt_in,
        documents: snap.documents.clone(),
        version: event.version,
        updated_at: now,
    };

    let current = match store.upsert_dossier_if_newer(&dossier).await? {
        Upsert::Applied => true,
        // Equal version: this event was applied before (an earlier attempt or a re-send).
        Upsert::Stale { stored_version } => stored_version == event.version,
    };
    let entry = TimelineEntry {
        at: event.occurred_at_utc(),
        version: event.version,
        event_id: event.event_id.clone(),
        kind: event.kind.as_str().to_string(),
        status: snap.status,
        step_label: snap.step_label.clone(),
        note: event.details.reason.clone(),
    };
    let timeline_added = store
        .add_timeline_entry(&tenant.id, &snap.code, &entry)
        .await?;
    Ok(IngestOutcome {
        tenant: tenant.id.clone(),
        code: snap.code.clone(),
        current,
        timeline_added,
        warnings,
        dossier,
    })
}
