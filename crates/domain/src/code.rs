//! Receipt codes (mã hồ sơ / mã số biên nhận) as citizens type them.
//!
//! The national form (TT 01/2018/TT-VPCP, Điều 19) is `V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX`,
//! e.g. `000.00.04.H60-230215-0028`. Vendors also issue 3-group (`38.98.H29-…`), 2-group
//! (`G22.99-…`) and iGate short (`H21.129-…`) agency parts and 5–6 digit sequences.
//! See `../shared/docs/domain.md` §1.2–1.3.

use std::fmt;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex_lite::Regex;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Why a string is not a receipt code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("no receipt code found in the input")]
    NotFound,
    #[error("receipt code has an impossible date part {0:?} (expected YYMMDD)")]
    BadDate(String),
}

/// A normalised receipt code. Always canonical upper-case `AGENCY-YYMMDD-SEQ`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DossierCode {
    canonical: String,
    agency_len: usize,
    date: NaiveDate,
}

// Agency: up to three numeric groups, the level-1 group (letter + 2 digits), and up to three
// numeric groups after it (iGate `H21.129`, DVCQG `G22.99.08`). Separators are dots or commas
// (citizens type commas on phone keyboards); normalisation turns commas into dots.
// regex-lite's `\d` and `\s` are ASCII: NFKC has already folded full-width digits and spaces,
// and a digit of another script (Devanagari, Arabic-Indic) is not a receipt digit.
const AGENCY: &str = r"(?:\d{2,3}[.,]){0,3}[A-Z]\d{2}(?:[.,]\d{1,3}){0,3}";

static WHOLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^({AGENCY})-(\d{{6}})-(\d{{4,6}})$")).expect("static regex")
});
static ANYWHERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"({AGENCY})-(\d{{6}})-(\d{{4,6}})")).expect("static regex")
});
// Spaces typed around separators: `000 . 00 . 04 . H60 - 230215 - 0028`.
static SPACED_SEPARATORS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*([.,\-])\s*").expect("static regex"));
static LEVEL1: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Z]\d{2}").expect("static regex"));

/// Query parameters that one-stop systems use for the code in lookup and QR links.
const QUERY_KEYS: [&str; 6] = ["ma", "mhs", "code", "mahoso", "ma_ho_so", "sobiennhan"];

impl DossierCode {
    /// Parses an input that is meant to be exactly one code (a form field, an API path
    /// segment): trims, folds width and case, maps Unicode dashes and commas, drops spaces.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let folded: String = fold(input).chars().filter(|c| !c.is_whitespace()).collect();
        let caps = WHOLE.captures(&folded).ok_or(CodeError::NotFound)?;
        Self::from_parts(&caps[1], &caps[2], &caps[3])
    }

    /// Finds the first code in free text: a chat message (`TTHC 000.00.04.H60-230215-0028`,
    /// `mã hồ sơ của tôi là …`), a scanned QR string, or a URL carrying it in a query
    /// parameter (`?MHS=…`, `?maHoSo=…`) or in its path.
    pub fn extract(text: &str) -> Result<Self, CodeError> {
        if let Some(code) = from_url_query(text) {
            return Ok(code);
        }
        let folded = fold(text);
        let joined = SPACED_SEPARATORS.replace_all(&folded, "$1");
        let mut first_error = CodeError::NotFound;
        for caps in ANYWHERE.captures_iter(&joined) {
            let whole = caps.get(0).expect("group 0 always present");
            let before = joined[..whole.start()].chars().next_back();
            let after = joined[whole.end()..].chars().next();
            // Reject a match that is the tail or head of a longer token (`1234.00.04.H60…`,
            // `…-00281`, `X000.00…`). A comma before is fine: `Dạ, 000.00…` joins to `DẠ,000`.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '.')
                || after.is_some_and(|c| c.is_alphanumeric())
            {
                continue;
            }
            match Self::from_parts(&caps[1], &caps[2], &caps[3]) {
                Ok(code) => return Ok(code),
                Err(e) => first_error = e,
            }
        }
        Err(first_error)
    }

    fn from_parts(agency: &str, date: &str, seq: &str) -> Result<Self, CodeError> {
        let agency = agency.replace(',', ".");
        let yy: i32 = date[0..2]
            .parse()
            .map_err(|_| CodeError::BadDate(date.into()))?;
        let mm: u32 = date[2..4]
            .parse()
            .map_err(|_| CodeError::BadDate(date.into()))?;
        let dd: u32 = date[4..6]
            .parse()
            .map_err(|_| CodeError::BadDate(date.into()))?;
        let parsed = NaiveDate::from_ymd_opt(2000 + yy, mm, dd)
            .ok_or_else(|| CodeError::BadDate(date.into()))?;
        Ok(DossierCode {
            canonical: format!("{agency}-{date}-{seq}"),
            agency_len: agency.len(),
            date: parsed,
        })
    }

    /// The canonical text, e.g. `000.00.04.H60-230215-0028`.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The receiving unit's identifier, e.g. `000.00.04.H60`.
    pub fn agency(&self) -> &str {
        &self.canonical[..self.agency_len]
    }

    /// The level-1 group: `H60` (a province), `G22` (a ministry), `K57` (a council).
    pub fn level1(&self) -> &str {
        LEVEL1
            .find(self.agency())
            .map(|m| m.as_str())
            .expect("a parsed agency always has a level-1 group")
    }

    /// The receipt date from the code.
    pub fn receipt_date(&self) -> NaiveDate {
        self.date
    }

    /// The daily sequence as printed (4–6 digits, width kept).
    pub fn sequence(&self) -> &str {
        &self.canonical[self.agency_len + 8..]
    }

    /// A code cannot have been issued after `today` + 1 day (time zones and clock skew).
    pub fn is_plausible_on(&self, today: NaiveDate) -> bool {
        self.date <= today + chrono::Days::new(1)
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl std::str::FromStr for DossierCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for DossierCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical)
    }
}

