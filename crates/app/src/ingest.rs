//! Applying a dossier event from the one-stop system to the stored dossier and its timeline.
//!
//! Every write is conditional on the revision read just before it (optimistic concurrency), so
//! concurrent events of one dossier are applied one after the other, never over each other:
//! - a DVCQG body gets its arrival rank here, the first time it is seen (the dossier's count of
//!   distinct bodies, kept on the record; a body seen before finds its rank in its timeline
//!   entry), so no two bodies share a version;
//! - an event newer than the stored state replaces it (a progress record only moves the step);
//! - the same event applied again (a retry after a failed send) is current again;
//! - an older event only adds to the timeline.
//!
//! The notice an event would send is compared with the last one its recipient was given: equal
//! content is flagged (`repeats_last_notice`) so that it is recorded but not sent again.

use chrono::{DateTime, FixedOffset, Utc};
use motcua_domain::{
    Dossier, DossierCode, DossierEvent, DossierView, IdNumber, NationalStatus, NoticeStamp,
    PhoneNumber, Source, SyncState, Tenant, TenantId, TimelineEntry, mask::mask_name, order, time,
};

use crate::pii::PiiKeys;
use crate::ports::{Store, StoreError};
use crate::tenancy::Tenancy;

/// Optimistic writes retried this many times before the event is retried from the queue.
const MAX_ATTEMPTS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Permanent: no configured tenant owns this code, or the event names a tenant that does
    /// not own it (`Tenancy::owner_of`).
    #[error("refused: {0}")]
    UnknownTenant(String),
    /// Transient: a progress record for a dossier whose first snapshot has not arrived yet.
    #[error("dossier {0} is not known yet; its progress record waits for its first sync")]
    NotYetKnown(DossierCode),
    /// Transient: too many concurrent writers on one dossier.
    #[error("dossier {0} changed under {MAX_ATTEMPTS} attempts in a row")]
    Contended(DossierCode),
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
    /// The event carries the dossier's current state. An older event only adds to the
    /// timeline and must not trigger a notification.
    pub current: bool,
    /// The timeline entry was new (false on a re-delivery).
    pub timeline_added: bool,
    /// Data problems that did not stop the event (operator English, no personal data).
    pub warnings: Vec<String>,
    /// The dossier as stored after this event (protected contact data).
    pub dossier: Dossier,
    /// The version this event holds (a DVCQG body's includes its arrival rank).
    pub version: u64,
    /// The notice this event would send says what the recipient was last told.
    pub repeats_last_notice: bool,
    /// This event's notification was decided before (its timeline has the record).
    pub notified_before: bool,
    /// A progress record for a finished dossier: the step is recorded, nobody is told.
    pub quiet: bool,
}

/// Applies `event` with no notice to compare (seeding, tests, tools).
pub async fn apply_event(
    store: &dyn Store,
    tenancy: &Tenancy,
    event: &DossierEvent,
    now: DateTime<Utc>,
) -> Result<IngestOutcome, IngestError> {
    apply_event_with(store, tenancy, event, now, &|_| None).await
}

/// Applies `event`. `notice_digest` gives, for a dossier state, a digest of the recipient and
/// the content of the notice this event would send (`None` when it sends none).
pub async fn apply_event_with(
    store: &dyn Store,
    tenancy: &Tenancy,
    event: &DossierEvent,
    now: DateTime<Utc>,
    notice_digest: &(dyn Fn(&Dossier) -> Option<String> + Sync),
) -> Result<IngestOutcome, IngestError> {
    let tenant = tenant_of(tenancy, event)?;
    let keys = tenancy
        .keys(&tenant.id)
        .expect("Tenancy holds keys for every tenant");
    let (fresh, warnings) = from_snapshot(tenant, keys, event, now);
    let code = &event.dossier.code;
    for _ in 0..MAX_ATTEMPTS {
        let view = store.load_dossier(&tenant.id, code).await?;
        let step = decide(view.as_ref(), &fresh, event, notice_digest)?;
        let written = match &step.write {
            Some(next) => {
                let expected = view.as_ref().map(|v| v.dossier.sync.revision);
                store.replace_dossier(next, expected).await?
            }
            None => true,
        };
        if !written {
            continue;
        }
        if step.finished {
            count_finish(store, &step.dossier).await;
        }
        let entry = TimelineEntry {
            at: event.occurred_at_utc(),
            version: step.version,
            event_id: event.event_id.clone(),
            kind: event.kind.as_str().to_string(),
            status: event.dossier.status,
            step_label: event.dossier.step_label.clone(),
            note: event.details.reason.clone(),
        };
        let timeline_added = store.add_timeline_entry(&tenant.id, code, &entry).await?;
        return Ok(IngestOutcome {
            tenant: tenant.id.clone(),
            code: code.clone(),
            current: step.current,
            timeline_added,
            warnings,
            dossier: step.dossier,
            version: step.version,
            repeats_last_notice: step.repeats,
            notified_before: step.notified_before,
            quiet: step.quiet,
        });
    }
    Err(IngestError::Contended(code.clone()))
}

