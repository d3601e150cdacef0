//! Which channels a notice tries, in order: a pure function of the Zalo users linked to the
//! dossier's phone, the time, and the tenant's templates for the notice's kind. The notifier
//! walks the plan and stops at the first channel Zalo accepts.
//!
//! The policy (zalo-platform.md §2.8, §3): followers only, most recent interaction first; a
//! user inside the CS window gets a consultation message (free within 48 h, billed until
//! 7 days); a user outside it gets the ZBS template by user id if the tenant registered one for
//! the kind; after every linked user, the ZNS template by phone if the tenant has one; last, for
//! a notice that carries a deadline, a brandname SMS where the tenant enables it.

use chrono::{DateTime, Utc};
use motcua_domain::{CsWindow, EventKind, SmsSettings};

use super::Decision;
use crate::ZaloUser;

/// One channel to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt<'a> {
    /// A consultation message; `decision` is `CsFree` or `CsPaid`.
    Cs {
        user_id: &'a str,
        decision: Decision,
    },
    /// A ZBS template by user id.
    ZbsUid { user_id: &'a str, template: &'a str },
    /// A ZNS template by the dossier's phone.
    Zns { template: &'a str },
    /// The tenant's brandname SMS to the dossier's phone.
    Sms { settings: &'a SmsSettings },
}

impl Attempt<'_> {
    /// What the notifier records when this attempt is the one Zalo accepts.
    pub fn decision(&self) -> Decision {
        match self {
            Attempt::Cs { decision, .. } => decision.clone(),
            Attempt::ZbsUid { .. } => Decision::ZbsUid,
            Attempt::Zns { .. } => Decision::Zns,
            Attempt::Sms { .. } => Decision::Sms,
        }
    }

    /// Template messages (and SMS) wait for the end of the tenant's quiet hours; CS messages
    /// do not.
    pub fn is_template(&self) -> bool {
        !matches!(self, Attempt::Cs { .. })
    }
}

/// Whether a tenant in trial mode lets `attempt` go out: to a tester's Zalo user id, or to
/// the Zalo users and the ZNS of a tester's phone (`phone_hash` is the dossier phone's keyed
/// hash, `hash` hashes a tester's phone the same way). Without a trial, everything goes.
pub fn trial_allows(
    trial: Option<&motcua_domain::Trial>,
    phone_hash: &str,
    hash: impl Fn(&motcua_domain::PhoneNumber) -> String,
    attempt: &Attempt<'_>,
) -> bool {
    let Some(trial) = trial else {
        return true;
    };
    let tester_phone = trial
        .parsed_phones()
        .unwrap_or_default()
        .iter()
        .any(|p| hash(p) == phone_hash);
    match attempt {
        Attempt::Cs { user_id, .. } | Attempt::ZbsUid { user_id, .. } => {
            tester_phone || trial.zalo_users.iter().any(|u| u == user_id)
        }
        Attempt::Zns { .. } | Attempt::Sms { .. } => tester_phone,
    }
}

/// The attempts for a notice, in order. `zbs` and `zns` are the tenant's templates for the
/// notice's kind, if registered.
pub fn channel_plan<'a>(
    users: &'a [ZaloUser],
    now: DateTime<Utc>,
    zbs: Option<&'a str>,
    zns: Option<&'a str>,
) -> Vec<Attempt<'a>> {
    let mut followers: Vec<&ZaloUser> = users.iter().filter(|u| u.following).collect();
    // stable: users with the same interaction time keep the store's order
    followers.sort_by_key(|u| std::cmp::Reverse(u.last_interaction_at));
    let mut plan = Vec::new();
    for user in followers {
        let user_id = user.user_id.as_str();
        match CsWindow::at(user.last_interaction_at, now) {
            CsWindow::Free => plan.push(Attempt::Cs {
                user_id,
                decision: Decision::CsFree,
            }),
            CsWindow::Paid => plan.push(Attempt::Cs {
                user_id,
                decision: Decision::CsPaid,
            }),
            CsWindow::Closed => {
                if let Some(template) = zbs {
                    plan.push(Attempt::ZbsUid { user_id, template });
                }
            }
        }
    }
    if let Some(template) = zns {
        plan.push(Attempt::Zns { template });
    }
    plan
}

