//! Webhook signature: `X-ZEvent-Signature: mac=<hex>` where
//! `hex = lowercase_hex(SHA-256(app_id ‖ raw body ‖ timestamp ‖ OA secret key))` over the body
//! bytes exactly as received (not HMAC; zalo-platform.md §1.2). Sources disagree on the secret
//! (OA secret vs app secret) and on the first term (app id vs OA id); the alternatives are tried
//! only when a tenant's settings allow them, and the caller counts which variant matched.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const HEADER: &str = "x-zevent-signature";

/// One tenant's (OA's) verification settings. `Debug` prints no secret.
#[derive(Clone)]
pub struct SignatureSettings {
    /// Zalo App ids whose events this OA accepts.
    pub app_ids: Vec<String>,
    pub oa_id: String,
    pub oa_secret_key: String,
    /// Fallback: also accept a signature made with the app secret (onboarding only).
    pub app_secret_fallback: Option<String>,
    /// Fallback: also accept the OA id as the first term (onboarding only).
    pub allow_oa_id_first_term: bool,
}

impl std::fmt::Debug for SignatureSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureSettings")
            .field("app_ids", &self.app_ids)
            .field("oa_id", &self.oa_id)
            .field("app_secret_fallback", &self.app_secret_fallback.is_some())
            .field("allow_oa_id_first_term", &self.allow_oa_id_first_term)
            .finish_non_exhaustive()
    }
}

/// Which formula matched: the figure operators watch while onboarding an OA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    AppIdOaSecret,
    AppIdAppSecret,
    OaIdOaSecret,
    OaIdAppSecret,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::AppIdOaSecret => "app_id+oa_secret",
            Variant::AppIdAppSecret => "app_id+app_secret",
            Variant::OaIdOaSecret => "oa_id+oa_secret",
            Variant::OaIdAppSecret => "oa_id+app_secret",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-ZEvent-Signature header")]
    MissingHeader,
    #[error("X-ZEvent-Signature is not 64 hex characters (with or without the mac= prefix)")]
    MalformedHeader,
    #[error("app_id {0:?} is not configured for this OA")]
    UnknownApp(String),
    #[error("signature does not match")]
    Mismatch,
}

/// Verifies `header` for `raw` whose `app_id` and `timestamp` fields (as they appear in the
/// body) are given. Returns the variant that matched.
pub fn verify(
    settings: &SignatureSettings,
    header: Option<&str>,
    raw: &[u8],
    app_id: &str,
    timestamp: &str,
) -> Result<Variant, SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader)?.trim();
    let hex_part = header.strip_prefix("mac=").unwrap_or(header);
    let mut got = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut got).map_err(|_| SignatureError::MalformedHeader)?;
    if !settings.app_ids.iter().any(|a| a == app_id) {
        return Err(SignatureError::UnknownApp(app_id.to_string()));
    }
    let mut candidates = vec![(
        Variant::AppIdOaSecret,
        app_id,
        settings.oa_secret_key.as_str(),
    )];
    if let Some(app_secret) = &settings.app_secret_fallback {
        candidates.push((Variant::AppIdAppSecret, app_id, app_secret.as_str()));
    }
    if settings.allow_oa_id_first_term {
        candidates.push((
            Variant::OaIdOaSecret,
            &settings.oa_id,
            &settings.oa_secret_key,
        ));
        if let Some(app_secret) = &settings.app_secret_fallback {
            candidates.push((Variant::OaIdAppSecret, &settings.oa_id, app_secret.as_str()));
        }
    }
    candidates
        .into_iter()
        .find(|(_, first, secret)| mac(first, raw, timestamp, secret).ct_eq(&got).into())
        .map(|(v, _, _)| v)
        .ok_or(SignatureError::Mismatch)
}

