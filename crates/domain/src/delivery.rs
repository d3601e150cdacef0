//! The delivery ledger: one record per message the product decided to send (dossier notices,
//! staff's answers to tickets, phone-proving codes, each follower's copy of an announcement),
//! with a life of its own (GOV.UK Notify's model). A message Zalo accepted is `accepted`; a receipt moves it to
//! `delivered` and `seen`; a notice no channel could take is `failed` with the reason; one
//! that got no receipt in time is `expired` (the sweep's verdict). States only move forward:
//!
//! ```text
//! accepted ──> expired ──> delivered ──> seen
//!    │  └───────────────────────┘          ↑
//!    └─────────────────────────────────────┘        failed: only at creation, final
//! ```
//!
//! `expired` is the sweep's verdict for want of news, so a receipt that comes later still
//! moves it on; nothing moves a notice back, and a `delivered` after `seen` changes nothing.
//! Every transition of a dossier notice is reported once to the one-stop system
//! (`NotificationStatus`), in order: `reported` counts the transitions already on the outbound
//! queue. The other subjects have nobody to report to (`Subject::reports`).
//!
//! The recipient is a keyed digest (the phone's hash, or the Zalo user's tag), never a
//! phone number or a user id; so is every part of a subject that names a person.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{DossierCode, EventKind, TenantId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Accepted,
    Delivered,
    Seen,
    Failed,
    Expired,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Accepted,
        DeliveryState::Delivered,
        DeliveryState::Seen,
        DeliveryState::Failed,
        DeliveryState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Accepted => "accepted",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Seen => "seen",
            DeliveryState::Failed => "failed",
            DeliveryState::Expired => "expired",
        }
    }

    /// Whether a notice in state `self` may move to `to`.
    pub fn may_become(self, to: DeliveryState) -> bool {
        use DeliveryState::*;
        let rank = |s: DeliveryState| match s {
            Accepted => 0,
            Expired => 1,
            Delivered => 2,
            Seen => 3,
            Failed => 4,
        };
        match (self, to) {
            (Failed, _) | (_, Failed) => false,
            (from, to) => rank(to) > rank(from),
        }
    }

    /// The citizen was not reached (the not-reached worklist's states).
    pub fn not_reached(self) -> bool {
        matches!(self, DeliveryState::Failed | DeliveryState::Expired)
    }
}

/// What a message was about. It names the record (one per subject) and where the stores keep
/// it: a dossier notice with its dossier (deleted with it), the others until `expires_at`.
/// Serialised untagged and flattened into the record, so a dossier notice reads
/// `"code": …, "event_id": …` as it always did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Subject {
    /// The notice of one dossier event.
    Dossier { code: DossierCode, event_id: String },
    /// Staff's answer to a ticket; `answer` is the console's request id of the compose.
    Ticket { ticket: u64, answer: String },
    /// One follower's copy of an announcement (`follower`: the user's tag), or the one
    /// broadcast (`follower`: `broadcast`).
    Announcement {
        announcement: String,
        follower: String,
    },
    /// A phone-proving code sent by ZNS; `phone_code` is `{user's tag}-{unix ms}` of the send
    /// (never the phone or the code).
    PhoneCode { phone_code: String },
}

