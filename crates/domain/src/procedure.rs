//! A tenant's catalogue of administrative procedures (thủ tục hành chính), as the province
//! exports it from its one-stop system or the national procedure database, and its import.
//!
//! The import accepts JSON (an array of procedures, or `{"procedures": [...]}`) or CSV with a
//! header row. It refuses the whole file at the first bad record, naming the line and the field,
//! so that a half-imported catalogue never answers citizens. Text is stored NFC.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// The most procedures one catalogue holds (a province publishes about 1,500-2,000).
pub const MAX_PROCEDURES: usize = 10_000;

/// One procedure as the citizen needs it: what to bring, what it costs, how long it takes,
/// where to submit it online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    /// The code in the national procedure database (`1.001193`) or the province's own.
    pub code: String,
    pub name: String,
    /// Lĩnh vực (`Hộ tịch`, `Đất đai`…).
    pub sector: String,
    /// Cơ quan thực hiện.
    pub agency: String,
    /// Thành phần hồ sơ: the papers to bring, one per entry.
    pub documents: Vec<String>,
    /// Phí, lệ phí, as published (`Miễn lệ phí`, `8.000 đồng/bản`).
    pub fees: String,
    /// Thời hạn giải quyết, as published.
    pub processing_time: String,
    /// Mức độ / hình thức dịch vụ công trực tuyến (`toàn trình`, `một phần`), if published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The procedure's page on the province's public-service portal (https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_url: Option<String>,
    /// Words citizens use that the name does not contain (`giấy khai sinh`, `làm sổ đỏ`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

/// A whole imported catalogue. The version is a hash of its content, so an answer can say which
/// catalogue it came from, and importing the same file twice changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureCatalogue {
    pub version: String,
    pub imported_at: DateTime<Utc>,
    /// The file it came from, for the operator (`thu-tuc-2026-11.csv`).
    pub source: String,
    pub procedures: Vec<Procedure>,
}

/// What identifies a stored catalogue, read without its procedures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueInfo {
    pub version: String,
    pub imported_at: DateTime<Utc>,
    pub source: String,
    pub procedures: usize,
}

impl ProcedureCatalogue {
    pub fn info(&self) -> CatalogueInfo {
        CatalogueInfo {
            version: self.version.clone(),
            imported_at: self.imported_at,
            source: self.source.clone(),
            procedures: self.procedures.len(),
        }
    }
}

/// Why a file was refused: where, which field, and what is wrong (operator English).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// 1-based line in the file, when the format tells it.
    pub line: Option<u64>,
    pub field: Option<String>,
    pub reason: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line, &self.field) {
            (Some(l), Some(field)) => write!(f, "line {l}, field `{field}`: {}", self.reason),
            (Some(l), None) => write!(f, "line {l}: {}", self.reason),
            (None, Some(field)) => write!(f, "field `{field}`: {}", self.reason),
            (None, None) => f.write_str(&self.reason),
        }
    }
}

fn refuse(line: Option<u64>, field: &str, reason: impl Into<String>) -> ImportError {
    ImportError {
        line,
        field: Some(field.to_string()),
        reason: reason.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// By file extension (`.json`, `.csv`), case-insensitive.
    pub fn from_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Format::Json)
        } else if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else {
            None
        }
    }
}

impl ProcedureCatalogue {
    /// Parses and checks a whole file; the version is the hash of the checked procedures.
    pub fn import(
        input: &str,
        format: Format,
        source: &str,
        imported_at: DateTime<Utc>,
    ) -> Result<ProcedureCatalogue, ImportError> {
        let input = input.strip_prefix('\u{feff}').unwrap_or(input);
        let procedures = match format {
            Format::Json => from_json(input)?,
            Format::Csv => from_csv(input)?,
        };
        if procedures.is_empty() {
            return Err(ImportError {
                line: None,
                field: None,
                reason: "the file holds no procedure".into(),
            });
        }
        if procedures.len() > MAX_PROCEDURES {
            return Err(ImportError {
                line: None,
                field: None,
                reason: format!("more than {MAX_PROCEDURES} procedures"),
            });
        }
        let canonical = serde_json::to_vec(&procedures).expect("procedures serialise");
        Ok(ProcedureCatalogue {
            version: hex::encode(&Sha256::digest(&canonical)[..6]),
            imported_at,
            source: source.to_string(),
            procedures,
        })
    }

