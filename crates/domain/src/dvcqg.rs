//! The national public service portal's sync payload (`DongBoHoSoMC`, domain.md §2.2), accepted
//! unchanged on the inbound queue and mapped to the canonical event.
//!
//! The payload has no event id and no sequence. The event id is a hash of the payload (an
//! identical re-send is the same event); the version is derived from the latest timestamp in the
//! payload, then from how far the status has progressed. A vendor that can send the canonical
//! event should: its explicit version orders events exactly.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::code::DossierCode;
use crate::dossier::{DeliveryMethod, DocumentKind, DocumentLink};
use crate::event::{
    DossierEvent, DossierSnapshot, EventDetails, EventError, EventKind, SCHEMA_VERSION,
};
use crate::status::NationalStatus;
use crate::time::vn_offset;

/// Is this message a DVCQG sync payload (bare, or in its `{"service": "DongBoHoSoMC"}` envelope)?
pub fn is_dvcqg(v: &Value) -> bool {
    v.get("MaHoSo").is_some() || v.get("service").and_then(Value::as_str) == Some("DongBoHoSoMC")
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
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

/// How far a dossier has progressed, to order payloads that share their latest timestamp.
fn progress(s: NationalStatus) -> u64 {
    use NationalStatus::*;
    match s {
        NewlySubmitted => 1,
        Received => 2,
        Processing => 3,
        SupplementRequested => 4,
        FeeRequested => 5,
        WithdrawalRequested => 6,
        Completed => 7,
        NotAccepted | Stopped => 8,
        Returned => 9,
    }
}

/// Maps one message: a bare `DongBoHoSoMC` record, or the envelope with `data: [records]`.
/// `status_map` gives the tenant's vendor status table for a code (if the vendor does not send
/// national codes).
pub fn to_events<'a>(
    v: &Value,
    status_map: impl Fn(&DossierCode) -> Option<&'a BTreeMap<String, u8>>,
) -> Result<Vec<DossierEvent>, EventError> {
    match v.get("data") {
        Some(Value::Array(records)) if v.get("MaHoSo").is_none() => {
            records.iter().map(|r| one(r, &status_map)).collect()
        }
        _ => Ok(vec![one(v, &status_map)?]),
    }
}

fn one<'a>(
    r: &Value,
    status_map: &impl Fn(&DossierCode) -> Option<&'a BTreeMap<String, u8>>,
) -> Result<DossierEvent, EventError> {
    let code_text =
        text(r, "MaHoSo").ok_or_else(|| EventError::Malformed("MaHoSo is missing".into()))?;
    let code = DossierCode::parse(&code_text)
        .map_err(|e| EventError::Malformed(format!("MaHoSo: {e}")))?;
    let raw_status = text(r, "TrangThaiHoSo")
        .ok_or_else(|| EventError::Malformed("TrangThaiHoSo is missing".into()))?;
    let national = match status_map(&code).and_then(|m| m.get(&raw_status)) {
        Some(&n) => n,
        None => raw_status.parse::<u8>().map_err(|_| {
            EventError::Malformed(format!(
                "TrangThaiHoSo {raw_status:?} is not a number and has no mapping"
            ))
        })?,
    };
    let status = NationalStatus::try_from(national)
        .map_err(|e| EventError::Malformed(format!("TrangThaiHoSo {raw_status:?}: {e}")))?;

    let received_at = date(r, "NgayTiepNhan")?;
    let due_at = date(r, "NgayHenTra")?;
    let completed_at = date(r, "NgayKetThucXuLy")?;
    let returned_at = date(r, "NgayTra")?;

    let supplements: Vec<&Value> = r
        .get("DanhSachHoSoBoSung")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut times = vec![received_at, completed_at, returned_at];
    let mut new_due = None;
    let mut supplement_reason = None;
    for s in &supplements {
        times.push(date(s, "NgayBoSung")?);
        times.push(date(s, "NgayTiepNhanBoSung")?);
        if let Some(d) = date(s, "NgayHenTraMoi")? {
            new_due = new_due.max(Some(d));
        }
        if let Some(reason) = text(s, "NoiDungBoSung") {
            supplement_reason = Some(reason);
        }
    }
    let occurred_at = times
        .into_iter()
        .flatten()
        .max()
        .ok_or_else(|| EventError::Malformed("no NgayTiepNhan or other event time".into()))?;

    let kind = match status {
        NationalStatus::NewlySubmitted | NationalStatus::Received => EventKind::Received,
        NationalStatus::NotAccepted => EventKind::Rejected,
        NationalStatus::Processing if new_due.is_some() => EventKind::OverdueApology,
        NationalStatus::Processing => EventKind::StepChanged,
        NationalStatus::SupplementRequested => EventKind::SupplementRequested,
        NationalStatus::FeeRequested => EventKind::FeeRequested,
        NationalStatus::WithdrawalRequested => EventKind::Withdrawn,
        NationalStatus::Stopped => EventKind::ProcessingStopped,
        NationalStatus::Completed => EventKind::ResultReady,
        NationalStatus::Returned => EventKind::ResultReturned,
    };
    let documents = r
        .get("DanhSachGiayToKetQua")
        .and_then(Value::as_array)
        .map(|docs| {
            docs.iter()
                .filter_map(|d| {
                    Some(DocumentLink {
                        kind: DocumentKind::Result,
                        title: text(d, "TenGiayTo").unwrap_or_else(|| "Kết quả giải quyết".into()),
                        url: text(d, "DuongDanTepTinKetQua")?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let representative_phone = match r.get("UyQuyen") {
        Some(Value::Bool(true)) => text(r, "SoDienThoaiNguoiUyQuyen"),
        _ => None,
    };
    let fee_amount = r
        .get("DanhSachLePhi")
        .and_then(Value::as_array)
        .map(|fees| {
            fees.iter()
                .filter_map(|f| text(f, "Gia")?.parse::<u64>().ok())
                .sum::<u64>()
        })
        .filter(|&sum| sum > 0);

    let canonical = serde_json::to_string(r).expect("a JSON value serialises");
    let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
    let event = DossierEvent {
        schema_version: SCHEMA_VERSION,
        event_id: format!("dvcqg-{}", &digest[..32]),
        tenant: None,
        kind,
        occurred_at,
        version: occurred_at.timestamp().max(0) as u64 * 16 + progress(status),
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
            due_at,
            completed_at,
            returned_at,
            status,
            step_label: None,
            delivery_method: match text(r, "HinhThuc").as_deref() {
                Some("1") => DeliveryMethod::Postal,
                _ => DeliveryMethod::Counter,
            },
            zalo_opt_in: true,
            documents,
        },
        details: EventDetails {
            reason: supplement_reason.filter(|_| kind == EventKind::SupplementRequested),
            missing_papers: Vec::new(),
            new_due_at: new_due.filter(|_| kind == EventKind::OverdueApology),
            fee_amount: fee_amount.filter(|_| kind == EventKind::FeeRequested),
        },
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

    fn map(v: &Value) -> Result<Vec<DossierEvent>, EventError> {
        to_events(v, |_| None)
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
        let e = &to_events(&vendor, |_| Some(&table)).unwrap()[0];
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
}
