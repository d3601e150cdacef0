//! 1,000 events for 250 dossiers through the local queue loop while Zalo misbehaves: rate
//! limits (-32), rejected tokens (-216), closed windows (-230), HTTP 5xx and timeouts, plus ten
//! poison messages. Every event must end sent, decided (stale/undeliverable) or dead-lettered
//! with a reason, and no message may reach Zalo twice.

use std::collections::HashMap;
use std::time::Duration;

use crate::common::*;
use motcua_app::{Claim, Clock, Queue};
use motcua_embedded::{EmbeddedDb, QueueSettings};
use motcua_zalo_fake::{Endpoint, Fault};
use notifier::Ack;
use serde_json::json;

fn event(n: u32, version: u64) -> serde_json::Value {
    let code = format!("000.00.04.H60-261110-{n:04}");
    let (kind, status) = match version {
        1 => ("received", 2),
        2 => ("step_changed", 4),
        3 => ("result_ready", 9),
        _ => ("result_returned", 10),
    };
    json!({
        "schema_version": 1,
        "event_id": format!("load-{n}-{version}"),
        "type": kind,
        "occurred_at": format!("2026-11-{:02}T09:00:00+07:00", 10 + version),
        "version": version,
        "dossier": {
            "code": code,
            "procedure_name": "Cấp phiếu lý lịch tư pháp",
            "applicant_name": format!("Người nộp {n}"),
            "phone": format!("0912{n:06}"),
            "received_at": "2026-11-11T09:00:00+07:00",
            "due_at": "2026-12-01T17:00:00+07:00",
            "status": status
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_events_under_faults_end_sent_or_dead_lettered_exactly_once() {
    let h = Harness::with_store(embedded_store_kept().await, Duration::from_millis(300)).await;
    // half the applicants chat with the OA (CS), the others are reached by ZNS
    for n in (1..=250).filter(|n: &u32| n.is_multiple_of(2)) {
        h.link(
            &format!("0912{n:06}"),
            &format!("u{n}"),
            chrono::Duration::hours(2),
        )
        .await;
    }
    // some of those users are outside Zalo's window after all: fall back to ZNS
    for n in (1..=250).filter(|n: &u32| n.is_multiple_of(10)) {
        h.fake.fail_recipient(&format!("u{n}"), -230);
    }
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedDb::open(dir.path().join("q.redb")).unwrap().queue(
        "inbound",
        QueueSettings {
            visibility_timeout: Duration::from_millis(100),
            max_receives: 30,
        },
    );
    for version in 1..=4 {
        for n in 1..=250 {
            queue.send(&event(n, version).to_string()).await.unwrap();
        }
    }
    for i in 0..10 {
        queue
            .send(&format!(
                "{{\"schema_version\": 1, \"event_id\": \"poison-{i}\""
            ))
            .await
            .unwrap();
    }

    let faults = [
        (Endpoint::Cs, Fault::Code(-32)),
        (Endpoint::Zns, Fault::Code(-32)),
        (Endpoint::Cs, Fault::Http(502)),
        (Endpoint::Zns, Fault::Http(500)),
        (Endpoint::Cs, Fault::Delay(Duration::from_millis(800))),
        (Endpoint::Zns, Fault::Delay(Duration::from_millis(800))),
        (Endpoint::Cs, Fault::Code(-216)),
        (Endpoint::Zns, Fault::Code(-124)),
    ];
    let started = std::time::Instant::now();
    let mut round = 0usize;
    while queue.depth().await.unwrap() > 0 {
        round += 1;
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "not drained after {round} rounds"
        );
        if round.is_multiple_of(3) {
            let (endpoint, fault) = &faults[(round / 3) % faults.len()];
            h.fake.fail_next(*endpoint, fault.clone(), 2);
        }
        let batch = queue.receive(10, Duration::from_millis(150)).await.unwrap();
        for (m, ack) in batch
            .iter()
            .zip(notifier::process_batch(&h.notifier, &queue, &batch).await)
        {
            if ack == Ack::Delete {
                queue.delete(&m.receipt).await.unwrap();
            }
        }
    }

    // every event is decided: its idempotency record is complete
    let mut decisions: HashMap<String, usize> = HashMap::new();
    let now = h.clock.now();
    for n in 1..=250 {
        for version in 1..=4 {
            let key = format!("notify#tuyen-quang#load-{n}-{version}");
            match h
                .store
                .claim(
                    &key,
                    now,
                    Duration::from_secs(60),
                    Duration::from_secs(3600),
                )
                .await
                .unwrap()
            {
                Claim::Completed { result } => *decisions.entry(result.unwrap()).or_default() += 1,
                other => panic!("event load-{n}-{version} not finished: {other:?}"),
            }
        }
    }
    assert_eq!(decisions.values().sum::<usize>(), 1000);

    // no message reached Zalo twice: one delivery per sent decision, unique per event
    let delivered = h.fake.delivered();
    let sent_decisions: usize = ["zalo_cs_free", "zalo_cs_paid", "zbs_uid", "zns"]
        .iter()
        .filter_map(|k| decisions.get(*k))
        .sum();
    assert_eq!(delivered.len(), sent_decisions, "decisions {decisions:?}");
    let mut seen = std::collections::HashSet::new();
    for r in &delivered {
        let id = match r.endpoint {
            Endpoint::Zns => r.body["tracking_id"].as_str().unwrap().to_string(),
            _ => format!("{}|{}", r.recipient().unwrap(), r.text().unwrap()),
        };
        assert!(seen.insert(id.clone()), "sent twice: {id}");
    }

    // exactly the poison messages are dead-lettered, each with a reason
    let dlq = queue.dead_letter_queue();
    assert_eq!(dlq.depth().await.unwrap(), 10);
    let dead = dlq.receive(10, Duration::from_millis(200)).await.unwrap();
    assert_eq!(dead.len(), 10);
    assert!(dead.iter().all(|m| {
        m.dead_letter_reason
            .as_deref()
            .is_some_and(|r| r.contains("not JSON"))
    }));

    let injected = h.fake.records().iter().filter(|r| !r.ok()).count();
    assert!(injected >= 20, "faults were really injected: {injected}");
    assert!(
        h.fake.count(Endpoint::Token) >= 1,
        "a rejected token was refreshed"
    );
    eprintln!(
        "1,000 events in {:?}, {round} rounds: {decisions:?}; {} Zalo calls failed and were retried",
        started.elapsed(),
        injected
    );
}

async fn embedded_store_kept() -> std::sync::Arc<dyn motcua_app::Store> {
    let (store, dir) = embedded_store().await;
    std::mem::forget(dir);
    store
}
