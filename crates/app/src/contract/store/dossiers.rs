//! Store contract: Dossiers, timelines and the phone and due-date indexes.

use super::*;

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

pub async fn dossier_replace_is_conditional_on_the_revision<S: Store + 'static>(s: Arc<S>) {
    let load = || async {
        s.load_dossier(&tenant("tq"), &code(C1))
            .await
            .unwrap()
            .map(|v| v.dossier)
    };
    let mut d = dossier("tq", C1, 1);
    d.sync.revision = 1;
    assert!(
        !s.replace_dossier(&d, Some(0)).await.unwrap(),
        "nothing stored yet"
    );
    assert!(s.replace_dossier(&d, None).await.unwrap());
    assert!(
        !s.replace_dossier(&d, None).await.unwrap(),
        "create only once"
    );
    let mut d2 = dossier("tq", C1, 2);
    d2.sync.revision = 2;
    d2.late = true;
    d2.step_unit = Some("Phòng Quản lý đô thị".into());
    d2.sync.arrivals = 5;
    d2.sync.notified = Some(motcua_domain::NoticeStamp {
        digest: "d".into(),
        event_id: "e".into(),
    });
    assert!(
        !s.replace_dossier(&d2, Some(7)).await.unwrap(),
        "wrong revision"
    );
    assert_eq!(
        load().await,
        Some(d.clone()),
        "a refused write changes nothing"
    );
    assert!(s.replace_dossier(&d2, Some(1)).await.unwrap());
    assert_eq!(load().await, Some(d2.clone()), "every field round-trips");
    // Still indexed like any dossier.
    assert_eq!(
        s.dossiers_by_phone(&tenant("tq"), "hash-applicant")
            .await
            .unwrap()
            .len(),
        1
    );
    // A record written before revisions existed counts as revision 0.
    let legacy = dossier("tq", C2, 1);
    s.upsert_dossier_if_newer(&legacy).await.unwrap();
    let mut next = dossier("tq", C2, 2);
    next.sync.revision = 1;
    assert!(!s.replace_dossier(&next, None).await.unwrap());
    assert!(s.replace_dossier(&next, Some(0)).await.unwrap());
}

pub async fn dossier_concurrent_replaces_have_one_winner<S: Store + 'static>(s: Arc<S>) {
    let mut first = dossier("tq", C1, 1);
    first.sync.revision = 1;
    assert!(s.replace_dossier(&first, None).await.unwrap());
    let mut tasks = Vec::new();
    for v in 2..12u64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut d = dossier("tq", C1, v);
            d.sync.revision = 2;
            (v, s.replace_dossier(&d, Some(1)).await.unwrap())
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (v, won) = t.await.unwrap();
        if won {
            winners.push(v);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let stored = s
        .load_dossier(&tenant("tq"), &code(C1))
        .await
        .unwrap()
        .unwrap()
        .dossier;
    assert_eq!(stored.version, winners[0]);
}

pub async fn dossier_concurrent_upserts_keep_the_highest_version<S: Store + 'static>(s: Arc<S>) {
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

pub async fn dossiers_by_phone_matches_applicant_and_representative<S: Store + 'static>(s: Arc<S>) {
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
