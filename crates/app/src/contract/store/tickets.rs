//! Store contract: Tickets, their messages and erasure.

use super::*;

fn new_ticket(tenant_id: &str, user: &str, at: &str) -> NewTicket {
    NewTicket {
        tenant: tenant(tenant_id),
        user_id: user.into(),
        category: TicketCategory::Question,
        agency: None,
        opened_at: t(at),
        due_at: t(at) + Span::hours(24),
    }
}

pub async fn tickets_are_numbered_per_tenant_in_order<S: Store + 'static>(s: Arc<S>) {
    let a = s
        .open_ticket(&new_ticket("tq", "u1", "2026-11-20T01:00:00Z"))
        .await
        .unwrap();
    let b = s
        .open_ticket(&new_ticket("tq", "u2", "2026-11-20T02:00:00Z"))
        .await
        .unwrap();
    let c = s
        .open_ticket(&new_ticket("bn", "u1", "2026-11-20T03:00:00Z"))
        .await
        .unwrap();
    assert_eq!((a.number, b.number, c.number), (1, 2, 1));
    assert_eq!(a.status, TicketStatus::New);
    let (got, msgs) = s.get_ticket(&tenant("tq"), 2).await.unwrap().unwrap();
    assert_eq!(got, b);
    assert!(msgs.is_empty());
    assert_eq!(s.get_ticket(&tenant("tq"), 3).await.unwrap(), None);
}

pub async fn tickets_concurrent_opens_get_distinct_numbers<S: Store + 'static>(s: Arc<S>) {
    let mut tasks = Vec::new();
    for i in 0..10 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.open_ticket(&new_ticket("tq", &format!("u{i}"), "2026-11-20T01:00:00Z"))
                .await
                .unwrap()
                .number
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=10).collect::<Vec<u64>>());
}

pub async fn ticket_messages_and_status_queries<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let t1 = s
        .open_ticket(&new_ticket("tq", "u1", "2026-11-20T01:00:00Z"))
        .await
        .unwrap();
    let t2 = s
        .open_ticket(&new_ticket("tq", "u1", "2026-11-21T01:00:00Z"))
        .await
        .unwrap();
    let t3 = s
        .open_ticket(&new_ticket("tq", "u2", "2026-11-19T01:00:00Z"))
        .await
        .unwrap();
    let m = |id: &str, at: &str, author: Author| TicketMessage {
        message_id: id.into(),
        at: t(at),
        author,
        text: Some(format!("nội dung {id}")),
        attachments: vec![Attachment {
            kind: "image".into(),
            url: "https://example.invalid/a.jpg".into(),
        }],
        delivery: None,
        delivered_in_chat_at: None,
    };
    let reply = m(
        "m2",
        "2026-11-21T05:00:00Z",
        Author::Staff {
            name: "Cán bộ A".into(),
        },
    );
    assert!(s.add_ticket_message(&tq, t2.number, &reply).await.unwrap());
    let first = m("m1", "2026-11-21T01:00:00Z", Author::Citizen);
    assert!(s.add_ticket_message(&tq, t2.number, &first).await.unwrap());
    assert!(!s.add_ticket_message(&tq, t2.number, &first).await.unwrap());
    let (_, msgs) = s.get_ticket(&tq, t2.number).await.unwrap().unwrap();
    assert_eq!(msgs, vec![first, reply]);

    assert_eq!(
        s.latest_open_ticket(&tq, "u1")
            .await
            .unwrap()
            .map(|t| t.number),
        Some(t2.number)
    );
    let mut closed = t2.clone();
    closed.status = TicketStatus::Closed;
    closed.updated_at = t("2026-11-22T01:00:00Z");
    s.update_ticket(&closed).await.unwrap();
    assert_eq!(
        s.latest_open_ticket(&tq, "u1")
            .await
            .unwrap()
            .map(|t| t.number),
        Some(t1.number)
    );
    assert_eq!(s.latest_open_ticket(&tq, "u9").await.unwrap(), None);

    let mut answered = t3.clone();
    answered.status = TicketStatus::Answered;
    answered.agency = Some("000.00.04.H60".into());
    s.update_ticket(&answered).await.unwrap();
    let new: Vec<u64> = s
        .tickets_by_status(&tq, TicketStatus::New, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.number)
        .collect();
    assert_eq!(new, [t1.number]);
    let ans = s
        .tickets_by_status(&tq, TicketStatus::Answered, 10)
        .await
        .unwrap();
    assert_eq!(ans, vec![answered]);
    assert_eq!(
        s.tickets_by_status(&tq, TicketStatus::Closed, 10)
            .await
            .unwrap(),
        vec![closed]
    );
    assert!(
        s.tickets_by_status(&tq, TicketStatus::Closed, 0)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn citizen_messages_can_be_erased<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let mine = s
        .open_ticket(&new_ticket("tq", "u1", "2026-11-20T01:00:00Z"))
        .await
        .unwrap();
    let theirs = s
        .open_ticket(&new_ticket("tq", "u2", "2026-11-20T02:00:00Z"))
        .await
        .unwrap();
    let msg = |id: &str, author: Author| TicketMessage {
        message_id: id.into(),
        at: t("2026-11-20T03:00:00Z"),
        author,
        text: Some(format!("số CCCD của tôi {id}")),
        attachments: vec![Attachment {
            kind: "image".into(),
            url: "https://example.invalid/cccd.jpg".into(),
        }],
        delivery: None,
        delivered_in_chat_at: None,
    };
    s.add_ticket_message(&tq, mine.number, &msg("a", Author::Citizen))
        .await
        .unwrap();
    s.add_ticket_message(
        &tq,
        mine.number,
        &msg(
            "b",
            Author::Staff {
                name: "Cán bộ".into(),
            },
        ),
    )
    .await
    .unwrap();
    s.add_ticket_message(&tq, theirs.number, &msg("c", Author::Citizen))
        .await
        .unwrap();
    assert_eq!(s.erase_citizen_messages(&tq, "u1").await.unwrap(), 1);
    let (ticket, messages) = s.get_ticket(&tq, mine.number).await.unwrap().unwrap();
    assert_eq!(ticket, mine, "the ticket itself stays");
    let erased = messages.iter().find(|m| m.message_id == "a").unwrap();
    assert_eq!((erased.text.as_ref(), erased.attachments.len()), (None, 0));
    assert!(
        messages
            .iter()
            .find(|m| m.message_id == "b")
            .unwrap()
            .text
            .is_some(),
        "staff replies stay"
    );
    let (_, other) = s.get_ticket(&tq, theirs.number).await.unwrap().unwrap();
    assert!(other[0].text.is_some(), "another user's messages stay");
    assert_eq!(s.erase_citizen_messages(&tq, "u9").await.unwrap(), 0);
}

