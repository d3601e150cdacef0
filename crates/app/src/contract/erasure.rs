//! The erasure scenario each adapter runs before scanning its own raw storage (the redb file's
//! bytes, a DynamoDB table's items): a citizen with a proven phone, a pending claim and a
//! ticket with a text and a photo is erased, and nothing that identifies them may be left in
//! clear. The adapter's test scans for the returned needles.

use motcua_domain::PhoneNumber;
use motcua_domain::ticket::{Attachment, Author, NewTicket, TicketCategory, TicketMessage};
use motcua_domain::zalo::PhoneClaim;

use super::{t, tenant};
use crate::erasure::{Requester, erase_citizen};
use crate::pii::PiiKeys;
use crate::ports::Store;

/// What must not be found in clear after the erasure: the phone in every written form, the ID
/// number and the name the citizen typed, and the photo's link.
pub fn needles() -> Vec<&'static str> {
    vec![
        "0906591985",
        "84906591985",
        "906591985",
        "008190012345",
        "Nguyễn Thị Thanh Mẫn",
        "https://photo.zalo.example/c1.jpg",
    ]
}

/// Builds the citizen's traces on `s`, erases them as `user_withdraw` does, and checks through
/// the ports that the erasure took.
pub async fn erase_a_citizen<S: Store + 'static>(s: &S) {
    let tq = tenant("tq");
    let at = t("2026-11-20T10:00:00Z");
    let keys = PiiKeys::derive(&[5; 32]).expect("a long enough secret");
    let phone = keys.protect_phone(&PhoneNumber::parse("0906591985").expect("a phone"));
    s.link_phone(&tq, "citizen-1", &phone, at).await.unwrap();
    let claim = PhoneClaim {
        phone: phone.clone(),
        code_hash: keys.otp_hash("citizen-1", "123456"),
        expires_at: at + chrono::Duration::minutes(30),
        code_expires_at: Some(at + chrono::Duration::minutes(5)),
        tries_left: 3,
    };
    s.set_phone_claim(&tq, "citizen-1", Some(&claim), at)
        .await
        .unwrap();
    let ticket = complaint_with_a_photo(s, at).await;
    let pending = crate::ports::PendingAnswer {
        number: ticket.number,
        message_id: "staff-1".into(),
        at,
    };
    s.add_pending_answer(&tq, "citizen-1", &pending, at + chrono::Duration::days(30))
        .await
        .unwrap();
    let erased = erase_citizen(
        s,
        &tq,
        &["citizen-1".to_string()],
        &[],
        Requester::Citizen,
        at + chrono::Duration::hours(1),
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!((erased.accounts, erased.messages), (1, 4));
    assert_eq!(s.get_zalo_user(&tq, "citizen-1").await.unwrap(), None);
    assert!(
        s.zalo_users_by_phone(&tq, &phone.hash)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.phone_suppressed(&tq, &phone.hash).await.unwrap());
    assert!(
        s.pending_answers(&tq, "citizen-1")
            .await
            .unwrap()
            .is_empty()
    );
    let (_, messages) = s.get_ticket(&tq, ticket.number).await.unwrap().unwrap();
    assert!(
        messages
            .iter()
            .all(|m| m.text.is_none() && m.attachments.is_empty())
    );
}

/// The citizen's complaint: a text naming them, their ID and phone, and a photo, received four
/// times (as a busy chat would rewrite it).
async fn complaint_with_a_photo<S: Store + 'static>(
    s: &S,
    at: chrono::DateTime<chrono::Utc>,
) -> motcua_domain::ticket::Ticket {
    let tq = tenant("tq");
    let ticket = s
        .open_ticket(&NewTicket {
            tenant: tq.clone(),
            user_id: "citizen-1".into(),
            category: TicketCategory::Complaint,
            agency: None,
            opened_at: at,
            due_at: at + chrono::Duration::hours(72),
        })
        .await
        .unwrap();
    let wrote = TicketMessage {
        message_id: "z-1".into(),
        at,
        author: Author::Citizen,
        text: Some("Tôi là Nguyễn Thị Thanh Mẫn, CCCD 008190012345, gọi 0906591985".into()),
        attachments: vec![Attachment {
            kind: "image".into(),
            url: "https://photo.zalo.example/c1.jpg".into(),
        }],
        delivery: None,
        delivered_in_chat_at: None,
    };
    s.add_ticket_message(&tq, ticket.number, &wrote)
        .await
        .unwrap();
    for i in 0..3 {
        let mut later = wrote.clone();
        later.message_id = format!("z-1-{i}");
        later.at = at + chrono::Duration::minutes(i + 1);
        s.add_ticket_message(&tq, ticket.number, &later)
            .await
            .unwrap();
    }
    ticket
}
