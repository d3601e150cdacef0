//! Drives the real `local` binary: the README's run command serves `/healthz`, an event pushed
//! through `/local/legacy-events` becomes visible at `/api/v1/dossiers/{code}`, a poison message
//! is dead-lettered, and everything is still there after a clean restart. Without `--demo` the
//! demo routes do not exist and the one-stop system's intake needs its tenant's key.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CODE: &str = "000.00.04.H60-261110-0028";

struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts the binary on a free port. The port is found by binding port 0 and letting it go,
    /// so another listener (the server's own in-process Zalo fake, which binds port 0 too) can
    /// take it first: the server then exits with "address in use" and is started again on
    /// another port. Ready means our /healthz answers 200, not merely that the port accepts.
    fn start(data_dir: &Path, args: &[&str]) -> Server {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let mut child = Command::new(env!("CARGO_BIN_EXE_local"))
                .current_dir(&root)
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .arg("--data-dir")
                .arg(data_dir)
                .args(args)
                .stdout(Stdio::from(log(data_dir)))
                .stderr(Stdio::from(log(data_dir)))
                .spawn()
                .unwrap();
            let started = Instant::now();
            loop {
                if child.try_wait().unwrap().is_some() {
                    break; // lost the port: try another
                }
                if healthy(port) {
                    return Server {
                        child,
                        base: format!("http://127.0.0.1:{port}"),
                    };
                }
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "server did not start"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("the server exited on start five times; see server.log in the data directory");
    }

    /// Ctrl-C, and the process must exit 0 on its own.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no clean shutdown"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn log(data_dir: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join("server.log"))
        .unwrap()
}

/// `GET /healthz` answers 200 on `port`.
fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A client for the server under test (TLS crypto: ring, as the server's).
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(motcua_tls::client_config())
        .build()
        .unwrap()
}

