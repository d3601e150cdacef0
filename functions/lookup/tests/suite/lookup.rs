//! The lookup page and API: a code alone shows status and dates; the QR token or the last four
//! ID digits unlock the card; an unknown code and a code of no province here look the same;
//! too many lookups from one address get 429 with Retry-After.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use lookup::{ClientIp, LookupState};
use motcua_app::metrics::RecordingMetrics;
use motcua_app::{Clock, ManualClock, Store, TenantFile};
use motcua_config::{Deployment, Secrets, TenantSecrets};
use motcua_domain::{DossierCode, DossierEvent, TenantId};
use tower::ServiceExt;

const CODE: &str = "000.00.04.H60-261110-0028";

fn deployment() -> Deployment {
    let toml = "[[tenant]]\nid = \"tuyen-quang\"\nname = \"Tuyên Quang\"\nagency_codes = [\"H60\", \"H22\"]\noa_id = \"579745863508352884\"\npublic_host = \"dichvucong.tuyenquang.gov.vn\"\n";
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
    Deployment::new(TenantFile::parse(toml).unwrap().tenant, secrets).unwrap()
}

struct T {
    app: axum::Router,
    store: Arc<dyn Store>,
    metrics: Arc<RecordingMetrics>,
    token: String,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

/// The day after the fixtures' last step (2026-11-13 in Vietnam), 10:00 in Vietnam: the
/// dossier is in processing and on time, whatever today's date is.
fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at("2026-11-14T03:00:00Z"))
}

