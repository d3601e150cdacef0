//! The notifier against the Zalo fake on the embedded store (the same life replay runs on
//! DynamoDB + SQS on moto in moto.rs).

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use motcua_app::Queue;
use motcua_app::notify::{Decision, Disposition};
use motcua_domain::{DossierCode, NationalStatus, TenantId};
use motcua_embedded::{EmbeddedDb, QueueSettings};
use motcua_zalo_fake::Endpoint;
use notifier::Ack;

const CODE: &str = "000.00.04.H60-261110-0028";

fn decisions(d: Disposition) -> Vec<Decision> {
    match d {
        Disposition::Done(v) => v.into_iter().map(|(_, d)| d).collect(),
        other => panic!("expected done, got {other:?}"),
    }
}

/// The expected message of each life event, in order: what the citizen reads.
const EXPECTED: [&str; 7] = [
    "đã được tiếp nhận. Ngày hẹn trả kết quả: 01/12/2026.",
    "bước hiện tại: Phân công thụ lý.",
    "bước hiện tại: Thẩm định.",
    "bước hiện tại: Ký duyệt.",
    "cần bổ sung, hoàn thiện. Giấy tờ cần bổ sung: Bản vẽ thiết kế có chữ ký, đóng dấu. Lý do: Bản vẽ thiếu chữ ký của đơn vị thiết kế.",
    "đã có kết quả. Ông/bà chọn cách nhận kết quả",
    "đã được trả kết quả.",
];

#[tokio::test]
async fn a_dossier_life_sends_each_message_once_in_order_by_free_cs() {
    let h = Harness::embedded().await;
    h.link("0906591985", "u-applicant", chrono::Duration::hours(3))
        .await;
    for body in life() {
        assert_eq!(
            decisions(h.notifier.process_message(&body).await),
            vec![Decision::CsFree]
        );
    }
    let sent = h.fake.delivered();
    assert_eq!(sent.len(), 7);
    for (r, want) in sent.iter().zip(EXPECTED) {
        assert_eq!(r.endpoint, Endpoint::Cs);
        assert_eq!(r.recipient().as_deref(), Some("u-applicant"));
        let text = r.text().unwrap();
        assert!(
            text.starts_with(&format!(
                "Hồ sơ {CODE} (Cấp giấy phép xây dựng nhà ở riêng lẻ)"
            )) || text.contains(CODE),
            "{text}"
        );
        assert!(text.contains(want), "{text:?} lacks {want:?}");
        assert!(
            !text.contains("0906591985") && !text.contains("NGUYỄN"),
            "no personal data in {text}"
        );
    }
    // the receipt slip goes with the first message as a link
    let first = &sent[0].body["message"]["attachment"]["payload"]["buttons"][0];
    assert_eq!(first["type"], "oa.open.url");
    assert_eq!(first["title"], "Xem giấy tiếp nhận");
    assert_eq!(
        first["payload"]["url"],
        "https://dvc.tuyenquang.gov.vn/bn/0028.pdf"
    );
    assert!(
        sent[1].body["message"].get("attachment").is_none(),
        "a step change has no document"
    );
    let buttons = &sent[5].body["message"]["attachment"]["payload"]["buttons"];
    assert_eq!(buttons[0]["payload"], format!("#nhan_kq:buu_chinh:{CODE}"));
    assert_eq!(buttons[1]["payload"], format!("#nhan_kq:mot_cua:{CODE}"));
    // the returned notice asks for a 1–5 rating
    let rating = sent[6].body["message"]["attachment"]["payload"]["buttons"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rating.len(), 5);
    assert_eq!(rating[4]["payload"], format!("#danh_gia:{CODE}:5"));

    let view = h
        .store
        .load_dossier(&h.tenant, &DossierCode::parse(CODE).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.dossier.status, view.dossier.version),
        (NationalStatus::Returned, 7)
    );
    let notes: Vec<_> = view
        .timeline
        .iter()
        .filter(|e| e.kind == "notification")
        .map(|e| e.note.clone().unwrap())
        .collect();
    assert_eq!(notes, vec!["zalo_cs_free"; 7]);
    let today = "2026-11-24".parse().unwrap();
    assert_eq!(
        h.store
            .monthly(&h.tenant, "notify.zalo_cs_free", today)
            .await
            .unwrap(),
        7
    );
    assert_eq!(h.metrics.total("Notification"), 7.0);
}

