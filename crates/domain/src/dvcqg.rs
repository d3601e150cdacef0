//! The national public service portal's payloads, accepted unchanged on the inbound queue and
//! mapped to the canonical event: the dossier sync `DongBoHoSoMC` (domain.md §2.2) and the
//! per-step progress record `CapNhatTienDoHoSoMC` (§2.1), each bare or in its
//! `{"service": …, "data": [records]}` envelope.
//!
//! Neither has an event id or a sequence. The event id is a hash of the record (an identical
//! re-send is the same event). A snapshot's version is (latest business date, how far the status
//! has progressed) and the arrival rank is added when the body is first seen (`crate::order`); a
//! progress record is ordered by its own `ThoiDiemXuLy`. A vendor that can send the canonical
//! event should: its explicit version orders events exactly.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::code::DossierCode;
use crate::dossier::{DeliveryMethod, DocumentKind, DocumentLink};
use crate::event::{
    DossierEvent, DossierSnapshot, EventDetails, EventError, EventKind, SCHEMA_VERSION, Source,
};
use crate::order;
use crate::status::NationalStatus;
use crate::time::vn_offset;

pub const SYNC_SERVICE: &str = "DongBoHoSoMC";
pub const PROGRESS_SERVICE: &str = "CapNhatTienDoHoSoMC";

/// Is this message a DVCQG payload (a bare record, or an envelope naming one of our services)?
pub fn is_dvcqg(v: &Value) -> bool {
    v.get("MaHoSo").is_some()
        || matches!(
            v.get("service").and_then(Value::as_str),
            Some(SYNC_SERVICE | PROGRESS_SERVICE)
        )
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// At most `max` characters (a vendor's free text can be long; ours is cut, not refused).
fn short(v: &Value, key: &str, max: usize) -> Option<String> {
    text(v, key).map(|s| s.chars().take(max).collect())
}

fn bad(field: &'static str) -> EventError {
    EventError::BadText { field, max: 500 }
}

/// `yyyyMMddHHmmss` in Vietnam time.
fn date(v: &Value, key: &str) -> Result<Option<DateTime<FixedOffset>>, EventError> {
    let Some(s) = text(v, key) else {
        return Ok(None);
    };
    let naive = NaiveDateTime::parse_from_str(&s, "%Y%m%d%H%M%S")
        .map_err(|_| EventError::Malformed(format!("{key} is not yyyyMMddHHmmss")))?;
    Ok(vn_offset().from_local_datetime(&naive).single())
}

fn event_id(r: &Value) -> String {
    let canonical = serde_json::to_string(r).expect("a JSON value serialises");
    let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
    format!("dvcqg-{}", &digest[..32])
}

/// Maps one message. `status_map` gives the tenant's vendor status table for a code (if the
/// vendor does not send national codes); `arrival` is when the body first reached our queue,
/// the time of a status-1 snapshot that carries no date of its own.
pub fn to_events<'a>(
    v: &Value,
    status_map: impl Fn(&DossierCode) -> Option<&'a BTreeMap<String, u8>>,
    arrival: DateTime<FixedOffset>,
) -> Result<Vec<DossierEvent>, EventError> {
    let progress = v.get("service").and_then(Value::as_str) == Some(PROGRESS_SERVICE)
        || (v.get("ThoiDiemXuLy").is_some() && v.get("TrangThaiHoSo").is_none());
    let one = |r: &Value| {
        if progress {
            progress_record(r)
        } else {
            snapshot(r, &status_map, arrival)
        }
    };
    match v.get("data") {
        Some(Value::Array(records)) if v.get("MaHoSo").is_none() => {
            records.iter().map(one).collect()
        }
        _ => Ok(vec![one(v)?]),
    }
}

fn code_of(r: &Value) -> Result<DossierCode, EventError> {
    let code_text =
        text(r, "MaHoSo").ok_or_else(|| EventError::Malformed("MaHoSo is missing".into()))?;
    DossierCode::parse(&code_text).map_err(|e| EventError::Malformed(format!("MaHoSo: {e}")))
}

