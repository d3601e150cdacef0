//! The delivery ledger through the notifier: each notice's record, its forward-only states, and
//! one `notification_status` per transition on the outbound queue, in order, exactly once under
//! redelivery, on redb and on DynamoDB (moto); the sweep's expiry and its retry of statuses the
//! queue refused.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::*;
use motcua_app::Clock;
use motcua_app::contract::moto_endpoint;
use motcua_app::notify::ReceiptKind;
use motcua_domain::DossierCode;
use motcua_domain::delivery::{DeliveryState, Recipient};
use serde_json::Value;

const CODE: &str = "000.00.04.H60-261110-0028";
const BUDGET: Duration = motcua_app::delivery::SWEEP_TIME_BUDGET;

/// The statuses on the outbound queue, each checked against the published schema.
fn statuses(h: &Harness) -> Vec<Value> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../infra/events/outbound.v1.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let def = &schema["$defs"]["notification_status"];
    let props = def["properties"].as_object().unwrap();
    h.outbound
        .sent()
        .iter()
        .map(|body| {
            let m: Value = serde_json::from_str(body).unwrap();
            for field in def["required"].as_array().unwrap() {
                assert!(m.get(field.as_str().unwrap()).is_some(), "{field} in {m}");
            }
            for (k, v) in m.as_object().unwrap() {
                let p = props
                    .get(k)
                    .unwrap_or_else(|| panic!("undocumented field {k}"));
                if let Some(allowed) = p["enum"].as_array() {
                    assert!(allowed.contains(v), "{k} = {v} not in the schema's enum");
                }
            }
            m
        })
        .collect()
}

