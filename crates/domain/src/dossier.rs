//! The dossier as this product keeps it: what a citizen may be told, plus keyed hashes and
//! sealed copies of contact data. No plaintext phone or ID number is ever part of it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::code::DossierCode;
use crate::status::NationalStatus;
use crate::tenant::TenantId;

/// How the result goes back to the citizen (DVCQG `HinhThuc`, `KenhThucHien`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMethod {
    /// Picked up at the one-stop counter (Bộ phận Một cửa).
    #[default]
    Counter,
    /// Delivered by public postal service (Bưu chính công ích, BCCI).
    Postal,
    /// Delivered online (electronic result).
    Online,
}

/// A document the citizen may open: receipt slip, supplement form (Mẫu 02), apology slip, result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentLink {
    pub kind: DocumentKind,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    ReceiptSlip,
    SupplementForm,
    ApologySlip,
    Result,
    Other,
}

/// A contact value kept only as a keyed hash (for matching) and a sealed copy (for sending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protected {
    /// Hex HMAC-SHA-256 with the tenant's matching key.
    pub hash: String,
    /// Base64 AES-256-GCM nonce ‖ ciphertext with the tenant's sealing key.
    pub sealed: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dossier {
    pub tenant: TenantId,
    pub code: DossierCode,
    /// The code synced to DVCQG when the local system uses another ("mã hồ sơ liên thông").
    pub national_code: Option<DossierCode>,
    pub procedure_code: Option<String>,
    pub procedure_name: String,
    pub sector: Option<String>,
    pub agency_code: Option<String>,
    pub agency_name: Option<String>,
    /// Already masked ("N. T. T. M***"); the full name is never stored.
    pub applicant_name_masked: String,
    pub applicant_phone: Option<Protected>,
    /// Set when an authorised representative (ủy quyền) acts: notifications go to them.
    pub representative_phone: Option<Protected>,
    /// Keyed hash of the last four digits of the applicant's ID number (second factor).
    pub id_suffix_hash: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub status: NationalStatus,
    /// The vendor's workflow step ("Thẩm định", "Ký duyệt") while processing.
    pub step_label: Option<String>,
    /// The unit handling that step ("Phòng Quản lý đô thị").
    #[serde(default)]
    pub step_unit: Option<String>,
    pub delivery: DeliveryMethod,
    /// Consent to Zalo notices as the one-stop system recorded it (`None`: not recorded).
    /// Records stored before this was optional hold `true` and read as `Some(true)`.
    #[serde(default)]
    pub zalo_opt_in: Option<bool>,
    pub documents: Vec<DocumentLink>,
    /// The highest per-dossier version applied; older events never move the status back.
    pub version: u64,
    pub updated_at: DateTime<Utc>,
    /// Once late, always late: finished or returned after the appointment date in force, or
    /// re-appointed with an apology. Provinces report late dossiers; the lookup shows it.
    #[serde(default)]
    pub late: bool,
    /// How events were applied to this record (not shown to anyone).
    #[serde(default)]
    pub sync: SyncState,
}

/// Bookkeeping for exactly-once application and de-duplicated notices.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncState {
    /// Bumped on every write; writes are conditional on it (optimistic concurrency).
    #[serde(default)]
    pub revision: u64,
    /// Distinct bodies seen for this dossier (the arrival rank of the next one, minus one).
    #[serde(default)]
    pub arrivals: u64,
    /// The last event applied.
    #[serde(default)]
    pub event_id: Option<String>,
    /// The version of the last progress record applied (steps are ordered apart from the
    /// dossier's state).
    #[serde(default)]
    pub step_version: Option<u64>,
    /// The last notice decided for this dossier's recipient.
    #[serde(default)]
    pub notified: Option<NoticeStamp>,
}

/// What the recipient was last told: a digest of the recipient and the rendered content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeStamp {
    pub digest: String,
    pub event_id: String,
}

impl Dossier {
    /// The phone the dossier's notices go to: the authorised representative's when one acts,
    /// else the applicant's.
    pub fn phone_to_tell(&self) -> Option<&Protected> {
        self.representative_phone
            .as_ref()
            .or(self.applicant_phone.as_ref())
    }

    /// Past the appointment date now: not finished, not waiting for the citizen.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        !self.status.is_final()
            && !self.status.waits_for_citizen()
            && self.due_at.is_some_and(|due| due < now)
    }

    /// Late now or at any time before (what the lookup and statistics report).
    pub fn is_late(&self, now: DateTime<Utc>) -> bool {
        self.late || self.is_overdue(now)
    }

    /// The result was ready after the appointment date in force (when the citizen collects it
    /// does not count).
    pub fn finished_late(&self) -> bool {
        let finished = self.completed_at.or(self.returned_at);
        matches!(
            self.status,
            NationalStatus::Completed | NationalStatus::Returned
        ) && matches!((finished, self.due_at), (Some(f), Some(due)) if f > due)
    }
}

/// One line of a dossier's history, in the order the one-stop system produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub version: u64,
    /// The event that produced this entry (unique within the dossier).
    pub event_id: String,
    /// Event type (`received`, `step_changed`…) or a notification/delivery record.
    pub kind: String,
    pub status: NationalStatus,
    pub step_label: Option<String>,
    /// Short operator-facing note (reason, channel chosen…), never personal data.
    pub note: Option<String>,
}

/// A dossier with its history: what one store read returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierView {
    pub dossier: Dossier,
    pub timeline: Vec<TimelineEntry>,
}