impl Subject {
    /// The subject's kind, as metrics and counters name it.
    pub fn name(&self) -> &'static str {
        match self {
            Subject::Dossier { .. } => "dossier_notice",
            Subject::Ticket { .. } => "ticket_answer",
            Subject::Announcement { .. } => "announcement",
            Subject::PhoneCode { .. } => "phone_code",
        }
    }

    /// The record's name within its tenant, in parts (stores join them with their own
    /// separator). A dossier's parts are its code and the event id; the others start with a
    /// `~` part, which no dossier code does, so a dossier's prefix never matches them.
    pub fn parts(&self) -> Vec<String> {
        match self {
            Subject::Dossier { code, event_id } => vec![code.to_string(), event_id.clone()],
            Subject::Ticket { ticket, answer } => {
                vec!["~ticket".into(), ticket.to_string(), answer.clone()]
            }
            Subject::Announcement {
                announcement,
                follower,
            } => vec![
                "~announcement".into(),
                announcement.clone(),
                follower.clone(),
            ],
            Subject::PhoneCode { phone_code } => vec!["~phone_code".into(), phone_code.clone()],
        }
    }

    /// Whether the one-stop system hears of the record's transitions (dossier notices only).
    pub fn reports(&self) -> bool {
        matches!(self, Subject::Dossier { .. })
    }

    /// The last part of the record's name: the event id, the answer's request id, the
    /// follower's tag or the phone code's tag and time (the record's key under its partition).
    pub fn item(&self) -> &str {
        match self {
            Subject::Dossier { event_id, .. } => event_id,
            Subject::Ticket { answer, .. } => answer,
            Subject::Announcement { follower, .. } => follower,
            Subject::PhoneCode { phone_code } => phone_code,
        }
    }
}

/// Who the message was for, as a keyed digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "digest", rename_all = "snake_case")]
pub enum Recipient {
    /// A Zalo user (CS message, ZBS template by user id): `PiiKeys::user_tag`.
    ZaloUser(String),
    /// A phone (ZNS): the phone's keyed hash.
    Phone(String),
    /// Nobody could be addressed (no phone on the dossier).
    Nobody,
    /// Every follower of the OA (a broadcast: Zalo counts it, and sends no receipt per user).
    Followers,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub state: DeliveryState,
    pub at: DateTime<Utc>,
    /// Why it failed (channel refusals, no phone); no personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub tenant: TenantId,
    /// What the message was about: one record per subject (for a dossier, one per event).
    #[serde(flatten)]
    pub subject: Subject,
    /// The dossier event's kind, for a dossier notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EventKind>,
    pub recipient: Recipient,
    /// `zalo_cs_free`, `zalo_cs_paid`, `zbs_uid`, `zns`, `sms`, `broadcast`, or
    /// `undeliverable`.
    pub channel: String,
    /// `free`, `cs_paid`, `zbs_uid`, `zns`, `none`.
    pub price_class: String,
    /// The Zalo template id, for template channels.
    #[serde(default)]
    pub template: Option<String>,
    /// The wording's version (`catalogue::text_version`): with the dossier's timeline it says
    /// exactly what the citizen was sent.
    pub text_version: String,
    /// Zalo's message id, when Zalo accepted the message.
    #[serde(default)]
    pub message_id: Option<String>,
    /// The ZNS tracking id.
    #[serde(default)]
    pub tracking_id: Option<String>,
    /// Oldest first; never empty.
    pub history: Vec<Transition>,
    /// How many transitions are on the outbound queue (a prefix of `history`).
    #[serde(default)]
    pub reported: usize,
    /// An accepted notice with no receipt by then is expired.
    #[serde(default)]
    pub receipt_due: Option<DateTime<Utc>>,
    /// Staff reached the citizen another way (the not-reached worklist).
    #[serde(default)]
    pub follow_up: Option<FollowUp>,
    /// When the stores delete the record: set for every subject but a dossier's, whose
    /// notices go with the dossier (the tenant's `retention.message_log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// How staff reached a citizen whom a notice did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpHow {
    /// A telephone call.
    Called,
    /// An SMS sent by hand (or by the province's SMS gateway).
    Sms,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub how: FollowUpHow,
    /// The staff member's user name.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// What a new ledger record needs besides the first state.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub tenant: TenantId,
    pub subject: Subject,
    pub kind: Option<EventKind>,
    pub recipient: Recipient,
    pub channel: String,
    pub price_class: String,
    pub template: Option<String>,
    pub text_version: String,
    /// For every subject but a dossier's (see `Delivery::expires_at`).
    pub expires_at: Option<DateTime<Utc>>,
}