fn tenant_of<'a>(tenancy: &'a Tenancy, event: &DossierEvent) -> Result<&'a Tenant, IngestError> {
    tenancy
        .owner_of(event.tenant.as_ref(), &event.dossier.code)
        .map_err(IngestError::UnknownTenant)
}

/// What to do with the event given the stored state.
struct Decided {
    /// The record to write (conditional on the revision read), or nothing.
    write: Option<Dossier>,
    /// The dossier as it stands after the write.
    dossier: Dossier,
    version: u64,
    current: bool,
    repeats: bool,
    notified_before: bool,
    quiet: bool,
    /// This write is the dossier's first "result ready" or "returned".
    finished: bool,
}

fn done(d: &Dossier) -> bool {
    matches!(
        d.status,
        NationalStatus::Completed | NationalStatus::Returned
    )
}

/// Pure: the stored view and the event decide the write. `Err` for a progress record of an
/// unknown dossier.
///
/// Snapshots and canonical events order the dossier's state (`version`); progress records
/// order only its step (`sync.step_version`), so a status change that carries no new date (a
/// fee request after a recorded step) is never hidden behind a later step.
fn decide(
    view: Option<&DossierView>,
    fresh: &Dossier,
    event: &DossierEvent,
    notice_digest: &(dyn Fn(&Dossier) -> Option<String> + Sync),
) -> Result<Decided, IngestError> {
    let seen = sighting(view, event);
    let progress = event.source == Source::Progress;
    let Some(stored) = view.map(|v| &v.dossier) else {
        if progress {
            return Err(IngestError::NotYetKnown(event.dossier.code.clone()));
        }
        let mut next = fresh.clone();
        next.version = seen.version;
        next.late = reappointed(event) || next.finished_late();
        next.sync = SyncState {
            revision: 1,
            arrivals: u64::from(seen.new_body),
            event_id: Some(event.event_id.clone()),
            ..SyncState::default()
        };
        return Ok(newer(
            None,
            next,
            event,
            seen.version,
            false,
            seen.notified_before,
            notice_digest,
        ));
    };
    let version = seen.version;
    let is_newer = if progress {
        // A step recorded before the dossier's latest status change, or after it finished, is
        // history: it goes to the timeline only.
        stored.sync.step_version.is_none_or(|v| version > v)
            && order::date_part(version) >= order::date_part(stored.version)
            && !stored.status.is_final()
    } else {
        version > stored.version
    };
    if !is_newer {
        return Ok(not_newer(stored, event, &seen, notice_digest));
    }
    let mut next = if progress {
        step_moved(stored, fresh, version)
    } else {
        snapshot_applied(stored, fresh, event, version)
    };
    next.sync.revision = stored.sync.revision + 1;
    next.sync.arrivals = stored.sync.arrivals + u64::from(seen.new_body);
    next.sync.event_id = Some(event.event_id.clone());
    // A step is news only while the dossier is being processed.
    let quiet = progress && next.status != NationalStatus::Processing;
    Ok(newer(
        Some(stored),
        next,
        event,
        version,
        quiet,
        seen.notified_before,
        notice_digest,
    ))
}

/// What the stored timeline already says about this event's body.
struct Sighting {
    /// The event's version; a DVCQG body's carries its arrival rank (kept from the first time
    /// the body was seen).
    version: u64,
    /// Never seen before: it takes the next arrival rank.
    new_body: bool,
    /// A notice was already recorded for this event.
    notified_before: bool,
}

fn sighting(view: Option<&DossierView>, event: &DossierEvent) -> Sighting {
    let mine = |kind: &str| {
        view.into_iter()
            .flat_map(|v| &v.timeline)
            .find(|e| e.event_id == event.event_id && e.kind == kind)
    };
    let notified_before = mine("notification").is_some();
    let (version, new_body) = match event.source {
        Source::Canonical => (event.version, false),
        _ => match mine(event.kind.as_str()) {
            Some(seen) => (seen.version, false),
            None => {
                let rank = view.map_or(0, |v| v.dossier.sync.arrivals) + 1;
                (order::with_rank(event.version, rank), true)
            }
        },
    };
    Sighting {
        version,
        new_body,
        notified_before,
    }
}

