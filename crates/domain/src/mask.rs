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

#[cfg(test)]
mod tests {
    use super::*;

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
