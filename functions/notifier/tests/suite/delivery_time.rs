//! The delivery-time objective's data: one `DeliverySeconds` value per notice Zalo accepted,
//! from the inbound queue taking the event to Zalo taking the notice; nothing for a notice
//! that was not sent, nothing again for a redelivery, nothing for an event that arrived in the
//! quiet hours (it waits on purpose).

use crate::common::*;
use motcua_app::Clock;
use motcua_app::notify::{Decision, Disposition};

fn decisions(d: Disposition) -> Vec<Decision> {
    match d {
        Disposition::Done(done) => done.into_iter().map(|(_, d)| d).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn each_sent_notice_gives_one_delivery_time() {
    let h = Harness::embedded().await;
    h.link("0906591985", "u1", chrono::Duration::hours(1)).await;
    let events = life();
    // queued 4.5 s before the notifier takes it (10:00 in Vietnam)
    let queued = h.clock.now() - chrono::Duration::milliseconds(4_500);
    let sent = h
        .notifier
        .process_message_sent(&events[0], Some(queued))
        .await;
    assert_eq!(decisions(sent), [Decision::CsFree]);
    assert_eq!(h.metrics.values("DeliverySeconds"), [4.5]);
    assert_eq!(
        h.metrics
            .total_where("DeliverySeconds", "Tenant", "tuyen-quang"),
        4.5
    );
    // SQS delivers it again: nothing is sent, nothing measured
    let again = h
        .notifier
        .process_message_sent(&events[0], Some(queued))
        .await;
    assert_eq!(decisions(again), [Decision::CsFree]);
    assert_eq!(h.metrics.values("DeliverySeconds").len(), 1);
}

#[tokio::test]
async fn notices_not_sent_or_held_for_the_night_are_not_measured() {
    let h = Harness::embedded().await;
    let events = life();
    // no linked user and no consent: nothing goes out
    let queued = h.clock.now() - chrono::Duration::seconds(2);
    let none = h
        .notifier
        .process_message_sent(&events[0], Some(queued))
        .await;
    assert!(!decisions(none)[0].sent());
    assert!(h.metrics.values("DeliverySeconds").is_empty());

    // queued at 23:00 in Vietnam, sent by ZNS at 06:00: seven hours on purpose
    let night = Harness::embedded().await;
    night.clock.set_at("2026-11-24T23:00:00Z");
    night
        .link("0906591985", "u1", chrono::Duration::days(10))
        .await;
    let queued: chrono::DateTime<chrono::Utc> = "2026-11-24T16:00:00Z".parse().unwrap();
    let zns = night
        .notifier
        .process_message_sent(&events[0], Some(queued))
        .await;
    assert_eq!(decisions(zns), [Decision::Zns]);
    assert!(night.metrics.values("DeliverySeconds").is_empty());
}
