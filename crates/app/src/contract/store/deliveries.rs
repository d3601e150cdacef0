//! Store contract: the delivery ledger and its sweep index.

use motcua_domain::EventKind;
use motcua_domain::delivery::{
    Delivery, DeliveryState, FollowUp, FollowUpHow, NewDelivery, Recipient, Subject,
};

use super::*;

fn notice(tenant_id: &str, c: &str, event_id: &str) -> NewDelivery {
    NewDelivery {
        tenant: tenant(tenant_id),
        subject: of(c, event_id),
        kind: Some(EventKind::Received),
        recipient: Recipient::Phone("hash-a".into()),
        channel: "zns".into(),
        price_class: "zns".into(),
        template: Some("300001".into()),
        text_version: "0123456789ab".into(),
        expires_at: None,
    }
}

fn of(c: &str, event_id: &str) -> Subject {
    Subject::Dossier {
        code: code(c),
        event_id: event_id.into(),
    }
}

/// The last part of each record's name (a dossier notice's event id).
fn items(v: Vec<Delivery>) -> Vec<String> {
    v.into_iter()
        .map(|d| d.subject.item().to_string())
        .collect()
}

fn accepted(c: &str, event_id: &str, at: &str) -> Delivery {
    Delivery::accepted(
        notice("tq", c, event_id),
        format!("msg-{event_id}"),
        Some(format!("hs-{event_id}")),
        t(at),
        chrono::Duration::hours(72),
    )
}

async fn to_sweep<S: Store>(s: &S, tenant_id: &str, at: &str) -> Vec<String> {
    items(
        s.deliveries_to_sweep(&tenant(tenant_id), t(at), 50)
            .await
            .unwrap(),
    )
}

pub async fn deliveries_are_written_conditionally_and_swept_in_time<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let mut a = accepted(C1, "e1", "2026-03-03T02:00:00Z");
    assert!(s.put_delivery(&a, None).await.unwrap());
    assert!(
        !s.put_delivery(&a, None).await.unwrap(),
        "one record per event"
    );
    assert_eq!(
        s.get_delivery(&tq, &of(C1, "e1")).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        s.get_delivery(&tenant("bn"), &of(C1, "e1")).await.unwrap(),
        None
    );
    // unreported: due at once
    assert_eq!(to_sweep(&*s, "tq", "2026-03-03T02:00:00Z").await, ["e1"]);
    assert!(to_sweep(&*s, "tq", "2026-03-03T01:59:59Z").await.is_empty());
    assert!(to_sweep(&*s, "bn", "2027-01-01T00:00:00Z").await.is_empty());

    // a write against a stale revision loses
    let before = a.revision();
    a.reported = 1;
    assert!(s.put_delivery(&a, Some(before)).await.unwrap());
    assert!(!s.put_delivery(&a, Some(before)).await.unwrap());
    // reported and awaiting a receipt: due when the receipt is
    assert!(to_sweep(&*s, "tq", "2026-03-06T01:59:59Z").await.is_empty());
    assert_eq!(to_sweep(&*s, "tq", "2026-03-06T02:00:00Z").await, ["e1"]);

    // delivered and reported: out of the index
    let r = a.revision();
    assert!(a.advance(DeliveryState::Delivered, t("2026-03-03T02:01:00Z")));
    a.reported = 2;
    assert!(s.put_delivery(&a, Some(r)).await.unwrap());
    assert!(to_sweep(&*s, "tq", "2027-01-01T00:00:00Z").await.is_empty());

    // earliest first, at most `limit`
    let b = accepted(C1, "e2", "2026-03-04T02:00:00Z");
    let c = accepted(C2, "e3", "2026-03-03T05:00:00Z");
    let failed = Delivery::failed(
        notice("tq", C2, "e4"),
        t("2026-03-03T04:00:00Z"),
        "no phone".into(),
    );
    for d in [&b, &c, &failed] {
        assert!(s.put_delivery(d, None).await.unwrap());
    }
    assert_eq!(
        to_sweep(&*s, "tq", "2026-03-05T00:00:00Z").await,
        ["e4", "e3", "e2"]
    );
    let first = s
        .deliveries_to_sweep(&tq, t("2026-03-05T00:00:00Z"), 1)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].subject.item(), "e4");

    // a dossier's notices, oldest first
    assert_eq!(
        items(s.deliveries_of(&tq, &code(C1)).await.unwrap()),
        ["e1", "e2"]
    );
    assert!(
        s.deliveries_of(&tenant("bn"), &code(C1))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn deliveries_go_with_their_purged_dossier<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let mut d = dossier("tq", C1, 1);
    d.status = NationalStatus::Returned;
    d.returned_at = Some(t("2025-01-10T03:00:00Z"));
    d.updated_at = t("2025-01-10T03:00:00Z");
    assert_eq!(
        s.upsert_dossier_if_newer(&d).await.unwrap(),
        Upsert::Applied
    );
    let notice = accepted(C1, "e1", "2025-01-10T03:00:00Z");
    assert!(s.put_delivery(&notice, None).await.unwrap());
    let kept = accepted(C2, "e2", "2025-01-10T03:00:00Z");
    assert!(s.put_delivery(&kept, None).await.unwrap());
    assert_eq!(
        s.purge_closed_dossiers(&tq, t("2026-01-01T00:00:00Z"), 10)
            .await
            .unwrap(),
        1
    );
    assert!(s.deliveries_of(&tq, &code(C1)).await.unwrap().is_empty());
    assert_eq!(s.get_delivery(&tq, &of(C1, "e1")).await.unwrap(), None);
    assert_eq!(to_sweep(&*s, "tq", "2027-01-01T00:00:00Z").await, ["e2"]);
}