/// An event at or below the stored state: the timeline only, and whether it repeats the
/// current notice (a re-send of the event the dossier stands on).
fn not_newer(
    stored: &Dossier,
    event: &DossierEvent,
    seen: &Sighting,
    notice_digest: &(dyn Fn(&Dossier) -> Option<String> + Sync),
) -> Decided {
    let progress = event.source == Source::Progress;
    let same_event = match stored.sync.event_id.as_deref() {
        Some(id) => id == event.event_id,
        None => seen.version == stored.version,
    };
    let repeats = same_event
        && repeats(
            stored.sync.notified.as_ref(),
            notice_digest(stored).as_deref(),
            event,
        );
    // An older body still takes its rank, so that no two bodies share a version.
    let write = seen.new_body.then(|| {
        let mut next = stored.clone();
        next.sync.arrivals = stored.sync.arrivals + 1;
        next.sync.revision += 1;
        next
    });
    Decided {
        write,
        dossier: stored.clone(),
        version: seen.version,
        current: same_event,
        repeats,
        notified_before: seen.notified_before,
        quiet: same_event && progress && stored.status != NationalStatus::Processing,
        finished: false,
    }
}

/// The write of an event newer than the stored state, with its notice compared.
fn newer(
    stored: Option<&Dossier>,
    mut next: Dossier,
    event: &DossierEvent,
    version: u64,
    quiet: bool,
    notified_before: bool,
    notice_digest: &(dyn Fn(&Dossier) -> Option<String> + Sync),
) -> Decided {
    let last = stored.and_then(|s| s.sync.notified.as_ref());
    let digest = if quiet { None } else { notice_digest(&next) };
    let repeats = repeats(last, digest.as_deref(), event);
    if let Some(digest) = digest.filter(|_| !repeats) {
        next.sync.notified = Some(NoticeStamp {
            digest,
            event_id: event.event_id.clone(),
        });
    }
    Decided {
        finished: !stored.is_some_and(done) && done(&next),
        dossier: next.clone(),
        write: Some(next),
        version,
        current: true,
        repeats,
        notified_before,
        quiet,
    }
}

/// The notice would repeat what another event already told the recipient.
fn repeats(last: Option<&NoticeStamp>, digest: Option<&str>, event: &DossierEvent) -> bool {
    matches!((last, digest), (Some(last), Some(d)) if last.digest == d && last.event_id != event.event_id)
}

fn reappointed(event: &DossierEvent) -> bool {
    event.details.new_due_at.is_some() || event.dossier.reappointed
}

/// A progress record moved the dossier to a step.
fn step_moved(stored: &Dossier, fresh: &Dossier, version: u64) -> Dossier {
    let mut next = stored.clone();
    next.step_label = fresh.step_label.clone();
    next.step_unit = fresh.step_unit.clone();
    next.sync.step_version = Some(version);
    // A recorded step means a received dossier is being processed; a dossier waiting for the
    // citizen or finished keeps its status until a snapshot moves it.
    if matches!(
        stored.status,
        NationalStatus::NewlySubmitted | NationalStatus::Received
    ) {
        next.status = NationalStatus::Processing;
    }
    next.updated_at = fresh.updated_at;
    next
}

/// A newer snapshot (or canonical event) replaced the dossier's state.
fn snapshot_applied(
    stored: &Dossier,
    fresh: &Dossier,
    event: &DossierEvent,
    version: u64,
) -> Dossier {
    let mut next = fresh.clone();
    next.version = version;
    next.sync = stored.sync.clone();
    // A snapshot names no step: a dossier still in processing keeps the one it is in.
    if next.step_label.is_none()
        && next.status == NationalStatus::Processing
        && stored.status == NationalStatus::Processing
    {
        next.step_label = stored.step_label.clone();
        next.step_unit = stored.step_unit.clone();
    }
    next.late = stored.late || reappointed(event) || next.finished_late();
    next
}

/// Finished dossiers per month, on time or late, counted when a dossier first reaches "result
/// ready" or "returned" (best effort: the event is applied already).
async fn count_finish(store: &dyn Store, after: &Dossier) {
    let Some(at) = after.completed_at.or(after.returned_at) else {
        return;
    };
    let metric = if after.late {
        crate::stats::FINISHED_LATE
    } else {
        crate::stats::FINISHED_ON_TIME
    };
    let day = time::to_vn(at).date_naive();
    if let Err(e) = store.incr(&after.tenant, metric, day, 1).await {
        tracing::warn!(metric, error = %e, "finish counter not incremented");
    }
}

/// The dossier as the event describes it, contact data protected.
fn from_snapshot(
    tenant: &Tenant,
    keys: &PiiKeys,
    event: &DossierEvent,
    now: DateTime<Utc>,
) -> (Dossier, Vec<String>) {
    let snap = &event.dossier;
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
    let utc = |t: &Option<DateTime<FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
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
        step_unit: snap.step_unit.clone(),
        delivery: snap.delivery_method,
        zalo_opt_in: snap.zalo_opt_in,
        documents: snap.documents.clone(),
        version: event.version,
        updated_at: now,
        late: false,
        sync: SyncState::default(),
    };
    (dossier, warnings)
}
