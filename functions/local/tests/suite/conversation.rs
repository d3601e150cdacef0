//! The webhook and the conversation, driven over HTTP on the local server with bodies signed
//! as Zalo signs them (shapes of zalo-platform.md §1.5); replies asserted in the Zalo fake.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use motcua_app::Queue;
use motcua_zalo_fake::{Endpoint, ZaloFake};
use serde_json::{Value, json};

const APP: &str = "1234567890123456789";
const OA_TQ: &str = "0000000000000000001";
const OA_BN: &str = "0000000000000000002";
const CODE: &str = "000.00.04.H60-261110-0028";

struct Local {
    state: Arc<local::AppState>,
    url: String,
    _dir: tempfile::TempDir,
}

/// Zalo's timestamps in these tests: `ts(n)` is `T0_MS` + n seconds (2026-11-23 07:01 in
/// Vietnam, a weekday morning, inside the demo dossier's processing time).
const T0_MS: i64 = 1_795_392_060_000;

/// The server's clock stands ten minutes after `T0_MS`: every event of a test is a few minutes
/// old, whatever today's date is.
fn clock() -> Arc<motcua_app::ManualClock> {
    let at =
        chrono::DateTime::from_timestamp_millis(T0_MS).unwrap() + chrono::Duration::minutes(10);
    Arc::new(motcua_app::ManualClock::new(at))
}

async fn start() -> Local {
    start_with(|toml| toml).await
}

/// The local server on the demo tenants file as `edit` changes it.
async fn start_with(edit: impl FnOnce(String) -> String) -> Local {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/local/tenants.toml");
    let config = dir.path().join("tenants.toml");
    std::fs::write(&config, edit(std::fs::read_to_string(demo).unwrap())).unwrap();
    crate::admin::write_staff(dir.path());
    let state = local::open(dir.path(), &config, None, 100_000, clock())
        .await
        .unwrap();
    local::seed_demo(&state).await.unwrap();
    let url = format!(
        "{}/zalo/webhook",
        local::serve_on_loopback(state.clone()).await.unwrap()
    );
    Local {
        state,
        url,
        _dir: dir,
    }
}

impl Local {
    fn secret(&self, tenant: &str) -> String {
        self.state
            .secrets
            .tenant(tenant)
            .unwrap()
            .zalo_oa_secret_key
            .clone()
            .unwrap()
    }

    async fn post(&self, body: &Value, num_retry: Option<u32>) -> u16 {
        let tenant = if body.to_string().contains(OA_BN) {
            "bac-ninh"
        } else {
            "tuyen-quang"
        };
        let raw = body.to_string();
        let ts = body["timestamp"].as_str().unwrap();
        ZaloFake::post_webhook(
            &self.url,
            raw.as_bytes(),
            APP,
            ts,
            &self.secret(tenant),
            num_retry,
        )
        .await
        .unwrap()
        .status()
        .as_u16()
    }

    async fn drain(&self) {
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

    /// The one-stop system moves the demo dossier to "Ký duyệt"; the notifier handles it.
    async fn push_step_event(&self, event_id: &str) {
        self.push_life_event("04-step_changed.json", event_id).await;
    }

    /// One of `events/notifier/life/` for the demo dossier, handled by the notifier.
    async fn push_life_event(&self, fixture: &str, event_id: &str) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../events/notifier/life")
            .join(fixture);
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        event["dossier"]["code"] = CODE.into();
        event["event_id"] = event_id.into();
        self.state.inbound.send(&event.to_string()).await.unwrap();
        local::worker::drain_once(&self.state, Duration::from_millis(500))
            .await
            .unwrap();
    }

    fn fake(&self) -> &ZaloFake {
        self.state.zalo_fake.as_ref().unwrap()
    }

    /// The newest one-time code the fake delivered by ZNS to `phone` (`84…`).
    fn otp_sent_to(&self, phone: &str) -> String {
        self.fake()
            .delivered()
            .into_iter()
            .rev()
            .find(|r| r.endpoint == Endpoint::Zns && r.body["phone"] == phone)
            .and_then(|r| r.body["template_data"]["otp"].as_str().map(str::to_string))
            .expect("a one-time code went to the phone")
    }

    /// `user` types `code` at `ts(n)`.
    async fn type_code(&self, oa: &str, user: &str, code: &str, n: i64) {
        self.post(&text(oa, user, &format!("otp-{user}-{n}"), code, n), None)
            .await;
        self.drain().await;
    }

    /// Shares the phone at `ts(n)` and types the code it receives at `ts(n + 1)`.
    async fn verify_phone(&self, oa: &str, user: &str, phone: &str, n: i64) {
        assert_eq!(self.post(&share_phone(oa, user, phone, n), None).await, 200);
        self.drain().await;
        let code = self.otp_sent_to(phone);
        self.type_code(oa, user, &code, n + 1).await;
    }

    /// The delivery choices on the outbound queue; the notices' `notification_status`
    /// messages that share it are taken off it.
    async fn choices_out(&self) -> Vec<motcua_app::QueueMessage> {
        let out = self
            .state
            .outbound
            .receive(10, Duration::from_millis(200))
            .await
            .unwrap();
        let mut choices = Vec::new();
        for m in out {
            let body: Value = serde_json::from_str(&m.body).unwrap();
            if body["type"] == "delivery_choice" {
                choices.push(m);
            } else {
                assert_eq!(body["type"], "notification_status");
                self.state.outbound.delete(&m.receipt).await.unwrap();
            }
        }
        choices
    }

    fn replies_to(&self, user_or_msg: &str) -> Vec<String> {
        self.fake()
            .delivered()
            .iter()
            .filter(|r| r.recipient().as_deref() == Some(user_or_msg))
            .filter_map(|r| r.text())
            .collect()
    }
}

fn ts(n: i64) -> String {
    (T0_MS + n * 1000).to_string()
}

fn text(oa: &str, user: &str, msg_id: &str, body: &str, n: i64) -> Value {
    json!({"app_id": APP, "sender": {"id": user}, "recipient": {"id": oa}, "event_name": "user_send_text",
        "message": {"text": body, "msg_id": msg_id}, "timestamp": ts(n), "user_id_by_app": "1"})
}

fn follow(oa: &str, user: &str, n: i64) -> Value {
    json!({"oa_id": oa, "follower": {"id": user}, "event_name": "follow", "source": "oa_profile", "app_id": APP, "timestamp": ts(n)})
}