/// `plan` with the tenant's SMS last, for the kinds that carry a deadline (the others are not
/// worth an SMS's price: the citizen learns them at the next lookup).
pub fn with_sms<'a>(
    mut plan: Vec<Attempt<'a>>,
    kind: EventKind,
    sms: Option<&'a SmsSettings>,
) -> Vec<Attempt<'a>> {
    if let Some(settings) = sms.filter(|_| kind.bears_deadline()) {
        plan.push(Attempt::Sms { settings });
    }
    plan
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use motcua_domain::TenantId;

    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-24T03:00:00Z".parse().unwrap()
    }

    fn user(id: &str, following: bool, ago: Option<Duration>) -> ZaloUser {
        ZaloUser {
            tenant: TenantId::parse("tuyen-quang").unwrap(),
            user_id: id.into(),
            following,
            last_interaction_at: ago.map(|a| now() - a),
            phone: None,
            phone_linked_at: None,
            updated_at: now(),
            phone_claim: None,
        }
    }

    #[test]
    fn trial_mode_lets_only_testers_through() {
        let trial = motcua_domain::Trial {
            phones: vec!["0987123456".into()],
            zalo_users: vec!["u-tester".into()],
        };
        let hash = |p: &motcua_domain::PhoneNumber| format!("h:{}", p.international());
        let tester = hash(&motcua_domain::PhoneNumber::parse("0987123456").unwrap());
        let cs = |id| Attempt::Cs {
            user_id: id,
            decision: Decision::CsFree,
        };
        let zns = Attempt::Zns { template: "1" };
        assert!(
            trial_allows(None, "h:other", hash, &zns),
            "no trial: all goes"
        );
        let t = Some(&trial);
        assert!(trial_allows(t, &tester, hash, &zns));
        assert!(
            trial_allows(t, &tester, hash, &cs("u-anyone")),
            "a tester's phone's users"
        );
        assert!(trial_allows(t, "h:other", hash, &cs("u-tester")));
        assert!(!trial_allows(t, "h:other", hash, &cs("u-anyone")));
        assert!(!trial_allows(t, "h:other", hash, &zns));
        let zbs = Attempt::ZbsUid {
            user_id: "u-anyone",
            template: "2",
        };
        assert!(!trial_allows(t, "h:other", hash, &zbs));
    }

    #[test]
    fn the_most_recent_follower_first_then_zns() {
        let users = [
            user("old", true, Some(Duration::days(3))),
            user("new", true, Some(Duration::hours(1))),
            user("left", false, Some(Duration::minutes(1))),
        ];
        let plan = channel_plan(&users, now(), None, Some("zns-1"));
        assert_eq!(
            plan,
            [
                Attempt::Cs {
                    user_id: "new",
                    decision: Decision::CsFree
                },
                Attempt::Cs {
                    user_id: "old",
                    decision: Decision::CsPaid
                },
                Attempt::Zns { template: "zns-1" },
            ]
        );
        assert!(!plan[0].is_template() && plan[2].is_template());
    }

    #[test]
    fn outside_the_window_only_templates_reach_the_user() {
        let users = [
            user("week", true, Some(Duration::days(7))),
            user("never", true, None),
        ];
        assert_eq!(
            channel_plan(&users, now(), Some("zbs-1"), None),
            [
                Attempt::ZbsUid {
                    user_id: "week",
                    template: "zbs-1"
                },
                Attempt::ZbsUid {
                    user_id: "never",
                    template: "zbs-1"
                },
            ]
        );
        // without templates nothing can be tried: the notice is undeliverable
        assert!(channel_plan(&users, now(), None, None).is_empty());
    }

    #[test]
    fn the_window_bounds_decide_the_price() {
        let users = [user("u", true, Some(Duration::hours(48)))];
        assert_eq!(
            channel_plan(&users, now(), None, None)[0].decision(),
            Decision::CsPaid
        );
        let users = [user("u", true, Some(Duration::hours(47)))];
        assert_eq!(
            channel_plan(&users, now(), None, None)[0].decision(),
            Decision::CsFree
        );
    }

    #[test]
    fn no_linked_user_means_zns_alone() {
        assert_eq!(
            channel_plan(&[], now(), Some("zbs-1"), Some("zns-1")),
            [Attempt::Zns { template: "zns-1" }]
        );
    }

    #[test]
    fn sms_comes_last_and_only_for_deadline_notices() {
        let sms = SmsSettings {
            brandname: "UBND-TQ".into(),
            unicode: false,
        };
        let users = [user("u1", true, Some(Duration::days(9)))];
        let plan = || channel_plan(&users, now(), Some("zbs"), Some("zns"));
        let deadline = with_sms(plan(), EventKind::SupplementRequested, Some(&sms));
        assert_eq!(deadline.len(), 3);
        assert_eq!(deadline[2], Attempt::Sms { settings: &sms });
        assert_eq!(deadline[2].decision(), Decision::Sms);
        assert!(
            deadline[2].is_template(),
            "an SMS waits for the morning too"
        );
        assert_eq!(with_sms(plan(), EventKind::StepChanged, Some(&sms)), plan());
        assert_eq!(with_sms(plan(), EventKind::ResultReady, None), plan());
        for kind in EventKind::ALL {
            let has_sms = with_sms(plan(), kind, Some(&sms))
                .iter()
                .any(|a| matches!(a, Attempt::Sms { .. }));
            assert_eq!(has_sms, kind.bears_deadline(), "{kind:?}");
        }
    }
}
