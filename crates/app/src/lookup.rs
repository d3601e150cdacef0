//! Lookup by receipt code. A code alone shows status and dates, nothing personal; the full card
//! (masked name, procedure, timeline) needs a second factor: the QR link's token, the asker's
//! verified phone, or the last four digits of the applicant's ID number. The result documents
//! are shown only behind the token or the phone, never behind the four digits alone. An unknown
//! code and a code of no configured province answer the same, after the same one store read.
//!
//! Four digits are 10^4 values: tries of them are counted per dossier and day in the store
//! (shared by every instance and channel), reserved before the check so that parallel requests
//! cannot overtake the count, and refunded when right. After [`ID_SUFFIX_TRIES_PER_DAY`] wrong
//! ones the dossier no longer accepts the digits until the end of the Vietnam day.

use chrono::{DateTime, Utc};
use motcua_domain::catalogue::{delivery_label, late_label, timeline_label};
use motcua_domain::{DocumentLink, Dossier, DossierCode, NationalStatus, Tenant, TenantId, time};
use serde::Serialize;

use crate::ports::{Store, StoreError};
use crate::qr::QrSigner;
use crate::tenancy::Tenancy;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicStatus {
    pub code: String,
    pub status: NationalStatus,
    pub status_name: &'static str,
    pub step_label: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The unit handling the current step.
    pub step_unit: Option<String>,
    /// Past the appointment date now.
    pub overdue: bool,
    /// Late now or before: finished late, or re-appointed (kept once true).
    pub late: bool,
    /// "Hoàn thành trễ hạn" / "Đang trễ hạn" when late.
    pub late_label: Option<&'static str>,
}

impl PublicStatus {
    pub fn of(d: &Dossier, now: DateTime<Utc>) -> Self {
        PublicStatus {
            code: d.code.to_string(),
            status: d.status,
            status_name: d.status.name_vi(),
            step_label: d.step_label.clone(),
            received_at: d.received_at,
            due_at: d.due_at,
            completed_at: d.completed_at,
            step_unit: d.step_unit.clone(),
            overdue: d.is_overdue(now),
            late: d.is_late(now),
            late_label: d.is_late(now).then(|| late_label(d.status)),
        }
    }
}

/// What the second factor unlocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FullCard {
    pub applicant: String,
    pub procedure: String,
    pub agency: Option<String>,
    pub delivery: &'static str,
    pub timeline: Vec<TimelineItem>,
    pub documents: Vec<DocumentLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineItem {
    pub at: DateTime<Utc>,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitizenView {
    #[serde(flatten)]
    pub status: PublicStatus,
    /// Present only with a valid second factor.
    pub card: Option<FullCard>,
    /// ID digits were given but not checked: too many wrong ones today for this dossier.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub id_suffix_locked: bool,
    /// With the receipt QR's token, for a dossier that carries a phone, in a tenant with an
    /// OA: today's receipt code (`4821-7730`), which proves in the Zalo chat that the asker
    /// holds the paper receipt (and so links the phone they shared there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_code: Option<String>,
}

/// Wrong ID-digit tries a dossier takes per Vietnam day before it stops accepting them.
pub const ID_SUFFIX_TRIES_PER_DAY: i64 = 5;

/// The per-dossier day counter of ID-digit tries (a counter like the statistics', never read
/// by them).
fn id_suffix_tries(code: &DossierCode) -> String {
    format!("id_suffix_tries.{code}")
}

/// The proofs a lookup may carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proof<'a> {
    /// `k` from the QR link.
    pub token: Option<&'a str>,
    /// Last four digits of the applicant's CCCD/CMND.
    pub id_suffix: Option<&'a str>,
    /// The asker's Zalo-verified phone (keyed hash): matches the applicant or representative.
    pub phone_hash: Option<&'a str>,
}

/// The ID digits given for one dossier, checked against its stored hash under the day's limit.
struct IdSuffixTry<'a> {
    tenant: &'a Tenant,
    code: &'a DossierCode,
    given: &'a str,
    stored: &'a str,
}

