//! Texts that go to staff, not citizens, through the citizens' channels.

use unicode_normalization::UnicodeNormalization;

/// The canary's consultation message to a tenant's staff tester (`at`: `16:05 23/11/2026`).
pub fn canary_text(tenant: &str, at: &str) -> String {
    format!(
        "Kiểm tra định kỳ lúc {at}: kênh thông báo hồ sơ qua Zalo của {tenant} đang hoạt động. Tin này chỉ gửi cho cán bộ kiểm thử, không cần trả lời."
    )
    .nfc()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canary_says_what_it_is_and_when() {
        let text = canary_text("Tuyên Quang", "16:05 23/11/2026");
        assert!(
            text.starts_with("Kiểm tra định kỳ lúc 16:05 23/11/2026"),
            "{text}"
        );
        assert!(text.contains("Tuyên Quang"));
        assert!(text.chars().count() < 2000, "one Zalo text");
    }
}
