//! How long a tenant keeps what it holds about citizens (Decree 13/2023: no longer than the
//! purpose needs). Days, from the tenant file's `[tenant.retention]`; the defaults are what a
//! province needs to answer lookups and complaints, and to show its staff actions to an
//! inspector. Dead letters are not here: one queue serves every tenant, so their retention is
//! the deployment's (`MessageRetentionSeconds` on AWS, `MOTCUA_DEAD_LETTER_DAYS` locally).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Dossier;
use crate::ticket::{Ticket, TicketStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// A dossier and its timeline, counted from the day it was returned (or refused, stopped):
    /// the citizen can still look it up and prove a phone with it in that time.
    #[serde(default = "days::dossiers")]
    pub dossiers_after_closing: u32,
    /// A closed ticket and its messages (what the citizen wrote, the answers).
    #[serde(default = "days::tickets")]
    pub tickets_after_closing: u32,
    /// Which dossier event a sent Zalo message belongs to (delivery receipts come within days).
    #[serde(default = "days::message_log")]
    pub message_log: u32,
    /// Staff actions and erasures.
    #[serde(default = "days::audit")]
    pub audit: u32,
    /// Day counters about one user or one dossier (lookups, misses, codes sent, ID-digit
    /// tries): they only enforce a day's limits.
    #[serde(default = "days::subject_counters")]
    pub subject_counters: u32,
}

mod days {
    pub fn dossiers() -> u32 {
        365
    }
    pub fn tickets() -> u32 {
        365
    }
    pub fn message_log() -> u32 {
        30
    }
    pub fn audit() -> u32 {
        730
    }
    pub fn subject_counters() -> u32 {
        7
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            dossiers_after_closing: days::dossiers(),
            tickets_after_closing: days::tickets(),
            message_log: days::message_log(),
            audit: days::audit(),
            subject_counters: days::subject_counters(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("retention.{field} must be at least 1 day (it is {days})")]
pub struct BadRetention {
    pub field: &'static str,
    pub days: u32,
}

impl Retention {
    /// Every period is at least a day: 0 would delete what was just written.
    pub fn validate(&self) -> Result<(), BadRetention> {
        for (field, days) in [
            ("dossiers_after_closing", self.dossiers_after_closing),
            ("tickets_after_closing", self.tickets_after_closing),
            ("message_log", self.message_log),
            ("audit", self.audit),
            ("subject_counters", self.subject_counters),
        ] {
            if days == 0 {
                return Err(BadRetention { field, days });
            }
        }
        Ok(())
    }

    /// Dossiers closed before this are purged at `now`.
    pub fn dossiers_closed_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - days(self.dossiers_after_closing)
    }

    /// Tickets closed before this are purged at `now`.
    pub fn tickets_closed_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - days(self.tickets_after_closing)
    }

    /// When a message reference written at `at` expires.
    pub fn message_ref_expires(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        at + days(self.message_log)
    }

    /// When an audit entry written at `at` expires.
    pub fn audit_expires(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        at + days(self.audit)
    }

    /// When a user's or a dossier's counter for Vietnam day `day` expires: `subject_counters`
    /// days after that day ends.
    pub fn subject_counter_expires(&self, day: NaiveDate) -> DateTime<Utc> {
        let next = day.succ_opt().unwrap_or(day);
        crate::time::vn_midnight_utc(next) + days(self.subject_counters)
    }
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

impl Dossier {
    /// When the dossier closed (its status became final: returned, refused, stopped, done),
    /// the moment its retention starts; `None` while it is open.
    pub fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.status
            .is_final()
            .then(|| {
                self.returned_at
                    .into_iter()
                    .chain(self.completed_at)
                    .chain([self.updated_at])
                    .max()
            })
            .flatten()
    }
}

impl Ticket {
    /// When the ticket closed; `None` while it is open.
    pub fn closed_at(&self) -> Option<DateTime<Utc>> {
        (self.status == TicketStatus::Closed).then_some(self.updated_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_a_tenant_file_leaves_out_and_zero_is_refused() {
        let r: Retention = toml_like(r#"{"audit": 400}"#);
        assert_eq!(r.audit, 400);
        assert_eq!(r.dossiers_after_closing, 365);
        assert_eq!(r.subject_counters, 7);
        assert!(r.validate().is_ok());
        let zero: Retention = toml_like(r#"{"message_log": 0}"#);
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "retention.message_log must be at least 1 day (it is 0)"
        );
        assert!(serde_json::from_str::<Retention>(r#"{"dossier": 3}"#).is_err());
    }

    fn toml_like(json: &str) -> Retention {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_subject_counter_outlives_its_vietnam_day_by_the_setting() {
        let r = Retention::default();
        let day: NaiveDate = "2026-11-30".parse().unwrap();
        // 2026-12-01 00:00 in Vietnam is 2026-11-30 17:00 UTC; plus 7 days.
        assert_eq!(
            r.subject_counter_expires(day).to_rfc3339(),
            "2026-12-07T17:00:00+00:00"
        );
    }
}
