//! The local consumer runs the notifier: valid events are applied and notified, events that can
//! never succeed go to the dead-letter queue with a reason, and re-deliveries change nothing.

use std::path::Path;
use std::time::Duration;

use motcua_app::Queue;
use motcua_domain::{DossierCode, PhoneNumber, TenantId};

fn fixture() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/local/legacy-event-received.json"),
    )
    .unwrap()
}

async fn state() -> (tempfile::TempDir, std::sync::Arc<local::AppState>) {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    // half an hour after the fixture's reception (2026-11-10 08:30 in Vietnam)
    let clock = std::sync::Arc::new(motcua_app::ManualClock::at("2026-11-10T02:00:00Z"));
    crate::admin::write_staff(dir.path());
    let state = local::open(dir.path(), &config, None, local::LOOKUPS_PER_MINUTE, clock)
        .await
        .unwrap();
    (dir, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applies_and_notifies_once_and_dead_letters_what_cannot_succeed() {
    let (_dir, state) = state().await;
    let tq = TenantId::parse("tuyen-quang").unwrap();
    // the applicant linked their Zalo account an hour ago
    let keys = state.tenancy.keys(&tq).unwrap();
    let phone = keys.protect_phone(&PhoneNumber::parse("0906591985").unwrap());
    let at = state.clock.now() - chrono::Duration::hours(1);
    state
        .store
        .set_following(&tq, "u-demo", true, at)
        .await
        .unwrap();
    state
        .store
        .link_phone(&tq, "u-demo", &phone, at)
        .await
        .unwrap();
    state
        .store
        .record_interaction(&tq, "u-demo", at)
        .await
        .unwrap();

    let unknown_tenant = fixture().replace("H60-261110", "H56-261110");
    // the event and two poison messages, then the legacy system re-sends the event (concurrent
    // duplicates within one batch are covered by the notifier's own tests)
    let mut done = 0;
    for batch in [
        vec![fixture(), "not json".to_string(), unknown_tenant],
        vec![fixture()],
    ] {
        for body in &batch {
            state.inbound.send(body).await.unwrap();
        }
        done += local::worker::drain_once(&state, Duration::from_millis(500))
            .await
            .unwrap();
    }
    assert_eq!(done, 4);
    assert_eq!(state.inbound.depth().await.unwrap(), 0);

    let fake = state.zalo_fake.as_ref().unwrap();
    let sent = fake.delivered();
    assert_eq!(sent.len(), 1, "the duplicate sent nothing");
    assert!(sent[0].text().unwrap().contains("đã được tiếp nhận"));
    assert_eq!(sent[0].recipient().as_deref(), Some("u-demo"));

    let dead = state
        .inbound
        .dead_letter_queue()
        .receive(10, Duration::from_secs(1))
        .await
        .unwrap();
    let reasons: Vec<String> = dead
        .iter()
        .map(|m| m.dead_letter_reason.clone().unwrap())
        .collect();
    assert_eq!(dead.len(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("not JSON")));
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("no tenant is configured for 000.00.04.H56"))
    );

    let view = state
        .store
        .load_dossier(
            &tq,
            &DossierCode::parse("000.00.04.H60-261110-0028").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.dossier.applicant_name_masked, "N. T. T. M***");
    let p = view.dossier.applicant_phone.as_ref().unwrap();
    assert!(!p.sealed.contains("906591985") && !p.hash.contains("906591985"));
    assert_eq!(keys.open_phone(p).unwrap().national(), "0906591985");
}

#[tokio::test]
async fn demo_seed_is_idempotent_and_routes_old_codes_to_merged_provinces() {
    let (_dir, state) = state().await;
    let first = local::seed_demo(&state).await.unwrap();
    let second = local::seed_demo(&state).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first.len(), 5);
    let bac_giang_code = DossierCode::parse("000.00.07.H02-261117-0042").unwrap();
    let view = state
        .store
        .load_dossier(&TenantId::parse("bac-ninh").unwrap(), &bac_giang_code)
        .await
        .unwrap()
        .expect("a pre-2025 Bắc Giang code belongs to Bắc Ninh");
    assert_eq!(view.timeline.len(), 1);
}

/// Personal data in, none of it readable in the file: DVCQG payloads (a valid one and one that
/// can only be dead-lettered) go through the local queue and the notifier; then a byte scan of
/// `motcua.redb` (live tables and freed pages) finds none of the applicants' phones, in any
/// form, nor their names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_personal_data_of_a_payload_is_readable_in_the_database_file() {
    let (dir, state) = state().await;
    let valid = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/notifier/dvcqg-received.json"),
    )
    .unwrap();
    let poison = r#"{"service":"DongBoHoSoMC","isUpdating":false,"data":[{"MaHoSo":"không phải mã","ChuHoSo":"LÊ THỊ HOA","SoDienThoai":"0912345678","TrangThaiHoSo":"2"}]}"#;
    for body in [valid.as_str(), poison, fixture().as_str()] {
        state.inbound.send(body).await.unwrap();
    }
    local::worker::drain_once(&state, Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(state.inbound.depth().await.unwrap(), 0, "all consumed");
    assert_eq!(
        state.inbound.dead_letter_queue().depth().await.unwrap(),
        1,
        "the poison is kept, sealed"
    );
    let bytes = std::fs::read(dir.path().join("motcua.redb")).unwrap();
    let found: Vec<&str> = [
        "0987123456",
        "84987123456",
        "987123456",
        "0912345678",
        "84912345678",
        "0906591985",
        "84906591985",
        "TRẦN VĂN HÙNG",
        "LÊ THỊ HOA",
        "Hùng",
    ]
    .into_iter()
    .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
    .collect();
    assert!(found.is_empty(), "readable in the file: {found:?}");
}