impl Delivery {
    /// A notice Zalo accepted at `at`, expecting a receipt within `receipt_within`.
    pub fn accepted(
        new: NewDelivery,
        message_id: String,
        tracking_id: Option<String>,
        at: DateTime<Utc>,
        receipt_within: Duration,
    ) -> Self {
        let mut d = Self::start(new, DeliveryState::Accepted, at, None);
        d.message_id = Some(message_id);
        d.tracking_id = tracking_id;
        d.receipt_due = Some(at + receipt_within);
        d
    }

    /// A notice on a channel that sends no receipts (the SMS gateway): it stays accepted, and
    /// the sweep leaves it once its statuses are reported.
    pub fn without_receipts(mut self) -> Self {
        self.receipt_due = None;
        self
    }

    /// A notice no channel could take.
    pub fn failed(new: NewDelivery, at: DateTime<Utc>, reason: String) -> Self {
        Self::start(new, DeliveryState::Failed, at, Some(reason))
    }

    fn start(
        new: NewDelivery,
        state: DeliveryState,
        at: DateTime<Utc>,
        reason: Option<String>,
    ) -> Self {
        Delivery {
            tenant: new.tenant,
            subject: new.subject,
            kind: new.kind,
            recipient: new.recipient,
            channel: new.channel,
            price_class: new.price_class,
            template: new.template,
            text_version: new.text_version,
            message_id: None,
            tracking_id: None,
            history: vec![Transition { state, at, reason }],
            reported: 0,
            receipt_due: None,
            follow_up: None,
            expires_at: new.expires_at,
        }
    }

    /// The dossier and event of a dossier notice.
    pub fn dossier(&self) -> Option<(&DossierCode, &str)> {
        match &self.subject {
            Subject::Dossier { code, event_id } => Some((code, event_id)),
            _ => None,
        }
    }

    pub fn state(&self) -> DeliveryState {
        self.history
            .last()
            .map_or(DeliveryState::Failed, |t| t.state)
    }

    /// Changes with every write: conditional writes compare it.
    pub fn revision(&self) -> u64 {
        (self.history.len() + self.reported + usize::from(self.follow_up.is_some())) as u64
    }

    /// A notice of a deadline-bearing kind that failed or expired, and nobody followed up yet.
    pub fn needs_follow_up(&self) -> bool {
        self.kind.is_some_and(EventKind::bears_deadline)
            && self.state().not_reached()
            && self.follow_up.is_none()
    }

    /// When it joined the not-reached worklist (the time of its failure or expiry), while it
    /// needs a follow-up.
    pub fn not_reached_since(&self) -> Option<DateTime<Utc>> {
        self.history
            .last()
            .filter(|_| self.needs_follow_up())
            .map(|t| t.at)
    }

    /// Records staff's follow-up; refused (false) when the notice does not need one.
    pub fn follow_up(&mut self, follow_up: FollowUp) -> bool {
        if !self.needs_follow_up() {
            return false;
        }
        self.follow_up = Some(follow_up);
        true
    }

    /// Moves the notice to `to` at `at` if that is forward; whether it moved.
    pub fn advance(&mut self, to: DeliveryState, at: DateTime<Utc>) -> bool {
        if !self.state().may_become(to) {
            return false;
        }
        self.history.push(Transition {
            state: to,
            at,
            reason: None,
        });
        true
    }

    /// The sweep's verdict: accepted and no receipt by its due time.
    pub fn expire_if_due(&mut self, now: DateTime<Utc>) -> bool {
        match self.receipt_due {
            Some(due) if self.state() == DeliveryState::Accepted && due <= now => {
                self.advance(DeliveryState::Expired, now)
            }
            _ => false,
        }
    }

    /// The transitions not yet reported, with their sequence numbers (0-based); none for a
    /// subject that reports to nobody.
    pub fn unreported(&self) -> impl Iterator<Item = (usize, &Transition)> {
        let from = if self.subject.reports() {
            self.reported
        } else {
            self.history.len()
        };
        self.history.iter().enumerate().skip(from)
    }

