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
