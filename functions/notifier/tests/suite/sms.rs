//! Brandname SMS, the last channel: a notice that carries a deadline (supplement, fee, result
//! ready, late apology) and that no Zalo channel delivered goes by the tenant's SMS gateway,
//! once, in the template the province registered; other notices never do; a tenant without
//! `[tenant.sms]` sends none; an SMS the gateway refuses leaves the notice on the worklist.

use crate::common::*;
use motcua_app::Clock;
use motcua_app::notify::{Decision, Disposition};
use motcua_domain::DossierCode;
use motcua_domain::catalogue::Notice;
use motcua_domain::catalogue::sms::{sms_text, without_diacritics};
use motcua_domain::delivery::DeliveryState;
use motcua_domain::{EventKind, NationalStatus};

const PHONE: &str = "84906591985";

fn sms_tenants() -> String {
    TENANTS.replacen(
        "[tenant.zalo]\n",
        "[tenant.sms]\nbrandname = \"UBND-TQ\"\n[tenant.zalo]\n",
        1,
    )
}

fn decisions(d: Disposition) -> Vec<Decision> {
    match d {
        Disposition::Done(done) => done.into_iter().map(|(_, d)| d).collect(),
        other => panic!("{other:?}"),
    }
}

fn code() -> DossierCode {
    DossierCode::parse("000.00.04.H60-261110-0028").unwrap()
}

/// The life with consent, every ZNS to the citizen's phone refused by Zalo (-114: this
/// account cannot receive it), and no Zalo user linked: only SMS can reach them.
async fn unreachable_by_zalo(h: &Harness) -> Vec<Vec<Decision>> {
    h.fake.fail_recipient(PHONE, -114);
    let mut out = Vec::new();
    for body in life() {
        out.push(decisions(
            h.notifier.process_message(&with_consent(&body)).await,
        ));
    }
    out
}

