//! The store contract suite against DynamoDB on moto (`AWS_ENDPOINT_URL`, see
//! `infra/scripts/moto.sh`), one fresh table per test, plus what only this adapter has to show.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::AttributeValue;
use motcua_app::contract::moto_endpoint;
use motcua_app::contract::{code, t, tenant};
use motcua_app::{DossierStore, IdempotencyStore, StoreError};
use motcua_dynamodb::{DynamoStore, create_table};

/// A client for moto with static test credentials (never the ambient ones).
async fn client(endpoint: &str) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        // moto on loopback: plain HTTP (the SDK has no default client without its aws-lc TLS)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(Region::new("ap-southeast-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    Client::new(&config)
}

/// A client and a new, empty table.
async fn fresh_table(endpoint: &str) -> (Client, String) {
    let client = client(endpoint).await;
    let table = format!("motcua-test-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table)
        .await
        .expect("create a test table on moto");
    (client, table)
}

async fn fresh_store(endpoint: String) -> DynamoStore {
    let (client, table) = fresh_table(&endpoint).await;
    DynamoStore::new(client, table)
}

// The factory expression is awaited inside each generated test: its `return` skips the test.
motcua_app::store_contract_tests!(match moto_endpoint() {
    Some(endpoint) => fresh_store(endpoint),
    None => return,
});

const C1: &str = "000.00.04.H60-230215-0028";

fn key(pk: &str, sk: &str) -> [(String, AttributeValue); 2] {
    [
        ("PK".into(), AttributeValue::S(pk.into())),
        ("SK".into(), AttributeValue::S(sk.into())),
    ]
}

#[tokio::test]
async fn undecodable_items_are_corrupt_records() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let (client, table) = fresh_table(&endpoint).await;
    let pk = format!("D#tq#{C1}");
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(key(&pk, "META").into_iter().collect()))
        .item("version", AttributeValue::N("1".into()))
        .item("body", AttributeValue::S(r#"{"version":"secret"}"#.into()))
        .send()
        .await
        .unwrap();
    let store = DynamoStore::new(client, table);
    match store.load_dossier(&tenant("tq"), &code(C1)).await {
        Err(StoreError::Corrupt { key, reason }) => {
            assert_eq!(key, format!("{pk}/META"));
            assert!(
                !reason.contains("secret"),
                "the reason must not quote stored data"
            );
        }
        other => panic!("expected a corrupt record, got {other:?}"),
    }
}

#[tokio::test]
async fn idempotency_records_carry_status_and_ttl_attributes() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let (client, table) = fresh_table(&endpoint).await;
    let store = DynamoStore::new(client.clone(), table.clone());
    let now = t("2026-11-24T00:00:00.500Z");
    let keep = std::time::Duration::from_secs(3600);
    store
        .claim("k", now, std::time::Duration::from_secs(60), keep)
        .await
        .unwrap();
    store.complete("k", Some("done"), now, keep).await.unwrap();
    let item = client
        .get_item()
        .table_name(&table)
        .set_key(Some(key("I#k", "META").into_iter().collect()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v) | AttributeValue::N(v)) => v.clone(),
        other => panic!("attribute {name}: {other:?}"),
    };
    assert_eq!(text("status"), "COMPLETED");
    assert_eq!(text("result"), "done");
    let expires_ms = now.timestamp_millis() + 3_600_000;
    assert_eq!(text("expires_at_ms"), expires_ms.to_string());
    assert_eq!(
        text("ttl"),
        (expires_ms / 1000 + 1).to_string(),
        "epoch seconds, rounded up"
    );
    assert!(!item.contains_key("lease_until_ms"));
}

