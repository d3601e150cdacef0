//! The shared contract suites, run against the embedded adapter, plus what only it has to show:
//! data survives a restart, and the queue redelivers and dead-letters like SQS.

use std::time::Duration;

use motcua_app::{Queue, contract};
use motcua_embedded::{EmbeddedDb, EmbeddedQueue, EmbeddedStore, QueueSettings};

async fn fresh_store() -> EmbeddedStore {
    let dir = tempfile::tempdir().unwrap().keep();
    EmbeddedDb::open(dir.join("store.redb")).unwrap().store()
}

async fn fresh_queues() -> (EmbeddedQueue, EmbeddedQueue) {
    let dir = tempfile::tempdir().unwrap().keep();
    let q = EmbeddedDb::open(dir.join("queue.redb"))
        .unwrap()
        .queue("inbound", QueueSettings::default());
    let dlq = q.dead_letter_queue();
    (q, dlq)
}

motcua_app::store_contract_tests!(fresh_store());
motcua_app::queue_contract_tests!(fresh_queues());

#[tokio::test]
async fn data_and_queued_messages_survive_a_restart() {
    use motcua_app::DossierStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let d = contract::dossier("tq", "000.00.04.H60-230215-0028", 1);
    {
        let db = EmbeddedDb::open(&path).unwrap();
        db.store().upsert_dossier_if_newer(&d).await.unwrap();
        db.queue("inbound", QueueSettings::default())
            .send("pending")
            .await
            .unwrap();
    }
    let db = EmbeddedDb::open(&path).unwrap();
    let view = db
        .store()
        .load_dossier(&d.tenant, &d.code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.dossier, d);
    let q = db.queue("inbound", QueueSettings::default());
    let got = q.receive(10, Duration::from_secs(1)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "pending");
}