/// [`verify`], counting the outcome in metric `WebhookSignature` with dimension `Result`
/// (`app_id+oa_secret`, …, or the error kind) so that operators see which formula Zalo uses.
pub fn verify_counted(
    settings: &SignatureSettings,
    header: Option<&str>,
    raw: &[u8],
    app_id: &str,
    timestamp: &str,
    metrics: &dyn motcua_app::metrics::Metrics,
) -> Result<Variant, SignatureError> {
    let result = verify(settings, header, raw, app_id, timestamp);
    let label = match &result {
        Ok(v) => v.as_str(),
        Err(SignatureError::MissingHeader) => "missing_header",
        Err(SignatureError::MalformedHeader) => "malformed_header",
        Err(SignatureError::UnknownApp(_)) => "unknown_app",
        Err(SignatureError::Mismatch) => "mismatch",
    };
    metrics.count("WebhookSignature", 1.0, &[("Result", label)]);
    result
}

/// The raw digest; `sign` gives the header value.
pub fn mac(first: &str, raw: &[u8], timestamp: &str, secret: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(first.as_bytes());
    h.update(raw);
    h.update(timestamp.as_bytes());
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// The header value Zalo would send: `mac=<lowercase hex>`. Used by the Zalo fake and tests.
pub fn sign(app_id: &str, raw: &[u8], timestamp: &str, secret: &str) -> String {
    format!("mac={}", hex::encode(mac(app_id, raw, timestamp, secret)))
}

/// Oldest signed body accepted. Zalo re-sends a failed delivery with the same body and the same
/// timestamp after 30 s, 5 min, 15 min, 30 min and 1 h (about 1 h 51 min in all,
/// zalo-platform.md §1.3); half an hour more covers its scheduling. Older bodies are replays.
pub const MAX_AGE: chrono::Duration = chrono::Duration::minutes(150);
/// Clock skew tolerated for a timestamp in the future.
pub const MAX_AHEAD: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Freshness {
    #[error("timestamp {0:?} is not epoch milliseconds")]
    Unreadable(String),
    #[error("signed body is {0} min old (more than Zalo's retries): a replay")]
    TooOld(i64),
    #[error("signed body is dated {0} min in the future")]
    Ahead(i64),
}

/// The replay rule for a body whose signature matched: its `timestamp` (epoch milliseconds, the
/// signed value) is within [`MAX_AGE`] before `now` and [`MAX_AHEAD`] after it. Inside the
/// window, a re-sent body is de-duplicated by the event's idempotency key instead.
pub fn check_fresh(timestamp: &str, now: chrono::DateTime<chrono::Utc>) -> Result<(), Freshness> {
    let at = timestamp
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .ok_or_else(|| Freshness::Unreadable(timestamp.chars().take(20).collect()))?;
    let age = now - at;
    if age > MAX_AGE {
        return Err(Freshness::TooOld(age.num_minutes()));
    }
    if -age > MAX_AHEAD {
        return Err(Freshness::Ahead((-age).num_minutes()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_signed_body_is_fresh_for_the_length_of_zalos_retries() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
            .unwrap()
            .to_utc();
        let ms = |minutes_ago: i64| {
            (now - chrono::Duration::minutes(minutes_ago))
                .timestamp_millis()
                .to_string()
        };
        assert_eq!(check_fresh(&ms(0), now), Ok(()));
        assert_eq!(check_fresh(&ms(60), now), Ok(()), "Zalo's last retry");
        assert_eq!(check_fresh(&ms(111), now), Ok(()));
        assert_eq!(check_fresh(&ms(150), now), Ok(()));
        assert_eq!(check_fresh(&ms(151), now), Err(Freshness::TooOld(151)));
        assert_eq!(check_fresh(&ms(180), now), Err(Freshness::TooOld(180)));
        assert_eq!(check_fresh(&ms(-5), now), Ok(()));
        assert_eq!(check_fresh(&ms(-6), now), Err(Freshness::Ahead(6)));
        assert!(matches!(
            check_fresh("soon", now),
            Err(Freshness::Unreadable(_))
        ));
    }

    use super::*;

    fn settings() -> SignatureSettings {
        SignatureSettings {
            app_ids: vec!["1234567890".into()],
            oa_id: "579745863508352884".into(),
            oa_secret_key: "oa-secret".into(),
            app_secret_fallback: None,
            allow_oa_id_first_term: false,
        }
    }

    const BODY: &[u8] = r#"{"app_id":"1234567890","event_name":"user_send_text","timestamp":"1795392060000","message":{"text":"Hồ sơ của tôi"}}"#.as_bytes();
    const TS: &str = "1795392060000";

    #[test]
    fn valid_signature_with_and_without_prefix() {
        let header = sign("1234567890", BODY, TS, "oa-secret");
        assert!(header.starts_with("mac=") && header.len() == 68);
        let ok = |h: &str| verify(&settings(), Some(h), BODY, "1234567890", TS);
        assert_eq!(ok(&header), Ok(Variant::AppIdOaSecret));
        assert_eq!(ok(&header[4..]), Ok(Variant::AppIdOaSecret));
        assert_eq!(ok(&format!("  {header} ")), Ok(Variant::AppIdOaSecret));
        assert_eq!(
            ok(&header.to_uppercase().replace("MAC=", "mac=")),
            Ok(Variant::AppIdOaSecret)
        );
    }

    #[test]
    fn tampered_byte_wrong_secret_missing_or_malformed_header_fail() {
        let s = settings();
        let header = sign("1234567890", BODY, TS, "oa-secret");
        let mut tampered = BODY.to_vec();
        tampered[40] ^= 1;
        assert_eq!(
            verify(&s, Some(&header), &tampered, "1234567890", TS),
            Err(SignatureError::Mismatch)
        );
        let wrong = sign("1234567890", BODY, TS, "other-secret");
        assert_eq!(
            verify(&s, Some(&wrong), BODY, "1234567890", TS),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&s, Some(&header), BODY, "1234567890", "1795392060001"),
            Err(SignatureError::Mismatch),
            "the timestamp is part of the MAC"
        );
        assert_eq!(
            verify(&s, None, BODY, "1234567890", TS),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            verify(&s, Some("mac=xyz"), BODY, "1234567890", TS),
            Err(SignatureError::MalformedHeader)
        );
        assert_eq!(
            verify(&s, Some(&header), BODY, "999", TS),
            Err(SignatureError::UnknownApp("999".into()))
        );
    }

    #[test]
    fn fallbacks_only_when_enabled_and_reported() {
        let by_app_secret = sign("1234567890", BODY, TS, "app-secret");
        let by_oa_id = sign("579745863508352884", BODY, TS, "oa-secret");
        let s = settings();
        assert_eq!(
            verify(&s, Some(&by_app_secret), BODY, "1234567890", TS),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&s, Some(&by_oa_id), BODY, "1234567890", TS),
            Err(SignatureError::Mismatch)
        );
        let mut s = settings();
        s.app_secret_fallback = Some("app-secret".into());
        s.allow_oa_id_first_term = true;
        assert_eq!(
            verify(&s, Some(&by_app_secret), BODY, "1234567890", TS),
            Ok(Variant::AppIdAppSecret)
        );
        assert_eq!(
            verify(&s, Some(&by_oa_id), BODY, "1234567890", TS),
            Ok(Variant::OaIdOaSecret)
        );
        let both = sign("579745863508352884", BODY, TS, "app-secret");
        assert_eq!(
            verify(&s, Some(&both), BODY, "1234567890", TS),
            Ok(Variant::OaIdAppSecret)
        );
        assert!(
            !format!("{s:?}").contains("secret\""),
            "Debug hides secrets"
        );
        assert!(!format!("{s:?}").contains("oa-secret"));
    }

    #[test]
    fn outcomes_are_counted_by_variant() {
        let m = motcua_app::metrics::RecordingMetrics::default();
        let mut s = settings();
        s.app_secret_fallback = Some("app-secret".into());
        let good = sign("1234567890", BODY, TS, "oa-secret");
        let fallback = sign("1234567890", BODY, TS, "app-secret");
        for h in [
            Some(good.as_str()),
            Some(fallback.as_str()),
            Some(fallback.as_str()),
            None,
            Some("mac=00"),
        ] {
            let _ = verify_counted(&s, h, BODY, "1234567890", TS, &m);
        }
        assert_eq!(
            m.total_where("WebhookSignature", "Result", "app_id+oa_secret"),
            1.0
        );
        assert_eq!(
            m.total_where("WebhookSignature", "Result", "app_id+app_secret"),
            2.0
        );
        assert_eq!(
            m.total_where("WebhookSignature", "Result", "missing_header"),
            1.0
        );
        assert_eq!(
            m.total_where("WebhookSignature", "Result", "malformed_header"),
            1.0
        );
    }
}
