//! The local consumer: valid events are applied, events that can never succeed go to the
//! dead-letter queue with a reason, and re-deliveries change nothing.

use std::path::Path;
use std::time::Duration;

use local::worker::{Disposition, handle};
use motcua_app::Queue;
use motcua_domain::{DossierCode, TenantId};

fn fixture() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/local/legacy-event-received.json"),
    )
    .unwrap()
}

async fn state() -> (tempfile::TempDir, std::sync::Arc<local::AppState>) {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    let state = local::open(dir.path(), &config, None).await.unwrap();
    (dir, state)
}

async fn next(state: &local::AppState) -> motcua_app::QueueMessage {
    let mut got = state
        .inbound
        .receive(1, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    got.remove(0)
}

#[tokio::test]
async fn applies_once_and_dead_letters_what_cannot_succeed() {
    let (_dir, state) = state().await;
    let unknown_tenant = fixture().replace("H60-261110", "H56-261110");
    for body in [fixture(), fixture(), "not json".to_string(), unknown_tenant] {
        state.inbound.send(&body).await.unwrap();
    }
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        let m = next(&state).await;
        outcomes.push(handle(&state, &m).await);
    }
    assert_eq!(outcomes[0], Disposition::Applied);
    assert_eq!(
        outcomes[1],
        Disposition::Applied,
        "a re-send is applied idempotently"
    );
    assert!(matches!(&outcomes[2], Disposition::DeadLettered(r) if r.contains("not valid JSON")));
    assert!(
        matches!(&outcomes[3], Disposition::DeadLettered(r) if r.contains("no tenant is configured for agency 000.00.04.H56"))
    );
    assert_eq!(state.inbound.depth().await.unwrap(), 0);

    let dead = state
        .inbound
        .dead_letter_queue()
        .receive(10, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(dead.len(), 2);
    assert_eq!(
        dead[0].body, "not json",
        "the original body is kept for replay"
    );
    assert!(dead.iter().all(|m| m.dead_letter_reason.is_some()));

    let view = state
        .store
        .load_dossier(
            &TenantId::parse("tuyen-quang").unwrap(),
            &DossierCode::parse("000.00.04.H60-261110-0028").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        view.timeline.len(),
        1,
        "the duplicate added no timeline entry"
    );
    assert_eq!(view.dossier.applicant_name_masked, "N. T. T. M***");
    let phone = view.dossier.applicant_phone.as_ref().unwrap();
    assert!(!phone.sealed.contains("906591985") && !phone.hash.contains("906591985"));
    let keys = state.tenancy.keys(&view.dossier.tenant).unwrap();
    assert_eq!(keys.open_phone(phone).unwrap().national(), "0906591985");
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
