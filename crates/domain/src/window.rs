//! Zalo's consultation (CS) message windows, defined once (zalo-platform.md §2.8). The window
//! opens at the citizen's last interaction with the OA: a CS message is free within 48 hours,
//! billed until 7 days, and refused after (`-230`). Both bounds are exclusive: at exactly
//! 48 hours a message is billed, at exactly 7 days it goes by template instead, so the
//! boundary never costs a refused call.

use chrono::{DateTime, Duration, Utc};

/// Free CS messages ("reply" quota) within this time of the last interaction.
pub const FREE_CS_WINDOW: Duration = Duration::hours(48);

/// CS messages are accepted (billed after `FREE_CS_WINDOW`) within this time.
pub const CS_WINDOW: Duration = Duration::days(7);

/// Where a user stands at `now` for a CS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsWindow {
    /// Within 48 hours: free.
    Free,
    /// Within 7 days: billed.
    Paid,
    /// Never interacted, or 7 days or more ago: only template messages (ZBS, ZNS) reach them.
    Closed,
}

impl CsWindow {
    /// An interaction stamped after `now` (clock skew between Zalo and us) counts as just now.
    pub fn at(last_interaction: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match last_interaction.map(|at| now - at) {
            Some(age) if age < FREE_CS_WINDOW => CsWindow::Free,
            Some(age) if age < CS_WINDOW => CsWindow::Paid,
            _ => CsWindow::Closed,
        }
    }

    pub fn is_open(self) -> bool {
        self != CsWindow::Closed
    }
}

/// The earliest last interaction still inside `window` at `now`, for store queries that
/// list users "active since" a time (inclusive): one millisecond after `now - window`, the
/// resolution of the stored timestamps, so that the query agrees with `CsWindow::at`.
pub fn earliest_inside(window: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    now - window + Duration::milliseconds(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-24T03:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_bounds_are_exclusive() {
        let ago = |d: Duration| Some(now() - d);
        let ms = Duration::milliseconds(1);
        assert_eq!(CsWindow::at(ago(Duration::zero()), now()), CsWindow::Free);
        assert_eq!(
            CsWindow::at(ago(FREE_CS_WINDOW - ms), now()),
            CsWindow::Free
        );
        assert_eq!(CsWindow::at(ago(FREE_CS_WINDOW), now()), CsWindow::Paid);
        assert_eq!(CsWindow::at(ago(CS_WINDOW - ms), now()), CsWindow::Paid);
        assert_eq!(CsWindow::at(ago(CS_WINDOW), now()), CsWindow::Closed);
        assert_eq!(CsWindow::at(None, now()), CsWindow::Closed);
        // Zalo's clock ahead of ours
        assert_eq!(
            CsWindow::at(ago(-Duration::minutes(5)), now()),
            CsWindow::Free
        );
        assert!(!CsWindow::Closed.is_open() && CsWindow::Paid.is_open());
    }

    #[test]
    fn active_since_queries_agree_with_the_window() {
        let ms = Duration::milliseconds(1);
        // the first instant a store query includes is inside the window, the one before is not
        let free = earliest_inside(FREE_CS_WINDOW, now());
        assert_eq!(CsWindow::at(Some(free), now()), CsWindow::Free);
        assert_eq!(CsWindow::at(Some(free - ms), now()), CsWindow::Paid);
        let open = earliest_inside(CS_WINDOW, now());
        assert_eq!(CsWindow::at(Some(open), now()), CsWindow::Paid);
        assert_eq!(CsWindow::at(Some(open - ms), now()), CsWindow::Closed);
    }
}
