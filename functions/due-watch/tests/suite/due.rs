//! Due-soon and overdue flags: once per dossier and date, never for finished dossiers or
//! dossiers waiting for the citizen, again when the agency sets a new date.

use std::sync::Arc;

use due_watch::{DueReport, DueSettings, DueWatch};
use motcua_app::metrics::RecordingMetrics;
use motcua_app::{ManualClock, Store, Tenancy, TenantFile};
use motcua_domain::{DossierCode, TenantId};

fn dossier(seq: u32, due: &str, status: u8, version: u64) -> motcua_domain::Dossier {
    let mut d = motcua_app::contract::dossier(
        "tuyen-quang",
        &format!("000.00.04.H60-261110-{seq:04}"),
        version,
    );
    d.due_at = Some(due.parse().unwrap());
    d.status = motcua_domain::NationalStatus::try_from(status).unwrap();
    d
}

#[tokio::test]
async fn flags_once_and_again_for_a_new_date() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.path().join("db.redb"))
            .unwrap()
            .store(),
    );
    let toml =
        "[[tenant]]\nid = \"tuyen-quang\"\nname = \"Tuyên Quang\"\nagency_codes = [\"H60\"]\n";
    let tenancy = Tenancy::new(TenantFile::parse(toml).unwrap().tenant, |_| {
        Some(vec![7; 32])
    })
    .unwrap();
    let clock = Arc::new(ManualClock::at("2026-11-24T03:00:00Z"));
    let metrics = Arc::new(RecordingMetrics::default());
    for d in [
        dossier(1, "2026-11-24T10:00:00Z", 4, 1), // due in 7 h, processing: due soon
        dossier(2, "2026-11-25T10:00:00Z", 4, 1), // due in 31 h: not yet
        dossier(3, "2026-11-24T10:00:00Z", 5, 1), // waiting for the citizen's papers
        dossier(4, "2026-11-24T10:00:00Z", 9, 1), // finished
        dossier(5, "2026-11-20T10:00:00Z", 4, 1), // 4 days late
    ] {
        store.upsert_dossier_if_newer(&d).await.unwrap();
    }
    let watch = DueWatch {
        store: store.clone(),
        tenancy,
        clock: clock.clone(),
        metrics: metrics.clone(),
        settings: DueSettings::default(),
    };
    assert_eq!(
        watch.run().await.unwrap(),
        DueReport {
            due_soon: 1,
            overdue: 1
        }
    );
    assert_eq!(
        watch.run().await.unwrap(),
        DueReport::default(),
        "flagged once"
    );
    assert_eq!(metrics.total("DossierOverdue"), 1.0);

    // a day later: #1 is now overdue, #2 due soon
    clock.set_at("2026-11-25T03:00:00Z");
    assert_eq!(
        watch.run().await.unwrap(),
        DueReport {
            due_soon: 1,
            overdue: 1
        }
    );
    // the agency sets a new date for #5 (apology): it can be flagged again when that passes
    store
        .upsert_dossier_if_newer(&dossier(5, "2026-11-25T02:00:00Z", 4, 2))
        .await
        .unwrap();
    assert_eq!(
        watch.run().await.unwrap(),
        DueReport {
            due_soon: 0,
            overdue: 1
        }
    );

    let tq = TenantId::parse("tuyen-quang").unwrap();
    let view = store
        .load_dossier(
            &tq,
            &DossierCode::parse("000.00.04.H60-261110-0001").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = view.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["due_soon", "overdue"]);
    assert_eq!(
        view.timeline[0].note.as_deref(),
        Some("hẹn trả 17:00 24/11/2026")
    );
    let month = "2026-11-01".parse().unwrap();
    assert_eq!(
        store.monthly(&tq, "dossier.overdue", month).await.unwrap(),
        3
    );
    assert_eq!(
        store.monthly(&tq, "dossier.due_soon", month).await.unwrap(),
        2
    );
}
