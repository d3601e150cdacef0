//! Every text a citizen reads, in one place: Vietnamese with full diacritics, NFC, at most
//! 2,000 characters (Zalo's limit for a text message). Review this file as a whole.

use unicode_normalization::UnicodeNormalization;

use crate::status::NationalStatus;

/// Zalo's limit for one text message, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// A message to a citizen, with its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// The text had no receipt code in any form we accept.
    NoCodeFound,
    /// Unknown code and a code the asker may not see answer the same.
    DossierNotFound { code: String },
    /// A code-only lookup: status and dates, nothing personal.
    StatusShort {
        code: String,
        status: NationalStatus,
        step: Option<String>,
        received: Option<String>,
        due: Option<String>,
        overdue: bool,
    },
    /// A phone number typed in chat is never searched.
    PhoneTypedInChat,
    /// Too many lookups in a short time.
    LookupRateLimited { retry_minutes: u32 },
    /// Something on our side failed; nothing the citizen did wrong.
    TemporaryFailure,
}

impl Msg {
    pub fn render(&self) -> String {
        let text = match self {
            Msg::NoCodeFound => "Chưa nhận ra mã hồ sơ trong tin nhắn. Mã hồ sơ in trên Giấy tiếp \
                nhận và hẹn trả kết quả, có dạng 000.00.04.H60-230215-0028. Vui lòng gửi lại \
                mã hoặc quét mã QR trên giấy tiếp nhận."
                .to_string(),
            Msg::DossierNotFound { code } => format!(
                "Không tìm thấy hồ sơ có mã {code}. Vui lòng kiểm tra lại mã trên Giấy tiếp \
                 nhận; nếu hồ sơ vừa nộp, thông tin có thể cập nhật chậm vài phút."
            ),
            Msg::StatusShort {
                code,
                status,
                step,
                received,
                due,
                overdue,
            } => {
                let mut s = format!("Hồ sơ {code}\nTrạng thái: {}", status.name_vi());
                if let Some(step) = step {
                    s.push_str(&format!(" ({step})"));
                }
                if let Some(r) = received {
                    s.push_str(&format!("\nNgày tiếp nhận: {r}"));
                }
                if let Some(d) = due {
                    s.push_str(&format!("\nNgày hẹn trả kết quả: {d}"));
                }
                if *overdue {
                    s.push_str(
                        "\nHồ sơ đã quá hạn hẹn trả. Cơ quan giải quyết sẽ gửi thư xin lỗi \
                         và hẹn lại ngày trả kết quả.",
                    );
                }
                s
            }
            Msg::PhoneTypedInChat => "Vì an toàn thông tin cá nhân, hệ thống không tra cứu theo \
                số điện thoại gõ trong tin nhắn. Để xem các hồ sơ đứng tên số điện thoại của \
                mình, vui lòng chọn \"Nhận thông báo hồ sơ\" và đồng ý chia sẻ số điện thoại \
                Zalo đã xác thực."
                .to_string(),
            Msg::LookupRateLimited { retry_minutes } => format!(
                "Bạn đã tra cứu nhiều lần trong thời gian ngắn. Vui lòng thử lại sau \
                 {retry_minutes} phút. Xin cảm ơn!"
            ),
            Msg::TemporaryFailure => "Hệ thống đang bận, vui lòng thử lại sau ít phút. Xin lỗi \
                vì sự bất tiện này."
                .to_string(),
        };
        text.nfc().collect()
    }

    /// One instance of every message, with the longest realistic variables, for review and tests.
    pub fn samples() -> Vec<Msg> {
        vec![
            Msg::NoCodeFound,
            Msg::DossierNotFound {
                code: "000.00.04.H60-230215-0028".into(),
            },
            Msg::StatusShort {
                code: "000.00.04.H60-230215-0028".into(),
                status: NationalStatus::FeeRequested,
                step: Some("x".repeat(200)),
                received: Some("15/02/2023".into()),
                due: Some("01/03/2023".into()),
                overdue: true,
            },
            Msg::PhoneTypedInChat,
            Msg::LookupRateLimited { retry_minutes: 15 },
            Msg::TemporaryFailure,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::is_nfc;

    #[test]
    fn every_message_is_nfc_vietnamese_and_fits_one_zalo_text() {
        for m in Msg::samples() {
            let t = m.render();
            assert!(is_nfc(&t), "{m:?}");
            assert!(t.chars().count() <= MAX_TEXT_CHARS, "{m:?}");
            assert!(!t.contains("  "), "double space in {m:?}: {t}");
            // Vietnamese with diacritics, not stripped ASCII.
            assert!(!t.is_ascii(), "{m:?}");
        }
    }

    #[test]
    fn short_status_shows_only_status_and_dates() {
        let t = Msg::StatusShort {
            code: "000.00.04.H60-230215-0028".into(),
            status: NationalStatus::Processing,
            step: Some("Thẩm định".into()),
            received: Some("15/02/2023".into()),
            due: None,
            overdue: false,
        }
        .render();
        assert_eq!(
            t,
            "Hồ sơ 000.00.04.H60-230215-0028\nTrạng thái: Đang xử lý (Thẩm định)\nNgày tiếp nhận: 15/02/2023"
        );
    }
}
