//! Time, so that tests control it. Every decision (message windows, due dates, quiet hours,
//! TTLs, token expiry, statistics by day) takes `now` from a `Clock`; only the binaries' wiring
//! picks `SystemClock`. Tests use a `ManualClock` and build their inputs' timestamps from it.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock: for the binaries' wiring only.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is set or advanced: tests, benches, and replays of
/// recorded streams.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Parses an RFC 3339 time; panics on a malformed literal (tests and benches only).
    pub fn at(rfc3339: &str) -> Self {
        Self::new(parse(rfc3339))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at;
    }

    /// `set` from an RFC 3339 literal.
    pub fn set_at(&self, rfc3339: &str) {
        self.set(parse(rfc3339));
    }

    pub fn advance(&self, by: Duration) {
        *self.lock() += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // the guarded value is a plain timestamp: a panic elsewhere cannot leave it half-written
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

fn parse(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("not an RFC 3339 time {rfc3339:?}: {e}"))
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::at("2026-11-24T03:00:00Z");
        assert_eq!(c.now(), c.now());
        c.advance(Duration::hours(2));
        assert_eq!(c.now().to_rfc3339(), "2026-11-24T05:00:00+00:00");
        c.set_at("2030-01-01T00:00:00+07:00");
        assert_eq!(c.now().to_rfc3339(), "2029-12-31T17:00:00+00:00");
    }
}