    pub fn get(&self, code: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.code == code)
    }
}

/// A record as the file spells it, before the checks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    code: String,
    name: String,
    sector: String,
    agency: String,
    documents: Documents,
    fees: String,
    processing_time: String,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    online_url: Option<String>,
    #[serde(default)]
    keywords: Option<Documents>,
}

/// A list in JSON; in CSV (or JSON from a spreadsheet), one string with entries separated by
/// new lines or `|`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Documents {
    List(Vec<String>),
    Joined(String),
}

impl Documents {
    fn entries(self) -> Vec<String> {
        let all = match self {
            Documents::List(v) => v,
            Documents::Joined(s) => s.split(['\n', '|']).map(str::to_string).collect(),
        };
        all.iter()
            .map(|s| clean(s))
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// NFC, trimmed, inner whitespace collapsed.
fn clean(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn from_json(input: &str) -> Result<Vec<Procedure>, ImportError> {
    use serde_json::value::RawValue;
    #[derive(Deserialize)]
    struct Wrapped<'a> {
        #[serde(borrow)]
        procedures: Vec<&'a RawValue>,
    }
    // (an untagged enum would buffer the input and lose the borrowed records' positions)
    let raws: Vec<&RawValue> = match input.trim_start().starts_with('{') {
        true => serde_json::from_str::<Wrapped>(input).map(|w| w.procedures),
        false => serde_json::from_str(input),
    }
    .map_err(|e| ImportError {
        line: Some(e.line() as u64),
        field: None,
        reason: format!("not a JSON array of procedures (nor {{\"procedures\": [...]}}): {e}"),
    })?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(raws.len());
    for raw in raws {
        // RawValue borrows from the input, so its offset gives the record's line.
        let offset = raw.get().as_ptr() as usize - input.as_ptr() as usize;
        let line = input[..offset].matches('\n').count() as u64 + 1;
        let record: Record = serde_json::from_str(raw.get()).map_err(|e| {
            let reason = e.to_string();
            ImportError {
                // a missing field has no line of its own: the record's
                line: Some(match reason.starts_with("missing field") {
                    true => line,
                    false => line + e.line() as u64 - 1,
                }),
                field: field_in(&reason),
                reason,
            }
        })?;
        out.push(check(record, Some(line), &mut seen)?);
    }
    Ok(out)
}

/// The field a serde message names (`missing field `fees``, `unknown field `fee``).
fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

fn from_csv(input: &str) -> Result<Vec<Procedure>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(input.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| refuse(Some(1), "header", e.to_string()))?
        .clone();
    for required in [
        "code",
        "name",
        "sector",
        "agency",
        "documents",
        "fees",
        "processing_time",
    ] {
        if !headers.iter().any(|h| h == required) {
            return Err(refuse(Some(1), required, "missing column"));
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| ImportError {
            line: e.position().map(|p| p.line()),
            field: None,
            reason: e.to_string(),
        })?;
        let line = row.position().map(|p| p.line());
        let mut fields = serde_json::Map::new();
        for (h, v) in headers.iter().zip(row.iter()) {
            if v.is_empty() && !matches!(h, "code" | "name" | "sector" | "agency" | "fees") {
                continue;
            }
            fields.insert(h.to_string(), serde_json::Value::String(v.to_string()));
        }
        let record: Record =
            serde_json::from_value(serde_json::Value::Object(fields)).map_err(|e| ImportError {
                line,
                field: field_in(&e.to_string()),
                reason: e.to_string(),
            })?;
        out.push(check(record, line, &mut seen)?);
    }
    Ok(out)
}

fn check(
    r: Record,
    line: Option<u64>,
    seen: &mut HashSet<String>,
) -> Result<Procedure, ImportError> {
    let code = r.code.trim().to_string();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(refuse(
            line,
            "code",
            format!(
                "{code:?} is not a procedure code (letters, digits, `.`, `-`, `_`; at most 40)"
            ),
        ));
    }
    if !seen.insert(code.clone()) {
        return Err(refuse(line, "code", format!("{code} appears twice")));
    }
    let required = |field: &str, value: &str, max: usize| {
        let v = clean(value);
        match v.chars().count() {
            0 => Err(refuse(line, field, "empty")),
            n if n > max => Err(refuse(
                line,
                field,
                format!("{n} characters, at most {max}"),
            )),
            _ => Ok(v),
        }
    };
    let name = required("name", &r.name, 400)?;
    let sector = required("sector", &r.sector, 200)?;
    let agency = required("agency", &r.agency, 400)?;
    let fees = required("fees", &r.fees, 600)?;
    let processing_time = required("processing_time", &r.processing_time, 600)?;
    let documents = r.documents.entries();
    if documents.is_empty() {
        return Err(refuse(line, "documents", "no document listed"));
    }
    let online_url = match r.online_url.map(|u| u.trim().to_string()) {
        Some(u) if u.is_empty() => None,
        Some(u) => match url::Url::parse(&u) {
            Ok(parsed) if parsed.scheme() == "https" && parsed.host().is_some() => Some(u),
            _ => {
                return Err(refuse(
                    line,
                    "online_url",
                    format!("{u:?} is not an https URL"),
                ));
            }
        },
        None => None,
    };
    Ok(Procedure {
        code,
        name,
        sector,
        agency,
        documents,
        fees,
        processing_time,
        level: r.level.map(|l| clean(&l)).filter(|l| !l.is_empty()),
        online_url,
        keywords: r.keywords.map(Documents::entries).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        "2026-03-01T00:00:00Z".parse().unwrap()
    }

    const JSON: &str = r#"[
  {
    "code": "1.001193",
    "name": "Thủ tục đăng ký khai sinh",
    "sector": "Hộ tịch",
    "agency": "UBND cấp xã",
    "documents": ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"],
    "fees": "Miễn lệ phí",
    "processing_time": "Ngay trong ngày",
    "online_url": "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193"
  },
  {
    "code": "1.000894",
    "name": "Thủ tục đăng ký kết hôn",
    "sector": "Hộ tịch",
    "agency": "UBND cấp xã",
    "documents": "Tờ khai đăng ký kết hôn | Giấy xác nhận tình trạng hôn nhân",
    "fees": "Miễn lệ phí",
    "processing_time": "Ngay trong ngày"
  }
]"#;