fn share_phone(oa: &str, user: &str, phone: &str, n: i64) -> Value {
    json!({"app_id": APP, "sender": {"id": user}, "recipient": {"id": oa}, "event_name": "user_submit_info",
        "info": {"name": "Nguyễn Thị Thanh Mẫn", "phone": phone, "full_address": {"user_city": "Tuyên Quang"}}, "timestamp": ts(n)})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_missigned_and_malformed_bodies_are_refused_and_nothing_is_stored() {
    let l = start().await;
    let body = text(OA_TQ, "u1", "m1", "xin chào", 1).to_string();
    let client = reqwest::Client::new();
    let unsigned = client.post(&l.url).body(body.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let wrong =
        ZaloFake::post_webhook(&l.url, body.as_bytes(), APP, &ts(1), "not-the-secret", None)
            .await
            .unwrap();
    assert_eq!(wrong.status(), 401);
    let tampered = ZaloFake::post_webhook(
        &l.url,
        body.replace("chào", "chao").as_bytes(),
        APP,
        &ts(1),
        "x",
        None,
    )
    .await
    .unwrap();
    assert_eq!(tampered.status(), 401);
    let foreign_oa = text("999", "u1", "m1", "xin chào", 1);
    assert_eq!(l.post(&foreign_oa, None).await, 401);
    let malformed = client.post(&l.url).body("{not json").send().await.unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        l.state.zalo_events.depth().await.unwrap(),
        0,
        "nothing stored"
    );
    assert!(
        l.state
            .recorded
            .total_where("WebhookSignature", "Result", "missing_header")
            >= 1.0
    );

    // a correctly signed event we do not act on is still acknowledged
    let unknown = json!({"app_id": APP, "oa_id": OA_TQ, "event_name": "change_template_status", "template_id": "1", "timestamp": ts(2)});
    assert_eq!(l.post(&unknown, None).await, 200);
    l.drain().await;
    assert!(l.fake().delivered().is_empty());
    assert_eq!(
        client.get(&l.url).send().await.unwrap().status(),
        200,
        "the console's GET check"
    );
}

/// From the attacker's side: a body Zalo once signed (captured from a log, a proxy, a leaked
/// request dump) replayed hours later, after its idempotency record could have expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_body_older_than_zalos_retries_is_refused_as_a_replay() {
    let l = start().await;
    // the server's clock stands 10 min after T0: `ts(600 - s)` is `s` seconds old
    let three_hours_old = text(OA_TQ, "u1", "m-old", "xin chào", 600 - 3 * 3600);
    assert_eq!(l.post(&three_hours_old, None).await, 401);
    let from_the_future = text(OA_TQ, "u1", "m-future", "xin chào", 600 + 3600);
    assert_eq!(l.post(&from_the_future, None).await, 401);
    assert_eq!(
        l.state.zalo_events.depth().await.unwrap(),
        0,
        "nothing queued"
    );
    assert_eq!(
        l.state
            .recorded
            .total_where("WebhookSignature", "Result", "stale"),
        2.0
    );
    // Zalo's last retry comes about an hour later, with the same body and timestamp
    let one_hour_old = text(OA_TQ, "u1", "m-retried", "xin chào", 600 - 3600);
    assert_eq!(l.post(&one_hour_old, Some(4)).await, 200);
    l.drain().await;
    assert_eq!(l.replies_to("m-retried").len(), 1, "answered once");
}