fn status_of<'a>(
    r: &Value,
    code: &DossierCode,
    status_map: &impl Fn(&DossierCode) -> Option<&'a BTreeMap<String, u8>>,
) -> Result<NationalStatus, EventError> {
    let raw = text(r, "TrangThaiHoSo")
        .ok_or_else(|| EventError::Malformed("TrangThaiHoSo is missing".into()))?;
    let national = match status_map(code).and_then(|m| m.get(&raw)) {
        Some(&n) => n,
        None => raw.parse::<u8>().map_err(|_| {
            EventError::Malformed(format!(
                "TrangThaiHoSo {raw:?} is not a number and has no mapping"
            ))
        })?,
    };
    NationalStatus::try_from(national)
        .map_err(|e| EventError::Malformed(format!("TrangThaiHoSo {raw:?}: {e}")))
}

/// What the supplement list (`DanhSachHoSoBoSung`) adds: its dates, the latest re-appointment,
/// the latest reason.
#[derive(Default)]
struct Supplements {
    times: Vec<DateTime<FixedOffset>>,
    new_due: Option<DateTime<FixedOffset>>,
    reason: Option<String>,
}

fn supplements(r: &Value) -> Result<Supplements, EventError> {
    let mut out = Supplements::default();
    for s in r
        .get("DanhSachHoSoBoSung")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.times.extend(date(s, "NgayBoSung")?);
        out.times.extend(date(s, "NgayTiepNhanBoSung")?);
        if let Some(d) = date(s, "NgayHenTraMoi")? {
            out.new_due = out.new_due.max(Some(d));
        }
        if let Some(reason) = short(s, "NoiDungBoSung", 500) {
            out.reason = Some(reason);
        }
    }
    Ok(out)
}

fn kind_of(status: NationalStatus, reappointed: bool) -> EventKind {
    match status {
        NationalStatus::NewlySubmitted => EventKind::Submitted,
        NationalStatus::Received => EventKind::Received,
        NationalStatus::NotAccepted => EventKind::Rejected,
        NationalStatus::Processing if reappointed => EventKind::OverdueApology,
        NationalStatus::Processing => EventKind::StepChanged,
        NationalStatus::SupplementRequested => EventKind::SupplementRequested,
        NationalStatus::FeeRequested => EventKind::FeeRequested,
        NationalStatus::WithdrawalRequested => EventKind::Withdrawn,
        NationalStatus::Stopped => EventKind::ProcessingStopped,
        NationalStatus::Completed => EventKind::ResultReady,
        NationalStatus::Returned => EventKind::ResultReturned,
    }
}

fn result_documents(r: &Value) -> Vec<DocumentLink> {
    r.get("DanhSachGiayToKetQua")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some(DocumentLink {
                kind: DocumentKind::Result,
                title: short(d, "TenGiayTo", 200).unwrap_or_else(|| "Kết quả giải quyết".into()),
                url: text(d, "DuongDanTepTinKetQua")?,
            })
        })
        .collect()
}

fn fee_total(r: &Value) -> Option<u64> {
    let fees = r.get("DanhSachLePhi").and_then(Value::as_array)?;
    let sum: u64 = fees
        .iter()
        .filter_map(|f| text(f, "Gia")?.parse::<u64>().ok())
        .sum();
    (sum > 0).then_some(sum)
}

