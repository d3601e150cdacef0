//! The tenant's support desk: the hotline the "Hỗ trợ" button dials, and the office hours in
//! which staff read questions (Vietnam time). Public holidays are not modelled: a question sent
//! on one is answered as on a working day.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::time;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// The hotline as the province prints it (`0207 3822 222`, `1900 1234`).
    #[serde(default)]
    pub hotline: Option<String>,
    /// `mon` … `sun`.
    #[serde(default = "default_days")]
    pub office_days: Vec<String>,
    /// `[["07:30", "11:30"], ["13:30", "17:00"]]`.
    #[serde(default = "default_hours")]
    pub office_hours: Vec<[String; 2]>,
}

fn default_days() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"]
        .map(String::from)
        .to_vec()
}

fn default_hours() -> Vec<[String; 2]> {
    vec![
        ["07:30".into(), "11:30".into()],
        ["13:30".into(), "17:00".into()],
    ]
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSupport {
    #[error("support.hotline {0:?} must be 8 to 12 digits (spaces, dots and dashes allowed)")]
    Hotline(String),
    #[error("support.office_days: {0:?} is not a day (mon, tue, wed, thu, fri, sat, sun)")]
    Day(String),
    #[error("support.office_hours: {0:?} must be [\"HH:MM\", \"HH:MM\"], the first earlier")]
    Hours(String),
}

impl Support {
    pub fn validate(&self) -> Result<(), BadSupport> {
        if let Some(h) = &self.hotline {
            self.dial_code()
                .ok_or_else(|| BadSupport::Hotline(h.clone()))?;
        }
        self.days()?;
        self.hours()?;
        Ok(())
    }

    fn days(&self) -> Result<Vec<Weekday>, BadSupport> {
        self.office_days
            .iter()
            .map(|d| d.parse::<Weekday>().map_err(|_| BadSupport::Day(d.clone())))
            .collect()
    }

    fn hours(&self) -> Result<Vec<(NaiveTime, NaiveTime)>, BadSupport> {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M");
        let mut out = Vec::new();
        for [from, to] in &self.office_hours {
            match (t(from), t(to)) {
                (Ok(a), Ok(b)) if a < b => out.push((a, b)),
                _ => return Err(BadSupport::Hours(format!("[{from}, {to}]"))),
            }
        }
        out.sort();
        Ok(out)
    }

    /// The hotline's digits for Zalo's `oa.open.phone` (`phone_code`): `84` and the number
    /// without its leading 0; a 1800/1900 service number as it is.
    pub fn dial_code(&self) -> Option<String> {
        let raw = self.hotline.as_deref()?;
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect();
        if !(8..=12).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(match digits.strip_prefix('0') {
            Some(rest) => format!("84{rest}"),
            None => digits,
        })
    }

    /// When staff next read questions, if `now` is outside office hours; `None` inside them.
    pub fn next_opening(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (days, hours) = (self.days().ok()?, self.hours().ok()?);
        let local = time::to_vn(now);
        for ahead in 0..8 {
            let day = local.date_naive() + Duration::days(ahead);
            if !days.contains(&day.weekday()) {
                continue;
            }
            for (from, to) in &hours {
                let at = |t: &NaiveTime| {
                    day.and_time(*t)
                        .and_local_timezone(time::vn_offset())
                        .single()
                        .map(|t| t.with_timezone(&Utc))
                };
                let (open, close) = (at(from)?, at(to)?);
                if open <= now && now < close {
                    return None;
                }
                if now < open {
                    return Some(open);
                }
            }
        }
        None
    }

    /// The office hours as a citizen reads them: `07:30–11:30, 13:30–17:00, thứ Hai đến thứ Sáu`.
    pub fn hours_vi(&self) -> String {
        let hours = self
            .office_hours
            .iter()
            .map(|[a, b]| format!("{a}–{b}"))
            .collect::<Vec<_>>()
            .join(", ");
        let days = self.days().unwrap_or_default();
        let named: Vec<&str> = days.iter().map(|d| weekday_vi(*d)).collect();
        let span = match named.as_slice() {
            [] => String::new(),
            [one] => one.to_string(),
            [first, .., last] if days.windows(2).all(|w| w[0].succ() == w[1]) => {
                format!("{first} đến {last}")
            }
            many => many.join(", "),
        };
        format!("{hours}, {span}")
    }
}

/// `thứ Hai` … `Chủ nhật`.
pub fn weekday_vi(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "thứ Hai",
        Weekday::Tue => "thứ Ba",
        Weekday::Wed => "thứ Tư",
        Weekday::Thu => "thứ Năm",
        Weekday::Fri => "thứ Sáu",
        Weekday::Sat => "thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

/// `07:30 thứ Hai, 07/12/2026`.
pub fn opening_vi(at: DateTime<Utc>) -> String {
    let local = time::to_vn(at);
    format!(
        "{} {}, {}",
        local.format("%H:%M"),
        weekday_vi(local.weekday()),
        local.format("%d/%m/%Y")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk() -> Support {
        serde_json::from_str(r#"{"hotline": "0207 3822 222"}"#).unwrap()
    }

    fn at(vn: &str) -> DateTime<Utc> {
        // Vietnam time in, UTC out
        let t = chrono::NaiveDateTime::parse_from_str(vn, "%Y-%m-%d %H:%M").unwrap();
        t.and_local_timezone(time::vn_offset())
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn outside_office_hours_the_next_opening_is_named() {
        let s = desk();
        // 2026-12-04 is a Friday
        assert_eq!(s.next_opening(at("2026-12-04 09:00")), None);
        assert_eq!(
            s.next_opening(at("2026-12-04 07:29")),
            Some(at("2026-12-04 07:30"))
        );
        assert_eq!(
            s.next_opening(at("2026-12-04 12:00")),
            Some(at("2026-12-04 13:30"))
        );
        assert_eq!(
            s.next_opening(at("2026-12-04 17:00")),
            Some(at("2026-12-07 07:30"))
        );
        assert_eq!(
            s.next_opening(at("2026-12-05 10:00")),
            Some(at("2026-12-07 07:30"))
        );
        assert_eq!(
            opening_vi(at("2026-12-07 07:30")),
            "07:30 thứ Hai, 07/12/2026"
        );
        assert_eq!(
            s.hours_vi(),
            "07:30–11:30, 13:30–17:00, thứ Hai đến thứ Sáu"
        );
    }

    #[test]
    fn hotlines_dial_in_zalos_form_and_mistakes_are_named() {
        assert_eq!(desk().dial_code().as_deref(), Some("842073822222"));
        let service: Support = serde_json::from_str(r#"{"hotline": "1900.1234"}"#).unwrap();
        assert_eq!(service.dial_code().as_deref(), Some("19001234"));
        let bad: Support = serde_json::from_str(r#"{"hotline": "hotline"}"#).unwrap();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("8 to 12 digits")
        );
        let bad: Support = serde_json::from_str(r#"{"office_days": ["mon", "caturday"]}"#).unwrap();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("\"caturday\"")
        );
        let bad: Support =
            serde_json::from_str(r#"{"office_hours": [["17:00", "07:30"]]}"#).unwrap();
        assert!(bad.validate().is_err());
    }
}