/// From the attacker's side: `user_submit_info` carries whatever number the user typed into
/// Zalo's form, so a stranger can "share" a citizen's phone. It proves nothing until the code
/// sent by ZNS to that phone is typed back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_phone_unlocks_nothing_until_its_one_time_code_is_typed() {
    let l = start().await;
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let user = |id: &'static str| {
        let store = l.state.store.clone();
        let tq = tq.clone();
        async move {
            motcua_app::ZaloUserStore::get_zalo_user(store.as_ref(), &tq, id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert_eq!(
        l.post(&share_phone(OA_TQ, "stranger", "84906591985", 1), None)
            .await,
        200
    );
    l.drain().await;
    let asked = l.replies_to("stranger").pop().unwrap();
    assert!(asked.contains("đuôi 985"), "{asked}");
    assert!(
        user("stranger").await.phone.is_none(),
        "a claim is not a link"
    );
    // the claim unlocks no card and moves no notice
    l.post(&text(OA_TQ, "stranger", "s1", CODE, 2), None).await;
    l.drain().await;
    assert!(!l.replies_to("s1").pop().unwrap().contains("Người nộp"));
    let to_stranger = l.replies_to("stranger").len();
    l.push_step_event("demo-tq-0028-v4").await;
    assert_eq!(
        l.replies_to("stranger").len(),
        to_stranger,
        "the dossier's notice did not go to the stranger"
    );
    // four wrong codes: three tries per code, then the claim is dropped for good
    let right = l.otp_sent_to("84906591985");
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for n in 3..=6 {
        l.type_code(OA_TQ, "stranger", wrong, n).await;
    }
    assert!(
        l.replies_to("otp-stranger-3")
            .pop()
            .unwrap()
            .contains("còn 2 lần")
    );
    assert!(
        l.replies_to("otp-stranger-4")
            .pop()
            .unwrap()
            .contains("còn 1 lần")
    );
    assert!(
        l.replies_to("otp-stranger-5")
            .pop()
            .unwrap()
            .contains("quá số lần")
    );
    l.type_code(OA_TQ, "stranger", &right, 7).await;
    assert!(
        user("stranger").await.phone.is_none(),
        "locked: even the right code links nothing"
    );
    assert_eq!(l.state.recorded.total("PhoneVerificationLocked"), 1.0);
    // the owner, who receives the code on their own phone, links
    l.verify_phone(OA_TQ, "owner", "84906591985", 8).await;
    assert!(user("owner").await.phone.is_some());
    assert!(
        l.replies_to("owner")
            .pop()
            .unwrap()
            .starts_with("Đã liên kết số điện thoại")
    );
    // at most three codes a day per user
    for n in 20..24 {
        l.post(&share_phone(OA_TQ, "greedy", "84912000111", n), None)
            .await;
    }
    l.drain().await;
    let sent = l
        .fake()
        .delivered()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Zns && r.body["phone"] == "84912000111")
        .count();
    assert_eq!(sent, 3);
    assert!(
        l.replies_to("greedy")
            .pop()
            .unwrap()
            .contains("đủ số mã xác minh")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_share_phone_then_notifications_go_by_free_cs() {
    let l = start().await;
    assert_eq!(l.post(&follow(OA_TQ, "u1", 1), None).await, 200);
    l.drain().await;
    let welcome = &l.fake().delivered()[0];
    assert_eq!(welcome.recipient().as_deref(), Some("u1"));
    assert!(welcome.text().unwrap().contains("Tuyên Quang"));
    assert_eq!(
        welcome.body["message"]["attachment"]["payload"]["buttons"]
            .as_array()
            .unwrap()
            .len(),
        5,
        "Tra cứu hồ sơ, Hồ sơ của tôi, Nhận thông báo, Gửi câu hỏi, Hướng dẫn: Zalo's five"
    );

    assert_eq!(
        l.post(&text(OA_TQ, "u1", "m-menu", "#nhan_thong_bao", 2), None)
            .await,
        200
    );
    l.drain().await;
    let ask = l
        .fake()
        .records()
        .into_iter()
        .rfind(|r| r.endpoint == Endpoint::Cs)
        .unwrap();
    assert_eq!(
        ask.body["message"]["attachment"]["payload"]["template_type"],
        "request_user_info"
    );

    l.verify_phone(OA_TQ, "u1", "84906591985", 3).await;
    let listed = l.replies_to("u1").pop().unwrap();
    assert!(
        listed.starts_with("Đã liên kết số điện thoại") && listed.contains(CODE),
        "{listed}"
    );

    // the one-stop system moves the dossier on: the linked user hears it on the free channel
    l.push_step_event("demo-tq-0028-v4").await;
    let last = l.fake().delivered().pop().unwrap();
    assert_eq!(
        (last.endpoint, last.recipient().as_deref()),
        (Endpoint::Cs, Some("u1")),
        "CS, not ZNS"
    );
    assert!(last.text().unwrap().contains("Ký duyệt"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zalo_retry_never_produces_a_second_reply() {
    let l = start().await;
    // Zalo re-sends the same body (30 s, 5 min… later) with a num_retry header
    let body = text(OA_TQ, "u2", "m-retry", &format!("TTHC {CODE}"), 1);
    assert_eq!(l.post(&body, None).await, 200);
    l.drain().await;
    assert_eq!(l.post(&body, Some(1)).await, 200);
    l.drain().await;
    assert_eq!(l.post(&body, Some(2)).await, 200);
    l.drain().await;
    let replies: Vec<_> = l
        .fake()
        .delivered()
        .into_iter()
        .filter(|r| r.recipient().as_deref() == Some("m-retry"))
        .collect();
    assert_eq!(replies.len(), 1, "one reply for three deliveries");
    assert_eq!(
        replies[0].body["recipient"]["message_id"], "m-retry",
        "addressed as a reply"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_lookups_show_the_card_only_to_the_owner_or_with_the_id_digits() {
    let l = start().await;
    l.post(
        &text(
            OA_TQ,
            "stranger",
            "s1",
            &format!("mã hồ sơ {}", CODE.to_lowercase()),
            1,
        ),
        None,
    )
    .await;
    l.post(
        &text(OA_TQ, "stranger", "s2", &format!("{CODE} 2345"), 2),
        None,
    )
    .await;
    l.post(
        &text(OA_TQ, "stranger", "s3", "000.00.04.H05-261105-0311", 3),
        None,
    )
    .await; // Bắc Ninh's code on Tuyên Quang's OA
    l.post(&text(OA_TQ, "stranger", "s4", "0906 591 985", 4), None)
        .await;
    l.drain().await;
    let short = l.replies_to("s1").pop().unwrap();
    assert!(
        short.contains("Trạng thái: Đang xử lý (Thẩm định)") && !short.contains("Người nộp"),
        "{short}"
    );
    let full = l.replies_to("s2").pop().unwrap();
    assert!(
        full.contains("Người nộp: N. T. T. M***") && full.contains("Cấp giấy phép xây dựng"),
        "{full}"
    );
    assert!(
        l.replies_to("s3")
            .pop()
            .unwrap()
            .starts_with("Không tìm thấy hồ sơ"),
        "another province's code looks unknown"
    );
    assert!(
        l.replies_to("s4")
            .pop()
            .unwrap()
            .contains("không tra cứu theo số điện thoại")
    );

    l.verify_phone(OA_TQ, "owner", "84906591985", 5).await;
    l.post(&text(OA_TQ, "owner", "o1", CODE, 6), None).await;
    l.drain().await;
    assert!(
        l.replies_to("o1")
            .pop()
            .unwrap()
            .contains("Người nộp: N. T. T. M***"),
        "the verified owner sees the card"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_code_scans_are_blocked_and_raise_the_metric() {
    let l = start().await;
    for n in 0..200i64 {
        let code = format!("000.00.04.H60-261110-{:04}", 1000 + n);
        assert_eq!(
            l.post(
                &text(OA_TQ, "scanner", &format!("scan-{n}"), &code, n),
                None
            )
            .await,
            200
        );
    }
    l.drain().await;
    let replies: Vec<String> = (0..200)
        .map(|n| l.replies_to(&format!("scan-{n}")).pop().unwrap())
        .collect();
    let refused = replies
        .iter()
        .filter(|r| r.contains("tra cứu nhiều lần"))
        .count();
    assert_eq!(refused, 170, "30 lookups a day, then the polite refusal");
    assert!(l.state.recorded.total("LookupScanSuspected") >= 1.0);
    assert!(l.state.recorded.total("LookupRateLimited") >= 170.0);
    // the per-user counter is named by a keyed digest, never by the Zalo user id
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let day = motcua_domain::time::to_vn(chrono::DateTime::from_timestamp_millis(T0_MS).unwrap())
        .date_naive();
    let count = |name: String| {
        let store = l.state.store.clone();
        let tq = tq.clone();
        async move {
            motcua_app::CounterStore::daily(store.as_ref(), &tq, &name, day, day)
                .await
                .unwrap()
                .first()
                .map_or(0, |d| d.1)
        }
    };
    assert_eq!(count("lookup_user.scanner".into()).await, 0);
    let tag = l.state.tenancy.keys(&tq).unwrap().user_tag("scanner");
    assert_eq!(count(format!("lookup_user.{tag}")).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_open_a_ticket_and_later_messages_join_it() {
    let l = start().await;
    l.post(
        &text(
            OA_TQ,
            "asker",
            "q1",
            "Cho tôi hỏi khi nào nhận được kết quả hồ sơ nộp hôm thứ Hai?",
            1,
        ),
        None,
    )
    .await;
    l.drain().await;
    let image = json!({"app_id": APP, "sender": {"id": "asker"}, "recipient": {"id": OA_TQ}, "event_name": "user_send_image",
        "message": {"msg_id": "q2", "text": "ảnh CCCD", "attachments": [{"type": "image", "payload": {"url": "https://photo.example/a.jpg", "thumbnail": "https://photo.example/t.jpg"}}]}, "timestamp": ts(2)});
    l.post(&image, None).await;
    l.post(&text(OA_TQ, "asker", "q3", "Tôi ở xã Yên Sơn", 3), None)
        .await;
    l.drain().await;
    let acks = l.replies_to("q1");
    assert_eq!(acks.len(), 1);
    assert!(
        acks[0].starts_with("Đã tiếp nhận câu hỏi/phản ánh số 1."),
        "{}",
        acks[0]
    );
    // 07:01 on a Monday: before the office opens at 07:30
    assert!(
        acks[0].contains("ngoài giờ làm việc; cán bộ sẽ đọc từ 07:30 thứ Hai, 23/11/2026"),
        "{}",
        acks[0]
    );
    // a province that gave no office hours makes no such promise (inside them: the domain's
    // `outside_office_hours_the_next_opening_is_named`)
    l.post(&text(OA_BN, "asker-2", "q4", "Xin hỏi lệ phí", 4), None)
        .await;
    l.drain().await;
    let ack = l.replies_to("q4").pop().unwrap();
    assert!(
        ack.contains("trả lời trong vòng") && !ack.contains("ngoài giờ"),
        "{ack}"
    );
    assert!(
        l.replies_to("q2").is_empty() && l.replies_to("q3").is_empty(),
        "appended without another acknowledgement"
    );
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let (_, messages) = motcua_app::TicketStore::get_ticket(l.state.store.as_ref(), &tq, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[1].attachments[0].url,
        "https://photo.example/a.jpg"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_chooses_the_delivery_and_the_choice_reaches_the_one_stop_system() {
    let l = start().await;
    let ready = "000.00.07.H02-261117-0042"; // Bắc Giang code, Bắc Ninh's OA, result ready
    l.post(
        &text(
            OA_BN,
            "someone",
            "d0",
            &format!("#nhan_kq:buu_chinh:{ready}"),
            1,
        ),
        None,
    )
    .await;
    l.verify_phone(OA_BN, "rep", "84977000111", 2).await; // the representative
    l.post(
        &text(
            OA_BN,
            "rep",
            "d1",
            &format!("#nhan_kq:buu_chinh:{ready}"),
            3,
        ),
        None,
    )
    .await;
    l.drain().await;
    assert!(
        l.replies_to("d0")
            .pop()
            .unwrap()
            .starts_with("Chỉ người nộp hồ sơ")
    );
    assert!(
        l.replies_to("d1")
            .pop()
            .unwrap()
            .contains("bưu chính công ích")
    );
    let out = l.choices_out().await;
    assert_eq!(out.len(), 1);
    let m: Value = serde_json::from_str(&out[0].body).unwrap();
    assert_eq!(
        (m["type"].as_str(), m["code"].as_str(), m["choice"].as_str()),
        (Some("delivery_choice"), Some(ready), Some("postal"))
    );
    for m in &out {
        l.state.outbound.delete(&m.receipt).await.unwrap();
    }
    // pressing the same button again (a new press, not a Zalo retry) changes nothing
    for (n, msg) in [(4, "d2"), (5, "d3")] {
        l.post(
            &text(OA_BN, "rep", msg, &format!("#nhan_kq:buu_chinh:{ready}"), n),
            None,
        )
        .await;
    }
    l.drain().await;
    assert!(
        l.replies_to("d3")
            .pop()
            .unwrap()
            .contains("bưu chính công ích")
    );
    let again = l.choices_out().await;
    assert!(again.is_empty(), "the same choice is published once");
    // a change of mind replaces the choice: published once more, one timeline entry more
    l.post(
        &text(OA_BN, "rep", "d4", &format!("#nhan_kq:mot_cua:{ready}"), 6),
        None,
    )
    .await;
    l.drain().await;
    let changed = l.choices_out().await;
    assert_eq!(changed.len(), 1);
    let c: Value = serde_json::from_str(&changed[0].body).unwrap();
    assert_eq!(c["choice"], "counter");
    let bn = motcua_domain::TenantId::parse("bac-ninh").unwrap();
    let view = l
        .state
        .store
        .load_dossier(&bn, &motcua_domain::DossierCode::parse(ready).unwrap())
        .await
        .unwrap()
        .unwrap();
    let choices: Vec<_> = view
        .timeline
        .iter()
        .filter(|e| e.kind == "delivery_choice")
        .filter_map(|e| e.note.as_deref())
        .collect();
    assert_eq!(choices, vec!["postal", "counter"]);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../infra/events/outbound.v1.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut fields: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    let mut required: Vec<&str> = schema["$defs"]["delivery_choice"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    fields.sort();
    required.sort();
    assert_eq!(
        fields, required,
        "the published message has exactly the documented fields"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_demo_signs_events_like_zalo() {
    let l = start().await;
    let simulate = l.url.replace("/zalo/webhook", "/local/zalo/simulate");
    let client = reqwest::Client::new();
    let body = text(OA_TQ, "demo-user", "demo-1", &format!("TTHC {CODE}"), 1);
    let res = client
        .post(&simulate)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    l.drain().await;
    assert!(l.replies_to("demo-1").pop().unwrap().contains("Đang xử lý"));
    let unknown = client
        .post(&simulate)
        .body(text("42", "u", "m", "x", 2).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_withdraw_erases_the_link_and_what_the_citizen_wrote() {
    let l = start().await;
    l.verify_phone(OA_TQ, "leaver", "84906591985", 1).await;
    l.post(
        &text(
            OA_TQ,
            "leaver",
            "w1",
            "Số CCCD của tôi là 008190012345, hồ sơ bị chậm",
            2,
        ),
        None,
    )
    .await;
    l.drain().await;
    let withdraw = json!({"app_id": APP, "oa_id": OA_TQ, "user_id": "leaver", "event_name": "user_withdraw", "timestamp": ts(3)});
    assert_eq!(l.post(&withdraw, None).await, 200);
    l.drain().await;
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    assert_eq!(
        motcua_app::ZaloUserStore::get_zalo_user(l.state.store.as_ref(), &tq, "leaver")
            .await
            .unwrap(),
        None
    );
    let (ticket, messages) = motcua_app::TicketStore::get_ticket(l.state.store.as_ref(), &tq, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.user_id, "leaver");
    assert_eq!(
        (messages[0].text.as_ref(), messages[0].attachments.len()),
        (None, 0),
        "what the citizen wrote is gone"
    );
    assert!(
        l.replies_to("leaver")
            .pop()
            .unwrap()
            .contains("đã được xóa")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_rates_the_service_once_per_press() {
    let l = start().await;
    let ready = "000.00.07.H02-261117-0042";
    l.verify_phone(OA_BN, "rep", "84977000111", 1).await;
    l.post(
        &text(OA_BN, "rep", "r1", &format!("#danh_gia:{ready}:5"), 2),
        None,
    )
    .await;
    l.post(
        &text(OA_BN, "rep", "r1", &format!("#danh_gia:{ready}:5"), 2),
        Some(1),
    )
    .await;
    l.post(
        &text(OA_BN, "stranger", "r2", &format!("#danh_gia:{ready}:1"), 3),
        None,
    )
    .await;
    l.drain().await;
    assert_eq!(
        l.replies_to("r1"),
        vec!["Cảm ơn ông/bà đã đánh giá mức độ hài lòng.".to_string()]
    );
    assert!(
        l.replies_to("r2").is_empty(),
        "only the owner's rating counts"
    );
    let bn = motcua_domain::TenantId::parse("bac-ninh").unwrap();
    let today = motcua_domain::time::to_vn(
        chrono::DateTime::from_timestamp_millis(1_795_392_062_000).unwrap(),
    )
    .date_naive();
    assert_eq!(
        motcua_app::CounterStore::monthly(l.state.store.as_ref(), &bn, "rating.5", today)
            .await
            .unwrap(),
        1
    );
    // a second press of 5 counts nothing more; a change of mind moves the one rating to 3
    for (n, msg, score) in [(4, "r3", 5), (5, "r4", 3)] {
        l.post(
            &text(OA_BN, "rep", msg, &format!("#danh_gia:{ready}:{score}"), n),
            None,
        )
        .await;
    }
    l.drain().await;
    let count = |metric: &'static str| {
        let store = l.state.store.clone();
        let bn = bn.clone();
        async move {
            motcua_app::CounterStore::monthly(store.as_ref(), &bn, metric, today)
                .await
                .unwrap()
        }
    };
    assert_eq!((count("rating.5").await, count("rating.3").await), (0, 1));
    let view = l
        .state
        .store
        .load_dossier(&bn, &motcua_domain::DossierCode::parse(ready).unwrap())
        .await
        .unwrap()
        .unwrap();
    let ratings = view.timeline.iter().filter(|e| e.kind == "rating").count();
    assert_eq!(
        ratings, 2,
        "5, then the change to 3; the repeated 5 added nothing"
    );
}

/// The other shapes of zalo-platform.md §1.5: the classic user_submit_info, a location sent as
/// an attachment, and user_seen_message with several msg_ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_shared_info_location_and_seen_receipts() {
    let l = start().await;
    let fixture = |name: &str| -> Value {
        let raw = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../../events/zalo-webhook/{name}.json")),
        )
        .unwrap();
        serde_json::from_str(
            &raw.replace("579745863508352884", OA_TQ)
                .replace("7001234567890123456", "u-shapes"),
        )
        .unwrap()
    };
    assert_eq!(l.post(&fixture("follow"), None).await, 200);
    l.drain().await;
    assert_eq!(
        l.post(&fixture("user_submit_info_classic"), None).await,
        200
    );
    l.drain().await;
    let code = l.otp_sent_to("84906591985");
    l.type_code(OA_TQ, "u-shapes", &code, 1).await;
    assert_eq!(l.post(&fixture("user_send_location"), None).await, 200);
    l.drain().await;
    assert!(
        l.replies_to("u-shapes").iter().any(|r| r.contains(CODE)),
        "classic shape linked the phone"
    );
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let (_, messages) = motcua_app::TicketStore::get_ticket(l.state.store.as_ref(), &tq, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(messages[0].attachments[0].url, "geo:21.8233,105.2140");

    // a notification to the linked user, then Zalo says it was seen
    l.push_step_event("shapes-v4").await;
    let sent_id = l.fake().delivered().pop().unwrap().message_id().unwrap();
    let mut seen = fixture("user_seen_message");
    seen["message"]["msg_ids"] = json!([sent_id, "not-ours"]);
    seen["recipient"]["id"] = "u-shapes".into();
    assert_eq!(l.post(&seen, None).await, 200);
    l.drain().await;
    let view = motcua_app::DossierStore::load_dossier(
        l.state.store.as_ref(),
        &tq,
        &motcua_domain::DossierCode::parse(CODE).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        view.timeline
            .iter()
            .any(|e| e.kind == "seen" && e.note.as_deref() == Some("zalo_cs_free"))
    );
}

/// From the attacker's side: a flood of junk at the webhook (here mis-signed bodies from
/// 127.0.0.2) is refused unread once its source passes `JUNK_PER_MINUTE` refusals, while
/// Zalo's own deliveries (from 127.0.0.1) are verified, acknowledged and answered throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_junk_flood_is_cut_off_per_source_and_zalos_deliveries_go_on() {
    let l = start().await;
    let attacker = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let junk = text(OA_TQ, "u-x", "m-x", "xin chào", 1).to_string();
    let mut statuses = Vec::new();
    for i in 0..(webhook::JUNK_PER_MINUTE + 10) {
        let r = attacker
            .post(&l.url)
            .header("X-ZEvent-Signature", format!("mac={:064x}", i))
            .body(junk.clone())
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if i == webhook::JUNK_PER_MINUTE / 2 {
            // Zalo delivers in the middle of the flood
            assert_eq!(
                l.post(&text(OA_TQ, "u1", "m-a", "xin chào", 2), None).await,
                200
            );
        }
    }
    // the budget's refusals and the one over it are answered 401; the source is refused unread after
    let n = webhook::JUNK_PER_MINUTE as usize + 1;
    assert!(statuses[..n].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[n..].iter().all(|s| *s == 429), "{statuses:?}");
    // once blocked, the source is not even read: a well-signed body from it waits too
    let signed = text(OA_TQ, "u-x", "m-y", "xin chào", 3).to_string();
    let blocked = attacker
        .post(&l.url)
        .header("X-ZEvent-Signature", "mac=00")
        .body(signed)
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 429);
    assert!(blocked.headers().contains_key("retry-after"));
    // and Zalo still gets through after the flood
    let lookup = text(OA_TQ, "u2", "m-b", &format!("TTHC {CODE}"), 4);
    assert_eq!(l.post(&lookup, None).await, 200);
    l.drain().await;
    assert_eq!(l.replies_to("m-a").len(), 1);
    assert_eq!(l.replies_to("m-b").len(), 1);
    assert!(
        l.state
            .recorded
            .total_where("WebhookSignature", "Result", "throttled")
            >= 10.0
    );
}

/// From the attacker's side: someone who talked a citizen into reading out the code now holds
/// the phone's link. The phone's owner is told by ZNS, once, at the moment of the link; a first
/// link, or the same account proving its phone again, tells nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_proven_from_another_account_tells_the_phone_once() {
    let l = start().await;
    let phone = "84906591985";
    let relink_notices = || {
        l.fake()
            .delivered()
            .into_iter()
            .filter(|r| r.endpoint == Endpoint::Zns && r.body["template_id"] == "300007")
            .collect::<Vec<_>>()
    };
    l.verify_phone(OA_TQ, "u-first", phone, 1).await;
    assert!(
        l.replies_to("u-first").iter().any(|r| r.contains(CODE)),
        "linked"
    );
    assert!(relink_notices().is_empty(), "a first link tells nobody");
    // the same account proving the same phone again: nothing new
    assert_eq!(
        l.post(&share_phone(OA_TQ, "u-first", phone, 5), None).await,
        200
    );
    l.drain().await;
    assert!(relink_notices().is_empty());

    l.verify_phone(OA_TQ, "u-second", phone, 10).await;
    let notices = relink_notices();
    assert_eq!(notices.len(), 1, "one notice to the phone");
    assert_eq!(notices[0].body["phone"], phone);
    let data = &notices[0].body["template_data"];
    assert_eq!(data["co_quan"], "Tuyên Quang");
    assert!(
        data["thoi_gian"].as_str().unwrap().ends_with("/11/2026"),
        "{data}"
    );
    assert_eq!(
        l.state
            .recorded
            .total_where("PhoneRelinkNotice", "Result", "sent"),
        1.0
    );
}

/// The receipt's QR proves the phone too: the lookup page opened with the QR token shows a
/// receipt code; typed in the chat after sharing the dossier's phone, it links that phone and
/// brings the dossier's notices. From the attacker's side: a stranger who shares the same
/// phone and types a code from another dossier, or an old one, links nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_paper_receipt_proves_the_phone_it_carries() {
    let l = start().await;
    let phone = "84906591985";
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let code = motcua_domain::DossierCode::parse(CODE).unwrap();
    let keys = l.state.tenancy.keys(&tq).unwrap().clone();
    let day = motcua_domain::time::to_vn(chrono::DateTime::from_timestamp_millis(T0_MS).unwrap())
        .date_naive();
    let linked = |user: &'static str| {
        let store = l.state.store.clone();
        let tq = tq.clone();
        async move {
            motcua_app::ZaloUserStore::get_zalo_user(store.as_ref(), &tq, user)
                .await
                .unwrap()
                .and_then(|u| u.phone)
                .is_some()
        }
    };

    // the stranger: the right phone, but codes that are not this dossier's today
    assert_eq!(
        l.post(&share_phone(OA_TQ, "stranger", phone, 1), None)
            .await,
        200
    );
    l.drain().await;
    let other = motcua_domain::DossierCode::parse("000.00.04.H60-261110-0099").unwrap();
    let guesses = [
        keys.receipt_code(&other, day),
        keys.receipt_code(&code, day - chrono::Duration::days(2)),
        "1234-5678".to_string(),
    ];
    for (n, guess) in guesses.iter().enumerate() {
        l.type_code(OA_TQ, "stranger", guess, 2 + n as i64).await;
    }
    assert!(
        !linked("stranger").await,
        "three wrong receipt codes link nothing"
    );
    let after = l.replies_to("otp-stranger-4").pop().unwrap();
    assert!(after.contains("nhập sai quá số lần"), "{after}");

    // the citizen with the paper: scan the QR, read the code on the page, type it in the chat
    let token = l
        .state
        .lookup
        .deployment
        .qr_signer("tuyen-quang")
        .unwrap()
        .token(&code);
    let base = l.url.trim_end_matches("/zalo/webhook");
    let page = reqwest::get(format!("{base}/tra-cuu/{CODE}?k={token}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shown = page
        .split("id=\"receipt-code\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split('<').next())
        .expect("the page opened from the QR shows the receipt code")
        .to_string();
    assert_eq!(shown.replace('-', ""), keys.receipt_code(&code, day));
    let without_token = reqwest::get(format!("{base}/tra-cuu/{CODE}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !without_token.contains("receipt-code"),
        "only the QR shows it"
    );

    assert_eq!(l.post(&follow(OA_TQ, "u-paper", 9), None).await, 200);
    assert_eq!(
        l.post(&share_phone(OA_TQ, "u-paper", phone, 10), None)
            .await,
        200
    );
    l.drain().await;
    assert!(!linked("u-paper").await);
    l.type_code(OA_TQ, "u-paper", &shown, 11).await;
    assert!(linked("u-paper").await, "the receipt code proved the phone");
    assert!(
        l.replies_to("u-paper").iter().any(|r| r.contains(CODE)),
        "open dossiers listed"
    );
    assert_eq!(
        l.state
            .recorded
            .total_where("PhoneVerified", "By", "receipt"),
        1.0
    );
    // and the dossier's notices now reach the citizen
    let before = l.replies_to("u-paper").len();
    l.push_step_event("demo-tq-0028-v4").await;
    assert_eq!(l.replies_to("u-paper").len(), before + 1);
}

/// A province without an OTP template: a shared phone asks for the receipt code, which proves
/// it; six digits typed then are a wrong try, never a code nobody sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_otp_template_the_receipt_code_is_asked_for() {
    let l = start_with(|toml| toml.replace(", otp = \"300006\"", "")).await;
    let phone = "84906591985";
    assert_eq!(
        l.post(&share_phone(OA_TQ, "u-r", phone, 1), None).await,
        200
    );
    l.drain().await;
    let asked = l.replies_to("u-r").pop().unwrap();
    assert!(
        asked.contains("mã liên kết") && asked.contains("đuôi 985"),
        "{asked}"
    );
    assert!(
        !l.fake()
            .delivered()
            .iter()
            .any(|r| r.endpoint == Endpoint::Zns),
        "no code was sent"
    );
    l.type_code(OA_TQ, "u-r", "123456", 2).await;
    assert!(
        l.replies_to("otp-u-r-2")
            .pop()
            .unwrap()
            .contains("còn 2 lần")
    );
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let code = motcua_domain::DossierCode::parse(CODE).unwrap();
    let day = motcua_domain::time::to_vn(chrono::DateTime::from_timestamp_millis(T0_MS).unwrap())
        .date_naive();
    let receipt = l.state.tenancy.keys(&tq).unwrap().receipt_code(&code, day);
    l.type_code(OA_TQ, "u-r", &receipt, 3).await;
    let user = motcua_app::ZaloUserStore::get_zalo_user(l.state.store.as_ref(), &tq, "u-r")
        .await
        .unwrap()
        .unwrap();
    assert!(user.phone.is_some() && user.phone_claim.is_none());
}

/// After `user_withdraw` the phone hears nothing more, not even by ZNS (which reaches a phone
/// with no Zalo link at all); the audit trail says an erasure happened. Proving the phone again
/// (a new account, say) asks for the notices again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_user_withdraw_no_channel_reaches_the_phone_until_it_is_proven_again() {
    let l = start().await;
    let phone = "84906591985";
    let zns_to_phone = || {
        l.fake()
            .delivered()
            .iter()
            .filter(|r| r.endpoint == Endpoint::Zns && r.body["phone"] == phone)
            .count()
    };
    l.verify_phone(OA_TQ, "leaver", phone, 1).await;
    let withdraw = json!({"app_id": APP, "oa_id": OA_TQ, "user_id": "leaver", "event_name": "user_withdraw", "timestamp": ts(3)});
    assert_eq!(l.post(&withdraw, None).await, 200);
    l.drain().await;
    let before = zns_to_phone();
    // papers are missing: a kind the province sends by ZNS when no Zalo account is linked
    l.push_life_event("05-supplement_requested.json", "after-withdraw")
        .await;
    assert_eq!(zns_to_phone(), before, "no ZNS to a phone that withdrew");
    assert_eq!(
        l.state
            .recorded
            .total_where("Notification", "Channel", "opted_out"),
        1.0
    );
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let day = motcua_domain::time::to_vn(chrono::DateTime::from_timestamp_millis(T0_MS).unwrap())
        .date_naive();
    let audit = motcua_app::AuditLog::audit_entries(l.state.store.as_ref(), &tq, day, 10)
        .await
        .unwrap();
    let erasure = audit
        .iter()
        .find(|a| a.action == "citizen.erasure")
        .expect("the erasure is in the audit trail");
    assert!(erasure.target.is_empty() && !format!("{erasure:?}").contains("leaver"));

    // a new account proves the phone: the next notice reaches it
    l.post(&follow(OA_TQ, "returner", 20), None).await;
    l.verify_phone(OA_TQ, "returner", phone, 21).await;
    let heard = l.replies_to("returner").len();
    l.push_life_event("06-result_ready.json", "after-return")
        .await;
    assert_eq!(l.replies_to("returner").len(), heard + 1);
}

/// The buttons (title, payload) of the newest reply to an inbound message.
fn buttons_of(l: &Local, msg_id: &str) -> Vec<(String, String)> {
    let r = l
        .fake()
        .delivered()
        .into_iter()
        .rev()
        .find(|r| r.recipient().as_deref() == Some(msg_id))
        .expect("a reply");
    r.body
        .pointer("/message/attachment/payload/buttons")
        .and_then(Value::as_array)
        .map(|b| {
            b.iter()
                .map(|b| {
                    let s = |k: &str| b[k].as_str().unwrap_or_default().to_string();
                    (s("title"), s("payload"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// "Hồ sơ của tôi" from the attacker's side and the owner's: a verified owner of 25 dossiers
/// (applicant of some, representative of others) pages through the 23 of the last 12 months,
/// each once, open ones first; a stranger, a user who shared the phone without its code, and
/// the owner's neighbour see none of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_dossiers_pages_a_verified_owners_dossiers_and_shows_nobody_else_any() {
    let l = start().await;
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    let keys = l.state.tenancy.keys(&tq).unwrap();
    let mine = keys.protect_phone(&motcua_domain::PhoneNumber::parse("0987654321").unwrap());
    let theirs = keys.protect_phone(&motcua_domain::PhoneNumber::parse("0912000111").unwrap());
    let now = l.state.clock.now();
    let mut open = Vec::new();
    let mut recent = Vec::new();
    for i in 0..25u32 {
        let code = format!("000.00.04.H60-261001-{:04}", 100 + i);
        let mut d = motcua_app::contract::dossier("tuyen-quang", &code, 1);
        d.applicant_phone = Some(theirs.clone());
        if i % 2 == 0 {
            d.applicant_phone = Some(mine.clone());
        } else {
            d.representative_phone = Some(mine.clone()); // the owner acts for someone else
        }
        d.due_at = Some(now + chrono::Duration::days(i64::from(i)));
        match i {
            0..=12 => open.push(code.clone()),
            13..=22 => {
                let at = now - chrono::Duration::days(i64::from(i) * 10);
                d.status = motcua_domain::NationalStatus::Returned;
                d.returned_at = Some(at);
                d.updated_at = at;
                recent.push(code.clone());
            }
            _ => {
                let at = now - chrono::Duration::days(800);
                d.status = motcua_domain::NationalStatus::Returned;
                d.returned_at = Some(at);
                d.updated_at = at;
            }
        }
        l.state.store.upsert_dossier_if_newer(&d).await.unwrap();
    }
    let mut neighbours =
        motcua_app::contract::dossier("tuyen-quang", "000.00.04.H60-261001-0999", 1);
    neighbours.applicant_phone = Some(theirs.clone());
    l.state
        .store
        .upsert_dossier_if_newer(&neighbours)
        .await
        .unwrap();

    // before verifying: a stranger, and a user who shared the phone without typing its code
    l.post(&text(OA_TQ, "stranger", "x1", "ho so cua toi", 1), None)
        .await;
    l.post(&share_phone(OA_TQ, "claimer", "84987654321", 2), None)
        .await;
    l.post(&text(OA_TQ, "claimer", "x2", "#ho_so_cua_toi", 3), None)
        .await;
    l.post(&text(OA_TQ, "claimer", "x3", "#ho_so_cua_toi:2", 4), None)
        .await;
    l.drain().await;
    for m in ["x1", "x2", "x3"] {
        let reply = l.replies_to(m).pop().unwrap();
        assert!(reply.contains("cần xác minh số điện thoại"), "{reply}");
        assert!(buttons_of(&l, m).is_empty());
    }
    let everything: String = l
        .fake()
        .delivered()
        .iter()
        .map(|r| r.body.to_string())
        .collect();
    assert!(
        !everything.contains("261001-0"),
        "no code of the owner's reached anyone"
    );

    l.verify_phone(OA_TQ, "owner", "84987654321", 10).await;
    let mut listed = Vec::new();
    let mut ask = "Hồ sơ của tôi".to_string();
    for page in 1..=10 {
        let id = format!("p{page}");
        l.post(&text(OA_TQ, "owner", &id, &ask, 20 + page), None)
            .await;
        l.drain().await;
        let reply = l.replies_to(&id).pop().unwrap();
        assert!(
            reply.contains(&format!("23 hồ sơ (trang {page}/6)")),
            "{reply}"
        );
        let buttons = buttons_of(&l, &id);
        let (next, codes): (Vec<_>, Vec<_>) = buttons
            .into_iter()
            .partition(|(title, _)| title == "Trang sau");
        for (title, payload) in &codes {
            assert_eq!(title, payload, "a code button sends its code");
            assert!(reply.contains(title.as_str()), "{reply}");
        }
        listed.extend(codes.into_iter().map(|(c, _)| c));
        match next.first() {
            Some((_, payload)) => ask = payload.clone(),
            None => break,
        }
    }
    let expected: Vec<String> = open.iter().chain(&recent).cloned().collect();
    assert_eq!(listed.len(), 23, "{listed:?}");
    let mut sorted_open = listed[..13].to_vec();
    sorted_open.sort();
    assert_eq!(sorted_open, open, "open dossiers first");
    let mut rest = listed[13..].to_vec();
    rest.sort();
    let mut closed = recent.clone();
    closed.sort();
    assert_eq!(rest, closed);
    assert!(expected.iter().all(|c| listed.contains(c)));
    assert!(
        !listed.iter().any(|c| c.ends_with("-0999")),
        "the neighbour's dossier"
    );

    // a code button opens the owner's full card
    l.post(&text(OA_TQ, "owner", "card", &listed[0], 40), None)
        .await;
    l.drain().await;
    assert!(l.replies_to("card").pop().unwrap().contains("Người nộp"));
}

/// "Hỗ trợ" (and the "Hướng dẫn" button of earlier welcome messages): the hotline with a call
/// button and the office hours, then the guide; a tenant without a support desk gets the guide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_gives_the_hotline_to_call_and_the_office_hours() {
    let l = start().await;
    l.post(&text(OA_TQ, "u1", "h1", "#ho_tro", 1), None).await;
    l.post(&text(OA_TQ, "u1", "h2", "#huong_dan", 2), None)
        .await;
    l.post(&text(OA_BN, "u2", "h3", "#ho_tro", 3), None).await;
    l.drain().await;
    for id in ["h1", "h2"] {
        let reply = l.replies_to(id).pop().unwrap();
        assert!(
            reply.starts_with("Tổng đài hỗ trợ: 0207 3822 222 (giờ làm việc 07:30–11:30, 13:30–17:00, thứ Hai đến thứ Sáu).")
                && reply.contains("Hướng dẫn:"),
            "{reply}"
        );
        let r = l
            .fake()
            .delivered()
            .into_iter()
            .find(|r| r.recipient().as_deref() == Some(id))
            .unwrap();
        let call = &r.body["message"]["attachment"]["payload"]["buttons"][0];
        assert_eq!(call["type"], "oa.open.phone");
        assert_eq!(call["payload"]["phone_code"], "842073822222");
        assert!(r.ok(), "the fake accepted the call button");
    }
    let guide = l.replies_to("h3").pop().unwrap();
    assert!(guide.starts_with("Hướng dẫn:"), "{guide}");
}

/// The procedure guide (issue 18): a question about a procedure in the tenant's catalogue is
/// answered at once with what to bring, fees, time and the online link, and recorded as a closed
/// ticket; "Hỏi cán bộ" reopens it for staff, for its asker only; a complaint and an unmatched
/// question still go to staff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_answers_procedure_questions_and_hands_the_rest_to_staff() {
    let l = start().await;
    let tq = motcua_domain::TenantId::parse("tuyen-quang").unwrap();
    l.post(
        &text(
            OA_TQ,
            "g1",
            "gq1",
            "cho em hoi lam giay khai sinh cho con can nhung gi a",
            1,
        ),
        None,
    )
    .await;
    l.post(
        &text(
            OA_BN,
            "g2",
            "gq2",
            "Tôi muốn phản ánh cán bộ làm khai sinh chậm trễ",
            2,
        ),
        None,
    )
    .await;
    l.post(
        &text(
            OA_TQ,
            "g3",
            "gq3",
            "Tại sao hồ sơ của tôi chưa có kết quả?",
            3,
        ),
        None,
    )
    .await;
    l.drain().await;

    let answer = l.replies_to("gq1").pop().unwrap();
    assert!(
        answer.contains("Đăng ký khai sinh") || answer.contains("đăng ký khai sinh"),
        "{answer}"
    );
    assert!(
        answer.contains("Hồ sơ gồm:") && answer.contains("Lệ phí:"),
        "{answer}"
    );
    let sent = l
        .fake()
        .delivered()
        .into_iter()
        .find(|r| r.recipient().as_deref() == Some("gq1"))
        .unwrap();
    assert!(sent.ok(), "the fake accepted the guide answer");
    let buttons = sent.body["message"]["attachment"]["payload"]["buttons"]
        .as_array()
        .unwrap()
        .clone();
    let ask = buttons
        .iter()
        .find(|b| b["type"] == "oa.query.show" || b["type"] == "oa.query.hide")
        .unwrap();
    let payload = ask["payload"].as_str().unwrap().to_string();
    assert!(payload.starts_with("#hoi_can_bo:"), "{payload}");
    let number: u64 = payload["#hoi_can_bo:".len()..].parse().unwrap();
    let (ticket, messages) = l
        .state
        .store
        .get_ticket(&tq, number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.status, motcua_app::TicketStatus::Closed);
    let guide = ticket.guide.clone().unwrap();
    assert!(
        guide.procedures.contains(&"1.001193".to_string()),
        "{guide:?}"
    );
    assert_eq!(messages.len(), 2, "the question and the guide's answer");
    assert_eq!(
        l.state.store.latest_open_ticket(&tq, "g1").await.unwrap(),
        None
    );

    // the complaint and the unmatched question are tickets for staff, as before
    assert!(
        l.replies_to("gq2")
            .pop()
            .unwrap()
            .starts_with("Đã tiếp nhận câu hỏi/phản ánh số")
    );
    assert!(
        l.replies_to("gq3")
            .pop()
            .unwrap()
            .starts_with("Đã tiếp nhận câu hỏi/phản ánh số")
    );

    // another user presses the same button: nothing changes, nothing is learned
    l.post(&text(OA_TQ, "intruder", "gq4", &payload, 4), None)
        .await;
    l.post(&text(OA_TQ, "g1", "gq5", &payload, 5), None).await;
    l.post(&text(OA_TQ, "g1", "gq6", &payload, 6), None).await;
    l.drain().await;
    assert!(
        l.replies_to("gq4")
            .pop()
            .unwrap()
            .starts_with("Vui lòng nhập câu hỏi")
    );
    assert!(
        l.replies_to("gq5")
            .pop()
            .unwrap()
            .starts_with(&format!("Đã tiếp nhận câu hỏi/phản ánh số {number}."))
    );
    let (reopened, _) = l
        .state
        .store
        .get_ticket(&tq, number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        reopened.status,
        motcua_app::TicketStatus::New,
        "staff answer it now"
    );
    assert!(reopened.guide.as_ref().unwrap().asked_staff);
    assert_eq!(reopened.user_id, "g1");
    let day = motcua_domain::time::to_vn(chrono::DateTime::from_timestamp_millis(T0_MS).unwrap())
        .date_naive();
    let count = |m: &'static str| {
        let (store, tq) = (l.state.store.clone(), tq.clone());
        async move {
            store
                .daily(&tq, m, day, day)
                .await
                .unwrap()
                .iter()
                .map(|(_, n)| n)
                .sum::<i64>()
        }
    };
    assert_eq!(count("guide.answered").await, 1);
    assert_eq!(
        count("guide.asked_staff").await,
        1,
        "pressing twice counts once"
    );
}

/// The daily ZNS cap holds for every ZNS the tenant sends, not only notices: once it is spent,
/// a citizen who shares a phone gets no one-time code (the receipt's code proves the phone
/// instead), and the cap's alarm counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_daily_zns_cap_no_code_is_sent_and_the_receipt_proves_the_phone() {
    let zns = |l: &Local| {
        l.fake()
            .records()
            .iter()
            .filter(|r| r.endpoint == Endpoint::Zns)
            .count()
    };
    // the demo's seeding sends some notices; the cap leaves room for one ZNS more today
    let seeded = zns(&start().await) as u64;
    let cap = (seeded + 1) * 150;
    let l = start_with(|t| {
        t.replacen(
            "[tenant.agencies]",
            &format!("[tenant.notify]\nzns_daily_cap_vnd = {cap}\n\n[tenant.agencies]"),
            1,
        )
    })
    .await;
    assert_eq!(zns(&l) as u64, seeded);
    assert_eq!(
        l.post(&share_phone(OA_TQ, "u-a", "0906591985", 1), None)
            .await,
        200
    );
    l.drain().await;
    l.otp_sent_to("84906591985");
    assert_eq!(
        l.post(&share_phone(OA_TQ, "u-b", "0987123456", 2), None)
            .await,
        200
    );
    l.drain().await;
    assert_eq!(zns(&l) as u64, seeded + 1, "no code past the cap");
    let asked = l.replies_to("u-b");
    assert!(
        asked.last().is_some_and(|t| t.contains("quét mã QR")),
        "{asked:?}"
    );
    assert!(l.state.recorded.total("ZnsSpendCapReached") >= 1.0);
}
