//! Store contract: purges of closed dossiers and tickets.

use super::*;

const C3: &str = "000.00.04.H60-230215-0030";
const C4: &str = "000.00.04.H60-230215-0031";

/// A dossier of `tq` returned at `closed` (its status final), with phone tag `tag`.
fn closed(c: &str, closed: &str, tag: &str) -> Dossier {
    let mut d = dossier("tq", c, 1);
    d.status = NationalStatus::Returned;
    d.returned_at = Some(t(closed));
    d.updated_at = t(closed);
    d.applicant_phone = Some(protected(tag));
    d
}

pub async fn closed_dossiers_are_purged_after_their_retention<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let cutoff = t("2026-01-01T00:00:00Z");
    let old_a = closed(C1, "2025-01-10T03:00:00Z", "a");
    let old_b = closed(C2, "2025-03-10T03:00:00Z", "b");
    let recent = closed(C3, "2026-06-01T03:00:00Z", "c");
    let mut open = dossier("tq", C4, 1);
    open.updated_at = t("2024-05-01T00:00:00Z");
    let mut elsewhere = closed(C1, "2024-01-10T03:00:00Z", "a");
    elsewhere.tenant = tenant("bn");
    for d in [&old_a, &old_b, &recent, &open, &elsewhere] {
        assert_eq!(s.upsert_dossier_if_newer(d).await.unwrap(), Upsert::Applied);
    }
    s.add_timeline_entry(
        &tq,
        &code(C1),
        &entry("e1", "received", "2025-01-02T01:00:00Z", 1),
    )
    .await
    .unwrap();
    // closed, then reopened by a later event: open again, so kept
    let mut reopened = old_b.clone();
    reopened.version = 2;
    reopened.status = NationalStatus::Processing;
    reopened.returned_at = None;
    assert_eq!(
        s.upsert_dossier_if_newer(&reopened).await.unwrap(),
        Upsert::Applied
    );

    assert_eq!(s.purge_closed_dossiers(&tq, cutoff, 10).await.unwrap(), 1);
    assert_eq!(s.load_dossier(&tq, &code(C1)).await.unwrap(), None);
    assert!(s.dossiers_by_phone(&tq, "hash-a").await.unwrap().is_empty());
    for kept in [C2, C3, C4] {
        assert!(
            s.load_dossier(&tq, &code(kept)).await.unwrap().is_some(),
            "{kept}"
        );
    }
    assert!(
        s.load_dossier(&tenant("bn"), &code(C1))
            .await
            .unwrap()
            .is_some(),
        "another tenant's dossier is its own tenant's to purge"
    );
    assert_eq!(s.purge_closed_dossiers(&tq, cutoff, 10).await.unwrap(), 0);
    // the same code received again starts a new record with an empty timeline
    assert_eq!(
        s.upsert_dossier_if_newer(&old_a).await.unwrap(),
        Upsert::Applied
    );
    let again = s.load_dossier(&tq, &code(C1)).await.unwrap().unwrap();
    assert!(again.timeline.is_empty());

    // at most `limit` per call, oldest first
    let later = t("2027-01-01T00:00:00Z");
    assert_eq!(s.purge_closed_dossiers(&tq, later, 1).await.unwrap(), 1);
    assert_eq!(s.load_dossier(&tq, &code(C1)).await.unwrap(), None);
    assert!(s.load_dossier(&tq, &code(C3)).await.unwrap().is_some());
    assert_eq!(s.purge_closed_dossiers(&tq, later, 5).await.unwrap(), 1);
    assert_eq!(s.load_dossier(&tq, &code(C3)).await.unwrap(), None);
    assert!(s.load_dossier(&tq, &code(C4)).await.unwrap().is_some());
}

pub async fn closed_tickets_are_purged_after_their_retention<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let cutoff = t("2026-01-01T00:00:00Z");
    let open = |user: &str, at: &str| NewTicket {
        tenant: tq.clone(),
        user_id: user.into(),
        category: TicketCategory::Complaint,
        agency: None,
        opened_at: t(at),
        due_at: t(at) + Span::hours(72),
    };
    let close = |mut ticket: Ticket, at: &str| {
        ticket.status = TicketStatus::Closed;
        ticket.updated_at = t(at);
        ticket
    };
    let old = s
        .open_ticket(&open("u1", "2025-01-01T01:00:00Z"))
        .await
        .unwrap();
    let message = TicketMessage {
        message_id: "z-old".into(),
        at: t("2025-01-01T01:00:00Z"),
        author: Author::Citizen,
        text: Some("Hồ sơ của tôi bị chậm".into()),
        attachments: vec![],
        delivery: None,
        delivered_in_chat_at: None,
    };
    s.add_ticket_message(&tq, old.number, &message)
        .await
        .unwrap();
    s.update_ticket(&close(old.clone(), "2025-02-01T01:00:00Z"))
        .await
        .unwrap();
    let late_close = s
        .open_ticket(&open("u2", "2025-01-01T02:00:00Z"))
        .await
        .unwrap();
    s.update_ticket(&close(late_close.clone(), "2026-06-01T01:00:00Z"))
        .await
        .unwrap();
    let still_open = s
        .open_ticket(&open("u3", "2024-01-01T02:00:00Z"))
        .await
        .unwrap();

    assert_eq!(s.purge_closed_tickets(&tq, cutoff, 10).await.unwrap(), 1);
    assert_eq!(s.get_ticket(&tq, old.number).await.unwrap(), None);
    assert!(
        s.get_ticket(&tq, late_close.number)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.latest_open_ticket(&tq, "u3")
            .await
            .unwrap()
            .map(|t| t.number),
        Some(still_open.number)
    );
    let closed: Vec<u64> = s
        .tickets_by_status(&tq, TicketStatus::Closed, 10)
        .await
        .unwrap()
        .iter()
        .map(|t| t.number)
        .collect();
    assert_eq!(closed, vec![late_close.number]);
    assert_eq!(s.purge_closed_tickets(&tq, cutoff, 10).await.unwrap(), 0);
    // numbers are never reused, purged or not
    let next = s
        .open_ticket(&open("u4", "2026-02-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(next.number, still_open.number + 1);
}
