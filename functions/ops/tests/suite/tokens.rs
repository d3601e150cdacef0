//! The real `motcua-ops` binary against a local deployment and the Zalo fake: import, show,
//! refresh; secrets come only from the environment and never appear in output.

use std::process::Command;

use motcua_zalo_fake::{Endpoint, ZaloFake};

fn ops(
    dir: &std::path::Path,
    fake: &ZaloFake,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_motcua-ops"))
        .current_dir(root)
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--zalo-base",
            &fake.base_url,
        ])
        .args(args)
        .env_remove("ZALO_ACCESS_TOKEN")
        .env_remove("ZALO_REFRESH_TOKEN")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

// Multi-threaded: the fake keeps serving while this thread waits for the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_show_and_refresh_tokens() {
    let fake = ZaloFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    const OA: &str = "0000000000000000001";

    // first call creates the local secrets; register the generated app secret with the fake
    let (ok, out) = ops(dir.path(), &fake, &["tokens", "show"], &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("tuyen-quang OA 0000000000000000001: no tokens"),
        "{out}"
    );
    let secrets: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("secrets.json")).unwrap())
            .unwrap();
    fake.add_app(
        "1234567890123456789",
        secrets["tenants"]["tuyen-quang"]["zalo_app_secret"]
            .as_str()
            .unwrap(),
    );

    let (ok, out) = ops(dir.path(), &fake, &["tokens", "import", "--oa", OA], &[]);
    assert!(!ok && out.contains("ZALO_ACCESS_TOKEN is not set"), "{out}");
    let (access, refresh) = fake.issue_tokens(OA);
    let env = [
        ("ZALO_ACCESS_TOKEN", access.as_str()),
        ("ZALO_REFRESH_TOKEN", refresh.as_str()),
    ];
    let (ok, out) = ops(dir.path(), &fake, &["tokens", "import", "--oa", OA], &env);
    assert!(ok && out.contains("version 1"), "{out}");
    let (ok, out) = ops(
        dir.path(),
        &fake,
        &["tokens", "import", "--oa", "999"],
        &env,
    );
    assert!(
        !ok && out.contains("OA 999 has no Zalo app configured"),
        "{out}"
    );

    let (ok, out) = ops(dir.path(), &fake, &["tokens", "refresh", "--oa", OA], &[]);
    assert!(ok && out.contains("version 2"), "{out}");
    assert_eq!(fake.count(Endpoint::Token), 1);

    let (ok, out) = ops(dir.path(), &fake, &["tokens", "show"], &[]);
    assert!(ok && out.contains("version 2"), "{out}");
    assert!(
        !out.contains(&access) && !out.contains(&refresh) && !out.contains("fake-access"),
        "{out}"
    );

    let (ok, out) = ops(dir.path(), &fake, &["--help"], &[]);
    assert!(ok && out.contains("tokens"), "{out}");
}

#[test]
fn a_target_is_required() {
    let out = Command::new(env!("CARGO_BIN_EXE_motcua-ops"))
        .args(["tokens", "show"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--table <name> (AWS) or --data-dir <dir> (local)")
    );
}

// Multi-threaded: the fake keeps serving while this thread waits for the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_the_last_notification_and_test_a_template() {
    use motcua_app::{ZaloUserStore, ingest::apply_event};

    let fake = ZaloFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    const OA: &str = "0000000000000000001";
    const CODE: &str = "000.00.04.H60-261110-0028";
    let (ok, out) = ops(dir.path(), &fake, &["tokens", "show"], &[]);
    assert!(ok, "{out}");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let deployment = motcua_config::Deployment::from_files(
        &root.join("infra/local/tenants.toml"),
        &dir.path().join("secrets.json"),
    )
    .unwrap();
    fake.add_app(
        "1234567890123456789",
        &deployment
            .zalo_apps()
            .into_iter()
            .find(|a| a.oa_id == OA)
            .unwrap()
            .app_secret,
    );
    let (access, refresh) = fake.issue_tokens(OA);
    let env = [
        ("ZALO_ACCESS_TOKEN", access.as_str()),
        ("ZALO_REFRESH_TOKEN", refresh.as_str()),
    ];
    assert!(ops(dir.path(), &fake, &["tokens", "import", "--oa", OA], &env).0);

    // a dossier received, and its applicant linked in Zalo an hour ago
    {
        let db = motcua_embedded::EmbeddedDb::open(dir.path().join("motcua.redb")).unwrap();
        let store = db.store();
        let text =
            std::fs::read_to_string(root.join("events/local/legacy-event-received.json")).unwrap();
        let event = motcua_domain::DossierEvent::from_json(&text).unwrap();
        let now = chrono::Utc::now();
        apply_event(&store, &deployment.tenancy, &event, now)
            .await
            .unwrap();
        let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
        let keys = deployment.tenancy.keys(&tq).unwrap();
        let phone = motcua_domain::PhoneNumber::parse("0906591985").unwrap();
        let at = now - chrono::Duration::hours(1);
        store.set_following(&tq, "u-1", true, at).await.unwrap();
        store.record_interaction(&tq, "u-1", at).await.unwrap();
        store
            .link_phone(&tq, "u-1", &keys.protect_phone(&phone), at)
            .await
            .unwrap();
    }

    let (ok, out) = ops(
        dir.path(),
        &fake,
        &["notify", "resend", "--code", CODE],
        &[],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("received notification re-sent: zalo_cs_free"),
        "{out}"
    );
    let sent: Vec<String> = fake
        .delivered()
        .iter()
        .filter(|r| r.recipient().as_deref() == Some("u-1"))
        .filter_map(|r| r.text())
        .collect();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains(CODE), "{sent:?}");
    let (ok, out) = ops(
        dir.path(),
        &fake,
        &["notify", "resend", "--code", "000.00.04.H60-261110-9999"],
        &[],
    );
    assert!(!ok && out.contains("no dossier"), "{out}");

    let (ok, out) = ops(
        dir.path(),
        &fake,
        &[
            "notify",
            "test",
            "--tenant",
            "tuyen-quang",
            "--phone",
            "0912345678",
            "--kind",
            "supplement_requested",
        ],
        &[],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("091****678") && !out.contains("0912345678"),
        "{out}"
    );
    let zns = fake
        .delivered()
        .into_iter()
        .find(|r| r.endpoint == Endpoint::Zns)
        .unwrap();
    assert_eq!(zns.body["mode"], "development");
    assert_eq!(zns.body["template_id"], "300003");
    assert_eq!(zns.body["template_data"]["ly_do"], "Thiếu bản sao căn cước");
    let (ok, out) = ops(
        dir.path(),
        &fake,
        &[
            "notify",
            "test",
            "--tenant",
            "tuyen-quang",
            "--phone",
            "0912345678",
            "--kind",
            "fee_requested",
        ],
        &[],
    );
    assert!(
        !ok && out.contains("no \"fee_requested\" template"),
        "{out}"
    );
}