impl<'de> Deserialize<'de> for DossierCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// NFKC (full-width digits and letters become ASCII), upper case, every Unicode dash to `-`.
fn fold(input: &str) -> String {
    input
        .trim()
        .nfkc()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '_' => '-',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

fn from_url_query(text: &str) -> Option<DossierCode> {
    let start = text.find("http://").or_else(|| text.find("https://"))?;
    let candidate = text[start..].split_whitespace().next()?;
    let url = url::Url::parse(candidate).ok()?;
    url.query_pairs()
        .filter(|(k, _)| QUERY_KEYS.contains(&k.to_ascii_lowercase().as_str()))
        .find_map(|(_, v)| DossierCode::parse(&v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CANONICAL: &str = "000.00.04.H60-230215-0028";

    #[test]
    fn accepts_every_variant_in_the_wild() {
        // (input, canonical)
        let cases: &[(&str, &str)] = &[
            (CANONICAL, CANONICAL),
            ("000.00.13.H60-230208-0005", "000.00.13.H60-230208-0005"),
            ("000.00.14.H56-200203-0118", "000.00.14.H56-200203-0118"),
            ("000.17.22.H56-210531-0001", "000.17.22.H56-210531-0001"),
            ("000.00.04.H51-200221-0001", "000.00.04.H51-200221-0001"),
            ("000.00.04.H40-230414-0002", "000.00.04.H40-230414-0002"),
            ("000.00.12.H62-201105-0004", "000.00.12.H62-201105-0004"),
            ("H21.129-250812-0035", "H21.129-250812-0035"),
            ("G22.99.09-240114-0001", "G22.99.09-240114-0001"),
            ("G22.99.08-260921-896048", "G22.99.08-260921-896048"),
            ("G22.99-251225-020175", "G22.99-251225-020175"),
            ("38.98.H29-210519-0013", "38.98.H29-210519-0013"),
            ("000.00.00.H49-240101-12345", "000.00.00.H49-240101-12345"),
            // lower case
            ("000.00.04.h60-230215-0028", CANONICAL),
            ("h21.129-250812-0035", "H21.129-250812-0035"),
            // surrounding and inner spaces
            ("  000.00.04.H60-230215-0028  ", CANONICAL),
            ("000 . 00 . 04 . H60 - 230215 - 0028", CANONICAL),
            ("000.00.04.H60 -230215- 0028", CANONICAL),
            // Unicode dashes
            ("000.00.04.H60–230215–0028", CANONICAL),
            ("000.00.04.H60—230215—0028", CANONICAL),
            ("000.00.04.H60‐230215‐0028", CANONICAL),
            ("000.00.04.H60−230215−0028", CANONICAL),
            // commas for dots
            ("000,00,04,H60-230215-0028", CANONICAL),
            ("000,00.04,h60-230215-0028", CANONICAL),
            // full-width characters from some Vietnamese keyboards
            ("０００.００.０４.Ｈ６０-２３０２１５-００２８", CANONICAL),
            // leap day
            ("000.00.04.H60-240229-0001", "000.00.04.H60-240229-0001"),
        ];
        for (input, want) in cases {
            let got = DossierCode::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got.as_str(), *want, "input {input:?}");
            let found = DossierCode::extract(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(found.as_str(), *want, "extract {input:?}");
        }
    }

    #[test]
    fn extracts_from_sentences_prefixes_and_urls() {
        let cases: &[(&str, &str)] = &[
            ("TTHC 000.00.04.H60-230215-0028", CANONICAL),
            ("tthc 000.00.04.h60-230215-0028", CANONICAL),
            ("Mã hồ sơ: 000.00.04.H60-230215-0028", CANONICAL),
            (
                "mã hồ sơ 000.00.04.H60-230215-0028 của tôi đến đâu rồi ạ?",
                CANONICAL,
            ),
            ("Cho em hỏi hồ sơ số 000.00.04.H60-230215-0028.", CANONICAL),
            ("(000.00.04.H60-230215-0028)", CANONICAL),
            ("Dạ, 000.00.04.H60-230215-0028", CANONICAL),
            ("mã hồ sơ - 000.00.04.H60-230215-0028", CANONICAL),
            ("Hồ sơ 000 . 00 . 04 . H60 – 230215 – 0028 nhé", CANONICAL),
            (
                "https://dichvucong.example.vn/tra-cuu?MHS=000.00.04.H60-230215-0028",
                CANONICAL,
            ),
            (
                "https://dvc.example.vn/tc?maHoSo=000.00.04.H60-230215-0028&x=1",
                CANONICAL,
            ),
            (
                "https://dvc.example.vn/tc?code=000.00.04.h60-230215-0028",
                CANONICAL,
            ),
            (
                "https://dvc.example.vn/tc?ma=000%2E00%2E04%2EH60%2D230215%2D0028",
                CANONICAL,
            ),
            (
                "quét được: https://x.vn/tra-cuu/000.00.04.H60-230215-0028?k=abc",
                CANONICAL,
            ),
            ("Mã: H21.129-250812-0035, cảm ơn", "H21.129-250812-0035"),
            (
                "liên thông G22.99.08-260921-896048 khai sinh",
                "G22.99.08-260921-896048",
            ),
            // the first bad candidate is skipped, the later good one is found
            (
                "000.00.04.H60-231345-0001 hay 000.00.04.H60-230215-0028",
                CANONICAL,
            ),
        ];
        for (input, want) in cases {
            let got = DossierCode::extract(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got.as_str(), *want, "input {input:?}");
        }
    }

    #[test]
    fn rejects_malformed_codes() {
        let cases: &[(&str, CodeError)] = &[
            ("", CodeError::NotFound),
            ("xin chào", CodeError::NotFound),
            ("0906591985", CodeError::NotFound),
            ("000.00.04.H60-230215", CodeError::NotFound),
            ("000.00.04.H60-230215-028", CodeError::NotFound),
            ("000.00.04.H60-230215-0028123", CodeError::NotFound),
            ("000.00.04.H6-230215-0028", CodeError::NotFound),
            ("000.00.04.HH60-230215-0028", CodeError::NotFound),
            ("000.00.04.60-230215-0028", CodeError::NotFound),
            ("0000.00.04.H60-230215-0028", CodeError::NotFound),
            ("000.00.04.H60-23021-0028", CodeError::NotFound),
            ("000.00.04.H60-2302155-0028", CodeError::NotFound),
            ("000.00.04.H60/230215/0028", CodeError::NotFound),
            ("000.00.04.H60-230215-0028-1", CodeError::NotFound),
            ("1.00.04.H60-230215-0028", CodeError::NotFound),
            ("000.00.04.H60.1234-230215-0028", CodeError::NotFound),
            (
                "000.00.04.H60-231315-0028",
                CodeError::BadDate("231315".into()),
            ),
            (
                "000.00.04.H60-230230-0028",
                CodeError::BadDate("230230".into()),
            ),
            (
                "000.00.04.H60-230200-0028",
                CodeError::BadDate("230200".into()),
            ),
            (
                "000.00.04.H60-230001-0028",
                CodeError::BadDate("230001".into()),
            ),
            (
                "000.00.04.H60-230132-0028",
                CodeError::BadDate("230132".into()),
            ),
            (
                "000.00.04.H60-230229-0028",
                CodeError::BadDate("230229".into()),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                DossierCode::parse(input).as_ref(),
                Err(want),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn extraction_ignores_codes_glued_to_other_tokens() {
        for input in [
            "X000.00.04.H60-230215-0028",
            "1000.00.04.H60-230215-0028",
            "000.00.04.H60-230215-00281234",
            "000.00.04.H60-230215-0028ABC",
            "số điện thoại 0906591985",
        ] {
            assert!(DossierCode::extract(input).is_err(), "input {input:?}");
        }
    }

    #[test]
    fn exposes_agency_level1_date_and_sequence() {
        let c = DossierCode::parse(CANONICAL).unwrap();
        assert_eq!(c.agency(), "000.00.04.H60");
        assert_eq!(c.level1(), "H60");
        assert_eq!(
            c.receipt_date(),
            NaiveDate::from_ymd_opt(2023, 2, 15).unwrap()
        );
        assert_eq!(c.sequence(), "0028");
        let g = DossierCode::parse("G22.99.08-260921-896048").unwrap();
        assert_eq!(
            (g.agency(), g.level1(), g.sequence()),
            ("G22.99.08", "G22", "896048")
        );
        let h = DossierCode::parse("38.98.H29-210519-0013").unwrap();
        assert_eq!((h.agency(), h.level1()), ("38.98.H29", "H29"));
    }

    #[test]
    fn future_codes_are_implausible() {
        let c = DossierCode::parse("000.00.04.H60-261125-0001").unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert!(c.is_plausible_on(today));
        assert!(!c.is_plausible_on(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()));
    }

    #[test]
    fn serde_round_trip_normalises() {
        let c: DossierCode = serde_json::from_str("\"000,00,04,h60 - 230215 - 0028\"").unwrap();
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            format!("\"{CANONICAL}\"")
        );
        assert!(serde_json::from_str::<DossierCode>("\"nope\"").is_err());
    }

    fn arb_code() -> impl Strategy<Value = String> {
        let pre = prop::collection::vec("[0-9]{2,3}", 0..=3);
        let post = prop::collection::vec("[0-9]{1,3}", 0..=3);
        let date =
            (0u32..100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"));
        (pre, "[A-Z][0-9]{2}", post, date, "[0-9]{4,6}").prop_map(|(pre, l1, post, date, seq)| {
            let mut agency: Vec<String> = pre;
            agency.push(l1);
            agency.extend(post);
            format!("{}-{date}-{seq}", agency.join("."))
        })
    }

    /// Turns a canonical code into something a citizen might type.
    fn mangle(code: &str, lower: bool, spaces: bool, commas: bool, dash: char) -> String {
        let mut s = code.to_string();
        if lower {
            s = s.to_lowercase();
        }
        if commas {
            s = s.replace('.', ",");
        }
        s = s.replace('-', &dash.to_string());
        if spaces {
            s = s.replace(',', " , ").replace('.', " . ");
            s = s.replace(dash, &format!(" {dash} "));
        }
        format!("  {s} ")
    }

    proptest! {
        #[test]
        fn normalise_after_format_is_identity(code in arb_code()) {
            let parsed = DossierCode::parse(&code).unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
            let again = DossierCode::parse(&parsed.to_string()).unwrap();
            prop_assert_eq!(&again, &parsed);
        }

        #[test]
        fn mangled_input_normalises_to_the_same_code(
            code in arb_code(),
            lower: bool, spaces: bool, commas: bool,
            dash in prop::sample::select(vec!['-', '–', '—', '‐', '−'])
        ) {
            let parsed = DossierCode::parse(&code).unwrap();
            let typed = mangle(&code, lower, spaces, commas, dash);
            prop_assert_eq!(&DossierCode::parse(&typed).unwrap(), &parsed);
            let sentence = format!("Mã hồ sơ của tôi là {typed} ạ");
            prop_assert_eq!(&DossierCode::extract(&sentence).unwrap(), &parsed);
        }

        /// Chat text is anything a phone keyboard can type: no input makes the parser panic.
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in any::<String>()) {
            let _ = DossierCode::parse(&text);
            let _ = DossierCode::extract(&text);
        }
    }

    /// A QR link on a Vietnamese domain name still carries its code (the IDNA back end maps
    /// the host; see idna_adapter in Cargo.toml).
    #[test]
    fn links_on_vietnamese_domain_names_carry_their_code() {
        let url = "https://dịchvụcông.tuyênquang.vn/tra-cuu?ma=000.00.04.H60-230215-0028";
        assert_eq!(DossierCode::extract(url).unwrap().as_str(), CANONICAL);
        let host = url::Url::parse(url).unwrap().host_str().unwrap().to_owned();
        assert!(host.starts_with("xn--") && host.is_ascii(), "{host}");
    }

    /// Digits of other scripts are not receipt digits (NFKC keeps them): Devanagari digits are
    /// three bytes each, and a Unicode `\d` once let them reach the byte-offset date split.
    #[test]
    fn digits_of_other_scripts_are_not_a_code() {
        for text in [
            "000.00.04.H60-२३०२१५-0028",
            "000.00.04.H60-230215-००२८",
            "०००.00.04.H60-230215-0028",
            "000.00.04.H60-٢٣٠٢١٥-0028",
        ] {
            assert_eq!(DossierCode::parse(text), Err(CodeError::NotFound), "{text}");
            assert_eq!(
                DossierCode::extract(text),
                Err(CodeError::NotFound),
                "{text}"
            );
        }
    }
}
