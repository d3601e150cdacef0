//! Contract suites: the behaviour every adapter must have, run against each of them
//! (embedded store, DynamoDB on moto; embedded queue, SQS on moto).
//!
//! An adapter's test file calls `motcua_app::store_contract_tests!(fresh_store())` where
//! `fresh_store()` is an async expression giving an empty store; one `#[tokio::test]` is
//! generated per case.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use motcua_domain::{
    DeliveryMethod, Dossier, DossierCode, NationalStatus, Protected, TenantId, TimelineEntry,
};

use crate::ports::*;

/// Generates one test per store contract case. `$make` is an async expression returning a fresh,
/// empty store (anything implementing [`Store`] + 'static).
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@each $make;
            dossier_missing_is_none,
            dossier_upsert_only_moves_forward,
            dossier_concurrent_upserts_keep_the_highest_version,
            dossier_tenants_are_isolated,
            timeline_is_ordered_and_idempotent,
            dossiers_by_phone_matches_applicant_and_representative,
            zalo_user_interaction_only_moves_forward,
            zalo_user_phone_link_and_erasure,
            idempotency_claim_lifecycle,
            idempotency_expired_leases_and_records_can_be_taken_over,
            idempotency_concurrent_claims_have_one_winner,
            tickets_are_numbered_per_tenant_in_order,
            tickets_concurrent_opens_get_distinct_numbers,
            ticket_messages_and_status_queries,
            tokens_are_versioned,
            tokens_concurrent_writers_one_wins,
            token_lease_is_exclusive_until_expiry,
            counters_add_up_by_day_and_month,
            due_index_lists_unfinished_dossiers_in_a_window,
            message_log_round_trips,
            citizen_messages_can_be_erased,
            users_active_since_lists_recent_users,
            audit_entries_are_kept_per_day_newest_first,
            announcements_are_sent_once,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let store = ::std::sync::Arc::new($make.await);
                $crate::contract::store::$name(store).await;
            }
        )*
    };
}

/// Generates one test per queue contract case. `$make` is an async expression returning
/// `(main, dead_letter)` queues, fresh and empty, where `main.dead_letter(..)` sends to the
/// second one.
#[macro_export]
macro_rules! queue_contract_tests {
    ($make:expr) => {
        $crate::queue_contract_tests!(@each $make;
            queue_send_receive_delete,
            queue_received_messages_are_invisible_until_retried,
            queue_dead_letter_keeps_body_and_reason,
            queue_receive_respects_max_and_empty_wait,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (main, dlq) = $make.await;
                $crate::contract::queue::$name(&main, &dlq).await;
            }
        )*
    };
}

/// moto's endpoint (`AWS_ENDPOINT_URL`) for the AWS adapters' tests. Without one those tests
/// are skipped, except under CI (`CI=true`), where a missing moto is an error.
pub fn moto_endpoint() -> Option<String> {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("AWS_ENDPOINT_URL must point at moto under CI");
    }
    eprintln!("skipping: AWS_ENDPOINT_URL not set (start moto: infra/scripts/moto.sh start)");
    None
}

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("test timestamp")
}

pub fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).expect("test tenant")
}

pub fn code(s: &str) -> DossierCode {
    DossierCode::parse(s).expect("test code")
}

pub fn protected(tag: &str) -> Protected {
    Protected {
        hash: format!("hash-{tag}"),
        sealed: format!("sealed-{tag}"),
    }
}

pub fn dossier(tenant_id: &str, c: &str, version: u64) -> Dossier {
    Dossier {
        tenant: tenant(tenant_id),
        code: code(c),
        national_code: None,
        procedure_code: Some("1.001234".into()),
        procedure_name: "Cấp giấy phép xây dựng nhà ở riêng lẻ".into(),
        sector: Some("Xây dựng".into()),
        agency_code: Some("000.00.04.H60".into()),
        agency_name: Some("Sở Xây dựng".into()),
        applicant_name_masked: "N. T. T. M***".into(),
        applicant_phone: Some(protected("applicant")),
        representative_phone: None,
        id_suffix_hash: Some("idsfx".into()),
        received_at: Some(t("2023-02-15T01:30:00Z")),
        due_at: Some(t("2023-03-01T10:00:00Z")),
        completed_at: None,
        returned_at: None,
        status: NationalStatus::Processing,
        step_label: Some(format!("Bước {version}")),
        delivery: DeliveryMethod::Postal,
        zalo_opt_in: true,
        documents: vec![],
        version,
        updated_at: t("2023-02-15T02:00:00Z"),
    }
}

pub fn entry(event_id: &str, kind: &str, at: &str, version: u64) -> TimelineEntry {
    TimelineEntry {
        at: t(at),
        version,
        event_id: event_id.into(),
        kind: kind.into(),
        status: NationalStatus::Processing,
        step_label: Some("Thẩm định".into()),
        note: None,
    }
}

pub mod store {
    use super::*;

    const C1: &str = "000.00.04.H60-230215-0028";
    const C2: &str = "000.00.04.H60-230215-0029";

