//! Store contract: Audit trail and announcements.

use super::*;

pub async fn audit_entries_are_kept_per_day_newest_first<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let entry = |at: &str, action: &str, tenant_id: &str| AuditEntry {
        tenant: tenant(tenant_id),
        at: t(at),
        actor: "canbo.a".into(),
        action: action.into(),
        target: "ticket:1".into(),
        outcome: "ok".into(),
        detail: None,
    };
    // 2026-11-20 in Vietnam runs from 2026-11-19T17:00Z to 2026-11-20T17:00Z
    for (at, action) in [
        ("2026-11-19T16:59:59Z", "day_before"),
        ("2026-11-19T17:00:00Z", "first"),
        ("2026-11-20T09:00:00Z", "second"),
        ("2026-11-20T09:00:00Z", "same_instant"),
        ("2026-11-20T16:59:59Z", "last"),
    ] {
        let e = entry(at, action, "tq");
        s.append_audit(&e, e.at + Span::days(730)).await.unwrap();
    }
    let other = entry("2026-11-20T09:00:00Z", "other", "bn");
    s.append_audit(&other, other.at + Span::days(730))
        .await
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let got = s.audit_entries(&tq, day, 100).await.unwrap();
    let actions: Vec<&str> = got.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.len(), 4, "{actions:?}");
    assert_eq!(actions[0], "last");
    assert_eq!(actions[3], "first");
    assert!(actions.contains(&"second") && actions.contains(&"same_instant"));
    assert_eq!(got[0], entry("2026-11-20T16:59:59Z", "last", "tq"));
    assert_eq!(s.audit_entries(&tq, day, 1).await.unwrap().len(), 1);
}

pub async fn announcements_are_sent_once<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let draft = |id: &str, at: &str| Announcement {
        tenant: tq.clone(),
        id: id.into(),
        title: "Thông báo nghỉ lễ".into(),
        body: "Bộ phận Một cửa nghỉ ngày 2/9.".into(),
        link: Some("https://dichvucong.example.invalid/tin".into()),
        audience: Audience::CsFree,
        status: AnnouncementStatus::Draft,
        created_by: "admin".into(),
        created_at: t(at),
        sending_at: None,
        recipients: 0,
        scheduled_for: None,
    };
    assert!(
        s.create_announcement(&draft("a1", "2026-11-20T01:00:00Z"))
            .await
            .unwrap()
    );
    assert!(
        !s.create_announcement(&draft("a1", "2026-11-20T02:00:00Z"))
            .await
            .unwrap()
    );
    assert!(
        s.create_announcement(&draft("a2", "2026-11-21T01:00:00Z"))
            .await
            .unwrap()
    );
    let listed = s.list_announcements(&tq, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        vec!["a2", "a1"]
    );
    assert!(
        s.list_announcements(&tenant("bn"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // two presses of "send" at once: one wins
    let at = t("2026-11-21T02:00:00Z");
    let (a, b) = tokio::join!(
        s.begin_sending(&tq, "a1", 12, at),
        s.begin_sending(&tq, "a1", 12, at)
    );
    assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|w| **w).count(), 1);
    assert!(!s.begin_sending(&tq, "a1", 12, at).await.unwrap());
    assert!(!s.begin_sending(&tq, "missing", 1, at).await.unwrap());
    let sent = s.get_announcement(&tq, "a1").await.unwrap().unwrap();
    assert_eq!(sent.status, AnnouncementStatus::Sending);
    assert_eq!(sent.recipients, 12);
    assert_eq!(sent.sending_at, Some(at));
    assert_eq!(sent.title, "Thông báo nghỉ lễ");
    let listed = s.list_announcements(&tq, 10).await.unwrap();
    assert_eq!(listed[1].status, AnnouncementStatus::Sending);
    assert!(
        s.get_announcement(&tenant("bn"), "a1")
            .await
            .unwrap()
            .is_none()
    );

    // a scheduled one: approved once, started once, never back to a schedule
    let when = t("2026-11-22T01:00:00Z");
    let (a, b) = tokio::join!(
        s.schedule_announcement(&tq, "a2", when),
        s.schedule_announcement(&tq, "a2", when)
    );
    assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|w| **w).count(), 1);
    let scheduled = s.get_announcement(&tq, "a2").await.unwrap().unwrap();
    assert_eq!(scheduled.status, AnnouncementStatus::Scheduled);
    assert_eq!(scheduled.scheduled_for, Some(when));
    assert!(
        !s.schedule_announcement(&tq, "a1", when).await.unwrap(),
        "sending already"
    );
    let (a, b) = tokio::join!(
        s.begin_sending(&tq, "a2", 3, when),
        s.begin_sending(&tq, "a2", 3, when)
    );
    assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|w| **w).count(), 1);
    let started = s.get_announcement(&tq, "a2").await.unwrap().unwrap();
    assert_eq!(started.status, AnnouncementStatus::Sending);
    assert_eq!(started.scheduled_for, Some(when));
    assert!(!s.schedule_announcement(&tq, "a2", when).await.unwrap());
    assert!(
        !s.schedule_announcement(&tenant("bn"), "a2", when)
            .await
            .unwrap()
    );
}