/// The local server's daily purge applies each tenant's retention to the embedded store with
/// the injected clock: two years on, the seeded dossiers that closed are gone and open ones
/// stay, and the next start compacts the file. A dead letter is kept within its 14 days
/// (dropped after: the embedded queue's test).
#[tokio::test]
async fn the_daily_purge_drops_closed_dossiers_past_their_retention() {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    let clock = std::sync::Arc::new(motcua_app::ManualClock::at("2026-11-10T02:00:00Z"));
    let state = local::open(
        dir.path(),
        &config,
        None,
        local::LOOKUPS_PER_MINUTE,
        clock.clone(),
    )
    .await
    .unwrap();
    let codes = local::seed_demo(&state).await.unwrap();
    state
        .inbound
        .dead_letter("not json", "unparseable")
        .await
        .unwrap();
    let (report, dropped) = local::scheduled::purge_once(&state).await.unwrap();
    assert_eq!((report.dossiers, dropped), (0, 0), "nothing is old yet");

    let mut closed = Vec::new();
    for c in &codes {
        let tenant = state.tenancy.for_code(c).unwrap().id.clone();
        let d = state.store.load_dossier(&tenant, c).await.unwrap().unwrap();
        closed.push((tenant, c.clone(), d.dossier.closed_at().is_some()));
    }
    assert!(
        closed.iter().any(|c| c.2) && closed.iter().any(|c| !c.2),
        "{closed:?}"
    );
    clock.set_at("2028-11-10T02:00:00Z");
    let (report, _) = local::scheduled::purge_once(&state).await.unwrap();
    assert_eq!(report.dossiers, closed.iter().filter(|c| c.2).count());
    for (tenant, c, was_closed) in &closed {
        let kept = state.store.load_dossier(tenant, c).await.unwrap().is_some();
        assert_eq!(kept, !was_closed, "{c}");
    }
    // the next start compacts the file: what the purge freed is gone from it
    let file = dir.path().join("motcua.redb");
    drop(state);
    let before = std::fs::metadata(&file).unwrap().len();
    let state = local::open(dir.path(), &config, None, local::LOOKUPS_PER_MINUTE, clock)
        .await
        .unwrap();
    let after = std::fs::metadata(&file).unwrap().len();
    assert!(after < before, "{before} -> {after}");
    let (tenant, open_code, _) = closed.iter().find(|c| !c.2).unwrap();
    assert!(
        state
            .store
            .load_dossier(tenant, open_code)
            .await
            .unwrap()
            .is_some()
    );
}

/// Zalo's follower count of each OA goes into the statistics once a day, however often the
/// hourly job runs; a failed read is retried at the next run and never counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zalo_follower_counts_are_read_once_a_day_into_the_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    let clock = std::sync::Arc::new(motcua_app::ManualClock::at("2026-11-10T02:00:00Z"));
    let state = local::open(
        dir.path(),
        &config,
        None,
        local::LOOKUPS_PER_MINUTE,
        clock.clone(),
    )
    .await
    .unwrap();
    let fake = state.zalo_fake.clone().unwrap();
    let (tq_oa, bn_oa) = ("0000000000000000001", "0000000000000000002");
    fake.set_followers(tq_oa, 12_345);
    fake.set_followers(bn_oa, 678);
    fake.fail_next(
        motcua_zalo_fake::Endpoint::OaInfo,
        motcua_zalo_fake::Fault::Code(-32),
        1,
    );
    let first = local::scheduled::read_followers_once(&state).await;
    assert_eq!(first.read.len() + first.failed.len(), 2, "{first:?}");
    assert_eq!(first.failed.len(), 1, "one read refused: {first:?}");
    clock.set_at("2026-11-10T03:00:00Z");
    let second = local::scheduled::read_followers_once(&state).await;
    assert_eq!(
        (second.read.len(), second.already.len()),
        (1, 1),
        "{second:?}"
    );
    fake.set_followers(tq_oa, 12_400);
    let third = local::scheduled::read_followers_once(&state).await;
    assert_eq!(third.already.len(), 2, "{third:?}");
    clock.set_at("2026-11-11T02:00:00Z");
    let next_day = local::scheduled::read_followers_once(&state).await;
    assert_eq!(next_day.read.len(), 2, "{next_day:?}");

    let tq = TenantId::parse("tuyen-quang").unwrap();
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let prices = state.tenancy.directory().get(&tq).unwrap().prices.clone();
    let stats = motcua_app::stats::compute(
        state.store.as_ref(),
        &tq,
        &prices,
        day("2026-11-10"),
        day("2026-11-11"),
    )
    .await
    .unwrap();
    let per_day: Vec<i64> = stats.days.iter().map(|d| d.zalo_followers).collect();
    assert_eq!(
        per_day,
        [12_345, 12_400],
        "once per day, not summed over the runs"
    );
    assert_eq!(stats.zalo_followers, Some(12_400), "the last count read");
    let csv = motcua_app::stats::to_csv(&stats);
    let row = csv.lines().find(|l| l.starts_with("2026-11-11,")).unwrap();
    assert!(row.ends_with(",12400"), "the last column: {row}");
}
