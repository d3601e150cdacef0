//! Masking for anything a citizen (or a staff member without the right to see it) is shown.

use unicode_normalization::UnicodeNormalization;

/// "NGUYỄN THỊ THANH MẪN" → "N. T. T. M***": initials for every word but the given name,
/// whose first letter is kept and the rest hidden. Casing follows the input's first letters.
pub fn mask_name(full_name: &str) -> String {
    let full_name: String = full_name.nfc().collect();
    let words: Vec<&str> = full_name.split_whitespace().collect();
    let Some((given, others)) = words.split_last() else {
        return String::new();
    };
    let initial = |w: &str| {
        w.chars()
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
    };
    let mut parts: Vec<String> = others
        .iter()
        .filter_map(|w| initial(w).map(|i| format!("{i}.")))
        .collect();
    if let Some(i) = initial(given) {
        parts.push(format!("{i}***"));
    }
    parts.join(" ")
}

/// Hides every run of 6 or more digits (phone numbers, ID numbers, account numbers) in a free
/// text but its last 3 digits: "gọi 0912345678" → "gọi *******678". Single spaces or dots inside
/// a number are kept and do not break the run. Runs that are part of a receipt code (touching a
/// dash, or followed by `.` and a letter as in `000.00.04.H60`) stay readable.
pub fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run: digits, possibly separated by single spaces, dots or dashes.
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits += 1;
                j += 1;
                end = j;
            } else if matches!(chars[j], ' ' | '.')
                && chars.get(j + 1).is_some_and(char::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        let run = &chars[i..end];
        let in_code = (i > 0 && chars[i - 1] == '-')
            || chars.get(end) == Some(&'-')
            || (chars.get(end) == Some(&'.')
                && chars.get(end + 1).is_some_and(char::is_ascii_alphabetic));
        if digits >= 6 && !in_code {
            let mut seen = 0;
            for c in run {
                if c.is_ascii_digit() {
                    seen += 1;
                    out.push(if seen > digits - 3 { *c } else { '*' });
                } else {
                    out.push(*c);
                }
            }
        } else {
            out.extend(run);
        }
        i = end;
    }
    out
}

/// Fields of the inbound payloads (DVCQG and canonical) that hold personal data: replaced
/// whole by `[redacted]` in [`redact_payload`]. Matched case-insensitively.
const PERSONAL_FIELDS: [&str; 29] = [
    "ChuHoSo",
    "SoDienThoai",
    "Email",
    "Fax",
    "ThongTinKhac",
    "MaDoiTuong",
    "SoDienThoaiNguoiUyQuyen",
    "DiaChiChuHoSo",
    "SoDienThoaiChuHoSo",
    "EmailChuHoSo",
    "TrichYeuHoSo",
    "NguoiXuLy",
    "NguoiYeuCauBoSung",
    "NguoiTiepNhanBoSung",
    "ThongTinTiepNhan",
    "ThongTinTra",
    "TaiLieuNop",
    "DanhSachTepDinhKemKhac",
    "applicant_name",
    "phone",
    "representative_phone",
    "id_number",
    // Zalo webhook events: the citizen's ids, what they wrote, what they shared
    "sender",
    "follower",
    "user_id_by_app",
    "text",
    "name",
    "address",
    "info",
];