    /// When the sweep must look at this record: at once while a transition is unreported,
    /// at the receipt's due time while accepted, never after.
    pub fn sweep_at(&self) -> Option<DateTime<Utc>> {
        if let Some((_, t)) = self.unreported().next() {
            return Some(t.at);
        }
        self.receipt_due
            .filter(|_| self.state() == DeliveryState::Accepted)
    }

    /// The outbound message for transition `sequence` of a dossier notice.
    pub fn status(&self, sequence: usize) -> Option<NotificationStatus> {
        let t = self.history.get(sequence)?;
        let (code, event_id) = self.dossier()?;
        Some(NotificationStatus {
            schema_version: 1,
            kind: NotificationStatus::TYPE.into(),
            message_id: format!("ns-{event_id}-{sequence}"),
            tenant: self.tenant.to_string(),
            code: code.to_string(),
            event_id: event_id.to_string(),
            event_type: self.kind?.as_str().into(),
            channel: self.channel.clone(),
            state: t.state,
            reason: t.reason.clone(),
            at: t.at,
            sequence,
        })
    }
}

/// `notification_status` on the outbound queue: one per transition of a notice, so that the
/// one-stop system's record shows "told by Zalo at 09:12, seen at 09:40". Schema:
/// `infra/events/outbound.v1.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationStatus {
    pub schema_version: u8,
    #[serde(rename = "type")]
    pub kind: String,
    /// `ns-{event_id}-{sequence}`: a repeated delivery of the same transition has the same id.
    pub message_id: String,
    pub tenant: String,
    pub code: String,
    /// The dossier event the notice told of.
    pub event_id: String,
    /// The event's type (`received`, `supplement_requested`, ...).
    pub event_type: String,
    pub channel: String,
    pub state: DeliveryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    /// 0 for the first state; the order of this notice's transitions.
    pub sequence: usize,
}

impl NotificationStatus {
    pub const TYPE: &'static str = "notification_status";
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn new() -> NewDelivery {
        NewDelivery {
            tenant: TenantId::parse("tuyen-quang").unwrap(),
            subject: Subject::Dossier {
                code: "000.00.04.H60-230215-0028".parse().unwrap(),
                event_id: "e1".into(),
            },
            kind: Some(EventKind::Received),
            recipient: Recipient::Phone("ab".into()),
            channel: "zns".into(),
            price_class: "zns".into(),
            template: Some("t1".into()),
            text_version: "v".into(),
            expires_at: None,
        }
    }

    fn t0() -> DateTime<Utc> {
        "2026-03-03T02:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_late_delivered_after_seen_changes_nothing() {
        let mut d = Delivery::accepted(new(), "m".into(), None, t0(), Duration::hours(72));
        assert!(d.advance(DeliveryState::Seen, t0() + Duration::minutes(5)));
        assert!(!d.advance(DeliveryState::Delivered, t0() + Duration::minutes(6)));
        assert!(!d.advance(DeliveryState::Seen, t0() + Duration::minutes(7)));
        assert_eq!(d.history.len(), 2);
        assert_eq!(d.state(), DeliveryState::Seen);
    }

    #[test]
    fn failed_is_final_and_only_a_start() {
        let mut d = Delivery::failed(new(), t0(), "no phone".into());
        for to in DeliveryState::ALL {
            assert!(!d.advance(to, t0()), "{to:?}");
        }
        let mut a = Delivery::accepted(new(), "m".into(), None, t0(), Duration::hours(1));
        assert!(!a.advance(DeliveryState::Failed, t0()));
        assert_eq!(d.sweep_at(), Some(t0()), "unreported failure is swept");
        d.reported = 1;
        assert_eq!(d.sweep_at(), None);
    }

