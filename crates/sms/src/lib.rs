//! Brandname SMS through an eSMS-style gateway (`POST
//! /MainService.svc/json/SendMultipleMessage_V4_post_json/`, customer-care `SmsType` 2), the
//! adapter of `motcua_app::sms::SmsGateway`. Each tenant has its own account (API key and
//! secret key); the base URL is configurable, so tests and on-premises deployments point it
//! at a fake or at the province's contracted gateway.
//!
//! The gateway answers HTTP 200 with `CodeResult`: `100` accepted (with `SMSID`), `124` a
//! request id already accepted (our retry of a send that went: accepted, never sent twice),
//! `99` / `108` this phone cannot receive, the rest our account, brandname or template.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use motcua_app::messenger::{Delivered, SendError, SendFailure};
use motcua_app::sms::{Sms, SmsGateway};
use motcua_domain::TenantId;
use serde_json::{Value, json};

/// The public eSMS API.
pub const ESMS_BASE: &str = "https://rest.esms.vn";
const PATH: &str = "/MainService.svc/json/SendMultipleMessage_V4_post_json/";

/// One tenant's gateway account.
#[derive(Clone)]
pub struct Credentials {
    pub api_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { .. }")
    }
}

/// The gateway client for every tenant that has an account.
pub struct EsmsGateway {
    http: reqwest::Client,
    base: String,
    accounts: HashMap<TenantId, Credentials>,
}

impl EsmsGateway {
    pub fn new(base: impl Into<String>, accounts: HashMap<TenantId, Credentials>) -> Self {
        // ring and the system's roots, read once per process (motcua-tls)
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(motcua_tls::client_config())
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .expect("reqwest client with static settings");
        EsmsGateway {
            http,
            base: base.into().trim_end_matches('/').to_string(),
            accounts,
        }
    }
}

fn failure(failure: SendFailure, detail: String) -> SendError {
    SendError {
        failure,
        detail,
        zalo_code: None,
    }
}

/// What an answer code means for the notifier.
pub fn classify(code: &str) -> Result<(), SendFailure> {
    match code {
        "100" | "124" => Ok(()),
        // the phone is blocked at the gateway, or not a phone number
        "99" | "108" => Err(SendFailure::RecipientPermanent),
        // keys, price list, balance, brandname, IP allow-list, template, network, type: ours
        _ => Err(SendFailure::Configuration),
    }
}

/// The gateway's own words with every number of six digits or more cut out, also when it is
/// written with spaces, dots, dashes or a `+` (`+84 906 591 985`): a phone number that it
/// might quote never reaches a log or the ledger.
fn without_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let joins = |c: char| matches!(c, ' ' | '.' | '-');
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if !starts {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // the number: digits, and single separators between digits
        let mut end = i + 1;
        while end < chars.len() {
            let next_is_digit = chars.get(end + 1).is_some_and(char::is_ascii_digit);
            if chars[end].is_ascii_digit() || (joins(chars[end]) && next_is_digit) {
                end += 1;
            } else {
                break;
            }
        }
        let number: String = chars[i..end].iter().collect();
        let digits = number.chars().filter(char::is_ascii_digit).count();
        out.push_str(if digits >= 6 { "…" } else { &number });
        i = end;
    }
    out
}

#[async_trait]
impl SmsGateway for EsmsGateway {
    async fn send_sms(&self, tenant: &TenantId, sms: &Sms<'_>) -> Result<Delivered, SendError> {
        let Some(account) = self.accounts.get(tenant) else {
            return Err(failure(
                SendFailure::Configuration,
                format!("tenant {tenant} has no SMS gateway keys (sms_api_key, sms_secret_key)"),
            ));
        };
        let body = json!({
            "ApiKey": account.api_key,
            "SecretKey": account.secret_key,
            "Phone": sms.phone.international(),
            "Content": sms.text,
            "Brandname": sms.brandname,
            "SmsType": "2",
            "IsUnicode": if sms.unicode { "1" } else { "0" },
            "Sandbox": "0",
            "RequestId": sms.request_id,
        });
        let transient = |e: reqwest::Error| {
            let kind = if e.is_timeout() {
                "timeout"
            } else {
                "request failed"
            };
            failure(
                SendFailure::Transient,
                format!("SMS gateway {kind}: {}", e.without_url()),
            )
        };
        let response = self
            .http
            .post(format!("{}{PATH}", self.base))
            .json(&body)
            .send()
            .await
            .map_err(transient)?;
        let status = response.status();
        if status.as_u16() == 429 {
            return Err(failure(
                SendFailure::RateLimited {
                    retry_after: Duration::from_secs(60),
                },
                "SMS gateway rate limited (HTTP 429)".into(),
            ));
        }
        let answer: Value = response.json().await.map_err(transient)?;
        let Some(code) = answer.get("CodeResult").and_then(Value::as_str) else {
            let kind = if status.is_server_error() {
                SendFailure::Transient
            } else {
                SendFailure::Configuration
            };
            return Err(failure(
                kind,
                format!("SMS gateway answered HTTP {status} without CodeResult"),
            ));
        };
        match classify(code) {
            Ok(()) => {
                let id = answer.get("SMSID").and_then(Value::as_str);
                // 124: this request id was accepted before; the SMS is the one sent then
                let message_id =
                    id.map_or_else(|| format!("req-{}", sms.request_id), str::to_string);
                Ok(Delivered { message_id })
            }
            Err(kind) => {
                // the gateway's message names the field it refuses, never the phone
                let said = answer
                    .get("ErrorMessage")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Err(failure(
                    kind,
                    format!("SMS gateway code {code}: {}", without_numbers(said)),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_never_leave_in_the_gateways_words() {
        assert_eq!(
            without_numbers("Phone 0906591985 is blocked (code 99)"),
            "Phone … is blocked (code 99)"
        );
        assert_eq!(without_numbers("84906591985"), "…");
        assert_eq!(
            without_numbers("Số +84 906 591 985 bị chặn"),
            "Số … bị chặn"
        );
        assert_eq!(without_numbers("phone 0906.591.985."), "phone ….");
        assert_eq!(without_numbers("0906-591-985"), "…");
        assert_eq!(without_numbers("code 146, 2 times"), "code 146, 2 times");
        assert_eq!(without_numbers("Authorize Failed"), "Authorize Failed");
    }

    #[test]
    fn answer_codes_decide_the_next_step() {
        assert_eq!(classify("100"), Ok(()));
        assert_eq!(
            classify("124"),
            Ok(()),
            "a repeated request id was sent once"
        );
        for recipient in ["99", "108"] {
            assert_eq!(classify(recipient), Err(SendFailure::RecipientPermanent));
        }
        for ours in [
            "101", "102", "103", "104", "140", "146", "177", "300", "999",
        ] {
            assert_eq!(classify(ours), Err(SendFailure::Configuration), "{ours}");
        }
    }
}
