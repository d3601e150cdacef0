//! `motcua-ops dlq replay` against SQS on moto (dry run leaves everything in place; a replay
//! moves every dead letter back once), and `config check` on the shipped tenant files.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sqs::config::Credentials;
use clap::Parser;
use motcua_app::Queue;
use motcua_app::contract::moto_endpoint;
use motcua_sqs::{QueuePairSettings, SqsQueue, create_queue_pair};

async fn pair(endpoint: &str) -> (SqsQueue, SqsQueue, String, String) {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        // moto on loopback: plain HTTP (the SDK has no default client without its aws-lc TLS)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(Region::new("ap-southeast-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    let client = aws_sdk_sqs::Client::new(&config);
    let name = format!("ops-replay-{}", uuid::Uuid::new_v4().simple());
    let (url, dlq_url) = create_queue_pair(&client, &name, QueuePairSettings::default())
        .await
        .unwrap();
    let main = SqsQueue::new(client, url.clone(), dlq_url.clone());
    let dlq = main.dead_letter_queue();
    (main, dlq, url, dlq_url)
}

async fn drain(q: &SqsQueue) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let batch = q.receive(10, Duration::from_millis(200)).await.unwrap();
        if batch.is_empty() {
            return bodies;
        }
        for m in batch {
            bodies.push(m.body.clone());
            q.delete(&m.receipt).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_a_replay_moves_each_dead_letter_back_once() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let (main, dlq, _, _) = pair(&endpoint).await;
    for i in 0..3 {
        main.dead_letter(
            &format!("{{\"n\":{i}}}"),
            &format!("schema: event {i} has no code"),
        )
        .await
        .unwrap();
    }
    let dry = ops::replay(&dlq, &main, None, false, true, 100)
        .await
        .unwrap();
    assert_eq!(dry.messages.len(), 3);
    assert_eq!(dry.replayed, 0);
    assert!(
        dry.messages
            .iter()
            .all(|(_, reason, _)| reason.as_deref().is_some_and(|r| r.starts_with("schema:")))
    );
    assert!(
        main.receive(10, Duration::from_millis(200))
            .await
            .unwrap()
            .is_empty()
    );

    // at most one when asked for one
    let one = ops::replay(&dlq, &main, None, false, false, 1)
        .await
        .unwrap();
    assert_eq!(one.replayed, 1);
    let rest = ops::replay(&dlq, &main, None, false, false, 100)
        .await
        .unwrap();
    assert_eq!(rest.replayed, 2);
    let mut bodies = drain(&main).await;
    bodies.sort();
    assert_eq!(bodies, vec!["{\"n\":0}", "{\"n\":1}", "{\"n\":2}"]);
    assert!(drain(&dlq).await.is_empty());
    // nothing left: a second replay does nothing
    assert_eq!(
        ops::replay(&dlq, &main, None, false, false, 100)
            .await
            .unwrap()
            .replayed,
        0
    );
}

#[tokio::test]
async fn the_cli_replays_what_it_listed() {
    let Some(endpoint) = moto_endpoint() else {
        return;
    };
    let (main, _dlq, url, dlq_url) = pair(&endpoint).await;
    main.dead_letter("{\"event_name\":\"follow\"}", "poison")
        .await
        .unwrap();
    let cli = ops::Cli::parse_from([
        "motcua-ops",
        "dlq",
        "replay",
        "--queue-url",
        &url,
        "--dlq-url",
        &dlq_url,
    ]);
    let out = ops::run(cli).await.unwrap();
    assert!(out.contains("replayed 1 message(s)"), "{out}");
    assert_eq!(drain(&main).await, vec!["{\"event_name\":\"follow\"}"]);
}

#[tokio::test]
async fn shipped_tenant_files_pass_the_check_and_mistakes_are_named() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for file in [
        "infra/local/tenants.toml",
        "infra/tenants/tuyen-quang.toml",
        "infra/tenants/bac-ninh.toml",
    ] {
        let path = root.join(file);
        let cli = ops::Cli::parse_from(["motcua-ops", "config", "check", path.to_str().unwrap()]);
        let out = ops::run(cli)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(out.ends_with(": OK"), "{out}");
        assert!(
            out.contains("kept (days): dossiers 365 and tickets 365 after closing"),
            "{out}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[tenant]]\nid = \"tuyen-quang\"\nname = \"Tuyên Quang\"\nagency_codes = [\"H60\"]\noa_id = \"1\"\n\
         [tenant.zalo]\nzns_templates = { recieved = \"1\" }\n[tenant.tickets]\noutside_window = \"zns\"\n",
    )
    .unwrap();
    let cli = ops::Cli::parse_from(["motcua-ops", "config", "check", bad.to_str().unwrap()]);
    let err = ops::run(cli).await.unwrap_err().to_string();
    assert!(err.contains("app_id is not"), "{err}");
    assert!(err.contains("\"recieved\""), "{err}");
    assert!(err.contains("needs zns_templates.ticket_answered"), "{err}");
    std::fs::write(
        &bad,
        "[[tenant]]\nid = \"tuyen-quang\"\nname = \"TQ\"\nagency_codes = [\"H60\"]\n\
         [tenant.retention]\naudit = 0\n",
    )
    .unwrap();
    let cli = ops::Cli::parse_from(["motcua-ops", "config", "check", bad.to_str().unwrap()]);
    let err = ops::run(cli).await.unwrap_err().to_string();
    assert!(
        err.contains("retention.audit must be at least 1 day"),
        "{err}"
    );
    std::fs::write(&bad, "[[tenant]]\nid = \"x\"\n").unwrap();
    let cli = ops::Cli::parse_from(["motcua-ops", "config", "check", bad.to_str().unwrap()]);
    assert!(
        ops::run(cli)
            .await
            .unwrap_err()
            .to_string()
            .contains("bad.toml")
    );
}