pub async fn pending_answers_wait_per_user_and_answers_are_marked_delivered<S: Store + 'static>(
    s: Arc<S>,
) {
    let tq = tenant("tq");
    let at = t("2026-11-20T03:00:00Z");
    let ticket = s
        .open_ticket(&new_ticket("tq", "u1", "2026-11-01T01:00:00Z"))
        .await
        .unwrap();
    let answer = TicketMessage {
        message_id: "staff-r1".into(),
        at,
        author: Author::Staff {
            name: "Cán bộ A".into(),
        },
        text: Some("Hồ sơ đã được chuyển Sở Xây dựng.".into()),
        attachments: vec![],
        delivery: Some("call_citizen".into()),
        delivered_in_chat_at: None,
    };
    s.add_ticket_message(&tq, ticket.number, &answer)
        .await
        .unwrap();
    let pending = |n: u64, id: &str, at: DateTime<Utc>| PendingAnswer {
        number: n,
        message_id: id.into(),
        at,
    };
    let first = pending(ticket.number, "staff-r1", at);
    let later = pending(ticket.number, "staff-r2", at + Span::hours(1));
    let keep = at + Span::days(365);
    s.add_pending_answer(&tq, "u1", &later, keep).await.unwrap();
    s.add_pending_answer(&tq, "u1", &first, keep).await.unwrap();
    s.add_pending_answer(&tq, "u1", &first, keep).await.unwrap();
    s.add_pending_answer(&tq, "u2", &pending(9, "x", at), keep)
        .await
        .unwrap();
    s.add_pending_answer(&tenant("bn"), "u1", &pending(1, "y", at), keep)
        .await
        .unwrap();
    assert_eq!(
        s.pending_answers(&tq, "u1").await.unwrap(),
        vec![first.clone(), later.clone()],
        "one per answer, in order, only this user's of this tenant"
    );
    assert!(s.remove_pending_answer(&tq, "u1", &first).await.unwrap());
    assert!(!s.remove_pending_answer(&tq, "u1", &first).await.unwrap());
    assert_eq!(s.pending_answers(&tq, "u1").await.unwrap(), vec![later]);

    let sent = at + Span::days(9);
    assert!(
        s.mark_delivered_in_chat(&tq, ticket.number, "staff-r1", at, sent)
            .await
            .unwrap()
    );
    assert!(
        !s.mark_delivered_in_chat(&tq, ticket.number, "nope", at, sent)
            .await
            .unwrap()
    );
    let (_, messages) = s.get_ticket(&tq, ticket.number).await.unwrap().unwrap();
    assert_eq!(messages[0].delivered_in_chat_at, Some(sent));
    assert_eq!(messages[0].text, answer.text);
}