async fn setup(per_minute: u32) -> T {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.path().join("db.redb"))
            .unwrap()
            .store(),
    );
    let d = deployment();
    let clock = clock();
    // the dossier's life up to "Thẩm định", as the notifier would have stored it
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
        let event = DossierEvent::from_json(&body).unwrap();
        motcua_app::ingest::apply_event(store.as_ref(), &d.tenancy, &event, clock.now())
            .await
            .unwrap();
    }
    let token = d
        .qr_signer("tuyen-quang")
        .unwrap()
        .token(&DossierCode::parse(CODE).unwrap());
    let metrics = Arc::new(RecordingMetrics::default());
    let state = Arc::new(LookupState::new(
        store.clone(),
        d,
        clock.clone(),
        metrics.clone(),
        per_minute,
    ));
    T {
        app: lookup::router(state),
        store,
        metrics,
        token,
        clock,
        _dir: dir,
    }
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, String, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body =
        String::from_utf8(to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    (status, ct, body)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post_json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn post(uri: &str, form: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap()
}

#[tokio::test]
async fn code_alone_shows_status_and_dates_only() {
    let t = setup(600).await;
    let (status, ct, html) = call(&t.app, get(&format!("/tra-cuu/{CODE}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    for want in [
        "Đang xử lý",
        "Thẩm định",
        "Ngày tiếp nhận",
        "08:30 10/11/2026",
        "17:00 01/12/2026",
        "4 số cuối CCCD",
        "https://zalo.me/579745863508352884",
        "lang=\"vi\"",
    ] {
        assert!(html.contains(want), "missing {want}");
    }
    for private in [
        "N. T. T.",
        "NGUYỄN",
        "0906591985",
        "Cấp giấy phép",
        "Quá trình giải quyết",
    ] {
        assert!(!html.contains(private), "code-only page shows {private}");
    }
    assert!(
        !html.contains("<script") && !html.contains("https://fonts"),
        "no JS, no external resources"
    );
}

#[tokio::test]
async fn qr_token_or_id_digits_unlock_the_card() {
    let t = setup(600).await;
    let (_, _, html) = call(&t.app, get(&format!("/tra-cuu/{CODE}?k={}", t.token))).await;
    for want in [
        "N. T. T. M***",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Tiếp nhận hồ sơ",
        "Đang giải quyết: Phân công thụ lý",
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
        "Qua bưu chính công ích",
    ] {
        assert!(html.contains(want), "missing {want}");
    }
    assert!(!html.contains("NGUYỄN") && !html.contains("0906591985"));
    // a wrong or truncated token is just a code-only lookup
    for bad in ["AAAAAAAAAAAAAAAA", &t.token[..15]] {
        let (status, _, html) = call(&t.app, get(&format!("/tra-cuu/{CODE}?k={bad}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("N. T. T. M***"));
    }
    // the fixture's ID number ends in 2345
    let (_, _, html) = call(&t.app, post(&format!("/tra-cuu/{CODE}"), "cccd4=2345")).await;
    assert!(html.contains("N. T. T. M***"));
    let (_, _, html) = call(&t.app, post(&format!("/tra-cuu/{CODE}"), "cccd4=2346")).await;
    assert!(!html.contains("N. T. T. M***") && html.contains("Thông tin xác minh chưa đúng"));

    let (status, ct, json) = call(&t.app, get(&format!("/api/v1/dossiers/{CODE}"))).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/json"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!((v["status"].as_u64(), v["card"].is_null()), (Some(4), true));
    let (_, _, json) = call(
        &t.app,
        post_json(&format!("/api/v1/dossiers/{CODE}"), r#"{"cccd4": "2345"}"#),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["card"]["applicant"], "N. T. T. M***");
    assert_eq!(v["card"]["timeline"].as_array().unwrap().len(), 3);
    let (_, _, json) = call(
        &t.app,
        get(&format!("/api/v1/dossiers/{CODE}?k={}", t.token)),
    )
    .await;
    assert!(serde_json::from_str::<serde_json::Value>(&json).unwrap()["card"].is_object());

    let tq = TenantId::parse("tuyen-quang").unwrap();
    let today = motcua_domain::time::to_vn(t.clock.now()).date_naive();
    let count = |m: &'static str| {
        let store = t.store.clone();
        let tq = tq.clone();
        async move {
            store
                .daily(&tq, m, today, today)
                .await
                .unwrap()
                .first()
                .map_or(0, |d| d.1)
        }
    };
    assert_eq!(count("lookup.qr_page").await, 3);
    assert_eq!(count("lookup.web").await, 2);
    assert_eq!(count("lookup.api").await, 3);
}

#[tokio::test]
async fn unknown_and_foreign_codes_look_the_same() {
    let t = setup(600).await;
    let unknown = "000.00.04.H60-261110-0099"; // owned here, not in the store
    let foreign = "000.00.04.H56-261110-0099"; // no province here owns H56
    let (s1, c1, b1) = call(&t.app, get(&format!("/tra-cuu/{unknown}"))).await;
    let (s2, c2, b2) = call(&t.app, get(&format!("/tra-cuu/{foreign}"))).await;
    assert_eq!((s1, &c1), (s2, &c2));
    assert_eq!(s1, StatusCode::NOT_FOUND);
    assert_eq!(
        b1.replace(unknown, "CODE"),
        b2.replace(foreign, "CODE"),
        "same page"
    );
    assert!(
        !b1.contains("Tuyên Quang"),
        "the not-found page does not name the province"
    );
    let (s1, c1, b1) = call(&t.app, get(&format!("/api/v1/dossiers/{unknown}"))).await;
    let (s2, c2, b2) = call(&t.app, get(&format!("/api/v1/dossiers/{foreign}"))).await;
    assert_eq!((s1, c1.as_str(), &b1), (s2, c2.as_str(), &b2));
    assert_eq!(c1, "application/problem+json");
    // with a token, still the same
    let (s3, _, b3) = call(
        &t.app,
        get(&format!("/api/v1/dossiers/{unknown}?k={}", t.token)),
    )
    .await;
    assert_eq!((s3, b3), (s1, b1));
    let (status, ct, _) = call(&t.app, get("/api/v1/dossiers/hello")).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::BAD_REQUEST, "application/problem+json")
    );
}

#[tokio::test]
async fn too_many_lookups_from_one_address_get_429_with_retry_after() {
    let t = setup(6).await; // burst of 2
    let from = |ip: &str| {
        let mut req = get(&format!("/api/v1/dossiers/{CODE}"));
        req.extensions_mut().insert(ClientIp(ip.parse().unwrap()));
        req
    };
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let res = t.app.clone().oneshot(from("203.0.113.7")).await.unwrap();
        statuses.push((
            res.status(),
            res.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string()),
        ));
    }
    assert_eq!(statuses[0].0, StatusCode::OK);
    assert_eq!(statuses[3].0, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = statuses[3].1.as_ref().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    // another address is not affected
    assert_eq!(
        t.app
            .clone()
            .oneshot(from("203.0.113.8"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let mut page = get(&format!("/tra-cuu/{CODE}"));
    page.extensions_mut()
        .insert(ClientIp("203.0.113.7".parse().unwrap()));
    let (status, _, html) = call(&t.app, page).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Vui lòng thử lại sau"));
}

#[tokio::test]
async fn openapi_document_is_served() {
    let t = setup(600).await;
    let (status, _, body) = call(&t.app, get("/api/v1/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    assert!(v["paths"]["/api/v1/dossiers/{code}"]["get"]["responses"]["429"].is_object());
}

/// From the attacker's side: the ID digits are 10^4 values and receipt codes are sequential.
/// Guesses spread over many client addresses (so that no per-address limit sees them) and over
/// the page and the API still count against the one dossier, in the store.
#[tokio::test]
async fn wrong_id_digits_from_many_addresses_lock_the_dossier_for_the_day() {
    let t = setup(600).await;
    let from = |ip: String, mut req: Request<Body>| {
        req.extensions_mut().insert(ClientIp(ip.parse().unwrap()));
        req
    };
    // digits in a URL are refused, never checked
    let (status, _, _) = call(&t.app, get(&format!("/api/v1/dossiers/{CODE}?cccd4=2345"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, _, html) = call(&t.app, get(&format!("/tra-cuu/{CODE}?cccd4=2345"))).await;
    assert!(
        !html.contains("N. T. T. M***"),
        "a GET never unlocks with digits"
    );
    // the right digits alone show the card, but not the result documents
    let (_, _, json) = call(
        &t.app,
        post_json(&format!("/api/v1/dossiers/{CODE}"), r#"{"cccd4": "2345"}"#),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["card"].is_object());
    assert_eq!(v["card"]["documents"], serde_json::json!([]));
    for i in 0..20 {
        let guess = format!("{:04}", 3000 + i);
        let ip = format!("198.51.100.{}", i + 1);
        let req = if i % 2 == 0 {
            post_json(
                &format!("/api/v1/dossiers/{CODE}"),
                &format!(r#"{{"cccd4": "{guess}"}}"#),
            )
        } else {
            post(&format!("/tra-cuu/{CODE}"), &format!("cccd4={guess}"))
        };
        let (status, _, _) = call(&t.app, from(ip, req)).await;
        assert_eq!(status, StatusCode::OK);
    }
    // now even the right digits are refused until the end of the day, and it is said so
    let (_, _, json) = call(
        &t.app,
        from(
            "192.0.2.99".into(),
            post_json(&format!("/api/v1/dossiers/{CODE}"), r#"{"cccd4": "2345"}"#),
        ),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["card"].is_null(), "{v}");
    assert_eq!(v["id_suffix_locked"], true);
    let (_, _, html) = call(&t.app, post(&format!("/tra-cuu/{CODE}"), "cccd4=2345")).await;
    assert!(!html.contains("N. T. T. M***"));
    assert!(
        html.contains(motcua_domain::catalogue::ID_DIGITS_LOCKED),
        "the page says why"
    );
    assert!(t.metrics.total("LookupIdDigitsLocked") >= 16.0);
    // the QR token still opens the card (and the documents)
    let (_, _, json) = call(
        &t.app,
        get(&format!("/api/v1/dossiers/{CODE}?k={}", t.token)),
    )
    .await;
    assert!(serde_json::from_str::<serde_json::Value>(&json).unwrap()["card"].is_object());
    // the next Vietnam day the digits work again
    t.clock.advance(chrono::Duration::hours(24));
    let (_, _, json) = call(
        &t.app,
        post_json(&format!("/api/v1/dossiers/{CODE}"), r#"{"cccd4": "2345"}"#),
    )
    .await;
    assert!(serde_json::from_str::<serde_json::Value>(&json).unwrap()["card"].is_object());
}

/// From the attacker's side: parallel requests fan out over Lambda instances, each with its
/// own in-memory limiter. Four instances on one store still grant one address `per_minute`
/// lookups a minute in all; an IPv6 address counts with the rest of its /64; the store keeps a
/// digest, never the address.
#[tokio::test]
async fn instances_share_one_lookup_budget_per_address() {
    let t = setup(6).await; // 6 a minute; each instance alone would allow bursts of 2
    let instances: Vec<axum::Router> = std::iter::once(t.app.clone())
        .chain((0..3).map(|_| {
            lookup::router(Arc::new(LookupState::new(
                t.store.clone(),
                deployment(),
                t.clock.clone(),
                Arc::new(RecordingMetrics::default()),
                6,
            )))
        }))
        .collect();
    let from = |ip: &str| {
        let mut req = get(&format!("/api/v1/dossiers/{CODE}"));
        req.extensions_mut().insert(ClientIp(ip.parse().unwrap()));
        req
    };
    let mut granted = 0;
    for round in 0..3 {
        for (i, app) in instances.iter().enumerate() {
            // two addresses of one /64: one subscriber
            let ip = if (round + i) % 2 == 0 {
                "2001:db8:7:1::10"
            } else {
                "2001:db8:7:1:ffff::99"
            };
            let (status, _, _) = call(app, from(ip)).await;
            match status {
                StatusCode::OK => granted += 1,
                StatusCode::TOO_MANY_REQUESTS => {}
                other => panic!("{other}"),
            }
        }
    }
    assert_eq!(granted, 6, "8 would pass four separate in-memory limiters");
    // another /64 has its own budget
    let (status, _, _) = call(&instances[1], from("2001:db8:7:2::10")).await;
    assert_eq!(status, StatusCode::OK);
    // the next minute the address is served again
    t.clock.advance(chrono::Duration::seconds(61));
    let fresh = lookup::router(Arc::new(LookupState::new(
        t.store.clone(),
        deployment(),
        t.clock.clone(),
        Arc::new(RecordingMetrics::default()),
        6,
    )));
    let (status, _, _) = call(&fresh, from("2001:db8:7:1::10")).await;
    assert_eq!(status, StatusCode::OK);
    drop(instances);
    drop(fresh);
    let T {
        app, store, _dir, ..
    } = t;
    drop(app);
    drop(store);
    let bytes = std::fs::read(_dir.path().join("db.redb")).unwrap();
    for needle in ["2001:db8:7:1", "2001:db8:7:2"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is in the store"
        );
    }
}

/// The receipt code (the chat's proof of the paper receipt) is given only with the QR token:
/// never for the code alone, and never for the ID digits, which are only 10^4 values.
#[tokio::test]
async fn only_the_qr_token_shows_the_receipt_code() {
    let t = setup(600).await;
    let json = |body: String| serde_json::from_str::<serde_json::Value>(&body).unwrap();
    let (_, _, alone) = call(&t.app, get(&format!("/api/v1/dossiers/{CODE}"))).await;
    assert!(json(alone).get("receipt_code").is_none());
    let (_, _, digits) = call(
        &t.app,
        post_json(&format!("/api/v1/dossiers/{CODE}"), r#"{"cccd4": "2345"}"#),
    )
    .await;
    let digits = json(digits);
    assert!(digits["card"].is_object() && digits.get("receipt_code").is_none());
    let (_, _, qr) = call(
        &t.app,
        get(&format!("/api/v1/dossiers/{CODE}?k={}", t.token)),
    )
    .await;
    let shown = json(qr)["receipt_code"].as_str().unwrap().to_string();
    let keys = deployment()
        .tenancy
        .keys(&TenantId::parse("tuyen-quang").unwrap())
        .unwrap()
        .clone();
    let today = motcua_domain::time::to_vn(t.clock.now()).date_naive();
    let code = DossierCode::parse(CODE).unwrap();
    assert_eq!(shown.replace('-', ""), keys.receipt_code(&code, today));
    let (_, _, html) = call(&t.app, get(&format!("/tra-cuu/{CODE}?k={}", t.token))).await;
    assert!(html.contains(&shown) && html.contains("Nhận thông báo hồ sơ này qua Zalo"));
}