pub async fn notices_not_reached_are_listed_until_followed_up<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let deadline = |c: &str, event_id: &str, at: &str| {
        let mut n = notice("tq", c, event_id);
        n.kind = Some(EventKind::SupplementRequested);
        Delivery::failed(n, t(at), "no phone".into())
    };
    let mut later = deadline(C1, "e2", "2026-03-04T02:00:00Z");
    let earlier = deadline(C2, "e3", "2026-03-03T02:00:00Z");
    // a receipt notice bears no deadline; another tenant's is its own
    let receipt_notice = Delivery::failed(
        notice("tq", C1, "e1"),
        t("2026-03-01T00:00:00Z"),
        "x".into(),
    );
    let mut elsewhere = deadline(C1, "e9", "2026-03-01T00:00:00Z");
    elsewhere.tenant = tenant("bn");
    for d in [&later, &earlier, &receipt_notice, &elsewhere] {
        assert!(s.put_delivery(d, None).await.unwrap());
    }
    let listed = items;
    assert_eq!(listed(s.not_reached(&tq, 10).await.unwrap()), ["e3", "e2"]);
    assert_eq!(listed(s.not_reached(&tq, 1).await.unwrap()), ["e3"]);
    assert_eq!(
        listed(s.not_reached(&tenant("bn"), 10).await.unwrap()),
        ["e9"]
    );
    let r = later.revision();
    assert!(later.follow_up(FollowUp {
        how: FollowUpHow::Sms,
        by: "mc-tq".into(),
        at: t("2026-03-04T03:00:00Z"),
    }));
    assert!(s.put_delivery(&later, Some(r)).await.unwrap());
    assert_eq!(listed(s.not_reached(&tq, 10).await.unwrap()), ["e3"]);
    assert_eq!(
        s.get_delivery(&tq, &of(C1, "e2"))
            .await
            .unwrap()
            .unwrap()
            .follow_up,
        later.follow_up
    );
}

/// A record of every subject but a dossier's: staff's answer, a phone code, an announcement's
/// copy, each named like the dossier notice beside it.
fn other(subject: Subject, at: &str) -> Delivery {
    let mut n = notice("tq", C1, "x");
    n.subject = subject;
    n.kind = None;
    n.recipient = Recipient::ZaloUser("0123456789abcdef".into());
    n.channel = "zalo_cs_free".into();
    n.expires_at = Some(t(at) + chrono::Duration::days(30));
    Delivery::accepted(n, "m".into(), None, t(at), chrono::Duration::hours(168))
}

pub async fn every_subject_has_its_own_record_and_the_others_expire<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let at = "2026-03-03T02:00:00Z";
    // every other subject borrows the dossier notice's names: none may meet it
    let subjects = [
        Subject::Ticket {
            ticket: 7,
            answer: "e1".into(),
        },
        Subject::Announcement {
            announcement: C1.into(),
            follower: "e1".into(),
        },
        Subject::PhoneCode {
            phone_code: "e1".into(),
        },
    ];
    let mut notice = accepted(C1, "e1", at);
    notice.reported = 1;
    assert!(s.put_delivery(&notice, None).await.unwrap());
    for subject in &subjects {
        let d = other(subject.clone(), at);
        assert!(s.put_delivery(&d, None).await.unwrap(), "{subject:?}");
        assert!(!s.put_delivery(&d, None).await.unwrap(), "one per subject");
        assert_eq!(s.get_delivery(&tq, subject).await.unwrap(), Some(d));
        assert_eq!(s.get_delivery(&tenant("bn"), subject).await.unwrap(), None);
    }
    assert_eq!(s.deliveries_of(&tq, &code(C1)).await.unwrap(), [notice]);
    assert!(s.not_reached(&tq, 10).await.unwrap().is_empty());

    // reporting nothing, they are swept only for their receipt's due time
    assert!(to_sweep(&*s, "tq", "2026-03-05T00:00:00Z").await.is_empty());
    let due_first = s
        .deliveries_to_sweep(&tq, t("2026-03-10T01:59:59Z"), 50)
        .await
        .unwrap();
    assert_eq!(
        due_first.iter().map(|d| &d.subject).collect::<Vec<_>>(),
        [&of(C1, "e1")],
        "the notice's receipt is due at 72 hours"
    );
    let due = s
        .deliveries_to_sweep(&tq, t("2026-03-10T02:00:00Z"), 50)
        .await
        .unwrap();
    assert_eq!(due.len(), 4, "and the three others' at 7 days");
    for subject in &subjects {
        assert!(due.iter().any(|d| &d.subject == subject), "{subject:?}");
    }
    let due = s
        .deliveries_to_sweep(&tq, t("2026-03-10T02:00:00Z"), 2)
        .await
        .unwrap();
    assert_eq!(due.len(), 2, "at most the limit");
    // their expiry: the purge scenario (`contract::retention`) checks it in each store's raw
    // storage, as the DynamoDB table's TTL and the embedded store's expiry sweep delete them
}
