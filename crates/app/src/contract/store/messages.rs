//! Store contract: The sent-message log.

use motcua_domain::delivery::Subject;

use super::*;

pub async fn message_log_round_trips<S: Store + 'static>(s: Arc<S>) {
    let r = MessageRef {
        tenant: tenant("tq"),
        subject: Subject::Dossier {
            code: code(C1),
            event_id: "ev-1".into(),
        },
        channel: "zns".into(),
    };
    s.put_message_ref("oa1", "a4d0243feee163bd3af2", &r, t("2026-12-24T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        s.get_message_ref("oa1", "a4d0243feee163bd3af2")
            .await
            .unwrap(),
        Some(r)
    );
    assert_eq!(
        s.get_message_ref("oa2", "a4d0243feee163bd3af2")
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.get_message_ref("oa1", "other").await.unwrap(), None);
    // a message about something else than a dossier reads back as itself
    let answer = MessageRef {
        tenant: tenant("tq"),
        subject: Subject::Ticket {
            ticket: 7,
            answer: "compose-1".into(),
        },
        channel: "zalo_cs_free".into(),
    };
    s.put_message_ref("oa1", "b5e1", &answer, t("2026-12-24T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        s.get_message_ref("oa1", "b5e1").await.unwrap(),
        Some(answer)
    );
}