    #[test]
    fn expiry_comes_at_the_due_time_and_a_late_receipt_still_counts() {
        let mut d = Delivery::accepted(new(), "m".into(), None, t0(), Duration::hours(72));
        d.reported = 1;
        let due = t0() + Duration::hours(72);
        assert_eq!(d.sweep_at(), Some(due));
        assert!(!d.expire_if_due(due - Duration::seconds(1)));
        assert!(d.expire_if_due(due));
        assert!(!d.expire_if_due(due + Duration::hours(1)), "once");
        assert_eq!(d.sweep_at(), Some(due), "the expiry is still to report");
        d.reported = 2;
        assert_eq!(d.sweep_at(), None);
        assert!(d.advance(DeliveryState::Delivered, due + Duration::hours(2)));
        assert_eq!(d.status(2).unwrap().state, DeliveryState::Delivered);
        assert!(!d.expire_if_due(due + Duration::hours(9)));
    }

    #[test]
    fn only_unreached_deadline_notices_need_a_follow_up_and_get_one_once() {
        let by = |at| FollowUp {
            how: FollowUpHow::Called,
            by: "mc-tq".into(),
            at,
        };
        let mut received = Delivery::failed(new(), t0(), "no phone".into());
        assert!(
            !received.needs_follow_up(),
            "a receipt notice bears no deadline"
        );
        let mut papers = new();
        papers.kind = Some(EventKind::SupplementRequested);
        let mut d = Delivery::failed(papers.clone(), t0(), "no phone".into());
        assert_eq!(d.not_reached_since(), Some(t0()));
        let r = d.revision();
        assert!(d.follow_up(by(t0())));
        assert!(d.revision() > r);
        assert!(!d.follow_up(by(t0())), "once");
        assert_eq!(d.not_reached_since(), None);
        assert!(!received.follow_up(by(t0())));
        let mut a = Delivery::accepted(papers, "m".into(), None, t0(), Duration::hours(1));
        assert!(!a.needs_follow_up());
        a.expire_if_due(t0() + Duration::hours(1));
        assert_eq!(a.not_reached_since(), Some(t0() + Duration::hours(1)));
        a.advance(DeliveryState::Delivered, t0() + Duration::hours(2));
        assert!(
            !a.needs_follow_up(),
            "a late receipt takes it off the worklist"
        );
    }

