//! Vietnam time (Asia/Ho_Chi_Minh is UTC+7 all year, no daylight saving).

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

pub fn vn_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

pub fn to_vn(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&vn_offset())
}

/// The UTC instant at which Vietnam day `day` begins.
pub fn vn_midnight_utc(day: NaiveDate) -> DateTime<Utc> {
    vn_offset()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .expect("a fixed offset maps every local time once")
        .with_timezone(&Utc)
}

/// `15/02/2023`
pub fn vn_date(t: DateTime<Utc>) -> String {
    to_vn(t).format("%d/%m/%Y").to_string()
}

/// `08:30 15/02/2023`
pub fn vn_datetime(t: DateTime<Utc>) -> String {
    to_vn(t).format("%H:%M %d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_vietnam_time() {
        let t: DateTime<Utc> = "2023-02-14T18:30:00Z".parse().unwrap();
        assert_eq!(vn_date(t), "15/02/2023");
        assert_eq!(vn_datetime(t), "01:30 15/02/2023");
    }
}
