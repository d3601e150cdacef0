//! The eSMS adapter against the strict gateway fake: what it sends, and how every answer is
//! read (accepted, a repeated request id, the citizen's phone, our configuration, the
//! gateway's outages).

use std::collections::HashMap;

use motcua_app::messenger::SendFailure;
use motcua_app::sms::{Sms, SmsGateway};
use motcua_domain::{PhoneNumber, TenantId};
use motcua_sms::{Credentials, EsmsGateway};
use motcua_sms_fake::{Fault, SmsFake};

const TEMPLATE: &str = "Ho so {ma_ho_so} da co ket qua. Moi ong/ba nhan tai Bo phan Mot cua hoac chon nhan qua buu chinh tren Zalo OA.";
const TEXT: &str = "Ho so 000.00.04.H60-261110-0028 da co ket qua. Moi ong/ba nhan tai Bo phan Mot cua hoac chon nhan qua buu chinh tren Zalo OA.";

fn tenant() -> TenantId {
    TenantId::parse("tuyen-quang").unwrap()
}

async fn gateway(secret: &str) -> (SmsFake, EsmsGateway) {
    let fake = SmsFake::start().await;
    fake.add_account("api-tq", "secret-tq");
    fake.add_brandname("UBND-TQ");
    fake.register_template(TEMPLATE);
    let accounts = HashMap::from([(
        tenant(),
        Credentials {
            api_key: "api-tq".into(),
            secret_key: secret.into(),
        },
    )]);
    let gateway = EsmsGateway::new(fake.base_url.clone(), accounts);
    (fake, gateway)
}

fn sms<'a>(phone: &'a PhoneNumber, text: &'a str, request_id: &'a str) -> Sms<'a> {
    Sms {
        brandname: "UBND-TQ",
        phone,
        text,
        unicode: false,
        request_id,
    }
}

#[tokio::test]
async fn a_customer_care_sms_is_sent_once_whatever_the_retries() {
    let (fake, gateway) = gateway("secret-tq").await;
    let phone = PhoneNumber::parse("0906 591 985").unwrap();
    let first = gateway
        .send_sms(&tenant(), &sms(&phone, TEXT, "n-ev-1"))
        .await
        .unwrap();
    let again = gateway
        .send_sms(&tenant(), &sms(&phone, TEXT, "n-ev-1"))
        .await
        .unwrap();
    assert_eq!(first.message_id.len(), 32, "the gateway's SMSID");
    assert_eq!(again.message_id, "req-n-ev-1", "124: the one sent before");
    let records = fake.records();
    assert_eq!(records.len(), 2);
    assert_eq!(fake.accepted().len(), 1, "one SMS reached the phone");
    assert_eq!(records[1].code, "124");
    let body = &records[0].body;
    assert_eq!(body["Phone"], "84906591985");
    assert_eq!(body["SmsType"], "2");
    assert_eq!(body["IsUnicode"], "0");
    assert_eq!(body["Brandname"], "UBND-TQ");
    assert_eq!(body["Content"], TEXT);
}

#[tokio::test]
async fn every_refusal_is_read_as_the_next_step() {
    let (fake, gateway) = gateway("secret-tq").await;
    let phone = PhoneNumber::parse("0906591985").unwrap();
    fake.block_phone("84906591985");
    let e = gateway
        .send_sms(&tenant(), &sms(&phone, TEXT, "blocked"))
        .await
        .unwrap_err();
    assert_eq!(e.failure, SendFailure::RecipientPermanent);
    assert!(!e.detail.contains("906591985"), "{}", e.detail);

    let other = PhoneNumber::parse("0987123456").unwrap();
    let with = |text: &'static str, id: &'static str| {
        let other = other.clone();
        let gateway = &gateway;
        async move { gateway.send_sms(&tenant(), &sms(&other, text, id)).await }
    };
    let e = with("Ho so X: noi dung chua dang ky.", "t1")
        .await
        .unwrap_err();
    assert_eq!(
        e.failure,
        SendFailure::Configuration,
        "146: no such template"
    );
    assert!(e.detail.contains("146"), "{}", e.detail);
    let e = with("Hồ sơ 000.00.04.H60-261110-0028 đã có kết quả.", "t2")
        .await
        .unwrap_err();
    assert_eq!(
        e.failure,
        SendFailure::Configuration,
        "diacritics without Unicode"
    );

    fake.fail_next(Fault::Code("103"));
    let e = with(TEXT, "t3").await.unwrap_err();
    assert_eq!(e.failure, SendFailure::Configuration, "103: out of balance");
    fake.fail_next(Fault::Http(503));
    assert_eq!(
        with(TEXT, "t4").await.unwrap_err().failure,
        SendFailure::Transient
    );
    fake.fail_next(Fault::Http(429));
    assert!(matches!(
        with(TEXT, "t5").await.unwrap_err().failure,
        SendFailure::RateLimited { .. }
    ));
    // after the outage the same request goes, once
    with(TEXT, "t4").await.unwrap();
    assert_eq!(fake.accepted().len(), 1);

    let unknown = TenantId::parse("bac-ninh").unwrap();
    let e = gateway
        .send_sms(&unknown, &sms(&other, TEXT, "t6"))
        .await
        .unwrap_err();
    assert_eq!(
        e.failure,
        SendFailure::Configuration,
        "no account for the tenant"
    );
}

#[tokio::test]
async fn wrong_keys_are_our_configuration() {
    let (fake, gateway) = gateway("not-the-secret").await;
    let phone = PhoneNumber::parse("0906591985").unwrap();
    let e = gateway
        .send_sms(&tenant(), &sms(&phone, TEXT, "k1"))
        .await
        .unwrap_err();
    assert_eq!(e.failure, SendFailure::Configuration);
    assert_eq!(fake.records()[0].code, "101");
    assert!(
        !format!("{e}").contains("not-the-secret"),
        "no key in errors: {e}"
    );
}
