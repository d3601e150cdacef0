//! The notifier on the AWS adapters (DynamoDB + SQS on moto) and the Zalo fake: the dossier life
//! replayed through real SQS messages with partial batch failures, a re-delivery that sends
//! nothing, and poison records dead-lettered with their reason. Skipped without moto, except
//! under CI.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use aws_lambda_events::event::sqs::SqsEvent;
use motcua_app::Queue;
use motcua_app::contract::moto_endpoint;
use motcua_domain::{DossierCode, NationalStatus};
use motcua_sqs::{QueuePairSettings, SqsQueue, create_queue_pair};

/// Receives what is visible on the real queue and hands it to the Lambda handler as an SqsEvent.
async fn lambda_round(h: &Harness, q: &SqsQueue) -> Vec<String> {
    let msgs = q.receive(10, Duration::from_secs(1)).await.unwrap();
    let records: Vec<serde_json::Value> = msgs
        .iter()
        .map(|m| {
            serde_json::json!({"messageId": m.message_id, "receiptHandle": m.receipt, "body": m.body,
                "attributes": {"ApproximateReceiveCount": m.receive_count.to_string()}, "eventSource": "aws:sqs"})
        })
        .collect();
    let event: SqsEvent =
        serde_json::from_value(serde_json::json!({ "Records": records })).unwrap();
    let response = notifier::handle_sqs(&h.notifier, q, event).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    // what Lambda does with a partial batch response: delete the successes
    for m in &msgs {
        if !failed.contains(&m.message_id) {
            q.delete(&m.receipt).await.unwrap();
        }
    }
    failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dossier_life_on_dynamodb_and_sqs() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let sdk = sdk(&endpoint).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("motcua-notifier-{}", uuid::Uuid::new_v4().simple());
    motcua_dynamodb::create_table(&dynamo, &table)
        .await
        .unwrap();
    let store = Arc::new(motcua_dynamodb::DynamoStore::new(dynamo, table));
    let h = Harness::with_store(store, Duration::from_secs(2)).await;
    h.link("0906591985", "u-applicant", chrono::Duration::hours(3))
        .await;

    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let name = format!("motcua-notifier-{}", uuid::Uuid::new_v4().simple());
    let (url, dlq_url) = create_queue_pair(
        &sqs,
        &name,
        QueuePairSettings {
            visibility_timeout: Duration::from_secs(2),
            max_receive_count: 5,
        },
    )
    .await
    .unwrap();
    let q = SqsQueue::new(sqs, url, dlq_url);

    // the legacy system sends the life one event at a time, then re-sends all of it and junk
    for body in life() {
        q.send(&body).await.unwrap();
        assert!(lambda_round(&h, &q).await.is_empty());
    }
    assert_eq!(h.fake.delivered().len(), 7);
    for body in life() {
        q.send(&body).await.unwrap();
    }
    q.send("not json at all").await.unwrap();
    let mut rounds = 0;
    loop {
        let failed = lambda_round(&h, &q).await;
        assert!(failed.is_empty(), "{failed:?}");
        rounds += 1;
        if rounds > 5
            && q.receive(1, Duration::from_secs(0))
                .await
                .unwrap()
                .is_empty()
        {
            break;
        }
    }
    assert_eq!(
        h.fake.delivered().len(),
        7,
        "the re-sent life sent nothing more"
    );
    // one `accepted` status per notice, none repeated by the re-sent life or redeliveries
    let statuses: Vec<serde_json::Value> = h
        .outbound
        .sent()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    let ids: std::collections::BTreeSet<&str> = statuses
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert_eq!((statuses.len(), ids.len()), (7, 7));
    assert!(statuses.iter().all(|m| m["state"] == "accepted"));
    let view = h
        .store
        .load_dossier(
            &h.tenant,
            &DossierCode::parse("000.00.04.H60-261110-0028").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.dossier.status, view.dossier.version),
        (NationalStatus::Returned, 7)
    );
    let dead = q
        .dead_letter_queue()
        .receive(10, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    // sealed: the redacted copy to read, the original opens with the tenant's key
    assert!(motcua_app::dead_letter::is_sealed(&dead[0].body));
    assert_eq!(
        motcua_app::dead_letter::open(&h.notifier.tenancy, &dead[0].body).unwrap(),
        "not json at all"
    );
    assert!(
        dead[0]
            .dead_letter_reason
            .as_deref()
            .unwrap()
            .contains("not JSON")
    );
}