#[tokio::test]
async fn unacknowledged_messages_come_back_then_go_to_the_dead_letter_queue() {
    let dir = tempfile::tempdir().unwrap();
    let db = EmbeddedDb::open(dir.path().join("db.redb")).unwrap();
    let q = db.queue(
        "inbound",
        QueueSettings {
            visibility_timeout: Duration::from_millis(100),
            max_receives: 3,
        },
    );
    q.send("poison").await.unwrap();
    for attempt in 1..=3 {
        let got = q.receive(1, Duration::from_secs(2)).await.unwrap();
        assert_eq!(got.len(), 1, "attempt {attempt}");
        assert_eq!(got[0].receive_count, attempt);
        // not acknowledged: the visibility timeout brings it back
    }
    assert!(
        q.receive(1, Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(q.depth().await.unwrap(), 0);
    let dead = q
        .dead_letter_queue()
        .receive(1, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].dead_letter_reason, None);
}

/// The store and queue contracts hold with sealing at rest too.
mod sealed {
    use super::*;

    async fn fresh_sealed_store() -> EmbeddedStore {
        let dir = tempfile::tempdir().unwrap().keep();
        EmbeddedDb::open(dir.join("store.redb"))
            .unwrap()
            .seal_at_rest(&[4; motcua_embedded::seal::KEY_LEN])
            .store()
    }

    motcua_app::store_contract_tests!(fresh_sealed_store());

    async fn fresh_sealed_queues() -> (EmbeddedQueue, EmbeddedQueue) {
        let dir = tempfile::tempdir().unwrap().keep();
        let q = EmbeddedDb::open(dir.join("queue.redb"))
            .unwrap()
            .seal_at_rest(&[3; motcua_embedded::seal::KEY_LEN])
            .queue("inbound", QueueSettings::default());
        let dlq = q.dead_letter_queue();
        (q, dlq)
    }

    motcua_app::queue_contract_tests!(fresh_sealed_queues());
}

/// A DVCQG body's personal data through a queue's whole life (sent, received twice, put back,
/// dead-lettered, deleted), then a byte scan of the file, live tables and freed pages alike:
/// with sealed bodies none of it is there; without, it is (the scan can see it).
#[tokio::test]
async fn sealed_queue_bodies_leave_no_personal_data_in_the_file() {
    const PHONE: &str = "0906591985";
    const ID: &str = "001090012345";
    const NAME: &str = "Nguyễn Thị Thanh Mẫn";
    let body = format!(
        r#"{{"MaHoSo":"000.00.04.H60-261110-0028","ChuHoSo":"{NAME}","SoDienThoai":"{PHONE}","SoCMND":"{ID}"}}"#
    );
    let run = |sealed: bool| {
        let body = body.clone();
        async move {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("db.redb");
            {
                let mut db = EmbeddedDb::open(&path).unwrap();
                if sealed {
                    db = db.seal_at_rest(&[9; motcua_embedded::seal::KEY_LEN]);
                }
                let q = db.queue(
                    "inbound",
                    QueueSettings {
                        visibility_timeout: Duration::from_millis(1),
                        max_receives: 2,
                    },
                );
                for _ in 0..3 {
                    q.send(&body).await.unwrap();
                }
                let first = q.receive(3, Duration::from_millis(10)).await.unwrap();
                assert_eq!(first.len(), 3);
                assert!(first.iter().all(|m| m.body == body), "read back whole");
                q.retry_later(&first[0].receipt, Duration::ZERO)
                    .await
                    .unwrap();
                q.delete(&first[1].receipt).await.unwrap();
                q.dead_letter(&body, "bad payload").await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
                for m in q.receive(3, Duration::from_millis(10)).await.unwrap() {
                    q.delete(&m.receipt).await.unwrap();
                }
                let dead = q
                    .dead_letter_queue()
                    .receive(10, Duration::from_millis(10))
                    .await
                    .unwrap();
                assert!(dead.iter().all(|m| m.body == body));
            }
            let bytes = std::fs::read(&path).unwrap();
            [PHONE, ID, NAME]
                .into_iter()
                .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
                .count()
        }
    };
    assert_eq!(run(false).await, 3, "in clear, the scan finds all three");
    assert_eq!(run(true).await, 0, "sealed, it finds none");
}

/// From the file's side: after a citizen is erased, a byte scan of the redb file (live tables
/// and freed pages) finds nothing of them in clear when the database seals at rest; without
/// sealing, the erased texts linger in freed pages (the scan can see them).
#[tokio::test]
async fn an_erased_citizen_leaves_nothing_readable_in_the_file() {
    let scan = |sealed: bool| async move {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        {
            let mut db = EmbeddedDb::open(&path).unwrap();
            if sealed {
                db = db.seal_at_rest(&[6; motcua_embedded::seal::KEY_LEN]);
            }
            contract::erasure::erase_a_citizen(&db.store()).await;
        }
        let bytes = std::fs::read(&path).unwrap();
        contract::erasure::needles()
            .into_iter()
            .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
            .collect::<Vec<_>>()
    };
    assert!(
        !scan(false).await.is_empty(),
        "in clear, freed pages keep the erased text"
    );
    assert_eq!(scan(true).await, Vec::<&str>::new());
}

/// From the file's side: after the purge of a citizen's closed dossier and ticket, and the
/// compaction that follows it, a byte scan of the redb file finds nothing of them (code,
/// phone hash or sealed phone, step, ticket text, message id, counter name). Without the
/// compaction, freed pages still hold them.
#[tokio::test]
async fn a_purge_then_a_compaction_leave_nothing_of_the_citizen_in_the_file() {
    let scan = |compact: bool| async move {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        let needles = {
            let db = EmbeddedDb::open(&path)
                .unwrap()
                .seal_at_rest(&[6; motcua_embedded::seal::KEY_LEN]);
            contract::retention::purge_a_citizens_records(&db.store()).await
        };
        if compact {
            let (before, after) = EmbeddedDb::compact_file(&path).unwrap();
            assert!(after <= before, "{before} -> {after}");
        }
        let bytes = std::fs::read(&path).unwrap();
        needles
            .into_iter()
            .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
            .collect::<Vec<_>>()
    };
    let left = scan(false).await;
    assert!(!left.is_empty(), "freed pages keep purged records");
    assert_eq!(scan(true).await, Vec::<String>::new());
}

/// The sweep deletes what expired, by the expiry each record was written with, and nothing
/// else: DynamoDB's TTL, done by the embedded store itself.
#[tokio::test]
async fn the_sweep_deletes_expired_records_and_keeps_the_rest() {
    use motcua_app::*;
    let s = fresh_store().await;
    let tq = contract::tenant("tq");
    let at = contract::t("2026-11-01T00:00:00Z");
    let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
    let r = MessageRef {
        tenant: tq.clone(),
        subject: motcua_domain::delivery::Subject::Dossier {
            code: contract::code("000.00.04.H60-230215-0028"),
            event_id: "e1".into(),
        },
        channel: "cs".into(),
    };
    s.put_message_ref("oa", "old", &r, at + chrono::Duration::days(1))
        .await
        .unwrap();
    s.put_message_ref("oa", "new", &r, at + chrono::Duration::days(30))
        .await
        .unwrap();
    s.incr_day_until(
        &tq,
        "lookup_user.x",
        day("2026-11-01"),
        1,
        at + chrono::Duration::days(2),
    )
    .await
    .unwrap();
    let audit = |action: &str| AuditEntry {
        tenant: tq.clone(),
        at,
        actor: "canbo".into(),
        action: action.into(),
        target: String::new(),
        outcome: "ok".into(),
        detail: None,
    };
    s.append_audit(&audit("short"), at + chrono::Duration::days(1))
        .await
        .unwrap();
    s.append_audit(&audit("long"), at + chrono::Duration::days(700))
        .await
        .unwrap();
    let hour = Duration::from_secs(3600);
    let days = |n: u64| Duration::from_secs(n * 86_400);
    // claimed with a day's keep, then completed with a month's: the later expiry holds
    s.claim("job-1", at, hour, days(1)).await.unwrap();
    s.complete("job-1", Some("done"), at, days(30))
        .await
        .unwrap();
    s.claim("job-2", at, hour, days(1)).await.unwrap();
    s.take_budget("lookup:abc", at, 10, at + chrono::Duration::minutes(2))
        .await
        .unwrap();

    let later = at + chrono::Duration::days(5);
    // message ref, counter, audit, job-2, budget (job-1's first expiry finds it renewed)
    assert_eq!(s.purge_expired(later, 100).await.unwrap(), 5);
    assert_eq!(s.purge_expired(later, 100).await.unwrap(), 0);
    assert_eq!(s.get_message_ref("oa", "old").await.unwrap(), None);
    assert!(s.get_message_ref("oa", "new").await.unwrap().is_some());
    let counted = s
        .daily(&tq, "lookup_user.x", day("2026-11-01"), day("2026-11-01"))
        .await;
    assert!(counted.unwrap().is_empty());
    let kept = s.audit_entries(&tq, day("2026-11-01"), 10).await.unwrap();
    assert_eq!(
        kept.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["long"]
    );
    assert_eq!(
        s.claim("job-1", later, hour, days(1)).await.unwrap(),
        Claim::Completed {
            result: Some("done".into())
        }
    );
    assert_eq!(
        s.claim("job-2", later, hour, days(1)).await.unwrap(),
        Claim::Acquired
    );
}

/// Dead letters past the retention are dropped, as SQS drops a DLQ's messages after its
/// `MessageRetentionPeriod`; newer ones and other queues' messages stay.
#[tokio::test]
async fn dead_letters_sent_before_the_cutoff_are_dropped() {
    let (q, dlq) = fresh_queues().await;
    q.dead_letter("{\"bad\": 1}", "unparseable").await.unwrap();
    q.send("pending").await.unwrap();
    let sent = chrono::Utc::now();
    let earlier = sent - chrono::Duration::days(1);
    assert_eq!(dlq.purge_sent_before(earlier).await.unwrap(), 0);
    assert_eq!(dlq.depth().await.unwrap(), 1);
    let later = sent + chrono::Duration::days(1);
    assert_eq!(dlq.purge_sent_before(later).await.unwrap(), 1);
    assert_eq!(dlq.depth().await.unwrap(), 0);
    assert_eq!(q.depth().await.unwrap(), 1, "the main queue is not touched");
}
