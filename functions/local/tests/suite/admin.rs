//! The staff console's API on the local server: tickets created through the real webhook path
//! (`/local/zalo/simulate`), staff signed in with passwords, every role boundary, answers in
//! the Zalo fake, announcements sent once, statistics against a seeded scenario.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua_app::Queue;
use motcua_zalo_fake::{Endpoint, ZaloFake};
use serde_json::{Value, json};

const APP: &str = "1234567890123456789";
const OA_TQ: &str = "0000000000000000001";

pub struct Local {
    pub state: Arc<local::AppState>,
    pub base: String,
    clock: Arc<motcua_app::ManualClock>,
    _dir: tempfile::TempDir,
}

/// Staff of the demo tenants; every password is "mật-khẩu-<username>".
const STAFF: [(&str, &str, &str, Option<&str>); 6] = [
    ("admin-tq", "tuyen-quang", "admin", None),
    ("admin2-tq", "tuyen-quang", "admin", None),
    ("tuphap", "tuyen-quang", "staff", Some("so-tu-phap")),
    ("xaydung", "tuyen-quang", "staff", Some("so-xay-dung")),
    ("admin-bn", "bac-ninh", "admin", None),
    ("tuphap-bn", "bac-ninh", "staff", Some("so-tu-phap")),
];

pub fn password(user: &str) -> String {
    format!("mật-khẩu-{user}")
}

pub async fn start() -> Local {
    start_with(|t| t).await
}

/// Writes the staff file of `STAFF` into a data directory. The passwords are hashed once per
/// test process: Argon2 is slow on purpose, and every server of every test would hash them again
/// (the console's tests, and the others, which would otherwise have first-start accounts made).
pub fn write_staff(dir: &Path) {
    static FILE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let mut toml = String::new();
        for (user, tenant, role, agency) in STAFF {
            toml.push_str(&format!(
                "[[staff]]\nusername = \"{user}\"\nname = \"Cán bộ {user}\"\ntenant = \"{tenant}\"\nrole = \"{role}\"\n{}password_hash = \"{}\"\n\n",
                agency.map_or(String::new(), |a| format!("agency = \"{a}\"\n")),
                admin::auth::hash_password(&password(user))
            ));
        }
        toml
    });
    std::fs::write(dir.join(local::staff::STAFF_FILE), FILE.as_str()).unwrap();
}

/// The server on the demo tenants edited by `edit`.
pub async fn start_with(edit: impl FnOnce(String) -> String) -> Local {
    let dir = tempfile::tempdir().unwrap();
    write_staff(dir.path());
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    let config = dir.path().join("tenants.toml");
    std::fs::write(&config, edit(std::fs::read_to_string(demo).unwrap())).unwrap();
    let clock = Arc::new(motcua_app::ManualClock::new(now()));
    let state = local::open(dir.path(), &config, None, 100_000, clock.clone())
        .await
        .unwrap();
    let base = local::serve_on_loopback(state.clone()).await.unwrap();
    Local {
        state,
        base,
        clock,
        _dir: dir,
    }
}

/// A signed-in staff member's HTTP client (cookie jar).
pub struct Session {
    client: reqwest::Client,
    base: String,
}

