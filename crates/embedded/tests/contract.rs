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
