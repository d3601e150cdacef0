//! The lookup page in headless Chromium at a phone-sized viewport (390 x 844): the visible
//! status text is there, and a screenshot is saved under test-output/ for a person to look at.
//! Needs Debian's `chromium` (the test command installs it); skipped without it, except under CI.

use std::process::Command;
use std::sync::Arc;

use base64::Engine as _;
use lookup::LookupState;
use motcua_app::{Clock, ManualClock, Store, TenantFile};
use motcua_config::{Deployment, Secrets, TenantSecrets};
use motcua_domain::{DossierCode, DossierEvent};

fn chromium() -> Option<String> {
    for name in ["chromium", "chromium-browser"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(name.to_string());
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("chromium is required under CI (infra/test.sh installs Debian's chromium)");
    }
    eprintln!("skipping: chromium not installed (apt-get install chromium)");
    None
}

fn headless(
    bin: &str,
    profile: &std::path::Path,
    extra: &[String],
    url: &str,
) -> std::process::Output {
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=390,844",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_the_status_on_a_phone() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    // the day after the fixtures' last step, 10:00 in Vietnam, whatever today's date is
    let clock = Arc::new(ManualClock::at("2026-11-14T03:00:00Z"));
    let store: Arc<dyn Store> = Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.path().join("db.redb"))
            .unwrap()
            .store(),
    );
    let toml = "[[tenant]]\nid = \"tuyen-quang\"\nname = \"Tuyên Quang\"\nagency_codes = [\"H60\"]\noa_id = \"579745863508352884\"\npublic_host = \"127.0.0.1\"\n";
    let b64 = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
    let secrets = Secrets {
        tenants: [(
            "tuyen-quang".to_string(),
            TenantSecrets {
                pii_secret: b64(1),
                qr_key: Some(b64(2)),
                ..TenantSecrets::default()
            },
        )]
        .into(),
    };
    let d = Deployment::new(TenantFile::parse(toml).unwrap().tenant, secrets).unwrap();
    for f in [
        "01-received.json",
        "02-step_changed.json",
        "03-step_changed.json",
    ] {
        let body = std::fs::read_to_string(format!(
            "{}/../../events/notifier/life/{f}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        motcua_app::ingest::apply_event(
            store.as_ref(),
            &d.tenancy,
            &DossierEvent::from_json(&body).unwrap(),
            clock.now(),
        )
        .await
        .unwrap();
    }
    let code = DossierCode::parse("000.00.04.H60-261110-0028").unwrap();
    let token = d.qr_signer("tuyen-quang").unwrap().token(&code);
    let state = Arc::new(LookupState::new(
        store,
        d,
        clock.clone(),
        Arc::new(motcua_app::metrics::RecordingMetrics::default()),
        600,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = lookup::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = format!("http://{addr}/tra-cuu/{code}?k={token}");

    let (bin2, profile, url2) = (bin.clone(), dir.path().join("profile"), url.clone());
    let dom = tokio::task::spawn_blocking(move || {
        headless(&bin2, &profile, &["--dump-dom".into()], &url2)
    })
    .await
    .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout).to_string();
    for visible in [
        "Đang xử lý",
        "Bước hiện tại",
        "Thẩm định",
        "N. T. T. M***",
        "Quá trình giải quyết",
    ] {
        assert!(
            dom.contains(visible),
            "{visible} not rendered; DOM: {}",
            &dom[..dom.len().min(500)]
        );
    }

    // taken in this test's own directory (infra/test.sh runs the suite three times at once),
    // then kept under test-output/ for a person to look at
    let shot = dir.path().join("lookup-page-phone.png");
    let (profile, arg) = (
        dir.path().join("profile2"),
        format!("--screenshot={}", shot.display()),
    );
    tokio::task::spawn_blocking(move || headless(&bin, &profile, &[arg], &url))
        .await
        .unwrap();
    let png = std::fs::read(&shot).expect("a screenshot was saved");
    let out_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-output");
    std::fs::create_dir_all(&out_dir).unwrap();
    let part = out_dir.join(format!("lookup-page-phone.png.{}", std::process::id()));
    std::fs::write(&part, &png).unwrap();
    std::fs::rename(&part, out_dir.join("lookup-page-phone.png")).unwrap();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (390, 844),
        "phone-sized viewport"
    );
}