/// One `DongBoHoSoMC` record: the dossier as the one-stop system sees it now.
fn snapshot<'a>(
    r: &Value,
    status_map: &impl Fn(&DossierCode) -> Option<&'a BTreeMap<String, u8>>,
    arrival: DateTime<FixedOffset>,
) -> Result<DossierEvent, EventError> {
    let code = code_of(r)?;
    let status = status_of(r, &code, status_map)?;
    let received_at = date(r, "NgayTiepNhan")?;
    let due_at = date(r, "NgayHenTra")?;
    let completed_at = date(r, "NgayKetThucXuLy")?;
    let returned_at = date(r, "NgayTra")?;
    let submitted_at = date(r, "NgayNopHoSo")?;
    let sup = supplements(r)?;
    let latest = [received_at, completed_at, returned_at]
        .into_iter()
        .flatten()
        .chain(sup.times.iter().copied())
        .max();
    // An online submission not yet received (status 1, or refused before reception) has no
    // business date: ordered below every dated snapshot (then by progress and arrival), shown
    // at its submission time, else at its arrival.
    let occurred_at = latest.or(submitted_at).unwrap_or(arrival);
    let kind = kind_of(status, sup.new_due.is_some());
    let representative_phone = match r.get("UyQuyen") {
        Some(Value::Bool(true)) => text(r, "SoDienThoaiNguoiUyQuyen"),
        _ => None,
    };
    let event = DossierEvent {
        schema_version: SCHEMA_VERSION,
        event_id: event_id(r),
        tenant: None,
        kind,
        occurred_at,
        version: order::base_version(latest, order::progress(status)),
        dossier: DossierSnapshot {
            code,
            national_code: None,
            procedure_code: text(r, "MaTTHC"),
            procedure_name: text(r, "TenTTHC").ok_or_else(|| bad("TenTTHC"))?,
            sector: text(r, "TenLinhVuc"),
            agency_code: None,
            agency_name: text(r, "DonViXuLy"),
            applicant_name: text(r, "ChuHoSo").ok_or_else(|| bad("ChuHoSo"))?,
            phone: text(r, "SoDienThoai"),
            representative_phone,
            id_number: None,
            received_at,
            // The appointment in force: the latest re-appointment, else NgayHenTra.
            due_at: sup.new_due.or(due_at),
            reappointed: sup.new_due.is_some(),
            completed_at,
            returned_at,
            status,
            step_label: None,
            step_unit: None,
            delivery_method: match text(r, "HinhThuc").as_deref() {
                Some("1") => DeliveryMethod::Postal,
                _ => DeliveryMethod::Counter,
            },
            zalo_opt_in: None,
            documents: result_documents(r),
        },
        details: EventDetails {
            reason: sup
                .reason
                .filter(|_| kind == EventKind::SupplementRequested),
            missing_papers: Vec::new(),
            new_due_at: sup.new_due.filter(|_| kind == EventKind::OverdueApology),
            fee_amount: fee_total(r).filter(|_| kind == EventKind::FeeRequested),
        },
        source: Source::Snapshot,
    };
    event.validate()?;
    Ok(event)
}

