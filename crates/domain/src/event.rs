//! The canonical dossier event the one-stop system puts on the inbound queue (schema v1).
//!
//! Documented in `infra/events/README.md` with a JSON Schema beside it. Personal data arrives
//! here in clear (phone, ID number, full name) and is protected by the application layer before
//! anything is stored or logged; `Debug` on these types never prints it.

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::code::DossierCode;
use crate::dossier::{DeliveryMethod, DocumentLink};
use crate::status::NationalStatus;
use crate::tenant::TenantId;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Submitted online, not yet received by the one-stop desk (national status 1, "Nộp hồ sơ").
    Submitted,
    Received,
    StepChanged,
    SupplementRequested,
    FeeRequested,
    Rejected,
    Withdrawn,
    ProcessingStopped,
    OverdueApology,
    ResultReady,
    ResultReturned,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        Self::Submitted,
        Self::Received,
        Self::StepChanged,
        Self::SupplementRequested,
        Self::FeeRequested,
        Self::Rejected,
        Self::Withdrawn,
        Self::ProcessingStopped,
        Self::OverdueApology,
        Self::ResultReady,
        Self::ResultReturned,
    ];

    /// The citizen must act by a date or lose time (papers, a fee, a result to collect, a new
    /// appointment): a notice of these that did not reach them goes on staff's worklist.
    pub fn bears_deadline(self) -> bool {
        matches!(
            self,
            Self::SupplementRequested
                | Self::FeeRequested
                | Self::ResultReady
                | Self::OverdueApology
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Received => "received",
            Self::StepChanged => "step_changed",
            Self::SupplementRequested => "supplement_requested",
            Self::FeeRequested => "fee_requested",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::ProcessingStopped => "processing_stopped",
            Self::OverdueApology => "overdue_apology",
            Self::ResultReady => "result_ready",
            Self::ResultReturned => "result_returned",
        }
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierEvent {
    pub schema_version: u32,
    /// Unique per event; the idempotency key. The legacy system re-sends with the same id.
    pub event_id: String,
    /// Optional: resolved from the dossier code's agency when absent.
    #[serde(default)]
    pub tenant: Option<TenantId>,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub occurred_at: DateTime<FixedOffset>,
    /// Per-dossier, increasing. An event with a lower version than the stored one is history.
    pub version: u64,
    pub dossier: DossierSnapshot,
    #[serde(default)]
    pub details: EventDetails,
    /// Where the event came from; never part of the JSON contract.
    #[serde(skip)]
    pub source: Source,
}

/// Where an event came from, which decides how its `version` is completed and applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// Our contract: the vendor's `version` orders events exactly.
    #[default]
    Canonical,
    /// A DVCQG `DongBoHoSoMC` snapshot: `version` holds (latest business date, progress); the
    /// arrival rank is added when the body is first seen (`crate::order`).
    Snapshot,
    /// A DVCQG `CapNhatTienDoHoSoMC` progress record: ordered by its `ThoiDiemXuLy`, it only
    /// moves the step of a dossier already known.
    Progress,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierSnapshot {
    pub code: DossierCode,
    #[serde(default)]
    pub national_code: Option<DossierCode>,
    #[serde(default)]
    pub procedure_code: Option<String>,
    pub procedure_name: String,
    #[serde(default)]
    pub sector: Option<String>,
    #[serde(default)]
    pub agency_code: Option<String>,
    #[serde(default)]
    pub agency_name: Option<String>,
    pub applicant_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub representative_phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub received_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub due_at: Option<DateTime<FixedOffset>>,
    /// The appointment was moved after the dossier ran late (an apology slip was issued at
    /// some time): the dossier counts as late from then on.
    #[serde(default)]
    pub reappointed: bool,
    #[serde(default)]
    pub completed_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub returned_at: Option<DateTime<FixedOffset>>,
    pub status: NationalStatus,
    #[serde(default)]
    pub step_label: Option<String>,
    /// The unit handling the current step ("Phòng Quản lý đô thị").
    #[serde(default)]
    pub step_unit: Option<String>,
    #[serde(default)]
    pub delivery_method: DeliveryMethod,
    /// The citizen's answer to "notify me by Zalo", as the one-stop system recorded it; absent
    /// when it records none (every DVCQG payload): the tenant's `notify.without_consent`
    /// decides then.
    #[serde(default)]
    pub zalo_opt_in: Option<bool>,
    #[serde(default)]
    pub documents: Vec<DocumentLink>,
}

impl DossierSnapshot {
    /// The snapshot a stored dossier stands for, with Vietnam-time dates. What is stored
    /// protected (phones, ID number) is left out, and the applicant's name is the masked one.
    pub fn of_stored(d: &crate::Dossier) -> DossierSnapshot {
        let vn = crate::time::to_vn;
        DossierSnapshot {
            code: d.code.clone(),
            national_code: d.national_code.clone(),
            procedure_code: d.procedure_code.clone(),
            procedure_name: d.procedure_name.clone(),
            sector: d.sector.clone(),
            agency_code: d.agency_code.clone(),
            agency_name: d.agency_name.clone(),
            applicant_name: d.applicant_name_masked.clone(),
            phone: None,
            representative_phone: None,
            id_number: None,
            received_at: d.received_at.map(vn),
            due_at: d.due_at.map(vn),
            reappointed: false,
            completed_at: d.completed_at.map(vn),
            returned_at: d.returned_at.map(vn),
            status: d.status,
            step_label: d.step_label.clone(),
            step_unit: d.step_unit.clone(),
            delivery_method: d.delivery,
            zalo_opt_in: d.zalo_opt_in,
            documents: d.documents.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDetails {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub missing_papers: Vec<String>,
    #[serde(default)]
    pub new_due_at: Option<DateTime<FixedOffset>>,
    /// VND.
    #[serde(default)]
    pub fee_amount: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event is not valid JSON for schema v1: {0}")]
    Malformed(String),
    #[error("unsupported schema_version {0} (this build reads {SCHEMA_VERSION})")]
    UnsupportedSchema(u32),
    #[error("event_id must be 1–128 printable ASCII characters")]
    BadEventId,
    #[error("version must be at least 1")]
    BadVersion,
    #[error("{field} is empty or longer than {max} characters")]
    BadText { field: &'static str, max: usize },
}

impl DossierEvent {
    /// Parses and validates one queue message body.
    pub fn from_json(body: &str) -> Result<Self, EventError> {
        // Check the schema version first so a v2 message gets a precise error, not a field error.
        #[derive(Deserialize)]
        struct Probe {
            schema_version: Option<u32>,
        }
        if let Ok(Probe {
            schema_version: Some(v),
        }) = serde_json::from_str::<Probe>(body)
            && v != SCHEMA_VERSION
        {
            return Err(EventError::UnsupportedSchema(v));
        }
        let event: DossierEvent = serde_json::from_str(body)
            .map_err(|e| EventError::Malformed(redact_long_digit_runs(&e.to_string())))?;
        event.validate()?;
        Ok(event)
    }

    pub fn validate(&self) -> Result<(), EventError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(EventError::UnsupportedSchema(self.schema_version));
        }
        let id_ok = (1..=128).contains(&self.event_id.len())
            && self.event_id.bytes().all(|b| b.is_ascii_graphic());
        if !id_ok {
            return Err(EventError::BadEventId);
        }
        if self.version == 0 {
            return Err(EventError::BadVersion);
        }
        let d = &self.dossier;
        text("dossier.procedure_name", &d.procedure_name, 500)?;
        text("dossier.applicant_name", &d.applicant_name, 200)?;
        if let Some(s) = &d.step_label {
            text("dossier.step_label", s, 200)?;
        }
        if let Some(s) = &d.step_unit {
            text("dossier.step_unit", s, 200)?;
        }
        Ok(())
    }

    pub fn occurred_at_utc(&self) -> DateTime<Utc> {
        self.occurred_at.with_timezone(&Utc)
    }
}

/// The receipt code a queue body is about, as written: canonical `dossier.code`, DVCQG
/// `MaHoSo`, bare or in an envelope (its first record). `None` when the body names none.
pub fn code_in_body(v: &serde_json::Value) -> Option<&str> {
    v.get("MaHoSo")
        .or_else(|| v.pointer("/data/0/MaHoSo"))
        .or_else(|| v.pointer("/dossier/code"))?
        .as_str()
}

/// serde errors quote offending values; a phone or ID number in the wrong field must not reach
/// the logs or the dead-letter reason through them.
fn redact_long_digit_runs(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 7 {
            out.push_str("[digits]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in message.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), EventError> {
    if value.trim().is_empty() || value.chars().count() > max {
        return Err(EventError::BadText { field, max });
    }
    Ok(())
}

// Debug without personal data: these structs end up in error logs.
impl fmt::Debug for DossierEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DossierEvent")
            .field("event_id", &self.event_id)
            .field("tenant", &self.tenant)
            .field("kind", &self.kind)
            .field("version", &self.version)
            .field("dossier", &self.dossier)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for DossierSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DossierSnapshot")
            .field("code", &self.code)
            .field("status", &self.status)
            .field("step_label", &self.step_label)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"{
      "schema_version": 1,
      "event_id": "tq-2023-0028-1",
      "type": "received",
      "occurred_at": "2023-02-15T08:30:00+07:00",
      "version": 1,
      "dossier": {
        "code": "000.00.04.H60-230215-0028",
        "procedure_name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "applicant_name": "NGUYỄN THỊ THANH MẪN",
        "phone": "0906591985",
        "id_number": "001090012345",
        "received_at": "2023-02-15T08:30:00+07:00",
        "due_at": "2023-03-01T17:00:00+07:00",
        "status": 2
      }
    }"#;

    #[test]
    fn parses_a_minimal_event_with_defaults() {
        let e = DossierEvent::from_json(SAMPLE).unwrap();
        assert_eq!(e.kind, EventKind::Received);
        assert_eq!(e.dossier.status, NationalStatus::Received);
        assert_eq!(e.dossier.zalo_opt_in, None, "no consent recorded");
        assert_eq!(e.dossier.delivery_method, DeliveryMethod::Counter);
        assert_eq!(
            e.occurred_at_utc().to_rfc3339(),
            "2023-02-15T01:30:00+00:00"
        );
    }

    #[test]
    fn debug_output_carries_no_personal_data() {
        let e = DossierEvent::from_json(SAMPLE).unwrap();
        let dbg = format!("{e:?}");
        for secret in ["0906591985", "001090012345", "NGUYỄN", "MẪN"] {
            assert!(!dbg.contains(secret), "{secret} leaked into {dbg}");
        }
        assert!(dbg.contains("000.00.04.H60-230215-0028"));
    }

    #[test]
    fn rejects_invalid_events_with_precise_reasons() {
        let v: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        let with = |path: &[&str], value: serde_json::Value| {
            let mut v = v.clone();
            let mut cur = &mut v;
            for p in &path[..path.len() - 1] {
                cur = &mut cur[*p];
            }
            cur[path[path.len() - 1]] = value;
            DossierEvent::from_json(&v.to_string())
        };
        assert_eq!(
            with(&["schema_version"], 2.into()),
            Err(EventError::UnsupportedSchema(2))
        );
        assert_eq!(with(&["event_id"], "".into()), Err(EventError::BadEventId));
        assert_eq!(
            with(&["event_id"], "có dấu".into()),
            Err(EventError::BadEventId)
        );
        assert_eq!(with(&["version"], 0.into()), Err(EventError::BadVersion));
        assert!(matches!(
            with(&["dossier", "status"], 11.into()),
            Err(EventError::Malformed(_))
        ));
        assert!(matches!(
            with(&["dossier", "code"], "not a code".into()),
            Err(EventError::Malformed(_))
        ));
        assert!(matches!(
            with(&["type"], "exploded".into()),
            Err(EventError::Malformed(_))
        ));
        assert!(matches!(
            with(&["surprise"], 1.into()),
            Err(EventError::Malformed(_))
        ));
        assert_eq!(
            with(&["dossier", "applicant_name"], "  ".into()),
            Err(EventError::BadText {
                field: "dossier.applicant_name",
                max: 200
            })
        );
        match with(&["dossier", "status"], "0906591985".into()) {
            Err(EventError::Malformed(m)) => assert!(!m.contains("0906591985"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            DossierEvent::from_json("{not json"),
            Err(EventError::Malformed(_))
        ));
    }
}