    #[test]
    fn a_json_file_imports_with_a_content_version() {
        let c = ProcedureCatalogue::import(JSON, Format::Json, "a.json", at()).unwrap();
        assert_eq!(c.procedures.len(), 2);
        assert_eq!(
            c.procedures[1].documents.len(),
            2,
            "`|`-joined documents split"
        );
        assert_eq!(c.version.len(), 12);
        let again = ProcedureCatalogue::import(JSON, Format::Json, "b.json", at()).unwrap();
        assert_eq!(c.version, again.version, "same content, same version");
        let changed = JSON.replace("Ngay trong ngày", "03 ngày làm việc");
        let other = ProcedureCatalogue::import(&changed, Format::Json, "a.json", at()).unwrap();
        assert_ne!(c.version, other.version);
        let wrapped = format!("{{\"procedures\": {JSON}}}");
        assert!(ProcedureCatalogue::import(&wrapped, Format::Json, "w.json", at()).is_ok());
    }

    fn refused(input: &str, format: Format) -> ImportError {
        ProcedureCatalogue::import(input, format, "f", at()).unwrap_err()
    }

    #[test]
    fn a_malformed_json_file_is_refused_with_the_line_and_the_field() {
        let e = refused(
            &JSON.replace(
                "\"fees\": \"Miễn lệ phí\",\n    \"processing_time\": \"Ngay trong ngày\"\n  }\n]",
                "\"processing_time\": \"x\"\n  }\n]",
            ),
            Format::Json,
        );
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(12), Some("fees")),
            "{e}"
        );
        let e = refused(
            &JSON.replace(
                "\"sector\": \"Hộ tịch\",\n    \"agency\": \"UBND cấp xã\",\n    \"documents\": \"",
                "\"sector\": \"  \",\n    \"agency\": \"UBND cấp xã\",\n    \"documents\": \"",
            ),
            Format::Json,
        );
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(12), Some("sector")),
            "{e}"
        );
        let e = refused(&JSON.replace("1.000894", "1.001193"), Format::Json);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(12), Some("code")),
            "{e}"
        );
        assert!(e.to_string().contains("appears twice"), "{e}");
        let e = refused(
            &JSON.replace("https://dichvucong", "http://dichvucong"),
            Format::Json,
        );
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(2), Some("online_url")),
            "{e}"
        );
        let e = refused(&JSON.replace("\"fees\"", "\"fee\""), Format::Json);
        assert_eq!(e.field.as_deref(), Some("fee"), "{e}");
        let e = refused(
            &JSON.replace("\"Giấy chứng sinh\"]", "\"Giấy chứng sinh\""),
            Format::Json,
        );
        assert!(e.line.is_some(), "{e}");
        let e = refused("[]", Format::Json);
        assert!(e.to_string().contains("no procedure"), "{e}");
    }

    const CSV: &str = "code,name,sector,agency,documents,fees,processing_time,level,online_url\n\
1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,UBND cấp xã,\"Tờ khai đăng ký khai sinh\nGiấy chứng sinh\",Miễn lệ phí,Ngay trong ngày,toàn trình,\n\
1.000894,Thủ tục đăng ký kết hôn,Hộ tịch,UBND cấp xã,Tờ khai|Giấy xác nhận tình trạng hôn nhân,Miễn lệ phí,Ngay trong ngày,,\n";

    #[test]
    fn a_csv_file_imports_and_a_bad_row_is_refused_with_its_line_and_field() {
        let c = ProcedureCatalogue::import(CSV, Format::Csv, "a.csv", at()).unwrap();
        assert_eq!(
            c.procedures[0].documents,
            ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]
        );
        assert_eq!(c.procedures[0].level.as_deref(), Some("toàn trình"));
        assert_eq!(c.procedures[1].level, None);
        // the quoted multi-line cell makes the second record start on line 4
        let e = refused(
            &CSV.replace(",Tờ khai|Giấy xác nhận tình trạng hôn nhân,", ",|,"),
            Format::Csv,
        );
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(4), Some("documents")),
            "{e}"
        );
        let e = refused(
            &CSV.replace(",Miễn lệ phí,Ngay trong ngày,,", ",,Ngay trong ngày,,"),
            Format::Csv,
        );
        assert_eq!((e.line, e.field.as_deref()), (Some(4), Some("fees")), "{e}");
        let e = refused(&CSV.replace("processing_time,", "time,"), Format::Csv);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(1), Some("processing_time")),
            "{e}"
        );
        let e = refused(&CSV.replace(",,\n", ",\n"), Format::Csv);
        assert_eq!(e.line, Some(4), "a short row: {e}");
        let e = refused(&CSV.replace("1.000894", "1.000 894"), Format::Csv);
        assert_eq!((e.line, e.field.as_deref()), (Some(4), Some("code")), "{e}");
    }

    #[test]
    fn text_is_stored_nfc_and_trimmed() {
        let decomposed = JSON.replace(
            "Thủ tục đăng ký kết hôn",
            "  Thu\u{309} tu\u{323}c  đăng ký kết hôn ",
        );
        let c = ProcedureCatalogue::import(&decomposed, Format::Json, "a", at()).unwrap();
        assert_eq!(c.procedures[1].name, "Thủ tục đăng ký kết hôn");
    }
}
