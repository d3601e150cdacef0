//! Matching what citizens type: with or without diacritics, any case, any spacing.

use unicode_normalization::UnicodeNormalization;

/// Lower case ASCII-folded Vietnamese: diacritics dropped (`đ` → `d`), punctuation to spaces,
/// runs of spaces collapsed. `"Hồ sơ của TÔI?"` → `"ho so cua toi"`.
pub fn fold_vi(text: &str) -> String {
    let bare: String = text
        .nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .flat_map(char::to_lowercase)
        .collect();
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_forms_fold_to_one() {
        for typed in [
            "hồ sơ của tôi",
            "Hồ Sơ Của Tôi?",
            "ho so cua toi",
            "  HO  SO CUA TOI!! ",
            // decomposed input (NFD), as some keyboards send it
            "ho\u{302} so\u{31b} cu\u{309}a to\u{302}i",
        ] {
            assert_eq!(fold_vi(typed), "ho so cua toi", "{typed:?}");
        }
        assert_eq!(fold_vi("Đăng ký khai sinh"), "dang ky khai sinh");
    }
}
