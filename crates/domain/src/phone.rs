//! Vietnamese mobile numbers and citizen ID numbers (CCCD / CMND).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error(
        "phone number has characters other than digits, spaces, dots, dashes, brackets and a leading +"
    )]
    BadCharacters,
    #[error(
        "not a Vietnamese mobile number (expected 0 or 84 followed by 9 digits starting 3, 5, 7, 8 or 9)"
    )]
    NotVietnameseMobile,
}

/// A Vietnamese mobile number, stored as `84` + 9 digits (the form ZNS wants).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts `0906591985`, `+84 906 591 985`, `84906591985`, `(+84) 906.591.985`.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(12);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' => {}
                '+' if digits.is_empty() && !plus => {}
                _ => return Err(PhoneError::BadCharacters),
            }
        }
        let national = if let Some(n) = digits.strip_prefix("84").filter(|n| n.len() == 9) {
            n
        } else if let Some(n) = digits.strip_prefix('0').filter(|n| n.len() == 9) {
            n
        } else {
            return Err(PhoneError::NotVietnameseMobile);
        };
        if !matches!(national.as_bytes()[0], b'3' | b'5' | b'7' | b'8' | b'9') {
            return Err(PhoneError::NotVietnameseMobile);
        }
        Ok(PhoneNumber(format!("84{national}")))
    }

    /// `84906591985`
    pub fn international(&self) -> &str {
        &self.0
    }

    /// `0906591985`
    pub fn national(&self) -> String {
        format!("0{}", &self.0[2..])
    }

    /// `090****985`, for anything a citizen or staff member sees.
    pub fn masked(&self) -> String {
        let n = self.national();
        format!("{}****{}", &n[..3], &n[7..])
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Display never prints the full number: it ends up in logs too easily.
        f.write_str(&self.masked())
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, PhoneError> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("ID number must be 12 digits (CCCD) or 9 digits (CMND)")]
    BadLength,
    /// The value is never quoted: an error text ends up in logs and dead letters.
    #[error("CCCD does not start with a known province code (its first three digits)")]
    UnknownProvince,
}

/// Province codes that open a 12-digit CCCD / personal identification number
/// (Thông tư 07/2016/TT-BCA, 63 pre-2025 provinces; numbers issued before the mergers stay valid).
const CCCD_PROVINCES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// A citizen ID: 12-digit CCCD (căn cước) or legacy 9-digit CMND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(input: &str) -> Result<Self, IdNumberError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 9 | 12) {
            return Err(IdNumberError::BadLength);
        }
        if digits.len() == 12 {
            let province: u16 = digits[..3].parse().expect("three ASCII digits");
            if !CCCD_PROVINCES.contains(&province) {
                return Err(IdNumberError::UnknownProvince);
            }
        }
        Ok(IdNumber(digits))
    }

    /// The last four digits: the second factor a citizen types for a lookup.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// First three and last two digits: `001*******23`.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}{}{}", &self.0[..3], "*".repeat(n - 5), &self.0[n - 2..])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// `true` when `s` is exactly four ASCII digits (the CCCD second factor).
pub fn is_id_suffix(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Longest chat message still read as "here is my phone number" rather than a question.
pub const PHONE_ONLY_MAX_CHARS: usize = 40;

/// Some run of digits, spaces, dots, dashes, brackets and `+` in the text is a Vietnamese
/// mobile number: a phone number was typed.
pub fn looks_like_phone(s: &str) -> bool {
    s.split(|c: char| !(c.is_ascii_digit() || " .-()+".contains(c)))
        .any(|run| {
            run.chars().filter(char::is_ascii_digit).count() >= 9
                && PhoneNumber::parse(run.trim()).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_forms_normalise_to_one() {
        for input in [
            "0906591985",
            "+84 906 591 985",
            "84906591985",
            "(+84) 906.591.985",
            " 090-659-1985 ",
            "+84906591985",
        ] {
            let p = PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(p.international(), "84906591985", "{input}");
            assert_eq!(p.national(), "0906591985");
            assert_eq!(p.masked(), "090****985");
            assert_eq!(p.to_string(), "090****985");
        }
        for input in ["0326123456", "0567123456", "0701234567", "0812345678"] {
            assert!(PhoneNumber::parse(input).is_ok(), "{input}");
        }
    }

    #[test]
    fn phone_rejects_non_mobile_input() {
        use PhoneError::*;
        let cases = [
            ("02433824567", NotVietnameseMobile), // Hà Nội landline
            ("0123456789", NotVietnameseMobile),  // old 01x prefix / no such mobile range
            ("01234567890", NotVietnameseMobile), // pre-2018 11-digit number
            ("090659198", NotVietnameseMobile),
            ("09065919851", NotVietnameseMobile),
            ("+1 415 555 0100", NotVietnameseMobile),
            ("0906a91985", BadCharacters),
            ("", NotVietnameseMobile),
        ];
        for (input, want) in cases {
            assert_eq!(PhoneNumber::parse(input), Err(want), "{input}");
        }
    }

    #[test]
    fn id_numbers() {
        let c = IdNumber::parse("001 090 012 345").unwrap();
        assert_eq!(c.as_str(), "001090012345");
        assert_eq!(c.last4(), "2345");
        assert_eq!(c.masked(), "001*******45");
        assert_eq!(IdNumber::parse("123456789").unwrap().masked(), "123****89");
        assert_eq!(
            IdNumber::parse("003090012345"),
            Err(IdNumberError::UnknownProvince)
        );
        // an error text reaches logs and dead letters: it quotes no part of the number (no run of
        // three digits; "12 digits" is the rule, not the number)
        for bad in ["003090012345", "00109001234", "0010900x2345"] {
            let text = IdNumber::parse(bad).unwrap_err().to_string();
            let longest_run = text
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(longest_run < 3, "{text}");
        }
        assert_eq!(
            IdNumber::parse("00109001234"),
            Err(IdNumberError::BadLength)
        );
        assert_eq!(
            IdNumber::parse("00109001234x"),
            Err(IdNumberError::BadLength)
        );
        assert!(is_id_suffix("2345") && !is_id_suffix("234") && !is_id_suffix("23a5"));
    }

    #[test]
    fn typed_phone_numbers_are_recognised() {
        for s in [
            "0906591985",
            "số của tôi là 0906 591 985 nhé",
            "+84 906.591.985",
            "(+84) 906-591-985",
        ] {
            assert!(looks_like_phone(s), "{s}");
        }
        for s in [
            "xin chào",
            "hồ sơ 000.00.04.H60-230215-0028",
            "02433824567",
            "123456789",
        ] {
            assert!(!looks_like_phone(s), "{s}");
        }
    }
}
