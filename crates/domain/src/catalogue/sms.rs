//! The brandname SMS a deadline notice becomes when no Zalo channel reached the citizen. Each
//! kind's text is a customer-care template the province registers with its gateway
//! (infra/RUNBOOK.md, "Brandname SMS"); the gateway refuses a text that matches none. Texts
//! fit one segment: at most 160 characters without diacritics, the carriers' usual form.

use unicode_normalization::UnicodeNormalization;

use super::{Notice, vnd};
use crate::event::EventKind;

/// Characters in one SMS segment without diacritics (GSM 7-bit).
pub const SMS_SEGMENT: usize = 160;

/// The SMS of a notice, with full diacritics (NFC); `None` for kinds that go by Zalo only.
pub fn sms_text(notice: &Notice) -> Option<String> {
    let code = &notice.code;
    let text = match notice.kind {
        EventKind::SupplementRequested => format!(
            "Hồ sơ {code} cần bổ sung, hoàn thiện. Mời ông/bà liên hệ Bộ phận Một cửa hoặc xem chi tiết trên Zalo OA."
        ),
        EventKind::FeeRequested => {
            let fee = notice
                .fee_amount
                .map(|a| format!(" {} đồng", vnd(a)))
                .unwrap_or_default();
            format!(
                "Hồ sơ {code}: mời ông/bà nộp phí, lệ phí{fee}. Chi tiết tại Bộ phận Một cửa hoặc trên Zalo OA."
            )
        }
        EventKind::ResultReady => format!(
            "Hồ sơ {code} đã có kết quả. Mời ông/bà nhận tại Bộ phận Một cửa hoặc chọn nhận qua bưu chính trên Zalo OA."
        ),
        EventKind::OverdueApology => {
            let due = notice
                .new_due
                .as_ref()
                .map(|d| format!(" Hẹn trả mới: {d}."))
                .unwrap_or_default();
            format!("Thành thật xin lỗi ông/bà: hồ sơ {code} chưa có kết quả đúng hẹn.{due}")
        }
        _ => return None,
    };
    Some(text.nfc().collect())
}

/// The version of a kind's SMS wording: a digest of its text with placeholders in every
/// field, as [`super::text_version`] is for the chat text (the ledger keeps it).
pub fn sms_text_version(kind: EventKind) -> String {
    use sha2::{Digest, Sha256};
    let placeholder = |name: &str| format!("{{{name}}}");
    let source = Notice {
        kind,
        code: placeholder("code"),
        procedure: String::new(),
        status: crate::status::NationalStatus::Processing,
        step: None,
        unit: None,
        due: None,
        new_due: Some(placeholder("new_due")),
        reason: None,
        missing_papers: Vec::new(),
        fee_amount: Some(0),
    };
    let text = sms_text(&source).unwrap_or_default();
    hex::encode(&Sha256::digest(text.as_bytes())[..6])
}

/// The text as sent without diacritics: Vietnamese letters lose their marks (`đ` → `d`),
/// everything else is kept.
pub fn without_diacritics(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::NationalStatus;

    fn notice(kind: EventKind) -> Notice {
        Notice {
            kind,
            // the longest receipt code form (agency identifier, date, number)
            code: "000.00.04.H60-261231-99999".into(),
            procedure: "Đăng ký khai sinh".into(),
            status: NationalStatus::Processing,
            step: None,
            unit: None,
            due: Some("31/12/2026".into()),
            new_due: Some("15/01/2027".into()),
            reason: Some("Thiếu bản sao giấy chứng sinh".into()),
            missing_papers: vec!["Giấy chứng sinh".into()],
            fee_amount: Some(1_250_000),
        }
    }

    #[test]
    fn deadline_kinds_have_one_segment_sms_and_the_others_none() {
        for kind in EventKind::ALL {
            let text = sms_text(&notice(kind));
            assert_eq!(text.is_some(), kind.bears_deadline(), "{kind:?}");
            let Some(text) = text else { continue };
            assert!(text.contains("000.00.04.H60-261231-99999"), "{text}");
            let plain = without_diacritics(&text);
            assert!(plain.is_ascii(), "{plain}");
            assert!(
                plain.chars().count() <= SMS_SEGMENT,
                "{kind:?}: {} characters: {plain}",
                plain.chars().count()
            );
        }
    }

    #[test]
    fn the_sms_says_no_more_than_the_code_and_what_to_do() {
        // no name, no reason text (it may name a paper of the applicant's), no procedure
        for kind in EventKind::ALL {
            let Some(text) = sms_text(&notice(kind)) else {
                continue;
            };
            for private in ["Thiếu bản sao", "Giấy chứng sinh", "Đăng ký khai sinh"] {
                assert!(!text.contains(private), "{kind:?}: {text}");
            }
        }
        let fee = sms_text(&notice(EventKind::FeeRequested)).unwrap();
        assert!(fee.contains("1.250.000 đồng"), "{fee}");
        let late = sms_text(&notice(EventKind::OverdueApology)).unwrap();
        assert!(late.contains("Hẹn trả mới: 15/01/2027."), "{late}");
    }

    #[test]
    fn diacritics_come_off_and_nothing_else_changes() {
        assert_eq!(
            without_diacritics("Hồ sơ ĐÃ có kết quả: 1.250.000 đồng."),
            "Ho so DA co ket qua: 1.250.000 dong."
        );
        // decomposed input folds the same
        assert_eq!(without_diacritics("ho\u{302} so\u{31b}"), "ho so");
    }
}