#[tokio::test]
async fn redelivered_shuffled_and_duplicated_stream_sends_nothing_more() {
    let h = Harness::embedded().await;
    h.link("0906591985", "u-applicant", chrono::Duration::hours(3))
        .await;
    let events = life();
    for body in &events {
        h.notifier.process_message(body).await;
    }
    let before = h
        .store
        .load_dossier(&h.tenant, &DossierCode::parse(CODE).unwrap())
        .await
        .unwrap()
        .unwrap();
    // the legacy system re-sends everything, twice, out of order
    let mut again: Vec<&String> = events.iter().chain(events.iter()).collect();
    again.reverse();
    again.swap(1, 9);
    again.swap(3, 12);
    for body in again {
        for d in decisions(h.notifier.process_message(body).await) {
            assert!(
                d.sent()
                    || d == Decision::Stale
                    || d == Decision::Undeliverable("recorded earlier".into()),
                "{d:?}"
            );
        }
    }
    assert_eq!(h.fake.delivered().len(), 7, "no extra sends");
    let after = h
        .store
        .load_dossier(&h.tenant, &DossierCode::parse(CODE).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "same final state, same timeline");
}

#[tokio::test]
async fn first_delivery_out_of_order_never_moves_status_back_or_sends_stale_news() {
    let h = Harness::embedded().await;
    h.link("0906591985", "u-applicant", chrono::Duration::hours(3))
        .await;
    let events = life();
    // result_returned (v7) arrives first, then the older ones
    let order = [6, 0, 3, 5, 1, 2, 4];
    let mut sent_kinds = Vec::new();
    for i in order {
        let d = decisions(h.notifier.process_message(&events[i]).await);
        sent_kinds.push(d[0].clone());
    }
    assert_eq!(sent_kinds[0], Decision::CsFree, "the newest state is sent");
    assert!(
        sent_kinds[1..].iter().all(|d| *d == Decision::Stale),
        "{sent_kinds:?}"
    );
    assert_eq!(h.fake.delivered().len(), 1);
    let view = h
        .store
        .load_dossier(&h.tenant, &DossierCode::parse(CODE).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.dossier.status, NationalStatus::Returned);
    assert_eq!(
        view.timeline
            .iter()
            .filter(|e| e.kind != "notification")
            .count(),
        7,
        "history is complete"
    );
}

#[tokio::test]
async fn channel_follows_the_window_then_zns_then_undeliverable() {
    let events = life();
    // 3 days since the last interaction: paid CS
    let h = Harness::embedded().await;
    h.link("0906591985", "u1", chrono::Duration::days(3)).await;
    assert_eq!(
        decisions(h.notifier.process_message(&events[0]).await),
        vec![Decision::CsPaid]
    );

    // 10 days: outside the CS window; ZNS to the phone, deterministic tracking id, dev mode
    let h = Harness::embedded().await;
    h.link("0906591985", "u1", chrono::Duration::days(10)).await;
    assert_eq!(
        decisions(h.notifier.process_message(&events[0]).await),
        vec![Decision::Zns]
    );
    let r = &h.fake.delivered()[0];
    assert_eq!(r.endpoint, Endpoint::Zns);
    assert_eq!(r.body["phone"], "84906591985");
    assert_eq!(r.body["template_id"], "300001");
    assert_eq!(r.body["tracking_id"], format!("hs-{CODE}-1"));
    assert_eq!(r.body["mode"], "development");
    assert_eq!(r.body["template_data"]["ma_ho_so"], CODE);
    assert_eq!(r.body["template_data"]["ngay_hen_tra"], "01/12/2026");

    // within 48 h, but Zalo says the window is gone (-230): fall through to ZNS
    let h = Harness::embedded().await;
    h.link("0906591985", "u1", chrono::Duration::hours(1)).await;
    h.fake.fail_recipient("u1", -230);
    assert_eq!(
        decisions(h.notifier.process_message(&events[0]).await),
        vec![Decision::Zns]
    );

    // nobody linked and no consent recorded: by default nothing goes to the phone, not even ZNS
    let h = Harness::embedded().await;
    assert_eq!(
        decisions(h.notifier.process_message(&events[0]).await),
        vec![Decision::NoConsent]
    );
    assert!(h.fake.delivered().is_empty());

    // nobody linked, consent recorded, and ZNS refuses the phone (-114): undeliverable,
    // recorded with the reason
    let h = Harness::embedded().await;
    h.fake.fail_recipient("84906591985", -114);
    match &decisions(h.notifier.process_message(&with_consent(&events[0])).await)[0] {
        Decision::Undeliverable(why) => assert!(why.contains("zns: RecipientPermanent"), "{why}"),
        other => panic!("{other:?}"),
    }
    let today = "2026-11-24".parse().unwrap();
    assert_eq!(
        h.store
            .monthly(&h.tenant, "notify.undeliverable", today)
            .await
            .unwrap(),
        1
    );
    // and counted for the stack's undeliverable-rate alarm
    assert_eq!(h.metrics.total("NotificationsUndeliverable"), 1.0);
}