impl IdSuffixTry<'_> {
    /// (right, locked): the try is reserved in the store before the check and refunded when
    /// right; past the limit the digits are not checked at all.
    async fn check(
        &self,
        store: &dyn Store,
        keys: &crate::pii::PiiKeys,
        now: DateTime<Utc>,
    ) -> Result<(bool, bool), StoreError> {
        let day = time::to_vn(now).date_naive();
        let metric = id_suffix_tries(self.code);
        let t = &self.tenant.id;
        let until = self.tenant.retention.subject_counter_expires(day);
        store.incr_day_until(t, &metric, day, 1, until).await?;
        let tries = store
            .daily(t, &metric, day, day)
            .await?
            .first()
            .map_or(0, |(_, n)| *n);
        if tries > ID_SUFFIX_TRIES_PER_DAY {
            return Ok((false, true));
        }
        let got = keys.id_suffix_hash(self.code, self.given);
        let right = bool::from(subtle::ConstantTimeEq::ct_eq(
            got.as_bytes(),
            self.stored.as_bytes(),
        ));
        if right {
            store.incr_day_until(t, &metric, day, -1, until).await?;
        }
        Ok((right, false))
    }
}

/// One store read. `None` for an unknown code and for a code no province here owns.
pub async fn lookup(
    store: &dyn Store,
    tenancy: &Tenancy,
    signer: impl Fn(&TenantId) -> Option<QrSigner>,
    code: &DossierCode,
    proof: Proof<'_>,
    now: DateTime<Utc>,
) -> Result<Option<CitizenView>, StoreError> {
    let Some(tenant) = tenancy.for_code(code) else {
        // Same work as a real miss, so that timing does not tell the two apart.
        let _ = store
            .load_dossier(&TenantId::parse("unknown").expect("valid id"), code)
            .await?;
        return Ok(None);
    };
    let Some(view) = store.load_dossier(&tenant.id, code).await? else {
        return Ok(None);
    };
    let d = &view.dossier;
    let by_token = proof
        .token
        .zip(signer(&tenant.id))
        .is_some_and(|(t, s)| s.verify(code, t));
    let (by_id, id_suffix_locked) =
        match (proof.id_suffix, &d.id_suffix_hash, tenancy.keys(&tenant.id)) {
            (Some(sfx), Some(stored), Some(keys)) if motcua_domain::phone::is_id_suffix(sfx) => {
                let tries = IdSuffixTry {
                    tenant,
                    code,
                    given: sfx,
                    stored,
                };
                tries.check(store, keys, now).await?
            }
            _ => (false, false),
        };
    let by_phone = proof.phone_hash.is_some_and(|h| {
        [&d.applicant_phone, &d.representative_phone]
            .into_iter()
            .flatten()
            .any(|p| {
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    p.hash.as_bytes(),
                    h.as_bytes(),
                ))
            })
    });
    let card = (by_token || by_id || by_phone).then(|| FullCard {
        applicant: d.applicant_name_masked.clone(),
        procedure: d.procedure_name.clone(),
        agency: d.agency_name.clone(),
        delivery: delivery_label(d.delivery),
        timeline: view
            .timeline
            .iter()
            .filter_map(|e| {
                Some(TimelineItem {
                    at: e.at,
                    label: timeline_label(&e.kind, e.step_label.as_deref())?,
                })
            })
            .collect(),
        // result documents only to who holds the receipt's QR or the verified phone
        documents: if by_token || by_phone {
            d.documents.clone()
        } else {
            Vec::new()
        },
    });
    Ok(Some(CitizenView {
        status: PublicStatus::of(d, now),
        card,
        id_suffix_locked,
        receipt_code: by_token
            .then(|| receipt_code(tenancy, tenant, d, now))
            .flatten(),
    }))
}

/// Today's receipt code of a dossier that carries a phone, in a tenant with an OA (shown only
/// to who holds the QR token).
fn receipt_code(
    tenancy: &Tenancy,
    tenant: &Tenant,
    d: &Dossier,
    now: DateTime<Utc>,
) -> Option<String> {
    let has_phone = d.applicant_phone.is_some() || d.representative_phone.is_some();
    let keys = tenancy
        .keys(&tenant.id)
        .filter(|_| has_phone && tenant.oa_id.is_some())?;
    let today = motcua_domain::time::to_vn(now).date_naive();
    Some(motcua_domain::zalo::format_receipt_code(
        &keys.receipt_code(&d.code, today),
    ))
}