    #[test]
    fn a_dossier_notice_keeps_its_stored_shape_and_every_subject_reads_back_as_itself() {
        let d = Delivery::accepted(new(), "m".into(), None, t0(), Duration::hours(72));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["code"], "000.00.04.H60-230215-0028");
        assert_eq!(json["event_id"], "e1");
        assert_eq!(json["kind"], "received");
        assert!(json.get("expires_at").is_none());
        let others = [
            Subject::Ticket {
                ticket: 12,
                answer: "r-1".into(),
            },
            Subject::Announcement {
                announcement: "a1".into(),
                follower: "0123456789abcdef".into(),
            },
            Subject::PhoneCode {
                phone_code: "fedcba9876543210".into(),
            },
        ];
        for subject in others.into_iter().chain([d.subject.clone()]) {
            let mut n = new();
            n.subject = subject.clone();
            let back: Delivery = serde_json::from_str(
                &serde_json::to_string(&Delivery::failed(n, t0(), "x".into())).unwrap(),
            )
            .unwrap();
            assert_eq!(back.subject, subject);
        }
    }

    #[test]
    fn only_a_dossier_notice_reports_its_transitions() {
        let mut n = new();
        n.subject = Subject::Ticket {
            ticket: 3,
            answer: "r".into(),
        };
        n.kind = None;
        let mut d = Delivery::accepted(n, "m".into(), None, t0(), Duration::hours(72));
        assert_eq!(d.unreported().count(), 0);
        assert_eq!(d.status(0), None);
        assert_eq!(
            d.sweep_at(),
            Some(t0() + Duration::hours(72)),
            "swept for its expiry only"
        );
        assert!(d.advance(DeliveryState::Seen, t0() + Duration::hours(1)));
        assert_eq!(d.sweep_at(), None);
        let dossier = Delivery::accepted(new(), "m".into(), None, t0(), Duration::hours(72));
        assert_eq!(dossier.unreported().count(), 1);
        assert_eq!(dossier.sweep_at(), Some(t0()));
    }

    #[test]
    fn no_other_subject_can_be_read_as_a_dossier_or_share_its_prefix() {
        // the stores list a dossier's records by the prefix of its code's part: another
        // subject's first part must be something the code grammar refuses, however the
        // citizen-typed forms are normalised
        let code = "000.00.04.H60-230215-0028";
        let others = [
            Subject::Ticket {
                ticket: 1,
                answer: code.into(),
            },
            Subject::Announcement {
                announcement: code.into(),
                follower: code.into(),
            },
            Subject::PhoneCode {
                phone_code: code.into(),
            },
        ];
        for s in others {
            let first = &s.parts()[0];
            assert!(
                DossierCode::parse(first).is_err(),
                "{first} reads as a code"
            );
            assert!(!s.reports());
            let json = serde_json::to_string(&s).unwrap();
            let back: Subject = serde_json::from_str(&json).unwrap();
            assert_eq!(back, s, "{json} read back as another subject");
        }
        let dossier = Subject::Dossier {
            code: code.parse().unwrap(),
            event_id: "e1".into(),
        };
        assert!(DossierCode::parse(&dossier.parts()[0]).is_ok());
    }

    #[test]
    fn records_and_message_refs_written_before_subjects_existed_read_as_dossier_notices() {
        // literal JSON as the stores held it before the ledger had other subjects
        let record = r#"{"tenant":"tuyenquang","code":"000.00.04.H60-230215-0028",
            "event_id":"e1","kind":"received","recipient":{"kind":"zalo_user","digest":"ab12"},
            "channel":"zalo_cs_free","price_class":"free","template":null,"text_version":"v1",
            "message_id":"m1","history":[{"state":"accepted","at":"2026-03-03T02:12:00Z"}],
            "reported":1,"receipt_due":"2026-03-06T02:12:00Z"}"#;
        let d: Delivery = serde_json::from_str(record).unwrap();
        assert_eq!(d.kind, Some(EventKind::Received));
        let (code, event) = d.dossier().expect("a dossier notice");
        assert_eq!((code.as_str(), event), ("000.00.04.H60-230215-0028", "e1"));
        assert_eq!(d.expires_at, None);
        let r = r#"{"tenant":"tuyenquang","code":"000.00.04.H60-230215-0028","event_id":"e1",
            "channel":"zns"}"#;
        let r: crate::zalo::MessageRef = serde_json::from_str(r).unwrap();
        assert!(matches!(r.subject, Subject::Dossier { .. }));
    }

    fn arb_state() -> impl Strategy<Value = DeliveryState> {
        prop::sample::select(DeliveryState::ALL.to_vec())
    }

    proptest! {
        /// Whatever order receipts and sweeps come in, the history only moves forward, holds
        /// each state at most once, and a seen notice stays seen.
        #[test]
        fn any_sequence_of_news_only_moves_forward(news in prop::collection::vec(arb_state(), 0..12)) {
            let mut d = Delivery::accepted(new(), "m".into(), None, t0(), Duration::hours(1));
            let mut seen = false;
            for (i, s) in news.into_iter().enumerate() {
                let at = t0() + Duration::minutes(i as i64 * 30);
                if s == DeliveryState::Expired { d.expire_if_due(at); } else { d.advance(s, at); }
                seen |= d.state() == DeliveryState::Seen;
                prop_assert!(!seen || d.state() == DeliveryState::Seen);
            }
            for w in d.history.windows(2) {
                prop_assert!(w[0].state.may_become(w[1].state));
                prop_assert!(w[0].at <= w[1].at);
            }
            let statuses: Vec<_> = (0..d.history.len()).map(|i| d.status(i).unwrap().message_id).collect();
            let unique: std::collections::BTreeSet<_> = statuses.iter().collect();
            prop_assert_eq!(unique.len(), statuses.len());
        }
    }
}