/// One `CapNhatTienDoHoSoMC` record: a dossier moved to a step (`NoiDungXuLy`) in a unit
/// (`PhongBanXuLy`) at `ThoiDiemXuLy`. It names no procedure or applicant: those come from the
/// stored dossier when the event is applied. The handler's name and title (`NguoiXuLy`,
/// `ChucDanh`) are staff data a citizen is not told; they are not kept.
fn progress_record(r: &Value) -> Result<DossierEvent, EventError> {
    let code = code_of(r)?;
    let at = date(r, "ThoiDiemXuLy")?
        .ok_or_else(|| EventError::Malformed("ThoiDiemXuLy is missing".into()))?;
    let step = short(r, "NoiDungXuLy", 200)
        .ok_or_else(|| EventError::Malformed("NoiDungXuLy is missing".into()))?;
    let event = DossierEvent {
        schema_version: SCHEMA_VERSION,
        event_id: event_id(r),
        tenant: None,
        kind: EventKind::StepChanged,
        occurred_at: at,
        version: order::base_version(Some(at), order::progress(NationalStatus::Processing)),
        dossier: DossierSnapshot {
            code,
            national_code: None,
            procedure_code: None,
            procedure_name: "(hồ sơ đã lưu)".into(),
            sector: None,
            agency_code: None,
            agency_name: None,
            applicant_name: "(hồ sơ đã lưu)".into(),
            phone: None,
            representative_phone: None,
            id_number: None,
            received_at: None,
            due_at: None,
            reappointed: false,
            completed_at: None,
            returned_at: None,
            status: NationalStatus::Processing,
            step_label: Some(step),
            step_unit: short(r, "PhongBanXuLy", 200),
            delivery_method: DeliveryMethod::Counter,
            zalo_opt_in: None,
            documents: Vec::new(),
        },
        details: EventDetails::default(),
        source: Source::Progress,
    };
    event.validate()?;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({
            "MaHoSo": "000.00.04.H60-261110-0028",
            "SoBienNhan": "000.00.04.H60-261110-0028",
            "MaTTHC": "1.009994",
            "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
            "MaLinhVuc": "G05-XD01",
            "TenLinhVuc": "Xây dựng",
            "ChuHoSo": "NGUYỄN THỊ THANH MẪN",
            "LoaiDoiTuong": "1",
            "SoDienThoai": "0906591985",
            "NgayTiepNhan": "20261110083000",
            "NgayHenTra": "20261201170000",
            "TrangThaiHoSo": "2",
            "HinhThuc": 0,
            "DonViXuLy": "Sở Xây dựng"
        })
    }

    fn arrival() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-10T09:00:00+07:00").unwrap()
    }

    fn map(v: &Value) -> Result<Vec<DossierEvent>, EventError> {
        to_events(v, |_| None, arrival())
    }

    #[test]
    fn maps_a_received_record() {
        let e = &map(&record()).unwrap()[0];
        assert_eq!(e.kind, EventKind::Received);
        assert_eq!(e.dossier.code.as_str(), "000.00.04.H60-261110-0028");
        assert_eq!(e.dossier.status, NationalStatus::Received);
        assert_eq!(e.occurred_at.to_rfc3339(), "2026-11-10T08:30:00+07:00");
        assert_eq!(
            e.dossier.due_at.unwrap().to_rfc3339(),
            "2026-12-01T17:00:00+07:00"
        );
        assert_eq!(e.dossier.sector.as_deref(), Some("Xây dựng"));
        assert!(e.event_id.starts_with("dvcqg-") && e.event_id.len() == 38);
        assert_eq!(
            map(&record()).unwrap()[0].event_id,
            e.event_id,
            "same payload, same event"
        );
    }

    #[test]
    fn later_states_get_higher_versions_and_the_right_kind() {
        let base = map(&record()).unwrap()[0].version;
        let mut processing = record();
        processing["TrangThaiHoSo"] = json!("4");
        let p = &map(&processing).unwrap()[0];
        assert_eq!(p.kind, EventKind::StepChanged);
        assert!(p.version > base, "same timestamp, further progress");
        let mut done = record();
        done["TrangThaiHoSo"] = json!(9);
        done["NgayKetThucXuLy"] = json!("20261125160000");
        done["HinhThuc"] = json!("1");
        done["DanhSachGiayToKetQua"] = json!([{"TenGiayTo": "Giấy phép xây dựng", "GiayToId": "1", "DuongDanTepTinKetQua": "https://dvc.example.vn/kq/1.pdf"}]);
        let d = &map(&done).unwrap()[0];
        assert_eq!(d.kind, EventKind::ResultReady);
        assert!(d.version > p.version);
        assert_eq!(d.dossier.delivery_method, DeliveryMethod::Postal);
        assert_eq!(
            d.dossier.documents[0].url,
            "https://dvc.example.vn/kq/1.pdf"
        );
        let mut late = processing.clone();
        late["DanhSachHoSoBoSung"] = json!([{"NgayBoSung": "20261202080000", "NgayHenTraTruoc": "20261201170000", "NgayHenTraMoi": "20261210170000"}]);
        let l = &map(&late).unwrap()[0];
        assert_eq!(l.kind, EventKind::OverdueApology);
        assert_eq!(
            l.details.new_due_at.unwrap().to_rfc3339(),
            "2026-12-10T17:00:00+07:00"
        );
    }

    #[test]
    fn envelope_vendor_codes_and_errors() {
        let env =
            json!({"service": "DongBoHoSoMC", "isUpdating": true, "data": [record(), record()]});
        assert!(is_dvcqg(&env) && is_dvcqg(&record()));
        assert_eq!(map(&env).unwrap().len(), 2);
        // Đà Nẵng-style vendor code 16 = "Không tiếp nhận" mapped to national 3 by the tenant
        let mut vendor = record();
        vendor["TrangThaiHoSo"] = json!("16");
        let table = BTreeMap::from([("16".to_string(), 3u8)]);
        let e = &to_events(&vendor, |_| Some(&table), arrival()).unwrap()[0];
        assert_eq!(
            (e.kind, e.dossier.status),
            (EventKind::Rejected, NationalStatus::NotAccepted)
        );
        assert!(map(&vendor).is_err(), "16 without a mapping is refused");
        let mut no_code = record();
        no_code.as_object_mut().unwrap().remove("MaHoSo");
        assert!(map(&json!({"service": "DongBoHoSoMC", "data": [no_code]})).is_err());
        let mut bad_date = record();
        bad_date["NgayTiepNhan"] = json!("10/11/2026");
        assert!(
            matches!(map(&bad_date), Err(EventError::Malformed(m)) if m.contains("NgayTiepNhan"))
        );
    }

    #[test]
    fn an_online_submission_has_no_reception_date_and_comes_first() {
        let mut online = record();
        online["TrangThaiHoSo"] = json!("1");
        online.as_object_mut().unwrap().remove("NgayTiepNhan");
        let e = &map(&online).unwrap()[0];
        assert_eq!((e.kind, e.source), (EventKind::Submitted, Source::Snapshot));
        assert_eq!(e.occurred_at, arrival(), "no date: the queue's arrival");
        online["NgayNopHoSo"] = json!("20261109213000");
        let e = &map(&online).unwrap()[0];
        assert_eq!(e.occurred_at.to_rfc3339(), "2026-11-09T21:30:00+07:00");
        let received = &map(&record()).unwrap()[0];
        assert!(
            order::with_rank(e.version, order::MAX_RANK) < order::with_rank(received.version, 1),
            "a submission sorts below its reception whatever the arrival order"
        );
        // refused before reception: no date either, still accepted, after the submission
        let mut refused = online.clone();
        refused["TrangThaiHoSo"] = json!("3");
        let r = &map(&refused).unwrap()[0];
        assert_eq!(r.kind, EventKind::Rejected);
        assert!(r.version > e.version);
    }

    #[test]
    fn the_appointment_in_force_is_the_latest_reappointment() {
        let mut done = record();
        done["TrangThaiHoSo"] = json!("9");
        done["NgayKetThucXuLy"] = json!("20261208160000");
        done["DanhSachHoSoBoSung"] = json!([{"NgayBoSung": "20261202080000",
            "NgayHenTraTruoc": "20261201170000", "NgayHenTraMoi": "20261210170000"}]);
        let d = &map(&done).unwrap()[0];
        assert_eq!(d.kind, EventKind::ResultReady);
        assert_eq!(
            d.dossier.due_at.unwrap().to_rfc3339(),
            "2026-12-10T17:00:00+07:00"
        );
        assert_eq!(
            d.details.new_due_at, None,
            "only the apology carries the new date"
        );
    }

    #[test]
    fn progress_records_name_the_step_and_unit_bare_or_enveloped() {
        let p = json!({"MaHoSo": "000.00.04.H60-261110-0028", "NguoiXuLy": "Trần Văn B",
            "ChucDanh": "Chuyên viên", "ThoiDiemXuLy": "20261112091500",
            "PhongBanXuLy": "Phòng Quản lý đô thị", "NoiDungXuLy": "Thẩm định hồ sơ",
            "TrangThai": "1", "NgayBatDau": "20261112091500",
            "NgayKetThucTheoQuyDinh": "20261115170000"});
        assert!(is_dvcqg(&p));
        let e = &map(&p).unwrap()[0];
        assert_eq!(
            (e.kind, e.source),
            (EventKind::StepChanged, Source::Progress)
        );
        assert_eq!(e.dossier.step_label.as_deref(), Some("Thẩm định hồ sơ"));
        assert_eq!(e.dossier.step_unit.as_deref(), Some("Phòng Quản lý đô thị"));
        assert_eq!(e.occurred_at.to_rfc3339(), "2026-11-12T09:15:00+07:00");
        let dbg = format!("{e:?}");
        assert!(
            !dbg.contains("Trần"),
            "the handler's name is not kept: {dbg}"
        );
        let env = json!({"service": "CapNhatTienDoHoSoMC", "data": [p.clone(), p.clone()]});
        assert!(is_dvcqg(&env));
        assert_eq!(map(&env).unwrap().len(), 2);
        let received = &map(&record()).unwrap()[0];
        assert!(
            e.version > received.version,
            "a later step orders after the reception"
        );
        let mut no_time = p.clone();
        no_time.as_object_mut().unwrap().remove("ThoiDiemXuLy");
        let env = json!({"service": "CapNhatTienDoHoSoMC", "data": [no_time]});
        assert!(matches!(map(&env), Err(EventError::Malformed(m)) if m.contains("ThoiDiemXuLy")));
    }
}
