//! How DVCQG payloads are ordered, having no sequence of their own.
//!
//! A derived version packs, from the most significant bits down: the latest business date in the
//! payload (seconds since 2000-01-01 UTC; 0 when it has none), how far the status has progressed
//! (4 bits), and the arrival rank (24 bits): the body's place among the distinct bodies of its
//! dossier, counted when each is first seen (`motcua_app::ingest`). Two different bodies of one
//! dossier therefore never share a version, and a re-send of the same bytes keeps its first rank.

use chrono::{DateTime, FixedOffset};

use crate::status::NationalStatus;

pub const RANK_BITS: u32 = 24;
const PROGRESS_BITS: u32 = 4;
/// 2000-01-01T00:00:00Z: every dossier code in use is later.
const EPOCH: i64 = 946_684_800;
pub const MAX_RANK: u64 = (1 << RANK_BITS) - 1;

/// How far a dossier has progressed, to order payloads that share their latest date.
pub fn progress(s: NationalStatus) -> u8 {
    use NationalStatus::*;
    match s {
        NewlySubmitted => 1,
        Received => 2,
        Processing => 3,
        SupplementRequested => 4,
        FeeRequested => 5,
        WithdrawalRequested => 6,
        Completed => 7,
        NotAccepted | Stopped => 8,
        Returned => 9,
    }
}

/// The version without its arrival rank.
pub fn base_version(latest: Option<DateTime<FixedOffset>>, progress: u8) -> u64 {
    let secs = latest.map_or(0, |t| (t.timestamp() - EPOCH).max(0) as u64);
    (secs << (RANK_BITS + PROGRESS_BITS)) | (u64::from(progress & 0xF) << RANK_BITS)
}

/// The business-date part of a derived version (seconds since 2000), to compare a progress
/// record's time with the date of the dossier's latest snapshot.
pub fn date_part(version: u64) -> u64 {
    version >> (RANK_BITS + PROGRESS_BITS)
}

/// The version with the body's arrival rank (1 for the first body seen of the dossier).
pub fn with_rank(base: u64, rank: u64) -> u64 {
    (base & !MAX_RANK) | rank.min(MAX_RANK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<DateTime<FixedOffset>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap())
    }

    #[test]
    fn date_then_progress_then_arrival() {
        let d1 = at("2026-11-10T08:30:00+07:00");
        let d2 = at("2026-11-10T08:30:01+07:00");
        let received = base_version(d1, progress(NationalStatus::Received));
        let processing = base_version(d1, progress(NationalStatus::Processing));
        let later = base_version(d2, progress(NationalStatus::Received));
        assert!(with_rank(received, MAX_RANK) < with_rank(processing, 1));
        assert!(with_rank(processing, MAX_RANK) < with_rank(later, 1));
        assert!(with_rank(processing, 1) < with_rank(processing, 2));
        let undated = base_version(None, progress(NationalStatus::NewlySubmitted));
        assert!(undated > 0 && with_rank(undated, MAX_RANK) < with_rank(received, 1));
        assert_eq!(
            with_rank(with_rank(processing, 7), 9),
            with_rank(processing, 9)
        );
        // Far dates still fit: 36 bits of seconds is beyond the year 4000.
        let far = base_version(at("2999-12-31T23:59:59+07:00"), 9);
        assert!(with_rank(far, MAX_RANK) > with_rank(later, 1));
    }
}