    pub async fn dossier_missing_is_none<S: Store + 'static>(s: Arc<S>) {
        assert_eq!(
            s.load_dossier(&tenant("tq"), &code(C1)).await.unwrap(),
            None
        );
    }

    pub async fn dossier_upsert_only_moves_forward<S: Store + 'static>(s: Arc<S>) {
        let d2 = dossier("tq", C1, 2);
        assert_eq!(
            s.upsert_dossier_if_newer(&d2).await.unwrap(),
            Upsert::Applied
        );
        let view = s
            .load_dossier(&tenant("tq"), &code(C1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.dossier, d2, "the stored dossier round-trips exactly");
        assert!(view.timeline.is_empty());

        for older in [1, 2] {
            let mut d = dossier("tq", C1, older);
            d.status = NationalStatus::Received;
            assert_eq!(
                s.upsert_dossier_if_newer(&d).await.unwrap(),
                Upsert::Stale { stored_version: 2 },
                "version {older} must not overwrite version 2"
            );
        }
        let view = s
            .load_dossier(&tenant("tq"), &code(C1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.dossier.status, NationalStatus::Processing);

        let mut d5 = dossier("tq", C1, 5);
        d5.status = NationalStatus::Completed;
        d5.applicant_phone = None;
        assert_eq!(
            s.upsert_dossier_if_newer(&d5).await.unwrap(),
            Upsert::Applied
        );
        let view = s
            .load_dossier(&tenant("tq"), &code(C1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.dossier, d5);
    }

    pub async fn dossier_concurrent_upserts_keep_the_highest_version<S: Store + 'static>(
        s: Arc<S>,
    ) {
        let mut tasks = Vec::new();
        for v in [3u64, 9, 1, 7, 10, 2, 8, 4, 6, 5] {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.upsert_dossier_if_newer(&dossier("tq", C1, v))
                    .await
                    .unwrap()
            }));
        }
        let mut applied = 0;
        for t in tasks {
            if t.await.unwrap() == Upsert::Applied {
                applied += 1;
            }
        }
        assert!(applied >= 1);
        let view = s
            .load_dossier(&tenant("tq"), &code(C1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.dossier.version, 10);
        assert_eq!(view.dossier.step_label.as_deref(), Some("Bước 10"));
    }

    pub async fn dossier_tenants_are_isolated<S: Store + 'static>(s: Arc<S>) {
        s.upsert_dossier_if_newer(&dossier("tq", C1, 3))
            .await
            .unwrap();
        assert_eq!(
            s.load_dossier(&tenant("bn"), &code(C1)).await.unwrap(),
            None
        );
        assert_eq!(
            s.upsert_dossier_if_newer(&dossier("bn", C1, 1))
                .await
                .unwrap(),
            Upsert::Applied
        );
        assert_eq!(
            s.load_dossier(&tenant("tq"), &code(C1))
                .await
                .unwrap()
                .unwrap()
                .dossier
                .version,
            3
        );
    }

    pub async fn timeline_is_ordered_and_idempotent<S: Store + 'static>(s: Arc<S>) {
        let (tq, c1) = (tenant("tq"), code(C1));
        s.upsert_dossier_if_newer(&dossier("tq", C1, 3))
            .await
            .unwrap();
        let e3 = entry("ev-3", "step_changed", "2023-02-17T03:00:00Z", 3);
        let e1 = entry("ev-1", "received", "2023-02-15T01:30:00Z", 1);
        let e2 = entry("ev-2", "step_changed", "2023-02-16T03:00:00Z", 2);
        for e in [&e3, &e1, &e2] {
            assert!(s.add_timeline_entry(&tq, &c1, e).await.unwrap());
        }
        assert!(
            !s.add_timeline_entry(&tq, &c1, &e2).await.unwrap(),
            "same event again"
        );
        let note = TimelineEntry {
            kind: "notification".into(),
            note: Some("zalo_cs".into()),
            ..e2.clone()
        };
        assert!(
            s.add_timeline_entry(&tq, &c1, &note).await.unwrap(),
            "other kind, same event"
        );
        // an entry on another dossier does not show up here
        assert!(s.add_timeline_entry(&tq, &code(C2), &e1).await.unwrap());

        let view = s.load_dossier(&tq, &c1).await.unwrap().unwrap();
        let ids: Vec<(&str, &str)> = view
            .timeline
            .iter()
            .map(|e| (e.event_id.as_str(), e.kind.as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("ev-1", "received"),
                ("ev-2", "notification"),
                ("ev-2", "step_changed"),
                ("ev-3", "step_changed"),
            ],
            "ordered by time, then event id, then kind"
        );
        assert_eq!(view.timeline[3], e3, "entries round-trip exactly");
    }

    pub async fn dossiers_by_phone_matches_applicant_and_representative<S: Store + 'static>(
        s: Arc<S>,
    ) {
        let tq = tenant("tq");
        let mut a = dossier("tq", C1, 1);
        a.applicant_phone = Some(protected("p1"));
        let mut b = dossier("tq", C2, 1);
        b.applicant_phone = Some(protected("p2"));
        b.representative_phone = Some(protected("p1"));
        let mut other_tenant = dossier("bn", C1, 1);
        other_tenant.applicant_phone = Some(protected("p1"));
        for d in [&a, &b, &other_tenant] {
            s.upsert_dossier_if_newer(d).await.unwrap();
        }
        let mut found: Vec<String> = s
            .dossiers_by_phone(&tq, "hash-p1")
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.code.to_string())
            .collect();
        found.sort();
        assert_eq!(found, [C1, C2]);
        assert_eq!(s.dossiers_by_phone(&tq, "hash-p2").await.unwrap().len(), 1);
        assert!(
            s.dossiers_by_phone(&tq, "hash-none")
                .await
                .unwrap()
                .is_empty()
        );

        // the phone changes in a newer version: the old hash no longer finds the dossier
        let mut a2 = dossier("tq", C1, 2);
        a2.applicant_phone = Some(protected("p3"));
        s.upsert_dossier_if_newer(&a2).await.unwrap();
        let found = s.dossiers_by_phone(&tq, "hash-p1").await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code.as_str(), C2);
        assert_eq!(
            s.dossiers_by_phone(&tq, "hash-p3").await.unwrap()[0].version,
            2
        );
    }

    pub async fn zalo_user_interaction_only_moves_forward<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        assert_eq!(s.get_zalo_user(&tq, "u1").await.unwrap(), None);
        s.record_interaction(&tq, "u1", t("2026-11-20T10:00:00Z"))
            .await
            .unwrap();
        s.record_interaction(&tq, "u1", t("2026-11-19T10:00:00Z"))
            .await
            .unwrap();
        let u = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
        assert_eq!(u.last_interaction_at, Some(t("2026-11-20T10:00:00Z")));
        assert!(!u.following);
        s.set_following(&tq, "u1", true, t("2026-11-21T10:00:00Z"))
            .await
            .unwrap();
        s.record_interaction(&tq, "u1", t("2026-11-22T10:00:00Z"))
            .await
            .unwrap();
        let u = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
        assert!(u.following);
        assert_eq!(u.last_interaction_at, Some(t("2026-11-22T10:00:00Z")));
        assert_eq!(s.get_zalo_user(&tenant("bn"), "u1").await.unwrap(), None);
    }

    pub async fn zalo_user_phone_link_and_erasure<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        let at = t("2026-11-20T10:00:00Z");
        s.set_following(&tq, "u1", true, at).await.unwrap();
        s.link_phone(&tq, "u1", &protected("p1"), at).await.unwrap();
        s.link_phone(&tq, "u2", &protected("p1"), at).await.unwrap();
        s.link_phone(&tenant("bn"), "u3", &protected("p1"), at)
            .await
            .unwrap();
        let mut users: Vec<String> = s
            .zalo_users_by_phone(&tq, "hash-p1")
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.user_id)
            .collect();
        users.sort();
        assert_eq!(users, ["u1", "u2"]);
        let u1 = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
        assert!(u1.following, "linking keeps the follow state");
        assert_eq!(u1.phone, Some(protected("p1")));
        assert_eq!(u1.phone_linked_at, Some(at));

        // re-linking to another phone moves the user
        s.link_phone(&tq, "u2", &protected("p2"), at).await.unwrap();
        assert_eq!(
            s.zalo_users_by_phone(&tq, "hash-p1").await.unwrap().len(),
            1
        );
        assert_eq!(
            s.zalo_users_by_phone(&tq, "hash-p2").await.unwrap()[0].user_id,
            "u2"
        );

        assert!(s.delete_zalo_user(&tq, "u1").await.unwrap());
        assert!(!s.delete_zalo_user(&tq, "u1").await.unwrap());
        assert_eq!(s.get_zalo_user(&tq, "u1").await.unwrap(), None);
        assert!(
            s.zalo_users_by_phone(&tq, "hash-p1")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.zalo_users_by_phone(&tenant("bn"), "hash-p1")
                .await
                .unwrap()
                .len(),
            1
        );
    }

    const LEASE: Duration = Duration::from_secs(60);
    const KEEP: Duration = Duration::from_secs(3600);

    pub async fn idempotency_claim_lifecycle<S: Store + 'static>(s: Arc<S>) {
        let now = t("2026-11-24T00:00:00Z");
        assert_eq!(
            s.claim("k1", now, LEASE, KEEP).await.unwrap(),
            Claim::Acquired
        );
        assert_eq!(
            s.claim("k1", now, LEASE, KEEP).await.unwrap(),
            Claim::InProgress
        );
        assert_eq!(
            s.claim("k2", now, LEASE, KEEP).await.unwrap(),
            Claim::Acquired
        );
        s.release("k2").await.unwrap();
        assert_eq!(
            s.claim("k2", now, LEASE, KEEP).await.unwrap(),
            Claim::Acquired
        );
        s.complete("k1", Some("sent:zalo_cs"), now, KEEP)
            .await
            .unwrap();
        assert_eq!(
            s.claim("k1", now + Span::seconds(10), LEASE, KEEP)
                .await
                .unwrap(),
            Claim::Completed {
                result: Some("sent:zalo_cs".into())
            }
        );
        s.complete("k2", None, now, KEEP).await.unwrap();
        assert_eq!(
            s.claim("k2", now, LEASE, KEEP).await.unwrap(),
            Claim::Completed { result: None }
        );
    }

    pub async fn idempotency_expired_leases_and_records_can_be_taken_over<S: Store + 'static>(
        s: Arc<S>,
    ) {
        let now = t("2026-11-24T00:00:00Z");
        assert_eq!(
            s.claim("k", now, LEASE, KEEP).await.unwrap(),
            Claim::Acquired
        );
        // a crashed worker's lease expires
        let later = now + Span::seconds(61);
        assert_eq!(
            s.claim("k", later, LEASE, KEEP).await.unwrap(),
            Claim::Acquired
        );
        s.complete("k", Some("r"), later, KEEP).await.unwrap();
        // completed records are kept for KEEP, then the key is free again (TTL may lag)
        let much_later = later + Span::seconds(3601);
        assert_eq!(
            s.claim("k", much_later, LEASE, KEEP).await.unwrap(),
            Claim::Acquired
        );
    }

    pub async fn idempotency_concurrent_claims_have_one_winner<S: Store + 'static>(s: Arc<S>) {
        let now = t("2026-11-24T00:00:00Z");
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.claim("race", now, LEASE, KEEP).await
            }));
        }
        let mut acquired = 0;
        for t in tasks {
            match t.await.unwrap().unwrap() {
                Claim::Acquired => acquired += 1,
                Claim::InProgress => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(acquired, 1);
    }

    fn new_ticket(tenant_id: &str, user: &str, at: &str) -> NewTicket {
        NewTicket {
            tenant: tenant(tenant_id),
            user_id: user.into(),
            category: TicketCategory::Question,
            agency: None,
            opened_at: t(at),
            due_at: t(at) + Span::hours(24),
        }
    }

    pub async fn tickets_are_numbered_per_tenant_in_order<S: Store + 'static>(s: Arc<S>) {
        let a = s
            .open_ticket(&new_ticket("tq", "u1", "2026-11-20T01:00:00Z"))
            .await
            .unwrap();
        let b = s
            .open_ticket(&new_ticket("tq", "u2", "2026-11-20T02:00:00Z"))
            .await
            .unwrap();
        let c = s
            .open_ticket(&new_ticket("bn", "u1", "2026-11-20T03:00:00Z"))
            .await
            .unwrap();
        assert_eq!((a.number, b.number, c.number), (1, 2, 1));
        assert_eq!(a.status, TicketStatus::New);
        let (got, msgs) = s.get_ticket(&tenant("tq"), 2).await.unwrap().unwrap();
        assert_eq!(got, b);
        assert!(msgs.is_empty());
        assert_eq!(s.get_ticket(&tenant("tq"), 3).await.unwrap(), None);
    }

    pub async fn tickets_concurrent_opens_get_distinct_numbers<S: Store + 'static>(s: Arc<S>) {
        let mut tasks = Vec::new();
        for i in 0..10 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.open_ticket(&new_ticket("tq", &format!("u{i}"), "2026-11-20T01:00:00Z"))
                    .await
                    .unwrap()
                    .number
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            numbers.push(t.await.unwrap());
        }
        numbers.sort();
        assert_eq!(numbers, (1..=10).collect::<Vec<u64>>());
    }

    pub async fn ticket_messages_and_status_queries<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        let t1 = s
            .open_ticket(&new_ticket("tq", "u1", "2026-11-20T01:00:00Z"))
            .await
            .unwrap();
        let t2 = s
            .open_ticket(&new_ticket("tq", "u1", "2026-11-21T01:00:00Z"))
            .await
            .unwrap();
        let t3 = s
            .open_ticket(&new_ticket("tq", "u2", "2026-11-19T01:00:00Z"))
            .await
            .unwrap();
        let m = |id: &str, at: &str, author: Author| TicketMessage {
            message_id: id.into(),
            at: t(at),
            author,
            text: Some(format!("nội dung {id}")),
            attachments: vec![Attachment {
                kind: "image".into(),
                url: "https://example.invalid/a.jpg".into(),
            }],
            delivery: None,
        };
        let reply = m(
            "m2",
            "2026-11-21T05:00:00Z",
            Author::Staff {
                name: "Cán bộ A".into(),
            },
        );
        assert!(s.add_ticket_message(&tq, t2.number, &reply).await.unwrap());
        let first = m("m1", "2026-11-21T01:00:00Z", Author::Citizen);
        assert!(s.add_ticket_message(&tq, t2.number, &first).await.unwrap());
        assert!(!s.add_ticket_message(&tq, t2.number, &first).await.unwrap());
        let (_, msgs) = s.get_ticket(&tq, t2.number).await.unwrap().unwrap();
        assert_eq!(msgs, vec![first, reply]);

        assert_eq!(
            s.latest_open_ticket(&tq, "u1")
                .await
                .unwrap()
                .map(|t| t.number),
            Some(t2.number)
        );
        let mut closed = t2.clone();
        closed.status = TicketStatus::Closed;
        closed.updated_at = t("2026-11-22T01:00:00Z");
        s.update_ticket(&closed).await.unwrap();
        assert_eq!(
            s.latest_open_ticket(&tq, "u1")
                .await
                .unwrap()
                .map(|t| t.number),
            Some(t1.number)
        );
        assert_eq!(s.latest_open_ticket(&tq, "u9").await.unwrap(), None);

        let mut answered = t3.clone();
        answered.status = TicketStatus::Answered;
        answered.agency = Some("000.00.04.H60".into());
        s.update_ticket(&answered).await.unwrap();
        let new: Vec<u64> = s
            .tickets_by_status(&tq, TicketStatus::New, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.number)
            .collect();
        assert_eq!(new, [t1.number]);
        let ans = s
            .tickets_by_status(&tq, TicketStatus::Answered, 10)
            .await
            .unwrap();
        assert_eq!(ans, vec![answered]);
        assert_eq!(
            s.tickets_by_status(&tq, TicketStatus::Closed, 10)
                .await
                .unwrap(),
            vec![closed]
        );
        assert!(
            s.tickets_by_status(&tq, TicketStatus::Closed, 0)
                .await
                .unwrap()
                .is_empty()
        );
    }

    fn tokens(version: u64, access: &str) -> OaTokens {
        OaTokens {
            oa_id: "oa1".into(),
            access_token: access.into(),
            refresh_token: format!("refresh-{access}"),
            access_expires_at: t("2026-11-25T00:00:00Z"),
            refresh_expires_at: t("2027-02-22T00:00:00Z"),
            version,
            updated_at: t("2026-11-24T00:00:00Z"),
        }
    }

    pub async fn tokens_are_versioned<S: Store + 'static>(s: Arc<S>) {
        assert_eq!(s.get_tokens("oa1").await.unwrap(), None);
        assert!(matches!(
            s.put_tokens(&tokens(2, "a")).await,
            Err(StoreError::Conflict(_))
        ));
        s.put_tokens(&tokens(1, "a")).await.unwrap();
        assert!(matches!(
            s.put_tokens(&tokens(1, "b")).await,
            Err(StoreError::Conflict(_))
        ));
        s.put_tokens(&tokens(2, "c")).await.unwrap();
        assert_eq!(s.get_tokens("oa1").await.unwrap(), Some(tokens(2, "c")));
        assert!(matches!(
            s.put_tokens(&tokens(2, "d")).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.get_tokens("oa2").await.unwrap(), None);
    }

    pub async fn tokens_concurrent_writers_one_wins<S: Store + 'static>(s: Arc<S>) {
        s.put_tokens(&tokens(1, "a")).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.put_tokens(&tokens(2, &format!("w{i}"))).await.is_ok()
            }));
        }
        let mut wins = 0;
        for t in tasks {
            if t.await.unwrap() {
                wins += 1;
            }
        }
        assert_eq!(wins, 1);
        assert_eq!(s.get_tokens("oa1").await.unwrap().unwrap().version, 2);
    }

    pub async fn token_lease_is_exclusive_until_expiry<S: Store + 'static>(s: Arc<S>) {
        let now = t("2026-11-24T00:00:00Z");
        let ttl = Duration::from_secs(30);
        assert!(s.acquire_lease("oa1", "a", now, ttl).await.unwrap());
        assert!(
            !s.acquire_lease("oa1", "b", now + Span::seconds(29), ttl)
                .await
                .unwrap()
        );
        assert!(
            s.acquire_lease("oa2", "b", now, ttl).await.unwrap(),
            "leases are per OA"
        );
        s.release_lease("oa1", "b").await.unwrap();
        assert!(
            !s.acquire_lease("oa1", "b", now + Span::seconds(1), ttl)
                .await
                .unwrap(),
            "only the holder releases"
        );
        s.release_lease("oa1", "a").await.unwrap();
        assert!(
            s.acquire_lease("oa1", "b", now + Span::seconds(2), ttl)
                .await
                .unwrap()
        );
        assert!(
            s.acquire_lease("oa1", "c", now + Span::seconds(33), ttl)
                .await
                .unwrap(),
            "an expired lease can be taken"
        );
    }

    pub async fn due_index_lists_unfinished_dossiers_in_a_window<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        let with_due = |c: &str, due: &str, status: NationalStatus, version: u64| {
            let mut d = dossier("tq", c, version);
            d.due_at = Some(t(due));
            d.status = status;
            d
        };
        let a = with_due(C1, "2026-11-25T10:00:00Z", NationalStatus::Processing, 1);
        let b = with_due(
            C2,
            "2026-11-24T10:00:00Z",
            NationalStatus::SupplementRequested,
            1,
        );
        let done = with_due(
            "000.00.04.H60-230215-0030",
            "2026-11-24T12:00:00Z",
            NationalStatus::Completed,
            1,
        );
        let mut other_tenant = with_due(C1, "2026-11-25T10:00:00Z", NationalStatus::Processing, 1);
        other_tenant.tenant = tenant("bn");
        for d in [&a, &b, &done, &other_tenant] {
            s.upsert_dossier_if_newer(d).await.unwrap();
        }
        let codes = |v: Vec<Dossier>| {
            v.into_iter()
                .map(|d| d.code.to_string())
                .collect::<Vec<_>>()
        };
        let window = s
            .dossiers_due_between(&tq, t("2026-11-24T00:00:00Z"), t("2026-11-25T10:00:00Z"))
            .await
            .unwrap();
        assert_eq!(
            codes(window),
            vec![C2, C1],
            "soonest first, finished ones left out, bounds inclusive"
        );
        assert!(
            s.dossiers_due_between(&tq, t("2026-11-26T00:00:00Z"), t("2026-11-30T00:00:00Z"))
                .await
                .unwrap()
                .is_empty()
        );
        // a new appointment date moves the dossier; finishing it removes it
        s.upsert_dossier_if_newer(&with_due(
            C1,
            "2026-11-28T10:00:00Z",
            NationalStatus::Processing,
            2,
        ))
        .await
        .unwrap();
        s.upsert_dossier_if_newer(&with_due(
            C2,
            "2026-11-24T10:00:00Z",
            NationalStatus::Returned,
            2,
        ))
        .await
        .unwrap();
        let window = s
            .dossiers_due_between(&tq, t("2026-11-20T00:00:00Z"), t("2026-11-30T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(codes(window.clone()), vec![C1]);
        assert_eq!(window[0].version, 2);
    }

    pub async fn citizen_messages_can_be_erased<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        let mine = s
            .open_ticket(&new_ticket("tq", "u1", "2026-11-20T01:00:00Z"))
            .await
            .unwrap();
        let theirs = s
            .open_ticket(&new_ticket("tq", "u2", "2026-11-20T02:00:00Z"))
            .await
            .unwrap();
        let msg = |id: &str, author: Author| TicketMessage {
            message_id: id.into(),
            at: t("2026-11-20T03:00:00Z"),
            author,
            text: Some(format!("số CCCD của tôi {id}")),
            attachments: vec![Attachment {
                kind: "image".into(),
                url: "https://example.invalid/cccd.jpg".into(),
            }],
            delivery: None,
        };
        s.add_ticket_message(&tq, mine.number, &msg("a", Author::Citizen))
            .await
            .unwrap();
        s.add_ticket_message(
            &tq,
            mine.number,
            &msg(
                "b",
                Author::Staff {
                    name: "Cán bộ".into(),
                },
            ),
        )
        .await
        .unwrap();
        s.add_ticket_message(&tq, theirs.number, &msg("c", Author::Citizen))
            .await
            .unwrap();
        assert_eq!(s.erase_citizen_messages(&tq, "u1").await.unwrap(), 1);
        let (ticket, messages) = s.get_ticket(&tq, mine.number).await.unwrap().unwrap();
        assert_eq!(ticket, mine, "the ticket itself stays");
        let erased = messages.iter().find(|m| m.message_id == "a").unwrap();
        assert_eq!((erased.text.as_ref(), erased.attachments.len()), (None, 0));
        assert!(
            messages
                .iter()
                .find(|m| m.message_id == "b")
                .unwrap()
                .text
                .is_some(),
            "staff replies stay"
        );
        let (_, other) = s.get_ticket(&tq, theirs.number).await.unwrap().unwrap();
        assert!(other[0].text.is_some(), "another user's messages stay");
        assert_eq!(s.erase_citizen_messages(&tq, "u9").await.unwrap(), 0);
    }

    pub async fn message_log_round_trips<S: Store + 'static>(s: Arc<S>) {
        let r = MessageRef {
            tenant: tenant("tq"),
            code: code(C1),
            event_id: "ev-1".into(),
            channel: "zns".into(),
        };
        s.put_message_ref("oa1", "a4d0243feee163bd3af2", &r, t("2026-12-24T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(
            s.get_message_ref("oa1", "a4d0243feee163bd3af2")
                .await
                .unwrap(),
            Some(r)
        );
        assert_eq!(
            s.get_message_ref("oa2", "a4d0243feee163bd3af2")
                .await
                .unwrap(),
            None
        );
        assert_eq!(s.get_message_ref("oa1", "other").await.unwrap(), None);
    }

    pub async fn users_active_since_lists_recent_users<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        let bn = tenant("bn");
        s.record_interaction(&tq, "old", t("2026-11-10T00:00:00Z"))
            .await
            .unwrap();
        s.record_interaction(&tq, "recent", t("2026-11-20T00:00:00Z"))
            .await
            .unwrap();
        s.record_interaction(&tq, "newest", t("2026-11-21T00:00:00Z"))
            .await
            .unwrap();
        // following alone is not an interaction time the store invents
        s.set_following(&tq, "follower", true, t("2026-11-21T00:00:00Z"))
            .await
            .unwrap();
        s.record_interaction(&bn, "other-tenant", t("2026-11-21T00:00:00Z"))
            .await
            .unwrap();
        // an old user comes back: listed once, at the new time
        s.record_interaction(&tq, "old", t("2026-11-19T00:00:00Z"))
            .await
            .unwrap();
        let since = t("2026-11-15T00:00:00Z");
        assert_eq!(
            s.zalo_users_active_since(&tq, since, 10).await.unwrap(),
            vec!["newest", "recent", "old"]
        );
        assert_eq!(
            s.zalo_users_active_since(&tq, since, 2).await.unwrap(),
            vec!["newest", "recent"]
        );
        assert!(
            s.zalo_users_active_since(&tq, t("2026-11-22T00:00:00Z"), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // an erased user is gone from the audience
        s.delete_zalo_user(&tq, "recent").await.unwrap();
        assert_eq!(
            s.zalo_users_active_since(&tq, since, 10).await.unwrap(),
            vec!["newest", "old"]
        );
    }

    pub async fn audit_entries_are_kept_per_day_newest_first<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        let entry = |at: &str, action: &str, tenant_id: &str| AuditEntry {
            tenant: tenant(tenant_id),
            at: t(at),
            actor: "canbo.a".into(),
            action: action.into(),
            target: "ticket:1".into(),
            outcome: "ok".into(),
            detail: None,
        };
        // 2026-11-20 in Vietnam runs from 2026-11-19T17:00Z to 2026-11-20T17:00Z
        for (at, action) in [
            ("2026-11-19T16:59:59Z", "day_before"),
            ("2026-11-19T17:00:00Z", "first"),
            ("2026-11-20T09:00:00Z", "second"),
            ("2026-11-20T09:00:00Z", "same_instant"),
            ("2026-11-20T16:59:59Z", "last"),
        ] {
            s.append_audit(&entry(at, action, "tq")).await.unwrap();
        }
        s.append_audit(&entry("2026-11-20T09:00:00Z", "other", "bn"))
            .await
            .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let got = s.audit_entries(&tq, day, 100).await.unwrap();
        let actions: Vec<&str> = got.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions.len(), 4, "{actions:?}");
        assert_eq!(actions[0], "last");
        assert_eq!(actions[3], "first");
        assert!(actions.contains(&"second") && actions.contains(&"same_instant"));
        assert_eq!(got[0], entry("2026-11-20T16:59:59Z", "last", "tq"));
        assert_eq!(s.audit_entries(&tq, day, 1).await.unwrap().len(), 1);
    }

    pub async fn announcements_are_sent_once<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        let draft = |id: &str, at: &str| Announcement {
            tenant: tq.clone(),
            id: id.into(),
            title: "Thông báo nghỉ lễ".into(),
            body: "Bộ phận Một cửa nghỉ ngày 2/9.".into(),
            link: Some("https://dichvucong.example.invalid/tin".into()),
            audience: Audience::CsFree,
            status: AnnouncementStatus::Draft,
            created_by: "admin".into(),
            created_at: t(at),
            sending_at: None,
            recipients: 0,
        };
        assert!(
            s.create_announcement(&draft("a1", "2026-11-20T01:00:00Z"))
                .await
                .unwrap()
        );
        assert!(
            !s.create_announcement(&draft("a1", "2026-11-20T02:00:00Z"))
                .await
                .unwrap()
        );
        assert!(
            s.create_announcement(&draft("a2", "2026-11-21T01:00:00Z"))
                .await
                .unwrap()
        );
        let listed = s.list_announcements(&tq, 10).await.unwrap();
        assert_eq!(
            listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            vec!["a2", "a1"]
        );
        assert!(
            s.list_announcements(&tenant("bn"), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // two presses of "send" at once: one wins
        let at = t("2026-11-21T02:00:00Z");
        let (a, b) = tokio::join!(
            s.begin_sending(&tq, "a1", 12, at),
            s.begin_sending(&tq, "a1", 12, at)
        );
        assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|w| **w).count(), 1);
        assert!(!s.begin_sending(&tq, "a1", 12, at).await.unwrap());
        assert!(!s.begin_sending(&tq, "missing", 1, at).await.unwrap());
        let sent = s.get_announcement(&tq, "a1").await.unwrap().unwrap();
        assert_eq!(sent.status, AnnouncementStatus::Sending);
        assert_eq!(sent.recipients, 12);
        assert_eq!(sent.sending_at, Some(at));
        assert_eq!(sent.title, "Thông báo nghỉ lễ");
        let listed = s.list_announcements(&tq, 10).await.unwrap();
        assert_eq!(listed[1].status, AnnouncementStatus::Sending);
        assert!(
            s.get_announcement(&tenant("bn"), "a1")
                .await
                .unwrap()
                .is_none()
        );
    }

    pub async fn counters_add_up_by_day_and_month<S: Store + 'static>(s: Arc<S>) {
        let tq = tenant("tq");
        let d = |s: &str| -> NaiveDate { s.parse().unwrap() };
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let s = s.clone();
            let tq = tq.clone();
            tasks.push(tokio::spawn(async move {
                s.incr(&tq, "lookup.chat", "2026-11-24".parse().unwrap(), 1)
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        s.incr(&tq, "lookup.chat", d("2026-11-01"), 5)
            .await
            .unwrap();
        s.incr(&tq, "lookup.chat", d("2026-10-31"), 7)
            .await
            .unwrap();
        s.incr(&tq, "lookup.qr", d("2026-11-24"), 2).await.unwrap();
        s.incr(&tenant("bn"), "lookup.chat", d("2026-11-24"), 100)
            .await
            .unwrap();
        assert_eq!(
            s.daily(&tq, "lookup.chat", d("2026-10-01"), d("2026-11-30"))
                .await
                .unwrap(),
            vec![
                (d("2026-10-31"), 7),
                (d("2026-11-01"), 5),
                (d("2026-11-24"), 10)
            ]
        );
        assert_eq!(
            s.daily(&tq, "lookup.chat", d("2026-11-02"), d("2026-11-24"))
                .await
                .unwrap(),
            vec![(d("2026-11-24"), 10)]
        );
        assert_eq!(
            s.monthly(&tq, "lookup.chat", d("2026-11-15"))
                .await
                .unwrap(),
            15
        );
        assert_eq!(
            s.monthly(&tq, "lookup.chat", d("2026-10-01"))
                .await
                .unwrap(),
            7
        );
        assert_eq!(
            s.monthly(&tq, "lookup.qr", d("2026-11-01")).await.unwrap(),
            2
        );
        assert_eq!(
            s.monthly(&tq, "lookup.api", d("2026-11-01")).await.unwrap(),
            0
        );
    }
}

pub mod queue {
    use super::*;

    pub async fn queue_send_receive_delete(q: &dyn Queue, _dlq: &dyn Queue) {
        let id = q.send(r#"{"n":1}"#).await.unwrap();
        assert!(!id.is_empty());
        let got = q.receive(10, Duration::from_secs(2)).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body, r#"{"n":1}"#);
        assert_eq!(got[0].message_id, id);
        assert_eq!(got[0].receive_count, 1);
        q.delete(&got[0].receipt).await.unwrap();
        assert!(
            q.receive(10, Duration::from_millis(0))
                .await
                .unwrap()
                .is_empty()
        );
    }

    pub async fn queue_received_messages_are_invisible_until_retried(
        q: &dyn Queue,
        _dlq: &dyn Queue,
    ) {
        q.send("a").await.unwrap();
        let first = q.receive(1, Duration::from_secs(2)).await.unwrap();
        assert_eq!(first.len(), 1);
        assert!(
            q.receive(1, Duration::from_millis(0))
                .await
                .unwrap()
                .is_empty(),
            "in flight: not delivered twice"
        );
        q.retry_later(&first[0].receipt, Duration::from_secs(0))
            .await
            .unwrap();
        let again = q.receive(1, Duration::from_secs(2)).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].body, "a");
        assert_eq!(again[0].receive_count, 2);
        q.delete(&again[0].receipt).await.unwrap();
    }

    pub async fn queue_dead_letter_keeps_body_and_reason(q: &dyn Queue, dlq: &dyn Queue) {
        q.dead_letter("{broken", "invalid JSON: expected value at line 1 column 2")
            .await
            .unwrap();
        let got = dlq.receive(10, Duration::from_secs(2)).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body, "{broken");
        assert_eq!(
            got[0].dead_letter_reason.as_deref(),
            Some("invalid JSON: expected value at line 1 column 2")
        );
        assert!(
            q.receive(10, Duration::from_millis(0))
                .await
                .unwrap()
                .is_empty()
        );
    }

    pub async fn queue_receive_respects_max_and_empty_wait(q: &dyn Queue, _dlq: &dyn Queue) {
        for i in 0..5 {
            q.send(&format!("m{i}")).await.unwrap();
        }
        let mut bodies = Vec::new();
        let first = q.receive(3, Duration::from_secs(2)).await.unwrap();
        assert!(!first.is_empty() && first.len() <= 3);
        bodies.extend(first.iter().map(|m| m.body.clone()));
        for m in &first {
            q.delete(&m.receipt).await.unwrap();
        }
        while bodies.len() < 5 {
            let more = q.receive(3, Duration::from_secs(2)).await.unwrap();
            assert!(!more.is_empty(), "messages went missing: have {bodies:?}");
            for m in &more {
                bodies.push(m.body.clone());
                q.delete(&m.receipt).await.unwrap();
            }
        }
        bodies.sort();
        assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4"]);
        let started = std::time::Instant::now();
        assert!(
            q.receive(3, Duration::from_millis(300))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