#[tokio::test]
async fn the_representative_is_told_and_opt_out_is_respected() {
    let events = life();
    let h = Harness::embedded().await;
    h.link("0906591985", "u-applicant", chrono::Duration::hours(1))
        .await;
    h.link("0977000111", "u-representative", chrono::Duration::hours(1))
        .await;
    let mut with_rep: serde_json::Value = serde_json::from_str(&events[0]).unwrap();
    with_rep["dossier"]["representative_phone"] = "0977 000 111".into();
    h.notifier.process_message(&with_rep.to_string()).await;
    assert_eq!(
        h.fake.delivered()[0].recipient().as_deref(),
        Some("u-representative")
    );

    let mut opted_out: serde_json::Value = serde_json::from_str(&events[1]).unwrap();
    opted_out["dossier"]["zalo_opt_in"] = false.into();
    assert_eq!(
        decisions(h.notifier.process_message(&opted_out.to_string()).await),
        vec![Decision::OptedOut]
    );
    assert_eq!(h.fake.delivered().len(), 1);
}

#[tokio::test]
async fn template_messages_wait_for_the_end_of_quiet_hours() {
    let events = life();
    let h = Harness::embedded().await;
    h.clock.set_at("2026-11-24T16:00:00Z"); // 23:00 in Vietnam
    h.link("0906591985", "u1", chrono::Duration::days(10)).await;
    match h.notifier.process_message(&events[0]).await {
        Disposition::Retry {
            after: Some(after), ..
        } => assert_eq!(after, Duration::from_secs(7 * 3600)),
        other => panic!("{other:?}"),
    }
    assert!(h.fake.delivered().is_empty());
    // a free CS message may go at night
    h.link("0906591985", "u2", chrono::Duration::hours(1)).await;
    assert_eq!(
        decisions(h.notifier.process_message(&events[0]).await),
        vec![Decision::CsFree]
    );
    // and at 06:00 the template goes out
    let h2 = Harness::embedded().await;
    h2.clock.set_at("2026-11-24T23:00:00Z");
    h2.link("0906591985", "u1", chrono::Duration::days(10))
        .await;
    assert_eq!(
        decisions(h2.notifier.process_message(&events[0]).await),
        vec![Decision::Zns]
    );
}

#[tokio::test]
async fn dvcqg_payload_sends_the_same_message_as_its_canonical_twin() {
    let texts = |h: &Harness| {
        h.fake
            .delivered()
            .iter()
            .map(|r| r.text().unwrap())
            .collect::<Vec<_>>()
    };
    let a = Harness::embedded().await;
    a.link("0987123456", "u1", chrono::Duration::hours(1)).await;
    assert_eq!(
        decisions(
            a.notifier
                .process_message(&fixture("dvcqg-received.json"))
                .await
        ),
        vec![Decision::CsFree]
    );
    let b = Harness::embedded().await;
    b.link("0987123456", "u1", chrono::Duration::hours(1)).await;
    assert_eq!(
        decisions(
            b.notifier
                .process_message(&fixture("canonical-twin-of-dvcqg.json"))
                .await
        ),
        vec![Decision::CsFree]
    );
    assert_eq!(texts(&a), texts(&b));
    assert_eq!(texts(&a).len(), 1);
    // the same sync payload again is the same event
    assert_eq!(
        decisions(
            a.notifier
                .process_message(&fixture("dvcqg-received.json"))
                .await
        ),
        vec![Decision::CsFree]
    );
    assert_eq!(a.fake.delivered().len(), 1);
}