impl Session {
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/api/v1/admin/{path}", self.base);
        let req = match method {
            "GET" => self.client.get(url),
            _ => self.client.post(url).json(&body.unwrap_or(json!({}))),
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Local {
    pub async fn login(&self, user: &str) -> Session {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r = client
            .post(format!("{}/api/v1/admin/login", self.base))
            .json(&json!({"username": user, "password": password(user)}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login of {user}");
        Session {
            client,
            base: self.base.clone(),
        }
    }

    /// A Zalo event through the real webhook path, then the event queue drained. The event
    /// arrives at its own time: the server's clock reads the event's `timestamp` while it is
    /// delivered and processed (Zalo refuses nothing old; our webhook refuses stale bodies),
    /// then goes back to the tests' now.
    pub async fn citizen(&self, event: Value) {
        let at = event["timestamp"]
            .as_str()
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(chrono::DateTime::from_timestamp_millis)
            .unwrap_or_else(now);
        self.clock.set(at);
        self.deliver(event).await;
        self.clock.set(now());
    }

    async fn deliver(&self, event: Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/local/zalo/simulate", self.base))
            .body(event.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        for _ in 0..50 {
            if self.state.zalo_events.depth().await.unwrap() == 0 {
                return;
            }
            local::worker::drain_events_once(&self.state, Duration::from_millis(100))
                .await
                .unwrap();
        }
        panic!("the event queue did not drain");
    }

    /// The citizen shares `phone` `ago` before now and types the one-time code it receives by
    /// ZNS half a minute later: the phone is then proven and linked.
    pub async fn verified_phone(&self, user: &str, phone: &str, ago: chrono::Duration) {
        self.citizen(share_phone(user, phone, ago)).await;
        let international = format!("84{}", &phone[1..]);
        let code = self
            .fake()
            .delivered()
            .into_iter()
            .rev()
            .find(|r| r.endpoint == Endpoint::Zns && r.body["phone"] == international)
            .and_then(|r| r.body["template_data"]["otp"].as_str().map(str::to_string))
            .expect("a one-time code went to the phone");
        let typed = ago - chrono::Duration::seconds(30);
        self.citizen(text_event(user, &format!("otp-{user}"), &code, typed))
            .await;
    }

    pub fn fake(&self) -> &ZaloFake {
        self.state.zalo_fake.as_ref().unwrap()
    }

    pub fn texts_to(&self, user: &str) -> Vec<String> {
        self.fake()
            .delivered()
            .iter()
            .filter(|r| r.recipient().as_deref() == Some(user))
            .filter_map(|r| r.text())
            .collect()
    }

    /// An announcement written by `author` and sent by a second admin (four eyes); its id.
    async fn announce_approved(&self, author: &Session, body: Value) -> String {
        let (s, created) = author.call("POST", "announcements", Some(body)).await;
        assert_eq!(s, 201, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let second = self.login("admin2-tq").await;
        let path = format!("announcements/{id}/send");
        assert_eq!(second.call("POST", &path, None).await.0, 200);
        id
    }

    async fn run_announcements(&self) {
        let q = &self.state.announcements;
        for _ in 0..20 {
            let batch = q.receive(10, Duration::from_millis(50)).await.unwrap();
            if batch.is_empty() {
                return;
            }
            for m in batch {
                let job = serde_json::from_str(&m.body).unwrap();
                let outcome = self.state.admin.announcements.run_job(&job).await.unwrap();
                assert_eq!(outcome.retry, 0);
                q.delete(&m.receipt).await.unwrap();
            }
        }
    }
}

/// The server's clock in these tests: a Tuesday, 10:00 in Vietnam. Zalo timestamps and
/// counter days are built from it, never from today's date.
pub fn now() -> DateTime<Utc> {
    "2026-11-24T03:00:00Z".parse().unwrap()
}

/// A Zalo timestamp `ago` before the server's now.
fn ts_ago(ago: chrono::Duration) -> String {
    (now() - ago).timestamp_millis().to_string()
}

pub fn text_event(user: &str, msg_id: &str, body: &str, ago: chrono::Duration) -> Value {
    json!({"app_id": APP, "sender": {"id": user}, "recipient": {"id": OA_TQ}, "event_name": "user_send_text",
        "message": {"text": body, "msg_id": msg_id}, "timestamp": ts_ago(ago), "user_id_by_app": "1"})
}

fn share_phone(user: &str, phone: &str, ago: chrono::Duration) -> Value {
    json!({"app_id": APP, "sender": {"id": user}, "recipient": {"id": OA_TQ}, "event_name": "user_submit_info",
        "info": {"name": "Nguyễn Văn An", "phone": phone}, "timestamp": ts_ago(ago)})
}

fn follow(user: &str) -> Value {
    json!({"oa_id": OA_TQ, "follower": {"id": user}, "event_name": "follow", "source": "oa_profile",
        "app_id": APP, "timestamp": ts_ago(chrono::Duration::zero())})
}

fn audit_has(entries: &Value, actor: &str, action: &str, target: &str, outcome: &str) -> bool {
    entries["entries"].as_array().unwrap().iter().any(|e| {
        e["actor"] == actor
            && e["action"] == action
            && e["target"] == target
            && e["outcome"] == outcome
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_gets_in_without_a_valid_session() {
    let l = start().await;
    let anonymous = reqwest::Client::new();
    for path in [
        "me",
        "tickets",
        "tickets/1",
        "stats",
        "audit",
        "announcements",
    ] {
        let r = anonymous
            .get(format!("{}/api/v1/admin/{path}", l.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    let r = anonymous
        .post(format!("{}/api/v1/admin/login", l.base))
        .json(&json!({"username": "admin-tq", "password": "sai"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());
    // a forged cookie is refused
    let r = anonymous
        .get(format!("{}/api/v1/admin/me", l.base))
        .header(
            "cookie",
            "motcua_admin=eyJ1IjoiYWRtaW4tdHEiLCJleHAiOjk5OTk5OTk5OTl9.00",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // the page itself is public and self-contained
    let page = anonymous
        .get(format!("{}/admin", l.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"));
    let html = page.text().await.unwrap();
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!html.contains(external), "no external resources");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_staff_see_only_their_agency_and_every_refusal_is_audited() {
    let l = start().await;
    l.citizen(text_event(
        "u-1",
        "m-1",
        "Tôi muốn hỏi thủ tục cấp phép xây dựng",
        chrono::Duration::zero(),
    ))
    .await;
    let admin = l.login("admin-tq").await;
    let tuphap = l.login("tuphap").await;
    let xaydung = l.login("xaydung").await;
    let other_tenant = l.login("admin-bn").await;

    // unassigned: only the tenant admin sees it
    let (s, list) = admin.call("GET", "tickets", None).await;
    assert_eq!(s, 200);
    assert_eq!(list["tickets"][0]["number"], 1);
    assert_eq!(list["tickets"][0]["category"], "question");
    let (_, list) = tuphap.call("GET", "tickets", None).await;
    assert!(list["tickets"].as_array().unwrap().is_empty());
    assert_eq!(tuphap.call("GET", "tickets/1", None).await.0, 404);

    // staff cannot assign; the admin assigns to Sở Xây dựng
    let (s, body) = xaydung
        .call(
            "POST",
            "tickets/1/assign",
            Some(json!({"agency": "so-xay-dung"})),
        )
        .await;
    assert_eq!(s, 404, "{body}"); // not even visible to them yet
    let (s, body) = admin
        .call(
            "POST",
            "tickets/1/assign",
            Some(json!({"agency": "so-khong-co"})),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    let (s, t) = admin
        .call(
            "POST",
            "tickets/1/assign",
            Some(json!({"agency": "so-xay-dung"})),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["status"], "in_progress");
    assert_eq!(t["agency_name"], "Sở Xây dựng");

    // agency B's staff sees it, agency A's does not (same 404 as a missing ticket)
    assert_eq!(xaydung.call("GET", "tickets/1", None).await.0, 200);
    let (s, denied) = tuphap.call("GET", "tickets/1", None).await;
    assert_eq!(s, 404);
    let (_, missing) = tuphap.call("GET", "tickets/999", None).await;
    assert_eq!(
        denied, missing,
        "a hidden ticket is indistinguishable from a missing one"
    );
    for (method, path, body) in [
        ("POST", "tickets/1/reveal", None),
        (
            "POST",
            "tickets/1/answer",
            Some(json!({"text": "x", "request_id": "r1"})),
        ),
        (
            "POST",
            "tickets/1/update",
            Some(json!({"status": "closed"})),
        ),
    ] {
        assert_eq!(tuphap.call(method, path, body).await.0, 404, "{path}");
    }
    // staff may not reassign even their own ticket
    assert_eq!(
        xaydung
            .call(
                "POST",
                "tickets/1/assign",
                Some(json!({"agency": "so-tu-phap"}))
            )
            .await
            .0,
        403
    );
    // another province's admin: ticket 1 of Tuyên Quang does not exist for them
    assert_eq!(other_tenant.call("GET", "tickets/1", None).await.0, 404);
    assert!(
        other_tenant.call("GET", "tickets", None).await.1["tickets"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // admin-only areas
    for path in ["audit", "stats", "stats.csv", "announcements"] {
        assert_eq!(xaydung.call("GET", path, None).await.0, 403, "{path}");
    }
    let (s, _) = xaydung
        .call(
            "POST",
            "announcements",
            Some(json!({"title": "t", "body": "b", "audience": {"kind": "cs_free"}})),
        )
        .await;
    assert_eq!(s, 403);

    // the trail: who tried what, denied
    let (s, audit) = admin.call("GET", "audit", None).await;
    assert_eq!(s, 200);
    assert!(
        audit_has(&audit, "tuphap", "ticket.view", "ticket:1", "denied"),
        "{audit}"
    );
    assert!(audit_has(
        &audit,
        "tuphap",
        "ticket.answer",
        "ticket:1",
        "denied"
    ));
    assert!(audit_has(
        &audit,
        "tuphap",
        "ticket.view",
        "ticket:999",
        "not_found"
    ));
    assert!(audit_has(
        &audit,
        "xaydung",
        "ticket.assign",
        "ticket:1",
        "denied"
    ));
    assert!(audit_has(
        &audit,
        "xaydung",
        "ticket.view",
        "ticket:1",
        "ok"
    ));
    assert!(audit_has(
        &audit,
        "admin-tq",
        "ticket.assign",
        "ticket:1",
        "ok"
    ));
    assert!(audit_has(&audit, "xaydung", "audit.view", "", "denied"));
    assert!(audit_has(
        &audit,
        "xaydung",
        "announcement.create",
        "",
        "denied"
    ));
    assert!(audit_has(&audit, "admin-tq", "login", "", "ok"));
    // Bắc Ninh's trail holds none of it
    let (_, bn) = other_tenant.call("GET", "audit", None).await;
    assert!(
        !bn["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == "tuphap")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_is_masked_until_opened_and_opening_is_audited() {
    let l = start().await;
    l.verified_phone("u-2", "0912345678", chrono::Duration::minutes(5))
        .await;
    l.citizen(text_event(
        "u-2",
        "m-2",
        "Phản ánh: gọi lại cho tôi số 0987 654 321, CCCD 001203004567",
        chrono::Duration::zero(),
    ))
    .await;
    let admin = l.login("admin-tq").await;
    let (_, t) = admin.call("GET", "tickets/1", None).await;
    assert_eq!(
        t["ticket"]["category"],
        "complaint",
        "{t} {:?}",
        l.texts_to("u-2")
    );
    assert_eq!(t["citizen"]["phone"], "091****678");
    let said = t["messages"][0]["text"].as_str().unwrap();
    assert!(!said.contains("0987") && !said.contains("001203"), "{said}");
    assert!(
        said.contains("**** *** 321") && said.contains("*********567"),
        "{said}"
    );
    assert_eq!(t["revealed"], false);
    let (s, t) = admin.call("POST", "tickets/1/reveal", None).await;
    assert_eq!(s, 200);
    assert_eq!(t["citizen"]["phone"], "0912345678");
    assert!(
        t["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("0987 654 321")
    );
    assert_eq!(t["citizen"]["user_id"], "u-2");
    let (_, audit) = admin.call("GET", "audit", None).await;
    assert!(audit_has(
        &audit,
        "admin-tq",
        "ticket.reveal",
        "ticket:1",
        "ok"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_reaches_the_citizen_once_by_consultation_message() {
    let l = start().await;
    l.citizen(text_event(
        "u-3",
        "m-3",
        "Hồ sơ đất đai cần giấy tờ gì?",
        chrono::Duration::zero(),
    ))
    .await;
    let admin = l.login("admin-tq").await;
    admin
        .call(
            "POST",
            "tickets/1/assign",
            Some(json!({"agency": "so-tu-phap"})),
        )
        .await;
    let staff = l.login("tuphap").await;
    let answer = json!({"text": "Ông/bà cần mang Giấy chứng nhận quyền sử dụng đất bản gốc.", "request_id": "req-1"});
    // a double click: the same request twice, concurrently and again after
    let (a, b) = tokio::join!(
        staff.call("POST", "tickets/1/answer", Some(answer.clone())),
        staff.call("POST", "tickets/1/answer", Some(answer.clone()))
    );
    let (c, _) = staff
        .call("POST", "tickets/1/answer", Some(answer.clone()))
        .await;
    let ok = [a.0, b.0, c].iter().filter(|s| **s == 200).count();
    assert!(ok >= 2, "{a:?} {b:?}"); // the loser of the race may be told it is in progress
    let texts = l.texts_to("u-3");
    let answers: Vec<&String> = texts
        .iter()
        .filter(|t| t.contains("Giấy chứng nhận"))
        .collect();
    assert_eq!(answers.len(), 1, "{texts:?}");
    assert!(answers[0].starts_with("Sở Tư pháp trả lời câu hỏi/phản ánh số 1:"));

    let (_, t) = staff.call("GET", "tickets/1", None).await;
    assert_eq!(t["ticket"]["status"], "answered");
    assert!(t["ticket"]["answered_at"].is_string());
    let staff_msgs: Vec<&Value> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["author"] == "staff")
        .collect();
    assert_eq!(staff_msgs.len(), 1);
    assert_eq!(staff_msgs[0]["delivery"], "zalo_cs");
    assert_eq!(staff_msgs[0]["staff_name"], "Cán bộ tuphap");

    // a second, different answer is a new message
    let (s, _) = staff
        .call(
            "POST",
            "tickets/1/answer",
            Some(json!({"text": "Bổ sung: nộp tại Bộ phận Một cửa.", "request_id": "req-2"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        l.texts_to("u-3")
            .iter()
            .filter(|t| t.contains("Bổ sung"))
            .count(),
        1
    );
    // closing, then answering a closed ticket is refused
    assert_eq!(
        staff
            .call(
                "POST",
                "tickets/1/update",
                Some(json!({"status": "closed"}))
            )
            .await
            .0,
        200
    );
    let (s, body) = staff
        .call(
            "POST",
            "tickets/1/answer",
            Some(json!({"text": "x", "request_id": "req-3"})),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    // empty and over-long answers are refused with a Vietnamese reason
    let (s, body) = staff
        .call(
            "POST",
            "tickets/1/answer",
            Some(json!({"text": "   ", "request_id": "req-4"})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["message"], "Câu trả lời đang để trống.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_seven_days_the_fallback_is_used_and_the_answer_follows_at_the_next_message() {
    let l = start().await;
    let old = chrono::Duration::days(9);
    l.verified_phone("u-4", "0912345678", old + chrono::Duration::minutes(1))
        .await;
    l.citizen(text_event("u-4", "m-4", "Xin hỏi lệ phí", old))
        .await;
    let admin = l.login("admin-tq").await;
    let answer = json!({"text": "Lệ phí là 50.000 đồng.", "request_id": "r-1"});
    let (s, body) = admin
        .call("POST", "tickets/1/answer", Some(answer.clone()))
        .await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(body["error"], "outside_window");
    assert_eq!(body["fallback"], "zns");
    assert!(l.texts_to("u-4").iter().all(|t| !t.contains("Lệ phí là")));
    let zns_before = l.fake().count(Endpoint::Zns);

    let mut confirmed = answer.clone();
    confirmed["fallback"] = "zns".into();
    let (s, body) = admin
        .call("POST", "tickets/1/answer", Some(confirmed))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["delivery"], "zns");
    assert_eq!(l.fake().count(Endpoint::Zns), zns_before + 1);
    let zns = l
        .fake()
        .delivered()
        .into_iter()
        .rev()
        .find(|r| r.endpoint == Endpoint::Zns)
        .unwrap();
    assert_eq!(zns.body["template_id"], "300005");
    assert_eq!(zns.body["template_data"]["so_phieu"], "1");
    assert_eq!(zns.body["phone"], "84912345678");

    // calling the citizen is always possible and flags the ticket
    l.citizen(text_event("u-5", "m-5", "Xin hỏi giờ làm việc", old))
        .await;
    let (s, body) = admin
        .call(
            "POST",
            "tickets/2/answer",
            Some(json!({"text": "Từ 7 giờ 30.", "request_id": "r-2", "fallback": "call_citizen"})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, t) = admin.call("GET", "tickets/2", None).await;
    assert_eq!(t["ticket"]["call_citizen"], true);
    assert_eq!(t["ticket"]["overdue"], false);

    // when each writes again, the window is open: the answer itself goes, once, to its own
    // citizen, and the ticket says when
    let soon = chrono::Duration::minutes(5);
    let once = |user: &str, words: &str| {
        let n = l
            .texts_to(user)
            .iter()
            .filter(|t| t.contains(words))
            .count();
        assert_eq!(n, 1, "{user}: {:?}", l.texts_to(user));
    };
    l.citizen(text_event("u-6", "m-6a", "Xin chào", soon)).await;
    l.citizen(text_event("u-4", "m-4a", "Cảm ơn", soon)).await;
    l.citizen(text_event(
        "u-4",
        "m-4b",
        "Cảm ơn nhiều",
        soon - chrono::Duration::minutes(1),
    ))
    .await;
    l.citizen(text_event("u-5", "m-5a", "Vâng", soon)).await;
    once("u-4", "Lệ phí là 50.000 đồng.");
    once("u-5", "Từ 7 giờ 30.");
    let answers = ["Lệ phí là", "Từ 7 giờ 30"];
    assert!(
        l.texts_to("u-6")
            .iter()
            .all(|t| answers.iter().all(|a| !t.contains(a)))
    );
    assert!(l.texts_to("u-4").iter().all(|t| !t.contains("Từ 7 giờ 30")));
    let (_, t) = admin.call("GET", "tickets/1", None).await;
    let answer = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["text"] == "Lệ phí là 50.000 đồng.")
        .unwrap();
    assert_eq!(answer["delivery"], "zns");
    let delivered: DateTime<Utc> = answer["delivered_in_chat_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(delivered, now() - soon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_reaches_each_recent_user_once_however_often_send_is_pressed() {
    let l = start().await;
    for u in ["u-10", "u-11"] {
        l.citizen(text_event(
            u,
            &format!("m-{u}"),
            "chào",
            chrono::Duration::hours(1),
        ))
        .await;
    }
    // outside the 48-hour audience
    l.citizen(text_event(
        "u-12",
        "m-u-12",
        "chào",
        chrono::Duration::hours(60),
    ))
    .await;
    let admin = l.login("admin-tq").await;
    let (s, count) = admin
        .call(
            "POST",
            "announcements/audience",
            Some(json!({"kind": "cs_free"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(count["recipients"], 2);
    assert_eq!(count["by_channel"]["zalo_cs_free"], 2);
    assert_eq!(count["cost_vnd"], 0);
    // the 7-day audience adds u-12, whose message is billed (165 VND in the demo tenants)
    let (_, week) = admin
        .call(
            "POST",
            "announcements/audience",
            Some(json!({"kind": "cs_window"})),
        )
        .await;
    assert_eq!(week["recipients"], 3, "{week}");
    assert_eq!(week["by_channel"]["zalo_cs_free"], 2);
    assert_eq!(week["by_channel"]["zalo_cs_paid"], 1);
    assert_eq!(week["cost_vnd"], 165);
    assert_eq!(week["withheld"], 0);
    let (_, broadcast) = admin
        .call(
            "POST",
            "announcements/audience",
            Some(json!({"kind": "broadcast", "article_id": "a1"})),
        )
        .await;
    assert!(broadcast["recipients"].is_null(), "{broadcast}");
    let (s, bad) = admin
        .call("POST", "announcements", Some(json!({"title": "Tin", "body": "b", "link": "http://x", "audience": {"kind": "cs_free"}})))
        .await;
    assert_eq!(s, 400, "{bad}");
    let (s, created) = admin
        .call(
            "POST",
            "announcements",
            Some(json!({"title": "Thông báo nghỉ Tết", "body": "Bộ phận Một cửa nghỉ từ 14/02 đến 22/02.",
                "link": "https://dichvucong.example.gov.vn/tin/1", "audience": {"kind": "cs_free"}})),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["status"], "draft");
    assert!(
        created["preview"]
            .as_str()
            .unwrap()
            .starts_with("Thông báo nghỉ Tết\n\n")
    );
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("announcements/{id}/send");
    // four eyes: the author cannot approve it; a second admin's send is the approval
    let (s, refused) = admin.call("POST", &path, None).await;
    assert_eq!(s, 403, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("quản trị viên khác")
    );
    let (_, still) = admin
        .call("GET", &format!("announcements/{id}"), None)
        .await;
    assert_eq!(still["status"], "draft");
    let second = l.login("admin2-tq").await;
    let (a, b) = tokio::join!(
        second.call("POST", &path, None),
        second.call("POST", &path, None)
    );
    assert_eq!((a.0, b.0), (200, 200));
    assert_eq!(second.call("POST", &path, None).await.0, 200);
    assert_eq!(
        admin.call("POST", &path, None).await.0,
        200,
        "sending already: no approval asked"
    );
    l.run_announcements().await;
    for u in ["u-10", "u-11"] {
        let got: Vec<String> = l
            .texts_to(u)
            .into_iter()
            .filter(|t| t.contains("nghỉ Tết"))
            .collect();
        assert_eq!(got.len(), 1, "{u}: {got:?}");
    }
    assert!(l.texts_to("u-12").iter().all(|t| !t.contains("nghỉ Tết")));
    let (_, view) = admin
        .call("GET", &format!("announcements/{id}"), None)
        .await;
    assert_eq!(view["status"], "sending");
    assert_eq!(view["recipients"], 2);
    assert_eq!(view["progress"]["sent"], 2);
    assert_eq!(view["progress"]["done"], true);
}

/// A delivery receipt from Zalo for `msg_id`, sent to `to` (a user id, or a phone for a ZNS).
fn receipt(event: &str, to: &str, msg_id: &str) -> Value {
    let message = if event == "user_seen_message" {
        json!({"msg_ids": [msg_id]})
    } else {
        json!({"msg_id": msg_id})
    };
    json!({"app_id": APP, "sender": {"id": OA_TQ}, "recipient": {"id": to}, "event_name": event,
        "message": message, "timestamp": ts_ago(chrono::Duration::zero())})
}

/// Every message besides dossier notices is in the delivery ledger too: staff's answer, the
/// phone-proving code, each copy of an announcement, priced by the window it went in. Zalo's
/// receipts move them forward only, and no record holds a user id or a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_codes_and_announcement_copies_are_in_the_ledger_and_receipts_move_them() {
    use motcua_domain::catalogue::version;
    use motcua_domain::delivery::{Delivery, DeliveryState, Recipient, Subject};
    let l = start().await;
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let store = l.state.store.clone();
    let states = |d: &Delivery| d.history.iter().map(|t| t.state).collect::<Vec<_>>();
    let message_to = |to: &str, pick: &dyn Fn(&Value) -> bool| -> String {
        l.fake()
            .delivered()
            .into_iter()
            .rev()
            .find(|r| {
                (r.recipient().as_deref() == Some(to) || r.body["phone"] == to) && pick(&r.body)
            })
            .and_then(|r| r.message_id())
            .expect("Zalo accepted the message")
    };

    // staff's answer, 60 hours after the question: inside the window, billed
    let ago = chrono::Duration::hours(60);
    l.citizen(text_event(
        "u-20",
        "m-20",
        "Hồ sơ đất đai cần giấy tờ gì?",
        ago,
    ))
    .await;
    let admin = l.login("admin-tq").await;
    let assign = json!({"agency": "so-tu-phap"});
    admin.call("POST", "tickets/1/assign", Some(assign)).await;
    let staff = l.login("tuphap").await;
    let answer = json!({"text": "Cần Giấy chứng nhận bản gốc.", "request_id": "req-20"});
    assert_eq!(
        staff.call("POST", "tickets/1/answer", Some(answer)).await.0,
        200
    );
    let answer_id = message_to("u-20", &|b| b.to_string().contains("Giấy chứng nhận"));
    let subject = Subject::Ticket {
        ticket: 1,
        answer: "req-20".into(),
    };
    let d = store.get_delivery(&tq, &subject).await.unwrap().unwrap();
    assert_eq!(
        (d.channel.as_str(), d.price_class.as_str(), states(&d)),
        ("zalo_cs_paid", "cs_paid", vec![DeliveryState::Accepted])
    );
    assert_eq!(d.message_id.as_deref(), Some(answer_id.as_str()));
    assert_eq!(d.text_version, version::ticket_answer());
    assert_eq!(d.expires_at, Some(now() + chrono::Duration::days(30)));
    assert!(matches!(&d.recipient, Recipient::ZaloUser(tag) if tag.len() == 16));
    // seen, then a late and a repeated receipt: forward only
    for event in [
        "user_seen_message",
        "user_received_message",
        "user_seen_message",
    ] {
        l.citizen(receipt(event, "u-20", &answer_id)).await;
    }
    let d = store.get_delivery(&tq, &subject).await.unwrap().unwrap();
    assert_eq!(states(&d), [DeliveryState::Accepted, DeliveryState::Seen]);
    let mut records = vec![d];

    // the phone-proving code, by ZNS, then its ZNS receipt (sent to the phone)
    l.verified_phone("u-21", "0906591985", chrono::Duration::minutes(5))
        .await;
    let code_id = message_to("84906591985", &|b| b["template_data"]["otp"].is_string());
    // accepted records await their receipt: the sweep index lists them
    let later = now() + chrono::Duration::days(20);
    let listed = store.deliveries_to_sweep(&tq, later, 100).await.unwrap();
    let code = listed
        .iter()
        .find(|d| matches!(d.subject, Subject::PhoneCode { .. }))
        .expect("the code is in the ledger")
        .clone();
    assert_eq!(code.message_id.as_deref(), Some(code_id.as_str()));
    assert_eq!(
        (code.channel.as_str(), code.price_class.as_str()),
        ("zns", "zns")
    );
    assert!(matches!(&code.recipient, Recipient::Phone(_)));
    l.citizen(receipt("user_received_message", "84906591985", &code_id))
        .await;
    let code = store
        .get_delivery(&tq, &code.subject)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        states(&code),
        [DeliveryState::Accepted, DeliveryState::Delivered]
    );
    records.push(code);

    // an announcement to the 7-day window: u-21 wrote minutes ago (free), u-20 60 hours ago
    l.announce_approved(
        &admin,
        json!({"title": "Lịch làm việc", "body": "Bộ phận Một cửa làm việc sáng thứ Bảy.",
            "link": "https://dichvucong.example.gov.vn/tin/2", "audience": {"kind": "cs_window"}}),
    )
    .await;
    l.run_announcements().await;
    let copies: Vec<Delivery> = store
        .deliveries_to_sweep(&tq, later, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| matches!(d.subject, Subject::Announcement { .. }))
        .collect();
    let mut priced: Vec<&str> = copies.iter().map(|d| d.price_class.as_str()).collect();
    priced.sort_unstable();
    assert_eq!(priced, ["cs_paid", "free"], "one record per follower");
    let paid = copies.iter().find(|d| d.price_class == "cs_paid").unwrap();
    let to_u20 = message_to("u-20", &|b| b.to_string().contains("sáng thứ Bảy"));
    assert_eq!(paid.message_id.as_deref(), Some(to_u20.as_str()));
    assert_eq!(paid.text_version, version::announcement());
    l.citizen(receipt("user_received_message", "u-20", &to_u20))
        .await;
    let paid = store
        .get_delivery(&tq, &paid.subject)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        states(&paid),
        [DeliveryState::Accepted, DeliveryState::Delivered]
    );
    records.extend(copies);

    // none of it says who: no user id, no phone in any form
    let stored = serde_json::to_string(&records).unwrap();
    for secret in ["u-20", "u-21", "0906591985", "84906591985", "906591985"] {
        assert!(!stored.contains(secret), "{secret} is in the ledger");
    }
}

/// A 48-hour announcement's copy is priced by the window at the time it goes: a follower who
/// was inside 48 hours when sending began but is past them when the run reaches them (a run
/// that waited, or went on later) is billed, and the ledger says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_copy_is_priced_by_the_window_when_it_goes() {
    use motcua_domain::delivery::{Delivery, Subject};
    let l = start().await;
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    l.citizen(text_event(
        "u-40",
        "m-40",
        "Cho hỏi giờ làm việc",
        chrono::Duration::hours(47),
    ))
    .await;
    let admin = l.login("admin-tq").await;
    l.announce_approved(
        &admin,
        json!({"title": "Lịch làm việc", "body": "Bộ phận Một cửa nghỉ chiều thứ Sáu.",
            "link": "https://dichvucong.example.gov.vn/tin/3", "audience": {"kind": "cs_free"}}),
    )
    .await;
    // the run reaches u-40 two hours after sending began: 49 hours after they wrote
    l.clock.set(now() + chrono::Duration::hours(2));
    l.run_announcements().await;
    l.clock.set(now());
    let copies: Vec<Delivery> = l
        .state
        .store
        .deliveries_to_sweep(&tq, now() + chrono::Duration::days(20), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| matches!(d.subject, Subject::Announcement { .. }))
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(
        (copies[0].channel.as_str(), copies[0].price_class.as_str()),
        ("zalo_cs_paid", "cs_paid")
    );
}

/// A staff answer's ZNS fallback counts against the tenant's daily ZNS cap like every ZNS:
/// once today's budget is spent, the answer is recorded and the ticket flagged for a call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_daily_zns_cap_an_answer_waits_for_a_call() {
    // one ZNS a day
    let l = start_with(|t| {
        t.replacen(
            "[tenant.agencies]",
            "[tenant.notify]\nzns_daily_cap_vnd = 150\n\n[tenant.agencies]",
            1,
        )
    })
    .await;
    // nine days ago the phone was proven (that day's ZNS) and the question asked
    let old = chrono::Duration::days(9);
    l.verified_phone("u-4", "0912345678", old + chrono::Duration::minutes(1))
        .await;
    l.citizen(text_event("u-4", "m-4", "Xin hỏi lệ phí", old))
        .await;
    // today's one ZNS is another citizen's code
    l.citizen(share_phone(
        "u-9",
        "0987654321",
        chrono::Duration::minutes(5),
    ))
    .await;
    assert_eq!(l.fake().count(Endpoint::Zns), 2);
    let zns_before = l.fake().count(Endpoint::Zns);
    let admin = l.login("admin-tq").await;
    let answer = json!({"text": "Lệ phí là 50.000 đồng.", "request_id": "r-1", "fallback": "zns"});
    let (s, body) = admin.call("POST", "tickets/1/answer", Some(answer)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["delivery"], "call_citizen", "{body}");
    assert_eq!(
        l.fake().count(Endpoint::Zns),
        zns_before,
        "no ZNS past the cap"
    );
    let (_, t) = admin.call("GET", "tickets/1", None).await;
    assert_eq!(t["ticket"]["call_citizen"], true);
    assert!(
        l.state.recorded.total("ZnsSpendCapReached") >= 1.0,
        "the alarm counts"
    );
}

/// A second admin's approval can name a time: the announcement waits, scheduled, until the
/// first scheduled start at or after it; that start counts the recipients then and queues the
/// job once, however often the start runs. Times in the past send now; beyond 30 days are
/// refused; the author still cannot approve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_announcement_starts_once_when_its_time_comes() {
    let l = start().await;
    l.citizen(text_event(
        "u-20",
        "m-u-20",
        "chào",
        chrono::Duration::hours(1),
    ))
    .await;
    let author = l.login("admin-tq").await;
    let (s, created) = author
        .call(
            "POST",
            "announcements",
            Some(json!({"title": "Lịch tiếp dân", "body": "Thứ Bảy này Bộ phận Một cửa làm việc buổi sáng.",
                "audience": {"kind": "cs_window"}})),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let path = format!("announcements/{}/send", created["id"].as_str().unwrap());
    let at = now() + chrono::Duration::hours(3);
    let when = json!({"at": at.to_rfc3339()});
    assert_eq!(
        author.call("POST", &path, Some(when.clone())).await.0,
        403,
        "four eyes, scheduled or not"
    );
    let second = l.login("admin2-tq").await;
    let past = json!({"at": (now() - chrono::Duration::minutes(1)).to_rfc3339()});
    let (s, refused) = second.call("POST", &path, Some(past)).await;
    assert_eq!(s, 400, "a time gone by is not 'now': {refused}");
    let far = json!({"at": (now() + chrono::Duration::days(31)).to_rfc3339()});
    let (s, refused) = second.call("POST", &path, Some(far)).await;
    assert_eq!(s, 400, "{refused}");
    let (s, scheduled) = second.call("POST", &path, Some(when)).await;
    assert_eq!(s, 200, "{scheduled}");
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(scheduled["scheduled_for"], json!(at));
    let sooner = json!({"at": (now() + chrono::Duration::hours(1)).to_rfc3339()});
    let (s, body) = second.call("POST", &path, Some(sooner)).await;
    assert_eq!(s, 409, "a scheduled one is not moved by a new time: {body}");

    // before its time nothing starts
    let started = local::scheduled::start_announcements_once(&l.state)
        .await
        .unwrap();
    assert_eq!(started.started, 0);
    l.run_announcements().await;
    assert!(l.texts_to("u-20").is_empty());

    // a user who writes in the meantime is counted at the start
    l.citizen(text_event(
        "u-21",
        "m-u-21",
        "chào",
        chrono::Duration::minutes(30),
    ))
    .await;
    l.clock.set(at + chrono::Duration::minutes(2));
    let (first, again) = tokio::join!(
        local::scheduled::start_announcements_once(&l.state),
        local::scheduled::start_announcements_once(&l.state)
    );
    assert_eq!(
        first.unwrap().started + again.unwrap().started,
        1,
        "started once"
    );
    l.run_announcements().await;
    for u in ["u-20", "u-21"] {
        assert_eq!(l.texts_to(u).len(), 1, "{u}");
    }
    let (_, listed) = second.call("GET", "announcements", None).await;
    let a = &listed["announcements"][0];
    assert_eq!(a["status"], "sending");
    assert_eq!(a["recipients"], 2);
    assert_eq!(a["progress"]["done"], true, "{a}");
    assert_eq!(
        local::scheduled::start_announcements_once(&l.state)
            .await
            .unwrap()
            .started,
        0
    );
}

/// A province in trial mode: its announcement reaches the tester's Zalo user only; the other
/// recent users get nothing, and are counted as withheld.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_in_trial_mode_reaches_only_the_testers() {
    let l = start_with(|t| {
        t.replacen(
            "[tenant.zalo]",
            "[tenant.trial]\nzalo_users = [\"u-tester\"]\n\n[tenant.zalo]",
            1,
        )
    })
    .await;
    for u in ["u-tester", "u-citizen"] {
        l.citizen(text_event(
            u,
            &format!("m-{u}"),
            "chào",
            chrono::Duration::hours(1),
        ))
        .await;
    }
    let author = l.login("admin-tq").await;
    // the preview counts the tester only, and says who is left out
    let (_, preview) = author
        .call(
            "POST",
            "announcements/audience",
            Some(json!({"kind": "cs_free"})),
        )
        .await;
    assert_eq!(preview["recipients"], 1, "{preview}");
    assert_eq!(preview["withheld"], 1);
    let (_, broadcast) = author
        .call(
            "POST",
            "announcements/audience",
            Some(json!({"kind": "broadcast", "article_id": "a1"})),
        )
        .await;
    assert_eq!(
        broadcast["recipients"], 0,
        "a broadcast waits for the end of the trial"
    );
    let id = l
        .announce_approved(
            &author,
            json!({"title": "Thử nghiệm", "body": "Tin thử nghiệm của tỉnh.",
                "audience": {"kind": "cs_free"}}),
        )
        .await;
    l.run_announcements().await;
    let got = |u: &str| {
        l.texts_to(u)
            .into_iter()
            .filter(|t| t.contains("Tin thử nghiệm"))
            .count()
    };
    assert_eq!((got("u-tester"), got("u-citizen")), (1, 0));
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let day = motcua_domain::time::to_vn(now()).date_naive();
    let withheld = l
        .state
        .store
        .daily(&tq, &format!("announcement.{id}.withheld"), day, day)
        .await
        .unwrap();
    assert_eq!(withheld.iter().map(|(_, n)| n).sum::<i64>(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_add_up_for_a_seeded_scenario() {
    let l = start().await;
    // real flows: two follows, one unfollow-free day, one ticket answered
    l.citizen(follow("f-1")).await;
    l.citizen(follow("f-2")).await;
    l.citizen(text_event(
        "u-20",
        "m-20",
        "Xin hỏi",
        chrono::Duration::minutes(90),
    ))
    .await;
    let admin = l.login("admin-tq").await;
    admin
        .call(
            "POST",
            "tickets/1/answer",
            Some(json!({"text": "Trả lời.", "request_id": "s-1"})),
        )
        .await;
    // counters as the notifier and lookup functions keep them
    let store = l.state.store.clone();
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let today = motcua_domain::time::to_vn(now()).date_naive();
    let yesterday = today.pred_opt().unwrap();
    for (metric, day, n) in [
        ("notify.received.zalo_cs_free", today, 40),
        ("notify.received.zns", today, 10),
        ("notify.result_ready.zalo_cs_paid", yesterday, 5),
        ("notify.result_ready.zbs_uid", yesterday, 2),
        ("notify.undeliverable", yesterday, 3),
        ("lookup.web", today, 7),
        ("lookup.qr_page", yesterday, 4),
        ("lookup.api", today, 1),
    ] {
        store.incr(&tq, metric, day, n).await.unwrap();
    }
    let q = format!("stats?from={yesterday}&to={today}");
    let (s, st) = admin.call("GET", &q, None).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["follows"], 2);
    assert_eq!(st["notifications_sent"], 57);
    assert_eq!(st["undeliverable"], 3);
    // 10 ZNS × 150 + 5 paid CS × 165 + 2 ZBS × 165 = 2,655 VND; SMS 57 × 350 = 19,950 VND
    assert_eq!(st["zalo_cost_vnd"], 2_655);
    assert_eq!(st["sms_cost_vnd"], 19_950);
    assert_eq!(st["saved_vnd"], 17_295);
    assert_eq!(st["lookups_by_channel"]["web"], 7);
    assert_eq!(st["lookups_by_channel"]["qr_page"], 4);
    assert_eq!(st["lookups_by_channel"]["chat"], 0);
    assert_eq!(st["lookups"], 12);
    assert_eq!(st["tickets_opened"], 1);
    assert_eq!(st["tickets_answered"], 1);
    assert_eq!(st["tickets_answered_late"], 0);
    assert_eq!(st["median_answer_hours"], 2); // answered 90 minutes after it was opened
    assert_eq!(st["days"].as_array().unwrap().len(), 2);
    let zns = st["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "zns")
        .unwrap();
    assert_eq!(
        (
            zns["kind"].clone(),
            zns["count"].clone(),
            zns["cost"].clone()
        ),
        (json!("received"), json!(10), json!(1500))
    );

    let (s, csv) = admin
        .call(
            "GET",
            &format!("stats.csv?from={yesterday}&to={today}"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("tiet_kiem_vnd,17295"), "{csv}");
    assert!(
        csv.contains(&format!("{today},2,0,0,7,0,1,50,0,1,1")),
        "{csv}"
    );
    // a range the wrong way round is refused
    assert_eq!(
        admin
            .call("GET", &format!("stats?from={today}&to={yesterday}"), None)
            .await
            .0,
        400
    );
}

/// A headless Chromium (Debian's `chromium` + `chromium-driver`) on a fresh profile, or `None`
/// off CI when the driver is missing.
struct Browser {
    client: fantoccini::Client,
    _driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

const BROWSER_WAIT: Duration = Duration::from_secs(20);

impl Browser {
    /// A session on a fresh driver and profile. Two browser tests starting together on two
    /// cores can miss Chromium's start-up deadline: a failed session is tried again on a new
    /// driver, three times at most.
    async fn start() -> Option<Browser> {
        let mut last = String::new();
        for _ in 0..3 {
            let Some(driver) = ChromeDriver::start() else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "chromedriver is missing: infra/test.sh installs Debian's chromium-driver"
                );
                eprintln!("skipped: no chromedriver on this machine");
                return None;
            };
            let profile = tempfile::tempdir().unwrap();
            let mut caps = serde_json::Map::new();
            caps.insert(
                "goog:chromeOptions".into(),
                json!({"binary": "/usr/bin/chromium", "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display())]}),
            );
            match fantoccini::ClientBuilder::new(
                hyper_util::client::legacy::connect::HttpConnector::new(),
            )
            .capabilities(caps)
            .connect(&driver.url)
            .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        _driver: driver,
                        _profile: profile,
                    });
                }
                Err(e) => {
                    eprintln!("no Chromium session yet: {e}");
                    last = e.to_string();
                }
            }
        }
        panic!("no Chromium session after three tries: {last}");
    }

    /// Opens the console and signs in as `user`.
    async fn sign_in(&self, l: &Local, user: &str) {
        self.client
            .goto(&format!("{}/admin", l.base))
            .await
            .unwrap();
        self.wait_for("#username")
            .await
            .send_keys(user)
            .await
            .unwrap();
        self.find("#password")
            .await
            .send_keys(&password(user))
            .await
            .unwrap();
        self.find("#login-btn").await.click().await.unwrap();
        // signed in: the header names the staff member
        self.wait_text("#who", user).await;
    }

    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(BROWSER_WAIT)
            .for_element(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Waits until the element's text contains `wanted`.
    async fn wait_text(&self, css: &str, wanted: &str) {
        let deadline = std::time::Instant::now() + BROWSER_WAIT;
        loop {
            let text = self.wait_for(css).await.text().await.unwrap_or_default();
            if text.contains(wanted) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{css} never said {wanted:?} (it says {text:?})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot in `target/screenshots/` and closes the session.
    async fn finish(self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
        self.client.close().await.unwrap();
    }
}

/// A headless Chromium signs in, opens a ticket a citizen sent through the webhook, answers it;
/// the answer must reach the Zalo fake. The screenshot is saved in `target/screenshots/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_answers_a_ticket_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let l = start().await;
    l.citizen(text_event(
        "u-web",
        "m-web",
        "Cho tôi hỏi thời hạn cấp lý lịch tư pháp?",
        chrono::Duration::zero(),
    ))
    .await;
    browser.sign_in(&l, "admin-tq").await;
    browser
        .wait_for("#ticket-list tbody tr[data-number='1']")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_text("#td-title", "Phiếu số 1").await;
    let answer = "Thời hạn cấp Phiếu lý lịch tư pháp là 10 ngày làm việc.";
    browser
        .find("#answer-text")
        .await
        .send_keys(answer)
        .await
        .unwrap();
    browser.find("#answer-btn").await.click().await.unwrap();
    browser.wait_text("#answer-result", "Đã trả lời").await;
    browser.finish("admin-answer.png").await;

    let sent: Vec<String> = l
        .texts_to("u-web")
        .into_iter()
        .filter(|t| t.contains(answer))
        .collect();
    assert_eq!(sent.len(), 1, "{:?}", l.texts_to("u-web"));
}

const NOTICE_CODE: &str = "000.00.04.H60-261110-0028";
const NOTICE_EVENT: &str = "tq-xd-0028-5";

/// A supplement request (a deadline for the citizen) whose ZNS Zalo refuses for good: no
/// channel takes it, so it is `failed` and on Tuyên Quang's worklist.
async fn failed_supplement_notice(l: &Local) {
    l.fake().fail_recipient("84906591985", -118);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events/notifier/life/05-supplement_requested.json");
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    event["dossier"]["zalo_opt_in"] = true.into();
    let done = l.state.notifier.process_message(&event.to_string()).await;
    assert!(
        matches!(&done, motcua_app::notify::Disposition::Done(d) if d[0].1.label() == "undeliverable"),
        "{done:?}"
    );
}

/// The worklist is the tenant's: another province's staff see nothing, cannot read the
/// dossier's notices, cannot follow one up. A follow-up by the tenant's staff is audited, takes
/// the notice off the worklist, and cannot be given twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_follow_up_the_notices_that_did_not_reach_the_citizen() {
    let l = start().await;
    failed_supplement_notice(&l).await;
    let admin = l.login("admin-tq").await;
    let (status, list) = admin.call("GET", "not-reached", None).await;
    assert_eq!(status, 200, "{list}");
    let notices = list["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1, "{list}");
    let n = &notices[0];
    assert_eq!(
        (
            n["code"].as_str(),
            n["kind"].as_str(),
            n["state"].as_str(),
            n["channel"].as_str()
        ),
        (
            Some(NOTICE_CODE),
            Some("supplement_requested"),
            Some("failed"),
            Some("undeliverable")
        )
    );
    assert!(n["reason"].as_str().unwrap().contains("zns"), "{n}");
    assert!(
        !list.to_string().contains("906591985"),
        "no phone on the worklist"
    );
    let follow = format!("dossiers/{NOTICE_CODE}/notifications/{NOTICE_EVENT}/follow-up");
    let notices_of = format!("dossiers/{NOTICE_CODE}/notifications");

    let other = l.login("admin-bn").await;
    let (_, theirs) = other.call("GET", "not-reached", None).await;
    assert_eq!(theirs["notices"], json!([]));
    assert_eq!(other.call("GET", &notices_of, None).await.0, 404);
    let called = Some(json!({"how": "called"}));
    assert_eq!(other.call("POST", &follow, called.clone()).await.0, 404);

    let staff = l.login("tuphap").await;
    let (status, row) = staff
        .call("POST", &follow, Some(json!({"how": "sms"})))
        .await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(
        (
            row["follow_up"]["how"].as_str(),
            row["follow_up"]["by"].as_str()
        ),
        (Some("sms"), Some("tuphap"))
    );
    assert_eq!(admin.call("POST", &follow, called).await.0, 409, "once");
    let (_, after) = admin.call("GET", "not-reached", None).await;
    assert_eq!(after["notices"], json!([]));
    let (status, of) = admin.call("GET", &notices_of, None).await;
    assert_eq!(status, 200);
    assert_eq!(of["notifications"][0]["follow_up"]["how"], "sms");

    let (_, audit) = admin.call("GET", "audit?day=2026-11-24", None).await;
    let outcomes: Vec<(String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "notice.follow_up")
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    for expected in [("tuphap", "ok"), ("admin-tq", "refused")] {
        assert!(
            outcomes.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {outcomes:?}"
        );
    }
    // the other province's attempt is in its own trail
    let (_, theirs) = other.call("GET", "audit?day=2026-11-24", None).await;
    assert!(
        theirs["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "notice.follow_up" && e["outcome"] == "not_found"),
        "{theirs}"
    );
    assert_eq!(
        admin
            .call("GET", "dossiers/not-a-code/notifications", None)
            .await
            .0,
        400
    );
    let (status, _) = admin
        .call("POST", &follow, Some(json!({"how": "carrier pigeon"})))
        .await;
    assert!((400..500).contains(&status), "{status}");
}

/// The same in the browser, in Vietnamese: the worklist row, "Đã gọi điện", the empty list,
/// then the dossier's notices with the follow-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_follows_up_a_notice_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let l = start().await;
    failed_supplement_notice(&l).await;
    browser.sign_in(&l, "admin-tq").await;
    browser
        .wait_for("#tabs button[data-tab='notices']")
        .await
        .click()
        .await
        .unwrap();
    let row = format!("#nr-list tbody tr[data-event='{NOTICE_EVENT}']");
    browser.wait_text(&row, "Yêu cầu bổ sung giấy tờ").await;
    browser.wait_text(&row, "Không gửi được").await;
    browser
        .wait_for(&format!("{row} button.fu-called"))
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_text("#nr-empty", "Không có thông báo nào cần liên hệ lại")
        .await;
    browser
        .find("#dn-code")
        .await
        .send_keys(NOTICE_CODE)
        .await
        .unwrap();
    browser.find("#dn-btn").await.click().await.unwrap();
    browser
        .wait_text(
            &format!("#dn-list tbody tr[data-event='{NOTICE_EVENT}']"),
            "Đã gọi điện · admin-tq",
        )
        .await;
    browser.finish("admin-not-reached.png").await;
    let (_, of) = l
        .login("admin-tq")
        .await
        .call(
            "GET",
            &format!("dossiers/{NOTICE_CODE}/notifications"),
            None,
        )
        .await;
    assert_eq!(of["notifications"][0]["follow_up"]["how"], "called");
}

/// `chromedriver` on a free loopback port, killed on drop.
struct ChromeDriver {
    child: std::process::Child,
    url: String,
}

impl ChromeDriver {
    fn start() -> Option<ChromeDriver> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let driver = ChromeDriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(driver);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("chromedriver did not start listening");
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Questions the procedure guide answered are listed for staff, with what it answered; a staff
/// member marks one wrong and it comes back as a question for staff, counted in the statistics.
/// A ticket the guide did not answer cannot be marked, and another tenant's staff see nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_the_guides_answers_and_mark_a_wrong_one() {
    let l = start().await;
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let catalogue = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../infra/tenants/procedures-tuyen-quang.json");
    motcua_app::guide::import_catalogue(
        l.state.store.as_ref(),
        l.state.clock.as_ref(),
        &tq,
        &std::fs::read_to_string(catalogue).unwrap(),
        motcua_domain::procedure::Format::Json,
        "procedures-tuyen-quang.json",
    )
    .await
    .unwrap();
    l.citizen(text_event(
        "g-1",
        "gm-1",
        "thu tuc dang ky ket hon",
        chrono::Duration::zero(),
    ))
    .await;
    l.citizen(text_event(
        "g-2",
        "gm-2",
        "Xin hỏi lệ phí nộp ở đâu?",
        chrono::Duration::zero(),
    ))
    .await;
    let admin = l.login("admin-tq").await;
    let (s, open) = admin.call("GET", "tickets", None).await;
    assert_eq!(s, 200);
    let open_numbers: Vec<u64> = open["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_u64().unwrap())
        .collect();
    assert_eq!(
        open_numbers,
        [2],
        "the guide's answer is closed; the other is for staff"
    );
    let (_, by_guide) = admin
        .call("GET", "tickets?answered_by_guide=true", None)
        .await;
    let listed = by_guide["tickets"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["number"], 1);
    assert_eq!(listed[0]["status"], "closed");
    assert_eq!(listed[0]["guide"]["procedures"][0], "1.000894");
    let (_, detail) = admin.call("GET", "tickets/1", None).await;
    let authors: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors, ["citizen", "guide"]);

    // another tenant's admin cannot see or mark it
    let other = l.login("admin-bn").await;
    let (s, _) = other.call("POST", "tickets/1/guide-wrong", None).await;
    assert_eq!(s, 404);
    // a ticket the guide did not answer cannot be marked
    let (s, _) = admin.call("POST", "tickets/2/guide-wrong", None).await;
    assert_eq!(s, 400);

    let (s, marked) = admin.call("POST", "tickets/1/guide-wrong", None).await;
    assert_eq!(s, 200, "{marked}");
    assert_eq!(marked["status"], "new", "back to staff");
    assert_eq!(marked["guide"]["marked_wrong"], true);
    let (s, again) = admin.call("POST", "tickets/1/guide-wrong", None).await;
    assert_eq!((s, &again["status"]), (200, &json!("new")));
    let day = now().format("%Y-%m-%d");
    let (_, stats) = admin
        .call("GET", &format!("stats?from={day}&to={day}"), None)
        .await;
    assert_eq!(stats["guide_answered"], 1);
    assert_eq!(stats["guide_wrong"], 1, "marked twice, counted once");
    let (_, audit) = admin.call("GET", "audit", None).await;
    assert!(audit.to_string().contains("ticket.guide_wrong"), "{audit}");
}
