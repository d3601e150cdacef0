//! "Hồ sơ của tôi": which of a verified citizen's dossiers they see, in which order, a page at a
//! time. Open dossiers come first (soonest appointment first), then those closed in the last
//! 12 months (latest first); older closed ones are left out.

use chrono::{DateTime, Duration, Utc};

use crate::Dossier;

/// Four code buttons and "next page" fill the five buttons Zalo allows on a message.
pub const PER_PAGE: usize = 4;
/// How far back closed dossiers are listed.
pub const WINDOW_DAYS: i64 = 365;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'a> {
    pub items: Vec<&'a Dossier>,
    /// 1-based; a page past the end is the last page.
    pub page: usize,
    pub pages: usize,
    pub total: usize,
}

/// The `page`th page (1-based) of `all` as the citizen sees them at `now`; each code once.
pub fn page(all: &[Dossier], now: DateTime<Utc>, page: usize) -> Page<'_> {
    let since = now - Duration::days(WINDOW_DAYS);
    let mut shown: Vec<&Dossier> = all
        .iter()
        .filter(|d| d.closed_at().is_none_or(|at| at >= since))
        .collect();
    shown.sort_by(|a, b| {
        let key = |d: &Dossier| match d.closed_at() {
            None => (
                0,
                d.due_at.map_or(i64::MAX, |t| t.timestamp()),
                d.code.to_string(),
            ),
            Some(at) => (1, -at.timestamp(), d.code.to_string()),
        };
        key(a).cmp(&key(b))
    });
    shown.dedup_by(|a, b| a.code == b.code);
    let total = shown.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let items = shown
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    Page {
        items,
        page,
        pages,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NationalStatus;

    fn d(seq: u32, closed: Option<&str>, due: Option<&str>) -> Dossier {
        let raw = format!(
            r#"{{"tenant":"tq","code":"000.00.04.H60-260101-{seq:04}","national_code":null,
            "procedure_code":null,"procedure_name":"Thủ tục","sector":null,"agency_code":null,
            "agency_name":null,"applicant_name_masked":"N. V. A***","applicant_phone":null,
            "representative_phone":null,"id_suffix_hash":null,"received_at":null,"due_at":null,
            "completed_at":null,"returned_at":null,"status":4,"delivery":"counter",
            "documents":[],"version":1,"updated_at":"2026-01-01T00:00:00Z"}}"#
        );
        let mut d: Dossier = serde_json::from_str(&raw).unwrap();
        d.due_at = due.map(|t| t.parse().unwrap());
        if let Some(at) = closed {
            d.status = NationalStatus::Returned;
            d.returned_at = Some(at.parse().unwrap());
            d.updated_at = at.parse().unwrap();
        }
        d
    }

    #[test]
    fn open_first_by_due_date_then_recently_closed_newest_first_older_left_out() {
        let now: DateTime<Utc> = "2026-11-20T00:00:00Z".parse().unwrap();
        let all = vec![
            d(1, Some("2026-10-01T00:00:00Z"), None),
            d(2, None, Some("2026-12-05T00:00:00Z")),
            d(3, Some("2025-06-01T00:00:00Z"), None), // closed 17 months ago: not listed
            d(4, None, None),
            d(5, None, Some("2026-11-25T00:00:00Z")),
            d(6, Some("2026-11-01T00:00:00Z"), None),
            d(2, None, Some("2026-12-05T00:00:00Z")), // the same dossier by its second phone
        ];
        let seq = |p: &Page| -> Vec<String> {
            p.items
                .iter()
                .map(|d| d.code.as_str()[23..].to_string())
                .collect()
        };
        let first = page(&all, now, 1);
        assert_eq!((first.total, first.pages), (5, 2));
        assert_eq!(seq(&first), ["05", "02", "04", "06"]);
        let second = page(&all, now, 2);
        assert_eq!(seq(&second), ["01"]);
        assert_eq!(page(&all, now, 9).page, 2, "past the end is the last page");
        assert_eq!(page(&[], now, 1).pages, 1);
    }
}
