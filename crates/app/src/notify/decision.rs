//! What the notifier decided for a notice, with the stable labels kept in timelines, counters
//! and idempotency records.

/// How a notification went out (or why not). The string forms are stable: they are stored in
/// timelines, counters and idempotency records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Free consultation message (user interacted within 48 h).
    CsFree,
    /// Billed consultation message (48 h – 7 days).
    CsPaid,
    /// ZBS template by user id.
    ZbsUid,
    /// ZNS template by phone.
    Zns,
    /// Brandname SMS to the phone, after every Zalo channel failed (deadline notices, where
    /// the tenant enables it).
    Sms,
    /// The applicant opted out of Zalo notifications.
    OptedOut,
    /// No consent recorded, and the tenant notifies only citizens who proved the phone.
    NoConsent,
    /// The tenant does not notify this kind of event.
    NotNotified,
    /// An older event, or one decided before: timeline only.
    Stale,
    /// The recipient was last told exactly this (another event, same content): not sent again.
    Repeated,
    /// The tenant is in trial mode and the recipient is no staff tester: recorded, not sent.
    /// The channel it would have gone by.
    Withheld(String),
    /// Nothing reaches the citizen.
    Undeliverable(String),
}

impl Decision {
    pub fn label(&self) -> &'static str {
        match self {
            Decision::CsFree => "zalo_cs_free",
            Decision::CsPaid => "zalo_cs_paid",
            Decision::ZbsUid => "zbs_uid",
            Decision::Zns => "zns",
            Decision::Sms => "sms",
            Decision::OptedOut => "opted_out",
            Decision::NoConsent => "no_consent",
            Decision::NotNotified => "not_notified",
            Decision::Stale => "stale",
            Decision::Repeated => "repeated",
            Decision::Withheld(_) => "trial_withheld",
            Decision::Undeliverable(_) => "undeliverable",
        }
    }

    /// Price class, for the money-saved statistics.
    pub fn price_class(&self) -> &'static str {
        match self {
            Decision::CsFree => "free",
            Decision::CsPaid => "cs_paid",
            Decision::ZbsUid => "zbs_uid",
            Decision::Zns => "zns",
            Decision::Sms => "sms",
            _ => "none",
        }
    }

    pub fn sent(&self) -> bool {
        matches!(
            self,
            Decision::CsFree | Decision::CsPaid | Decision::ZbsUid | Decision::Zns | Decision::Sms
        )
    }
}

pub(super) fn decision_from_label(label: Option<&str>) -> Decision {
    match label {
        Some("zalo_cs_free") => Decision::CsFree,
        Some("zalo_cs_paid") => Decision::CsPaid,
        Some("zbs_uid") => Decision::ZbsUid,
        Some("zns") => Decision::Zns,
        Some("sms") => Decision::Sms,
        Some("opted_out") => Decision::OptedOut,
        Some("no_consent") => Decision::NoConsent,
        Some("not_notified") => Decision::NotNotified,
        Some("stale") => Decision::Stale,
        Some("repeated") => Decision::Repeated,
        Some("trial_withheld") => Decision::Withheld("recorded earlier".into()),
        _ => Decision::Undeliverable("recorded earlier".into()),
    }
}