#[tokio::test]
async fn a_progress_record_waits_for_its_dossier_then_names_the_step_and_unit() {
    let h = Harness::embedded().await;
    h.link("0987123456", "u1", chrono::Duration::hours(1)).await;
    let progress = fixture("dvcqg-progress.json");
    match h.notifier.process_message(&progress).await {
        Disposition::Retry { after, reason } => {
            assert_eq!(after, Some(Duration::from_secs(60)));
            assert!(reason.contains("not known yet"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(h.fake.delivered().is_empty());
    decisions(
        h.notifier
            .process_message(&fixture("dvcqg-received.json"))
            .await,
    );
    assert_eq!(
        decisions(h.notifier.process_message(&progress).await),
        vec![Decision::CsFree]
    );
    let sent = h.fake.delivered();
    assert_eq!(sent.len(), 2);
    let text = sent[1].text().unwrap();
    assert!(
        text.contains("bước hiện tại: Thẩm định hồ sơ tại Phòng Quản lý đô thị."),
        "{text}"
    );
    assert!(
        !text.contains("Trần Văn Bình"),
        "the handler is not named: {text}"
    );
    // the same record again is history: nothing more
    assert_eq!(
        decisions(h.notifier.process_message(&progress).await),
        vec![Decision::CsFree]
    );
    assert_eq!(h.fake.delivered().len(), 2);
    let view = h
        .store
        .load_dossier(
            &h.tenant,
            &DossierCode::parse("000.00.13.H60-261116-0105").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.dossier.status, NationalStatus::Processing);
    assert_eq!(
        view.dossier.step_unit.as_deref(),
        Some("Phòng Quản lý đô thị")
    );
}

#[tokio::test]
async fn a_lambda_batch_reports_only_retryable_records_and_dead_letters_poison() {
    let h = Harness::embedded().await;
    h.link("0906591985", "u1", chrono::Duration::hours(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedDb::open(dir.path().join("q.redb"))
        .unwrap()
        .queue("inbound", QueueSettings::default());
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_str(&fixture("sqs-batch-with-poison.json")).unwrap();
    // the DVCQG record's Zalo call fails transiently: only that record is reported
    h.fake.fail_recipient("84987123456", -200);
    h.link("0987123456", "u-dvcqg", chrono::Duration::hours(1))
        .await;
    h.fake.fail_recipient("u-dvcqg", -200);
    let response = notifier::handle_sqs(&h.notifier, &queue, event).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, vec!["m-dvcqg".to_string()]);
    assert_eq!(h.fake.delivered().len(), 1, "the good record was sent");
    let dead = queue
        .dead_letter_queue()
        .receive(10, Duration::from_secs(1))
        .await
        .unwrap();
    let reasons: Vec<_> = dead
        .iter()
        .map(|m| m.dead_letter_reason.clone().unwrap())
        .collect();
    assert_eq!(dead.len(), 2, "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("not JSON")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("no tenant is configured for 000.00.04.H56")),
        "{reasons:?}"
    );
}

/// From the attacker's side: another province's feed (or a vendor's mistake) names itself as
/// the tenant of a Tuyên Quang dossier, or names Tuyên Quang for a Bắc Ninh code.
#[tokio::test]
async fn an_event_naming_another_tenant_than_the_codes_owner_is_refused() {
    let events = life();
    let h = Harness::embedded().await;
    h.link("0906591985", "u1", chrono::Duration::hours(1)).await;
    let mut foreign: serde_json::Value = serde_json::from_str(&events[0]).unwrap();
    foreign["tenant"] = "bac-ninh".into();
    match h.notifier.process_message(&foreign.to_string()).await {
        Disposition::DeadLetter(reason) => assert!(
            reason.contains("names tenant bac-ninh")
                && reason.contains("belongs to tenant tuyen-quang"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    let mut misnamed: serde_json::Value = serde_json::from_str(&events[0]).unwrap();
    misnamed["tenant"] = "tuyen-quang".into();
    misnamed["dossier"]["code"] = "000.00.04.H05-261110-0028".into();
    match h.notifier.process_message(&misnamed.to_string()).await {
        Disposition::DeadLetter(reason) => {
            assert!(reason.contains("belongs to tenant bac-ninh"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(h.fake.delivered().is_empty(), "nothing was sent");
    for (tenant, code) in [
        ("bac-ninh", "000.00.04.H60-261110-0028"),
        ("tuyen-quang", "000.00.04.H05-261110-0028"),
    ] {
        let stored = h
            .store
            .load_dossier(
                &TenantId::parse(tenant).unwrap(),
                &DossierCode::parse(code).unwrap(),
            )
            .await
            .unwrap();
        assert!(stored.is_none(), "nothing was stored for {tenant} {code}");
    }
    // the same event without the foreign name goes to its owner as always
    assert_eq!(
        decisions(h.notifier.process_message(&events[0]).await),
        vec![Decision::CsFree]
    );
}

#[tokio::test]
async fn concurrent_duplicates_of_one_event_send_once() {
    let h = Arc::new(Harness::embedded().await);
    h.link("0906591985", "u1", chrono::Duration::hours(1)).await;
    h.fake.set_latency(Duration::from_millis(50));
    let body = life().remove(0);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (h, body) = (h.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            h.notifier.process_message(&body).await
        }));
    }
    let mut retries = 0;
    for t in tasks {
        if let Disposition::Retry { .. } = t.await.unwrap() {
            retries += 1;
        }
    }
    assert_eq!(h.fake.delivered().len(), 1);
    assert_eq!(
        retries, 7,
        "the others see the event in progress and come back later"
    );
}

#[tokio::test]
async fn local_queue_loop_drains_with_the_same_code() {
    let h = Harness::embedded().await;
    h.link("0906591985", "u1", chrono::Duration::hours(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedDb::open(dir.path().join("q.redb")).unwrap().queue(
        "inbound",
        QueueSettings {
            visibility_timeout: Duration::from_millis(100),
            max_receives: 5,
        },
    );
    for body in life() {
        queue.send(&body).await.unwrap();
    }
    let mut rounds = 0;
    while queue.depth().await.unwrap() > 0 {
        rounds += 1;
        assert!(rounds < 50);
        let batch = queue.receive(10, Duration::from_millis(200)).await.unwrap();
        for (m, ack) in batch
            .iter()
            .zip(notifier::process_batch(&h.notifier, &queue, &batch).await)
        {
            if ack == Ack::Delete {
                queue.delete(&m.receipt).await.unwrap();
            }
        }
    }
    // processed concurrently, so later versions may overtake earlier ones: never more than 7
    // sends, and the final state is the last event's
    let sent = h.fake.delivered().len();
    assert!((1..=7).contains(&sent), "{sent}");
    let view = h
        .store
        .load_dossier(&h.tenant, &DossierCode::parse(CODE).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.dossier.version, 7);
}

#[tokio::test]
async fn delivery_receipts_show_in_the_dossier_timeline_once() {
    use motcua_app::notify::ReceiptKind;
    let h = Harness::embedded().await;
    h.link("0906591985", "u1", chrono::Duration::hours(1)).await;
    h.notifier.process_message(&life()[0]).await;
    // a second dossier reached by ZNS (its citizen consented at the counter)
    h.notifier
        .process_message(&with_consent(&fixture("canonical-twin-of-dvcqg.json")))
        .await;
    let sent = h.fake.delivered();
    assert_eq!(sent.len(), 2);
    let ids: Vec<String> = sent.iter().map(|r| r.message_id().unwrap()).collect();
    let at = "2026-11-24T03:00:05Z".parse().unwrap();
    let mut matched = 0;
    for id in &ids {
        if h.notifier
            .record_receipt(OA, id, ReceiptKind::Delivered, at)
            .await
            .unwrap()
        {
            matched += 1;
        }
    }
    assert_eq!(matched, 2, "both messages matched back to their dossiers");
    // Zalo retries the receipt: recorded once; an unknown message id is ignored
    assert!(
        !h.notifier
            .record_receipt(OA, &ids[0], ReceiptKind::Delivered, at)
            .await
            .unwrap()
    );
    assert!(
        !h.notifier
            .record_receipt(OA, "not-ours", ReceiptKind::Seen, at)
            .await
            .unwrap()
    );
    assert!(
        h.notifier
            .record_receipt(OA, &ids[0], ReceiptKind::Seen, at)
            .await
            .unwrap()
    );
    let view = h
        .store
        .load_dossier(&h.tenant, &DossierCode::parse(CODE).unwrap())
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<(&str, Option<&str>)> = view
        .timeline
        .iter()
        .map(|e| (e.kind.as_str(), e.note.as_deref()))
        .collect();
    assert!(
        kinds.contains(&("delivered", Some("zalo_cs_free"))),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("seen", Some("zalo_cs_free"))), "{kinds:?}");
    let twin = h
        .store
        .load_dossier(
            &h.tenant,
            &DossierCode::parse("000.00.13.H60-261116-0105").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        twin.timeline
            .iter()
            .any(|e| e.kind == "delivered" && e.note.as_deref() == Some("zns"))
    );
}