#[tokio::test]
async fn deadline_notices_zalo_cannot_deliver_go_by_sms_once() {
    let h = Harness::embedded_with(&sms_tenants()).await;
    let decided = unreachable_by_zalo(&h).await;
    let kinds = [
        "received",
        "step_changed",
        "step_changed",
        "step_changed",
        "supplement_requested",
        "result_ready",
        "result_returned",
    ];
    for (kind, d) in kinds.iter().zip(&decided) {
        let deadline = matches!(*kind, "supplement_requested" | "result_ready");
        match &d[..] {
            [Decision::Sms] => assert!(deadline, "{kind} went by SMS"),
            [Decision::Undeliverable(why)] => {
                assert!(!deadline, "{kind}: {why}");
                assert!(!why.contains("sms"), "{kind}: {why}");
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
    let sent = h.sms.accepted();
    assert_eq!(sent.len(), 2, "{:?}", h.sms.records());
    for r in &sent {
        assert_eq!(r.phone(), PHONE);
        assert!(r.content().is_ascii(), "{}", r.content());
        assert!(r.content().contains("000.00.04.H60-261110-0028"));
        assert!(!r.content().to_lowercase().contains("man"), "no name");
    }
    assert!(
        sent[0].content().contains("can bo sung"),
        "{}",
        sent[0].content()
    );
    assert!(
        sent[1].content().contains("da co ket qua"),
        "{}",
        sent[1].content()
    );

    // SQS delivers the whole life again: nothing more goes out
    for body in life() {
        h.notifier.process_message(&with_consent(&body)).await;
    }
    assert_eq!(h.sms.records().len(), 2, "no second request");

    // the ledger holds the SMS as accepted, with no receipt to wait for, off the worklist
    let ledger = h.notifier.ledger();
    let notices = ledger
        .store
        .deliveries_of(&h.tenant, &code())
        .await
        .unwrap();
    let by_sms: Vec<_> = notices.iter().filter(|d| d.channel == "sms").collect();
    assert_eq!(by_sms.len(), 2);
    for d in &by_sms {
        assert_eq!(d.state(), DeliveryState::Accepted);
        assert_eq!(d.price_class, "sms");
        assert!(d.receipt_due.is_none());
        assert!(!d.needs_follow_up());
    }
    let swept = ledger
        .sweep(
            &h.tenant,
            h.clock.now() + chrono::Duration::days(30),
            100,
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(
        swept.expired, 0,
        "an SMS never expires for want of a receipt"
    );
    let worklist = ledger.store.not_reached(&h.tenant, 100).await.unwrap();
    assert!(worklist.is_empty(), "{worklist:?}");
}

#[tokio::test]
async fn without_sms_or_when_it_is_refused_the_notice_waits_for_staff() {
    // a tenant that has not enabled SMS: nothing goes to the gateway
    let off = Harness::embedded().await;
    unreachable_by_zalo(&off).await;
    assert!(off.sms.records().is_empty());
    let worklist = off
        .notifier
        .ledger()
        .store
        .not_reached(&off.tenant, 100)
        .await
        .unwrap();
    assert_eq!(
        worklist.len(),
        2,
        "supplement and result ready wait for a call"
    );

    // the gateway blocks the phone (99): undeliverable, on the worklist, with the reason
    let refused = Harness::embedded_with(&sms_tenants()).await;
    refused.sms.block_phone(PHONE);
    let decided = unreachable_by_zalo(&refused).await;
    let Decision::Undeliverable(why) = &decided[4][0] else {
        panic!("{decided:?}")
    };
    assert!(why.contains("sms: RecipientPermanent"), "{why}");
    assert!(!why.contains("906591985"), "no phone in the reason: {why}");
    let worklist = refused
        .notifier
        .ledger()
        .store
        .not_reached(&refused.tenant, 100)
        .await
        .unwrap();
    assert_eq!(worklist.len(), 2);
    assert_eq!(
        refused.metrics.total("SmsRefused"),
        0.0,
        "the phone, not us"
    );
}

#[tokio::test]
async fn a_gateway_that_refuses_our_account_raises_the_alarm() {
    let h = Harness::embedded_with(&sms_tenants().replace("UBND-TQ", "UBND-XX")).await;
    let decided = unreachable_by_zalo(&h).await;
    assert!(matches!(&decided[4][0], Decision::Undeliverable(_)));
    assert_eq!(h.sms.records()[0].code, "104", "brandname not registered");
    assert_eq!(h.metrics.total("SmsRefused"), 2.0);
}

#[tokio::test]
async fn sms_waits_for_the_morning_like_every_template() {
    let h = Harness::embedded_with(&sms_tenants()).await;
    h.clock.set_at("2026-11-24T16:00:00Z"); // 23:00 in Vietnam
    h.fake.fail_recipient(PHONE, -114);
    let supplement = with_consent(&life()[4]);
    let held = h.notifier.process_message(&supplement).await;
    assert!(matches!(held, Disposition::Retry { .. }), "{held:?}");
    assert!(h.sms.records().is_empty());
}

/// Every SMS the catalogue can write matches a template as the RUNBOOK tells the province to
/// register it (the gateway refuses any other text), over generated codes, fees and dates.
#[tokio::test]
async fn every_sms_text_matches_a_registered_template() {
    let h = Harness::embedded_with(&sms_tenants()).await;
    let gateway = h.notifier.sms.clone().expect("a gateway");
    let phone = motcua_domain::PhoneNumber::parse("0906591985").unwrap();
    let mut n = 0u64;
    for kind in EventKind::ALL.into_iter().filter(|k| k.bears_deadline()) {
        for seed in 0..25u64 {
            n += 1;
            let notice = Notice {
                kind,
                code: format!(
                    "{}.{:02}.{:02}.H{:02}-{:02}{:02}{:02}-{:04}",
                    ["000", "001", "123"][(seed % 3) as usize],
                    seed % 100,
                    (seed * 7) % 100,
                    10 + seed % 90,
                    seed % 30 + 1,
                    seed % 12 + 1,
                    seed % 28 + 1,
                    seed * 37 % 10_000
                ),
                procedure: "Cấp giấy phép xây dựng".into(),
                status: NationalStatus::Processing,
                step: None,
                unit: None,
                due: Some("01/12/2026".into()),
                new_due: (seed % 2 == 0).then(|| format!("{:02}/01/2027", seed % 28 + 1)),
                reason: Some("Thiếu bản vẽ".into()),
                missing_papers: Vec::new(),
                fee_amount: (seed % 3 != 0).then_some(seed * 104_729 % 50_000_000),
            };
            let text = without_diacritics(&sms_text(&notice).unwrap());
            let sms = motcua_app::sms::Sms {
                brandname: "UBND-TQ",
                phone: &phone,
                text: &text,
                unicode: false,
                request_id: &format!("gen-{n}"),
            };
            gateway
                .send_sms(&h.tenant, &sms)
                .await
                .unwrap_or_else(|e| panic!("{kind:?}: {text:?}: {e}"));
        }
    }
    assert_eq!(h.sms.accepted().len() as u64, n);
}
