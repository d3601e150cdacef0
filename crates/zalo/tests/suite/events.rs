//! Webhook bodies in the shapes of zalo-platform.md §1.5 (events/zalo-webhook/*.json) parse to
//! typed events, verify with the signature Zalo computes, and map retries to the same key.

use motcua_zalo::events::{Attachment, Envelope, Event, SharedInfo, WebhookEvent};
use motcua_zalo::signature::{self, SignatureSettings, Variant};

const OA: &str = "579745863508352884";
const USER: &str = "7001234567890123456";

fn body(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../events/zalo-webhook/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn parse(name: &str) -> WebhookEvent {
    WebhookEvent::parse(&body(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn lifecycle_events() {
    let e = parse("follow");
    assert_eq!(e.envelope.oa_id.as_deref(), Some(OA));
    assert_eq!(
        e.event,
        Event::Follow {
            user_id: USER.into(),
            source: Some("oa_profile".into())
        }
    );
    assert_eq!(
        parse("unfollow").event,
        Event::Unfollow {
            user_id: USER.into()
        }
    );
    let chat = parse("user_click_chatnow");
    assert_eq!(
        chat.event,
        Event::ClickChatNow {
            user_id: USER.into()
        }
    );
    assert_eq!(chat.envelope.oa_id.as_deref(), Some(OA));
    assert_eq!(
        parse("user_withdraw").event,
        Event::UserWithdraw {
            user_id: USER.into()
        }
    );
}

#[test]
fn user_messages_with_attachments() {
    match parse("user_send_text").event {
        Event::UserMessage {
            kind,
            user_id,
            msg_id,
            text,
            ..
        } => {
            assert_eq!(
                (kind.as_str(), user_id.as_str(), msg_id.as_str()),
                ("text", USER, "a1b2c3d4e5f60718293a")
            );
            assert_eq!(text.as_deref(), Some("TTHC 000.00.04.H60-261110-0028"));
        }
        other => panic!("{other:?}"),
    }
    let numeric = parse("user_send_text_numeric_timestamp");
    assert_eq!(numeric.timestamp_ms, 1_795_392_061_000);
    assert_eq!(numeric.envelope.timestamp, "1795392061000");
    let attachments = |name: &str| match parse(name).event {
        Event::UserMessage { attachments, .. } => attachments,
        other => panic!("{other:?}"),
    };
    let img = &attachments("user_send_image")[0];
    assert_eq!(
        (img.kind.as_str(), img.url.as_deref()),
        ("image", Some("https://photo-stal.zadn.vn/full.jpg"))
    );
    let file = &attachments("user_send_file")[0];
    assert_eq!(
        (file.name.as_deref(), file.size.as_deref()),
        (Some("giay-to.pdf"), Some("204800"))
    );
    let loc = Attachment {
        kind: "location".into(),
        latitude: Some("21.8233".into()),
        longitude: Some("105.2140".into()),
        ..Attachment::default()
    };
    assert_eq!(attachments("user_send_location"), vec![loc.clone()]);
    assert_eq!(
        attachments("user_send_location_legacy"),
        vec![loc],
        "the message.location form is tolerated"
    );
    assert_eq!(
        attachments("user_send_sticker")[0].sticker_id.as_deref(),
        Some("bfe458bf64fa8da4d4eb")
    );
}

#[test]
fn submit_info_in_both_shapes() {
    let want = SharedInfo {
        name: Some("Nguyễn Thị Thanh Mẫn".into()),
        phone: Some("84906591985".into()),
        address: Some("Tổ 5".into()),
        city: Some("Tuyên Quang".into()),
    };
    for name in ["user_submit_info_classic", "user_submit_info_full_address"] {
        assert_eq!(
            parse(name).event,
            Event::SubmitInfo {
                user_id: USER.into(),
                info: want.clone()
            },
            "{name}"
        );
    }
}

#[test]
fn receipts_and_echoes() {
    let oa_receipt = parse("user_received_message");
    assert_eq!(
        oa_receipt.event,
        Event::OaDelivered {
            user_id: USER.into(),
            msg_id: "0a1b2c3d4e5f60718293".into()
        }
    );
    assert_eq!(
        oa_receipt.envelope.oa_id.as_deref(),
        Some(OA),
        "OA→user events route by sender"
    );
    assert_eq!(
        parse("user_received_message_zns").event,
        Event::ZnsDelivered {
            phone: "84906591985".into(),
            msg_id: "a4d0243feee163bd3af2".into(),
            tracking_id: Some("hs-000.00.04.H60-261110-0028-received".into()),
            delivery_time_ms: Some(1_795_392_065_000),
        }
    );
    assert_eq!(
        parse("user_seen_message").event,
        Event::OaSeen {
            user_id: USER.into(),
            msg_ids: vec!["0a1b2c3d4e5f60718293".into(), "1a1b2c3d4e5f60718294".into()]
        }
    );
    match parse("oa_send_text").event {
        Event::OaEcho { admin_id, text, .. } => {
            assert_eq!(admin_id.as_deref(), Some("3561234567890"));
            assert!(text.unwrap().starts_with("Chào anh/chị"));
        }
        other => panic!("{other:?}"),
    }
    let unknown = parse("change_template_status");
    assert_eq!(unknown.event, Event::Unknown);
    assert_eq!(unknown.envelope.oa_id.as_deref(), Some(OA));
}

#[test]
fn idempotency_keys_follow_message_ids_or_event_identity() {
    assert_eq!(
        parse("user_send_text").idempotency_key(),
        format!("zalo:{OA}:msg:a1b2c3d4e5f60718293a")
    );
    assert_eq!(
        parse("follow").idempotency_key(),
        format!("zalo:{OA}:follow:1795392060000:{USER}")
    );
    assert_ne!(
        parse("follow").idempotency_key(),
        parse("unfollow").idempotency_key()
    );
    let keys: std::collections::HashSet<String> = std::fs::read_dir(format!(
        "{}/../../events/zalo-webhook",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .filter_map(|e| {
        e.unwrap()
            .file_name()
            .into_string()
            .ok()?
            .strip_suffix(".json")
            .map(str::to_string)
    })
    .map(|n| parse(&n).idempotency_key())
    .collect();
    // 18 fixtures; the two user_submit_info files are one event in two shapes (same key)
    assert_eq!(keys.len(), 17, "distinct events get distinct keys");
}

#[test]
fn malformed_bodies_are_refused_with_a_reason() {
    assert!(Envelope::parse(b"not json").is_err());
    assert!(Envelope::parse(b"[1,2]").is_err());
    assert!(Envelope::parse(br#"{"app_id":"1","timestamp":"1"}"#).is_err());
    assert!(
        WebhookEvent::parse(
            br#"{"event_name":"user_send_text","app_id":"1","timestamp":"1","sender":{"id":"u"}}"#
        )
        .is_err()
    );
    assert!(
        WebhookEvent::parse(
            br#"{"event_name":"follow","app_id":"1","timestamp":"soon","follower":{"id":"u"}}"#
        )
        .is_err()
    );
}

#[test]
fn every_fixture_verifies_with_the_signature_zalo_computes() {
    let settings = SignatureSettings {
        app_ids: vec!["1234567890123456789".into()],
        oa_id: OA.into(),
        oa_secret_key: "test-oa-secret".into(),
        app_secret_fallback: None,
        allow_oa_id_first_term: false,
    };
    for name in [
        "user_send_text",
        "user_send_text_numeric_timestamp",
        "follow",
        "user_submit_info_full_address",
    ] {
        let raw = body(name);
        let (env, _) = Envelope::parse(&raw).unwrap();
        let header = signature::sign(&env.app_id, &raw, &env.timestamp, "test-oa-secret");
        assert_eq!(
            signature::verify(&settings, Some(&header), &raw, &env.app_id, &env.timestamp),
            Ok(Variant::AppIdOaSecret),
            "{name}"
        );
    }
}
