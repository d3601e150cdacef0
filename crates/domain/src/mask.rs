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

#[cfg(test)]
mod tests {
    use super::*;

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
