//! The purge scenario each adapter runs before scanning its own raw storage (the redb file's
//! bytes, a DynamoDB table's items): a citizen's dossier closed more than a year ago, its
//! timeline, their ticket about it, the message reference and the day counters it left are
//! purged under the default retention, and nothing of them may be left to read or match.

use chrono::Duration;
use motcua_domain::delivery::{Delivery, NewDelivery, Recipient, Subject};
use motcua_domain::ticket::{Author, NewTicket, TicketCategory, TicketMessage, TicketStatus};
use motcua_domain::zalo::MessageRef;
use motcua_domain::{NationalStatus, PhoneNumber, Retention};

use super::{code, dossier, entry, t, tenant};
use crate::pii::PiiKeys;
use crate::ports::Store;

const CODE: &str = "000.00.04.H60-250110-0777";

/// Builds the records, purges them at `2026-11-20` and checks through the ports that they are
/// gone. Returns what must not be found in the raw storage after it: the phone in every written
/// form, the dossier code, the phone's keyed hash and sealed copy, the step label, the ticket's text, the Zalo message id
/// and the counter's name.
pub async fn purge_a_citizens_records<S: Store + 'static>(s: &S) -> Vec<String> {
    let tq = tenant("tq");
    let keys = PiiKeys::derive(&[7; 32]).expect("a long enough secret");
    let phone = keys.protect_phone(&PhoneNumber::parse("0912345777").expect("a phone"));
    let now = t("2026-11-20T10:00:00Z");
    let retention = Retention::default();

    let mut d = dossier("tq", CODE, 1);
    d.applicant_phone = Some(phone.clone());
    d.step_label = Some("Ký duyệt hồ sơ 0777".into());
    d.status = NationalStatus::Returned;
    d.returned_at = Some(t("2025-01-10T03:00:00Z"));
    d.updated_at = t("2025-01-10T03:00:00Z");
    s.upsert_dossier_if_newer(&d).await.unwrap();
    for (i, kind) in ["received", "step", "returned"].into_iter().enumerate() {
        let e = entry(&format!("e{i}"), kind, "2025-01-05T01:00:00Z", 1);
        s.add_timeline_entry(&tq, &code(CODE), &e).await.unwrap();
    }
    let ticket = closed_question(s).await;
    let sent = t("2025-01-10T03:00:05Z");
    let r = MessageRef {
        tenant: tq.clone(),
        subject: Subject::Dossier {
            code: code(CODE),
            event_id: "e2".into(),
        },
        channel: "zns".into(),
    };
    s.put_message_ref(
        "oa-1",
        "msg-0777-zalo",
        &r,
        retention.message_ref_expires(sent),
    )
    .await
    .unwrap();
    // staff's answer to the ticket, in the ledger until the message log's retention ends
    let answer = Delivery::accepted(
        NewDelivery {
            tenant: tq.clone(),
            subject: Subject::Ticket {
                ticket: ticket.number,
                answer: "compose-0777".into(),
            },
            kind: None,
            recipient: Recipient::ZaloUser(keys.user_tag("citizen-7")),
            channel: "zalo_cs_free".into(),
            price_class: "free".into(),
            template: None,
            text_version: "0123456789ab".into(),
            expires_at: Some(retention.message_ref_expires(sent)),
        },
        "msg-0777-answer".into(),
        None,
        sent,
        Duration::days(7),
    );
    assert!(s.put_delivery(&answer, None).await.unwrap());
    let day = motcua_domain::time::to_vn(sent).date_naive();
    let metric = format!("lookup_user.{}", keys.user_tag("citizen-7"));
    s.incr_day_until(&tq, &metric, day, 1, retention.subject_counter_expires(day))
        .await
        .unwrap();

    let cutoff = retention.dossiers_closed_before(now);
    assert_eq!(s.purge_closed_dossiers(&tq, cutoff, 100).await.unwrap(), 1);
    let cutoff = retention.tickets_closed_before(now);
    assert_eq!(s.purge_closed_tickets(&tq, cutoff, 100).await.unwrap(), 1);
    s.purge_expired(now, 100).await.unwrap();

    assert_eq!(s.load_dossier(&tq, &code(CODE)).await.unwrap(), None);
    assert!(
        s.dossiers_by_phone(&tq, &phone.hash)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.get_ticket(&tq, ticket.number).await.unwrap(), None);
    let since = now - Duration::days(3650);
    assert!(
        s.dossiers_due_between(&tq, since, now)
            .await
            .unwrap()
            .is_empty()
    );
    vec![
        "0912345777".into(),
        "84912345777".into(),
        "912345777".into(),
        CODE.to_string(),
        phone.hash,
        phone.sealed,
        "Ký duyệt hồ sơ 0777".into(),
        "Trần Văn Khải".into(),
        "msg-0777-zalo".into(),
        "msg-0777-answer".into(),
        "compose-0777".into(),
        keys.user_tag("citizen-7"),
        metric,
    ]
}

/// The citizen's question about the dossier, answered and closed in January 2025.
async fn closed_question<S: Store + 'static>(s: &S) -> motcua_domain::ticket::Ticket {
    let tq = tenant("tq");
    let ticket = s
        .open_ticket(&NewTicket {
            tenant: tq.clone(),
            user_id: "citizen-7".into(),
            category: TicketCategory::Question,
            agency: None,
            opened_at: t("2025-01-11T01:00:00Z"),
            due_at: t("2025-01-12T01:00:00Z"),
        })
        .await
        .unwrap();
    let wrote = TicketMessage {
        message_id: "z-0777".into(),
        at: t("2025-01-11T01:00:00Z"),
        author: Author::Citizen,
        text: Some("Xin hỏi hồ sơ 0777 của Trần Văn Khải".into()),
        attachments: vec![],
        delivery: None,
        delivered_in_chat_at: None,
    };
    s.add_ticket_message(&tq, ticket.number, &wrote)
        .await
        .unwrap();
    let mut done = ticket.clone();
    done.status = TicketStatus::Closed;
    done.updated_at = t("2025-01-20T01:00:00Z");
    s.update_ticket(&done).await.unwrap();
    ticket
}