#[tokio::test]
async fn sdk_errors_are_unavailable_and_name_the_operation() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let store = DynamoStore::new(client(&endpoint).await, "motcua-test-missing-table");
    match store.load_dossier(&tenant("tq"), &code(C1)).await {
        Err(StoreError::Unavailable(message)) => {
            assert!(
                message.contains("Query (dossier and timeline)"),
                "{message}"
            );
            assert!(message.contains("motcua-test-missing-table"), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
}

/// From the table's side: after a citizen is erased, a dump of every item (a Scan, as a
/// backup export would hold it) shows nothing of them in clear.
#[tokio::test]
async fn an_erased_citizen_leaves_nothing_readable_in_the_table() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let (client, table) = fresh_table(&endpoint).await;
    let store = DynamoStore::new(client.clone(), table.clone());
    motcua_app::contract::erasure::erase_a_citizen(&store).await;
    let items = client.scan().table_name(&table).send().await.unwrap();
    assert!(
        items.count() > 0,
        "the ticket and the suppression are still there"
    );
    let dump = format!("{:?}", items.items());
    let found: Vec<&str> = motcua_app::contract::erasure::needles()
        .into_iter()
        .filter(|n| dump.contains(n))
        .collect();
    assert!(found.is_empty(), "readable in the table: {found:?}");
}

/// From the table's side: after the purge of a citizen's closed dossier and ticket, a dump of
/// the items DynamoDB keeps (a Scan, less the items whose `ttl` has passed, which TTL deletes)
/// shows nothing of them; the message reference and the day counter did get a `ttl` in the past.
#[tokio::test]
async fn a_purge_leaves_nothing_of_the_citizen_in_the_table() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let (client, table) = fresh_table(&endpoint).await;
    let store = DynamoStore::new(client.clone(), table.clone());
    let needles = motcua_app::contract::retention::purge_a_citizens_records(&store).await;
    let now = t("2026-11-20T10:00:00Z").timestamp();
    let items = client.scan().table_name(&table).send().await.unwrap();
    let (expired, live): (Vec<_>, Vec<_>) = items.items().iter().partition(|item| {
        item.get("ttl")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
            .is_some_and(|ttl| ttl < now)
    });
    assert_eq!(
        expired.len(),
        3,
        "the message reference, the day counter and the answer's ledger record"
    );
    let dump = format!("{live:?}");
    let found: Vec<&String> = needles
        .iter()
        .filter(|n| dump.contains(n.as_str()))
        .collect();
    assert!(found.is_empty(), "readable in the table: {found:?}");
}

/// A table written before closed dossiers were indexed: the purge cannot see its closed
/// dossiers until the one-off backfill gives them their index entry.
#[tokio::test]
async fn closed_dossiers_written_before_the_index_are_backfilled_then_purged() {
    use motcua_app::RetentionStore;
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let (client, table) = fresh_table(&endpoint).await;
    let store = DynamoStore::new(client.clone(), table.clone());
    let mut d = motcua_app::contract::dossier("tq", "000.00.04.H60-230215-0028", 1);
    d.status = motcua_domain::NationalStatus::Returned;
    d.returned_at = Some(t("2024-01-10T03:00:00Z"));
    d.updated_at = t("2024-01-10T03:00:00Z");
    store.upsert_dossier_if_newer(&d).await.unwrap();
    let open = motcua_app::contract::dossier("tq", "000.00.04.H60-230215-0029", 1);
    store.upsert_dossier_if_newer(&open).await.unwrap();
    // as an item written by the previous release looks
    client
        .update_item()
        .table_name(&table)
        .key(
            "PK",
            AttributeValue::S("D#tq#000.00.04.H60-230215-0028".into()),
        )
        .key("SK", AttributeValue::S("META".into()))
        .update_expression("REMOVE GSI3PK, GSI3SK")
        .send()
        .await
        .unwrap();
    let cutoff = t("2026-01-01T00:00:00Z");
    assert_eq!(
        store
            .purge_closed_dossiers(&tenant("tq"), cutoff, 10)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.backfill_closed_index().await.unwrap(), 1);
    assert_eq!(store.backfill_closed_index().await.unwrap(), 0, "once");
    assert_eq!(
        store
            .purge_closed_dossiers(&tenant("tq"), cutoff, 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .load_dossier(&tenant("tq"), &code("000.00.04.H60-230215-0028"))
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .load_dossier(&tenant("tq"), &code("000.00.04.H60-230215-0029"))
            .await
            .unwrap()
            .is_some()
    );
}