/// A queue body with its personal data removed, for a dead letter's readable copy: personal
/// fields replaced, long digit runs and e-mail addresses masked elsewhere (dates and receipt
/// codes stay readable). A body that is not JSON is masked as text.
pub fn redact_payload(body: &str) -> String {
    fn text(s: &str) -> String {
        mask_digit_runs(s)
            .split(' ')
            .map(|w| if w.contains('@') { "[email]" } else { w })
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn walk(key: Option<&str>, v: &mut serde_json::Value) {
        use serde_json::Value;
        let personal =
            key.is_some_and(|k| PERSONAL_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k)));
        let readable = key.is_some_and(|k| {
            k.starts_with("Ngay")
                || k.starts_with("ThoiDiem")
                || k.ends_with("_at")
                || matches!(k, "MaHoSo" | "SoBienNhan" | "code" | "national_code")
        });
        match v {
            _ if personal && !v.is_null() => *v = Value::String("[redacted]".into()),
            Value::String(s) if !readable => *s = text(s),
            Value::Array(items) => items.iter_mut().for_each(|i| walk(None, i)),
            Value::Object(map) => map.iter_mut().for_each(|(k, v)| walk(Some(k), v)),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut v) => {
            walk(None, &mut v);
            v.to_string()
        }
        Err(_) => text(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_lose_their_personal_data_but_stay_readable() {
        let body = serde_json::json!({"MaHoSo": "000.00.04.H60-261110-0028",
            "ChuHoSo": "NGUYỄN THỊ THANH MẪN", "SoDienThoai": "0906591985",
            "Email": "man@example.vn", "NgayTiepNhan": "20261110083000", "TrangThaiHoSo": "2",
            "GhiChu": "gọi 0906591985 hoặc man@example.vn",
            "DanhSachHoSoBoSung": [{"NguoiYeuCauBoSung": "Trần B", "NoiDungBoSung": "CCCD 001090012345"}],
            "dossier": {"phone": "+84906591985", "id_number": "001090012345"}})
        .to_string();
        let r = redact_payload(&body);
        for secret in [
            "NGUYỄN",
            "0906591985",
            "906591985",
            "man@example",
            "Trần",
            "001090012345",
        ] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        for kept in [
            "000.00.04.H60-261110-0028",
            "20261110083000",
            "\"TrangThaiHoSo\":\"2\"",
        ] {
            assert!(r.contains(kept), "{kept} lost from {r}");
        }
        let zalo = serde_json::json!({"app_id": "1", "event_name": "user_send_text",
            "sender": {"id": "2512523625412515"}, "recipient": {"id": "579745863508352884"},
            "message": {"text": "Tôi là Nguyễn Văn An, số 0906591985", "msg_id": "m1"},
            "timestamp": "1795392060000"})
        .to_string();
        let r = redact_payload(&zalo);
        assert!(
            !r.contains("2512523625412515") && !r.contains("Nguyễn"),
            "{r}"
        );
        assert!(r.contains("user_send_text"), "{r}");
        let text = redact_payload("not json: SĐT 0906591985, a@b.vn");
        assert!(
            !text.contains("0906591985") && !text.contains("a@b.vn"),
            "{text}"
        );
    }

    #[test]
    fn long_digit_runs_keep_only_their_last_three_digits() {
        assert_eq!(mask_digit_runs("gọi 0912345678 nhé"), "gọi *******678 nhé");
        assert_eq!(
            mask_digit_runs("CCCD 001.203.004.567"),
            "CCCD ***.***.***.567"
        );
        assert_eq!(mask_digit_runs("số 0912 345 678"), "số **** *** 678");
        // short numbers (ticket numbers, dates, amounts) stay readable
        assert_eq!(
            mask_digit_runs("phiếu 12345, ngày 15/02"),
            "phiếu 12345, ngày 15/02"
        );
        assert_eq!(
            mask_digit_runs("hồ sơ 000.00.04.H60-230215-0028 của tôi"),
            "hồ sơ 000.00.04.H60-230215-0028 của tôi"
        );
        assert_eq!(mask_digit_runs(""), "");
    }

    #[test]
    fn names_are_reduced_to_initials() {
        assert_eq!(mask_name("NGUYỄN THỊ THANH MẪN"), "N. T. T. M***");
        assert_eq!(mask_name("  Trần   văn An "), "T. V. A***");
        assert_eq!(mask_name("Đặng Ánh"), "Đ. Á***");
        assert_eq!(mask_name("Công ty TNHH Minh Phát"), "C. T. T. M. P***");
        assert_eq!(mask_name("Lê"), "L***");
        // decomposed input (NFD) still yields a precomposed initial
        assert_eq!(mask_name("A\u{301}nh Đo\u{300}"), "Á. Đ***");
        assert_eq!(mask_name("   "), "");
    }
}