async fn wait_for_status(client: &reqwest::Client, url: &str, want: u16) -> reqwest::Response {
    let started = Instant::now();
    loop {
        let r = client.get(url).send().await.unwrap();
        if r.status().as_u16() == want {
            return r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{url} never answered {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn pushed_event_is_served_and_survives_restart() {
    let data = tempfile::tempdir().unwrap();
    eprintln!("server log: {}", data.path().join("server.log").display());
    let client = http_client();
    let event = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/local/legacy-event-received.json"),
    )
    .unwrap();

    let server = Server::start(data.path(), &["--demo"]);
    let health = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let outbox: Vec<serde_json::Value> = client
        .get(format!("{}/local/outbox", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // the hourly job reads each OA's profile (follower count) at start; nothing was sent
    let sent: Vec<_> = outbox
        .iter()
        .filter(|r| r["endpoint"] != "oa_info")
        .collect();
    assert!(
        sent.is_empty(),
        "the in-process Zalo fake has received nothing yet: {sent:?}"
    );

    let url = format!("{}/api/v1/dossiers/{CODE}", server.base);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 404);
    let posted = client
        .post(format!("{}/local/legacy-events", server.base))
        .body(event)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 202);
    let poison = client
        .post(format!("{}/local/legacy-events", server.base))
        .body("{\"schema_version\": 1, \"event_id\": \"x\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        poison.status(),
        202,
        "accepted like SQS would; the consumer dead-letters it"
    );

    let body: serde_json::Value = wait_for_status(&client, &url, 200)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["code"], CODE);
    assert_eq!(body["status"], 2);
    assert_eq!(body["status_name"], "Được tiếp nhận");
    let text = body.to_string();
    for private in ["0906591985", "NGUYỄN", "008190012345", "N. T. T."] {
        assert!(
            !text.contains(private),
            "code-only view leaked {private}: {text}"
        );
    }
    // a mangled code finds the same dossier
    let mangled = format!(
        "{}/api/v1/dossiers/000,00,04,h60%20-%20261110%20-%200028",
        server.base
    );
    assert_eq!(client.get(&mangled).send().await.unwrap().status(), 200);
    let bad = client
        .get(format!("{}/api/v1/dossiers/hello", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    server.stop();

    // a fresh client: the old one may hold a closed keep-alive connection to a reused port
    let client = http_client();
    let server = Server::start(data.path(), &["--demo"]);
    let url = format!("{}/api/v1/dossiers/{CODE}", server.base);
    let again: serde_json::Value = wait_for_status(&client, &url, 200)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, body, "state survives a restart");
    server.stop();
}

fn intake_key(data_dir: &Path, tenant: &str) -> String {
    let secrets: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data_dir.join("secrets.json")).unwrap())
            .unwrap();
    secrets["tenants"][tenant]["intake_api_key"]
        .as_str()
        .unwrap()
        .to_string()
}

/// From the attacker's side, on an on-premises server started as production (no `--demo`):
/// the demo doors are closed, and the one-stop intake takes only a tenant's key and only that
/// tenant's dossiers.
#[tokio::test]
async fn without_demo_the_demo_routes_are_absent_and_the_intake_needs_its_tenants_key() {
    let data = tempfile::tempdir().unwrap();
    eprintln!("server log: {}", data.path().join("server.log").display());
    let client = http_client();
    let event = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/local/legacy-event-received.json"),
    )
    .unwrap();
    let server = Server::start(data.path(), &[]);
    let simulate = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/zalo-webhook/user_send_text.json"),
    )
    .unwrap();
    for (path, body) in [
        ("/local/zalo/simulate", simulate.as_str()),
        ("/local/legacy-events", event.as_str()),
    ] {
        let r = client
            .post(format!("{}{path}", server.base))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let outbox = client
        .get(format!("{}/local/outbox", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(outbox.status(), 404);

    let intake = format!("{}/api/v1/intake/events", server.base);
    let post = |key: Option<String>, body: String| {
        let mut r = client.post(&intake).body(body);
        if let Some(key) = key {
            r = r.header("X-Api-Key", key);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    let tq = intake_key(data.path(), "tuyen-quang");
    let bn = intake_key(data.path(), "bac-ninh");
    assert_eq!(post(None, event.clone()).await, 401, "no key");
    assert_eq!(
        post(Some("guess".into()), event.clone()).await,
        401,
        "a wrong key"
    );
    assert_eq!(
        post(Some(bn), event.clone()).await,
        403,
        "Bắc Ninh's key for a Tuyên Quang code"
    );
    let too_big = format!("{{\"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    assert_eq!(post(Some(tq.clone()), too_big).await, 413);
    assert_eq!(post(Some(tq.clone()), "{}".into()).await, 400, "no code");
    let url = format!("{}/api/v1/dossiers/{CODE}", server.base);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 404);
    assert_eq!(post(Some(tq), event).await, 202);
    wait_for_status(&client, &url, 200).await;
    server.stop();
}

#[test]
fn demo_mode_is_refused_on_a_public_address() {
    let data = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_local"))
        .current_dir(&root)
        .args(["--listen", "0.0.0.0:0", "--demo", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("only allowed on a loopback address"),
        "{stderr}"
    );
}

/// Lookups answered before the first 429, each request claiming to come from another address.
async fn lookups_before_429(server: &Server) -> usize {
    let client = http_client();
    for i in 0..20 {
        let r = client
            .get(format!("{}/api/v1/dossiers/{CODE}", server.base))
            .header("X-Forwarded-For", format!("198.51.100.{i}"))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            return i;
        }
    }
    20
}

/// Behind the province's reverse proxy every citizen arrives from the proxy's address; with
/// `--trusted-proxy` each gets their own lookup budget, and without it a client cannot buy a
/// fresh budget by writing X-Forwarded-For itself.
#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    let data = tempfile::tempdir().unwrap();
    let limits = ["--lookups-per-minute", "6"]; // bursts of 2
    let server = Server::start(data.path(), &limits);
    assert_eq!(
        lookups_before_429(&server).await,
        2,
        "a forged header buys nothing"
    );
    server.stop();
    let proxied = [&limits[..], &["--trusted-proxy", "127.0.0.1"]].concat();
    let server = Server::start(data.path(), &proxied);
    assert_eq!(
        lookups_before_429(&server).await,
        20,
        "through a trusted proxy each client has its own budget"
    );
    server.stop();
}