fn states(h: &Harness) -> Vec<(String, u64)> {
    statuses(h)
        .iter()
        .map(|m| {
            (
                m["state"].as_str().unwrap().to_string(),
                m["sequence"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn receipt(h: &Harness, id: &str, kind: ReceiptKind, at: &str) -> bool {
    h.notifier
        .record_receipt(OA, id, kind, at.parse().unwrap())
        .await
        .unwrap()
}

async fn every_transition_is_reported_once_in_order(h: Harness) {
    h.link("0906591985", "u-applicant", chrono::Duration::hours(1))
        .await;
    h.notifier.process_message(&life()[0]).await;
    // the same event again (an SQS redelivery, a legacy re-send): nothing new anywhere
    h.notifier.process_message(&life()[0]).await;
    assert_eq!(h.fake.delivered().len(), 1);
    assert_eq!(states(&h), [("accepted".to_string(), 0)]);
    let id = h.fake.delivered()[0].message_id().unwrap();

    assert!(receipt(&h, &id, ReceiptKind::Delivered, "2026-11-24T03:00:05Z").await);
    assert!(!receipt(&h, &id, ReceiptKind::Delivered, "2026-11-24T03:00:05Z").await);
    assert!(receipt(&h, &id, ReceiptKind::Seen, "2026-11-24T03:10:00Z").await);
    // Zalo's late or repeated news changes nothing and reports nothing
    receipt(&h, &id, ReceiptKind::Delivered, "2026-11-24T03:20:00Z").await;
    receipt(&h, &id, ReceiptKind::Seen, "2026-11-24T03:20:00Z").await;
    let got = states(&h);
    assert_eq!(
        got,
        [
            ("accepted".to_string(), 0),
            ("delivered".to_string(), 1),
            ("seen".to_string(), 2)
        ]
    );
    let ids: BTreeSet<String> = statuses(&h)
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3, "one message id per transition");

    let code = DossierCode::parse(CODE).unwrap();
    let all = h.store.deliveries_of(&h.tenant, &code).await.unwrap();
    assert_eq!(all.len(), 1);
    let d = &all[0];
    assert_eq!(
        (d.state(), d.channel.as_str(), d.reported),
        (DeliveryState::Seen, "zalo_cs_free", 3)
    );
    assert_eq!(d.message_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        d.text_version,
        motcua_domain::catalogue::text_version(d.kind.unwrap())
    );
    // the recipient is a keyed digest: neither the user id nor the phone is in the record
    assert!(matches!(&d.recipient, Recipient::ZaloUser(tag) if tag.len() == 16));
    let stored = serde_json::to_string(&all).unwrap() + &h.outbound.sent().join("\n");
    for secret in ["u-applicant", "0906591985", "84906591985", "906591985"] {
        assert!(!stored.contains(secret), "{secret} leaked into the ledger");
    }
}

#[tokio::test]
async fn every_transition_is_reported_once_in_order_on_redb() {
    every_transition_is_reported_once_in_order(Harness::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transition_is_reported_once_in_order_on_dynamodb() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let store = moto_store(&endpoint).await;
    every_transition_is_reported_once_in_order(
        Harness::with_store(store, Duration::from_secs(2)).await,
    )
    .await;
}

/// ZNS to a phone Zalo refuses for good, and no Zalo user linked: the notice is `failed`, with
/// the reason and no personal data.
#[tokio::test]
async fn a_notice_no_channel_takes_is_failed_with_its_reason() {
    let h = Harness::embedded().await;
    h.fake.fail_recipient("84987123456", -118);
    h.notifier
        .process_message(&with_consent(&fixture("canonical-twin-of-dvcqg.json")))
        .await;
    let got = statuses(&h);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0]["state"].as_str(), got[0]["channel"].as_str()),
        (Some("failed"), Some("undeliverable"))
    );
    let reason = got[0]["reason"].as_str().unwrap();
    assert!(reason.contains("zns"), "{reason}");
    assert!(!reason.contains("987123456"), "{reason}");
    let code = got[0]["code"].as_str().unwrap().parse().unwrap();
    let d = &h.store.deliveries_of(&h.tenant, &code).await.unwrap()[0];
    assert!(matches!(&d.recipient, Recipient::Phone(hash) if !hash.contains("987123456")));
    // failed is final: the sweep has nothing more to say
    let swept = h
        .notifier
        .ledger()
        .sweep(
            &h.tenant,
            h.clock.now() + chrono::Duration::days(30),
            10,
            BUDGET,
        )
        .await
        .unwrap();
    assert_eq!((swept.expired, swept.reported), (0, 0));
    assert_eq!(statuses(&h).len(), 1);
}

/// The queue refuses while the notice goes out: the record is there, its status waits for the
/// sweep; a ZNS with no receipt in 72 h expires; a receipt after that still counts.
#[tokio::test]
async fn the_sweep_reports_what_the_queue_refused_and_expires_silent_notices() {
    let h = Harness::embedded().await;
    h.outbound.fail(true);
    h.notifier
        .process_message(&with_consent(&fixture("canonical-twin-of-dvcqg.json")))
        .await;
    assert_eq!(
        h.fake.delivered().len(),
        1,
        "the citizen is told regardless"
    );
    assert!(h.outbound.sent().is_empty());
    let ledger = h.notifier.ledger();
    let now = h.clock.now();
    let left = ledger.sweep(&h.tenant, now, 10, BUDGET).await.unwrap();
    assert_eq!((left.reported, left.left), (0, 1));
    h.outbound.fail(false);
    let swept = ledger.sweep(&h.tenant, now, 10, BUDGET).await.unwrap();
    assert_eq!((swept.expired, swept.reported), (0, 1));
    assert_eq!(states(&h), [("accepted".to_string(), 0)]);
    // nothing is due again until the receipt's time is up (72 h for a template)
    let early = ledger
        .sweep(&h.tenant, now + chrono::Duration::hours(71), 10, BUDGET)
        .await
        .unwrap();
    assert_eq!(early, Default::default());
    let late = ledger
        .sweep(&h.tenant, now + chrono::Duration::hours(72), 10, BUDGET)
        .await
        .unwrap();
    assert_eq!((late.expired, late.reported), (1, 1));
    let again = ledger
        .sweep(&h.tenant, now + chrono::Duration::hours(80), 10, BUDGET)
        .await
        .unwrap();
    assert_eq!(again, Default::default(), "expired once");
    let id = h.fake.delivered()[0].message_id().unwrap();
    assert!(receipt(&h, &id, ReceiptKind::Delivered, "2026-11-27T05:00:00Z").await);
    assert_eq!(
        states(&h),
        [
            ("accepted".to_string(), 0),
            ("expired".to_string(), 1),
            ("delivered".to_string(), 2)
        ]
    );
    let day = motcua_domain::time::to_vn(now + chrono::Duration::hours(72)).date_naive();
    let expired = h
        .store
        .daily(&h.tenant, "delivery.expired", day, day)
        .await
        .unwrap();
    assert_eq!(expired.iter().map(|(_, n)| n).sum::<i64>(), 1);
}

/// The sweep stops starting rounds when its time is up, and the next sweep goes on where it
/// stopped: nothing is lost, nothing is swept twice.
#[tokio::test]
async fn a_sweep_out_of_time_leaves_the_rest_to_the_next() {
    use motcua_domain::delivery::{Delivery, NewDelivery, Subject};
    let h = Harness::embedded().await;
    let t0 = h.clock.now();
    for i in 0..5 {
        let new = NewDelivery {
            tenant: h.tenant.clone(),
            subject: Subject::Dossier {
                code: format!("000.00.04.H60-261110-{:04}", 100 + i)
                    .parse()
                    .unwrap(),
                event_id: format!("e{i}"),
            },
            kind: Some(motcua_domain::EventKind::Received),
            recipient: Recipient::Phone("h".into()),
            channel: "zns".into(),
            price_class: "zns".into(),
            template: None,
            text_version: "v".into(),
            expires_at: None,
        };
        let mut d = Delivery::accepted(new, format!("m{i}"), None, t0, chrono::Duration::hours(1));
        d.reported = 1;
        assert!(h.store.put_delivery(&d, None).await.unwrap());
    }
    let ledger = h.notifier.ledger();
    let later = t0 + chrono::Duration::hours(2);
    let first = ledger
        .sweep(&h.tenant, later, 2, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((first.expired, first.unfinished), (2, true));
    let rest = ledger.sweep(&h.tenant, later, 2, BUDGET).await.unwrap();
    assert_eq!(
        (rest.expired, rest.reported, rest.unfinished),
        (3, 3, false)
    );
    assert_eq!(states(&h).len(), 5, "one expiry status per notice");
}

/// Staff's answers, phone codes and announcement copies expire like notices, but apart: the
/// notices' expiry count (and its alarm) stays about dossiers, and nothing of theirs goes to
/// the one-stop system.
#[tokio::test]
async fn the_sweep_counts_other_messages_apart_from_dossier_notices() {
    use motcua_domain::delivery::{Delivery, NewDelivery, Subject};
    let h = Harness::embedded().await;
    let t0 = h.clock.now();
    let record = |subject: Subject, kind| {
        let new = NewDelivery {
            tenant: h.tenant.clone(),
            subject,
            kind,
            recipient: Recipient::ZaloUser("0123456789abcdef".into()),
            channel: "zalo_cs_free".into(),
            price_class: "free".into(),
            template: None,
            text_version: "v".into(),
            expires_at: None,
        };
        let mut d = Delivery::accepted(new, "m".into(), None, t0, chrono::Duration::hours(1));
        d.reported = d.history.len();
        d
    };
    let notice = record(
        Subject::Dossier {
            code: CODE.parse().unwrap(),
            event_id: "e1".into(),
        },
        Some(motcua_domain::EventKind::Received),
    );
    let answer = record(
        Subject::Ticket {
            ticket: 4,
            answer: "r-1".into(),
        },
        None,
    );
    let code = record(
        Subject::PhoneCode {
            phone_code: "0123456789abcdef-1".into(),
        },
        None,
    );
    for d in [&notice, &answer, &code] {
        assert!(h.store.put_delivery(d, None).await.unwrap());
    }
    let later = t0 + chrono::Duration::hours(2);
    let swept = h
        .notifier
        .ledger()
        .sweep(&h.tenant, later, 10, BUDGET)
        .await
        .unwrap();
    assert_eq!(
        (swept.expired, swept.messages_expired, swept.reported),
        (1, 2, 1)
    );
    assert_eq!(states(&h), [("expired".to_string(), 1)]);
    let day = motcua_domain::time::to_vn(later).date_naive();
    for (counter, n) in [
        ("delivery.expired", 1),
        ("ticket_answer.expired", 1),
        ("phone_code.expired", 1),
    ] {
        let got = h.store.daily(&h.tenant, counter, day, day).await.unwrap();
        assert_eq!(got.iter().map(|(_, n)| n).sum::<i64>(), n, "{counter}");
    }
}
