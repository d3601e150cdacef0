//! Safe sending: a tenant in trial mode reaches only its staff testers, and records every other
//! notice as withheld.

use crate::common::*;
use motcua_app::notify::Decision;

/// Tuyên Quang in trial mode with one tester phone and one tester Zalo user.
fn trial_tenants() -> String {
    TENANTS.replacen(
        "[tenant.zalo]\n",
        "[tenant.trial]\nphones = [\"0987 123 456\"]\nzalo_users = [\"u-tester\"]\n[tenant.zalo]\n",
        1,
    )
}

fn decisions(d: motcua_app::notify::Disposition) -> Vec<Decision> {
    match d {
        motcua_app::notify::Disposition::Done(done) => done.into_iter().map(|(_, d)| d).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn trial_mode_sends_nothing_outside_the_testers() {
    let h = Harness::embedded_with(&trial_tenants()).await;
    // a citizen linked in the chat, and the same life a tester's phone would get
    h.link("0906591985", "u-citizen", chrono::Duration::hours(1))
        .await;
    let life = life();
    let withheld = decisions(h.notifier.process_message(&life[0]).await);
    assert_eq!(withheld, [Decision::Withheld("zalo_cs_free".into())]);
    assert!(h.fake.delivered().is_empty(), "nothing reached the citizen");
    assert!(
        h.outbound.sent().is_empty(),
        "nothing was sent, so no ledger status"
    );
    let code = motcua_domain::DossierCode::parse("000.00.04.H60-261110-0028").unwrap();
    let view = h
        .store
        .load_dossier(&h.tenant, &code)
        .await
        .unwrap()
        .unwrap();
    assert!(
        view.timeline
            .iter()
            .any(|e| e.note.as_deref() == Some("trial_withheld: would have sent zalo_cs_free")),
        "{:?}",
        view.timeline
    );
    // the tester's phone (the DVCQG twin's applicant) gets its ZNS
    let zns = decisions(
        h.notifier
            .process_message(&with_consent(&fixture("canonical-twin-of-dvcqg.json")))
            .await,
    );
    assert_eq!(zns, [Decision::Zns]);
    assert_eq!(h.fake.delivered().len(), 1);
    assert_eq!(
        h.fake.delivered()[0].recipient().as_deref(),
        Some("84987123456")
    );
}

#[tokio::test]
async fn a_tester_zalo_user_gets_the_chat_message_of_any_phone() {
    let h = Harness::embedded_with(&trial_tenants()).await;
    h.link("0906591985", "u-tester", chrono::Duration::hours(1))
        .await;
    let sent = decisions(h.notifier.process_message(&life()[0]).await);
    assert_eq!(sent, [Decision::CsFree]);
    assert_eq!(
        h.fake.delivered()[0].recipient().as_deref(),
        Some("u-tester")
    );
}

/// The DVCQG twin's received event for dossier number `n` (each its own code), with consent:
/// a ZNS notice when no Zalo user is linked.
fn zns_notice(n: u32) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&with_consent(&fixture("canonical-twin-of-dvcqg.json"))).unwrap();
    v["event_id"] = format!("cap-{n}").into();
    v["dossier"]["code"] = format!("000.00.13.H60-261116-{:04}", 200 + n).into();
    v.to_string()
}

/// Five ZNS a day (1,000 VND at 200 VND): the sixth ZNS notice is not sent and is undeliverable
/// with the cap as its reason; a chat message still goes; the 80 % alarm counts from the fourth
/// send; the next Vietnam day has its own cap.
#[tokio::test]
async fn the_spend_cap_stops_zns_at_the_cap_and_never_stops_the_chat() {
    let tenants = TENANTS.replacen(
        "[tenant.zalo]\n",
        "[tenant.notify]\nzns_daily_cap_vnd = 1000\n[tenant.prices]\nzns = 200\n[tenant.zalo]\n",
        1,
    );
    let h = Harness::embedded_with(&tenants).await;
    let mut got = Vec::new();
    for n in 1..=6 {
        got.extend(decisions(h.notifier.process_message(&zns_notice(n)).await));
        let warnings = h.metrics.total("ZnsSpendCapWarning") as u32;
        assert_eq!(warnings, n.saturating_sub(3).min(2), "after notice {n}");
    }
    assert_eq!(&got[..5], &vec![Decision::Zns; 5][..]);
    assert!(
        matches!(&got[5], Decision::Undeliverable(why) if why.contains("zns: daily spend cap reached")),
        "{:?}",
        got[5]
    );
    assert_eq!(h.fake.delivered().len(), 5, "no sixth ZNS went to Zalo");
    assert_eq!(h.metrics.total("ZnsSpendCapReached"), 1.0);
    // the chat is never capped
    h.link("0906591985", "u-chat", chrono::Duration::hours(1))
        .await;
    assert_eq!(
        decisions(h.notifier.process_message(&life()[0]).await),
        [Decision::CsFree]
    );
    // tomorrow (Vietnam day), a new cap
    h.clock.advance(chrono::Duration::hours(24));
    assert_eq!(
        decisions(h.notifier.process_message(&zns_notice(7)).await),
        [Decision::Zns]
    );
}

/// Zalo's own billing refusals alarm at once: -115 (out of ZNS balance) and -144 (the OA's
/// daily ZNS quota).
#[tokio::test]
async fn zalo_billing_refusals_raise_their_alarms() {
    let h = Harness::embedded().await;
    h.fake.fail_recipient("84987123456", -115);
    let first = decisions(h.notifier.process_message(&zns_notice(1)).await);
    assert!(matches!(&first[0], Decision::Undeliverable(_)), "{first:?}");
    assert_eq!(h.metrics.total("ZnsBalanceExhausted"), 1.0);
    h.fake.fail_recipient("84987123456", -144);
    let second = h.notifier.process_message(&zns_notice(2)).await;
    assert!(
        matches!(second, motcua_app::notify::Disposition::Retry { .. }),
        "{second:?}"
    );
    assert_eq!(h.metrics.total("ZnsDailyQuotaReached"), 1.0);
}
