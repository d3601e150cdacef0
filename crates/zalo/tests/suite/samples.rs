//! Every sample body in fixtures/zalo-api-responses (copied from ../shared/docs) is served by a
//! one-route server and read through the client method for its endpoint.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::routing::any;
use motcua_domain::PhoneNumber;
use motcua_zalo::client::TokenError;
use motcua_zalo::*;

async fn serve(file: &str) -> ZaloClient {
    let body = std::fs::read_to_string(format!(
        "{}/tests/fixtures/zalo-api-responses/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{file}: {e}"));
    let app = axum::Router::new().fallback(any(move || {
        let body = body.clone();
        async move { ([("content-type", "application/json")], body) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    ZaloClient::new(BaseUrls::all(&base), Arc::new(Unlimited))
}

fn to() -> Recipient {
    Recipient::User {
        user_id: "7001234567890123456".into(),
    }
}

fn app() -> AppCredentials {
    AppCredentials {
        app_id: "1".into(),
        app_secret: "s".into(),
    }
}

#[tokio::test]
async fn every_sample_body_parses() {
    let files: Vec<String> = std::fs::read_dir(format!(
        "{}/tests/fixtures/zalo-api-responses",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .map(|e| e.unwrap().file_name().into_string().unwrap())
    .filter(|f| f.ends_with(".json"))
    .collect();
    assert_eq!(files.len(), 38, "every sample is covered below");
    let phone = PhoneNumber::parse("0912345678").unwrap();
    let data = BTreeMap::from([("ma".to_string(), "1".to_string())]);
    for f in &files {
        let c = serve(f).await;
        let name = f.as_str();
        if let Some(code) = name
            .split('_')
            .next_back()
            .and_then(|s| s.strip_suffix(".json"))
            .filter(|s| s.starts_with('-'))
            .and_then(|s| s.parse::<i64>().ok())
        {
            // error samples: the numeric code is what the client keeps
            let err = if name.starts_with("zns_") {
                c.send_zns("t", &phone, "1", &data, "t1", false)
                    .await
                    .unwrap_err()
            } else if name.starts_with("template_uid") {
                c.send_template_uid("t", "1", "1", &data).await.unwrap_err()
            } else {
                c.send_text("t", &to(), "x").await.unwrap_err()
            };
            assert_eq!(err.code, code, "{name}");
            assert_eq!(err.class, error::classify(code), "{name}");
            continue;
        }
        match name {
            "cs_send_text_success.json" | "cs_send_text_success_reply_quota_after_2026_03.json" => {
                let s = c.send_text("t", &to(), "x").await.unwrap();
                assert_eq!(s.quota_type.as_deref(), Some("reply"), "{name}");
            }
            "cs_send_text_success_paid_no_quota.json" => {
                assert_eq!(c.send_text("t", &to(), "x").await.unwrap().quota_type, None);
            }
            "transaction_send_success_legacy.json" | "template_uid_send_success.json" => {
                let s = c.send_template_uid("t", "1", "1", &data).await.unwrap();
                assert_eq!(s.quota_type.as_deref(), Some("purchase_quota"));
            }
            "upload_file_success.json" => {
                let t = c
                    .upload_file("t", "a.pdf", b"%PDF".to_vec(), "application/pdf")
                    .await
                    .unwrap();
                assert_eq!(t, "12i8LV3BcmmQwQ2aHn0tX0yQWpg3uXa7mGZM");
            }
            "upload_image_success.json" => {
                // same envelope; the attachment id is the only data field
                assert!(
                    c.upload_file("t", "a.pdf", b"%PDF".to_vec(), "application/pdf")
                        .await
                        .is_err(),
                    "no token in an image answer"
                );
            }
            "user_detail_success.json" => {
                let u = c.user_detail("t", "7001234567890123456").await.unwrap();
                assert!(u.is_follower);
                assert_eq!(u.shared_phone.as_deref(), Some("84912345678"));
            }
            "quota_message_by_user_success.json" => {
                assert_eq!(
                    c.last_interaction_ms("t", "1").await.unwrap(),
                    Some(1_795_392_060_000)
                );
            }
            "token_success_authorization_code.json" | "token_success_refresh.json" => {
                let p = c.refresh(&app(), "r").await.unwrap();
                assert_eq!(p.expires_in.as_secs(), 90_000);
            }
            "token_error_invalid_refresh_token_ILLUSTRATIVE.json" => {
                assert!(matches!(
                    c.refresh(&app(), "r").await,
                    Err(TokenError::Refused { code: -14014, .. })
                ));
            }
            "token_error_invalid_redirect_uri_-14003_ILLUSTRATIVE.json" => {
                assert!(matches!(
                    c.exchange_code(&app(), "c", "v").await,
                    Err(TokenError::Refused { code: -14003, .. })
                ));
            }
            "zns_send_success.json" | "zns_send_success_development_mode.json" => {
                let s = c
                    .send_zns("t", &phone, "1", &data, "t1", false)
                    .await
                    .unwrap();
                assert_eq!(s.remaining_quota.map(|q| q >= 498), Some(true));
            }
            "zns_message_status_delivered.json" | "zns_quota_success.json" => {
                // read-only endpoints we do not call yet: the envelope still parses as success
                let v: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(format!(
                        "{}/tests/fixtures/zalo-api-responses/{name}",
                        env!("CARGO_MANIFEST_DIR")
                    ))
                    .unwrap(),
                )
                .unwrap();
                assert_eq!(v["error"], 0);
            }
            other => panic!("no check for sample {other}"),
        }
    }
}
