//! Zalo's error codes (zalo-platform.md §2.9 OA API, §4.2 ZNS, §3.2 OAuth) reduced to what the
//! caller must do about them.

use std::time::Duration;

/// What to do about a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The access token is invalid or expired: one coordinated refresh, then one retry.
    TokenRefreshable,
    /// Too many calls: wait `retry_after`, then retry. Per-minute (`-32`), daily (`-144`,
    /// `-147`, `-218` is per recipient and classed below) or night-time (`-133`, `-234`) windows.
    RateLimited {
        retry_after: Duration,
        window: Window,
    },
    /// The user is outside the consultation window or the channel does not reach them:
    /// use the next channel (ZBS by UID, ZNS by phone).
    OutsideWindow,
    /// This recipient cannot get this message (blocked, inactive, refused, bad phone).
    RecipientPermanent,
    /// Our payload, template, permissions, OA state or billing is wrong: no retry, alert.
    Configuration,
    /// Zalo or the network failed; retrying later may succeed.
    Transient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Minute,
    Day,
    Night,
}

impl ErrorClass {
    /// The stable name used in logs, metrics and dead-letter reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::TokenRefreshable => "token_refreshable",
            ErrorClass::RateLimited { .. } => "rate_limited",
            ErrorClass::OutsideWindow => "outside_window",
            ErrorClass::RecipientPermanent => "recipient_permanent",
            ErrorClass::Configuration => "configuration",
            ErrorClass::Transient => "transient",
        }
    }
}

/// Classifies an `error` code from an OA API or ZNS response body.
pub fn classify(code: i64) -> ErrorClass {
    use ErrorClass::*;
    let limited = |secs, window| RateLimited {
        retry_after: Duration::from_secs(secs),
        window,
    };
    match code {
        -216 | -220 | -124 => TokenRefreshable,
        -32 => limited(60, Window::Minute),
        -144 | -147 => limited(6 * 3600, Window::Day),
        -133 | -234 => limited(3600, Window::Night),
        -213 | -230 | -232 | -249 => OutsideWindow,
        -108 | -114 | -118 | -119 | -139 | -141 | -217 | -218 | -227 | -244 => RecipientPermanent,
        // payload, template, permissions, OA state, billing
        -109 | -115 | -117 | -126 | -127 | -131 | -135 | -1351 | -136 | -137 | -146 | -201
        | -204 | -205 | -209 | -210 | -211 | -212 | -219 | -221 | -223 | -224 | -233 | -240
        | -242 | -248 | -320 | -321 | -1121 | -1122 | -1124 => Configuration,
        // -100 (attachment expired on the OA API, unknown error on ZNS) and -200 (send failed)
        // succeed on a later attempt; unknown codes are retried a bounded number of times by
        // the queue before they reach the dead-letter queue.
        _ => Transient,
    }
}

/// A failed Zalo call. `message` is Zalo's text or the transport error; never a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zalo {endpoint} failed with {code} ({}): {message}", class.as_str())]
pub struct ZaloError {
    pub endpoint: &'static str,
    /// Zalo's `error` code; 0 for transport and HTTP failures.
    pub code: i64,
    pub message: String,
    pub class: ErrorClass,
}

impl ZaloError {
    pub fn api(endpoint: &'static str, code: i64, message: impl Into<String>) -> Self {
        ZaloError {
            endpoint,
            code,
            message: message.into(),
            class: classify(code),
        }
    }

    pub fn transient(endpoint: &'static str, message: impl Into<String>) -> Self {
        ZaloError {
            endpoint,
            code: 0,
            message: message.into(),
            class: ErrorClass::Transient,
        }
    }

    /// Refused before sending: the payload breaks a documented limit.
    pub fn invalid(endpoint: &'static str, message: impl Into<String>) -> Self {
        ZaloError {
            endpoint,
            code: 0,
            message: message.into(),
            class: ErrorClass::Configuration,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_the_documented_action() {
        use ErrorClass::*;
        let oa_api: &[(i64, ErrorClass)] = &[
            (-32, classify(-32)),
            (-100, Transient),
            (-200, Transient),
            (-201, Configuration),
            (-204, Configuration),
            (-205, Configuration),
            (-209, Configuration),
            (-210, Configuration),
            (-211, Configuration),
            (-212, Configuration),
            (-213, OutsideWindow),
            (-216, TokenRefreshable),
            (-217, RecipientPermanent),
            (-218, RecipientPermanent),
            (-219, Configuration),
            (-220, TokenRefreshable),
            (-221, Configuration),
            (-223, Configuration),
            (-224, Configuration),
            (-227, RecipientPermanent),
            (-230, OutsideWindow),
            (-232, OutsideWindow),
            (-233, Configuration),
            (-240, Configuration),
            (-242, Configuration),
            (-244, RecipientPermanent),
            (-248, Configuration),
            (-249, OutsideWindow),
            (-320, Configuration),
            (-321, Configuration),
        ];
        let zns: &[(i64, ErrorClass)] = &[
            (-108, RecipientPermanent),
            (-109, Configuration),
            (-1121, Configuration),
            (-1122, Configuration),
            (-1124, Configuration),
            (-114, RecipientPermanent),
            (-115, Configuration),
            (-117, Configuration),
            (-118, RecipientPermanent),
            (-119, RecipientPermanent),
            (-124, TokenRefreshable),
            (-126, Configuration),
            (-127, Configuration),
            (-131, Configuration),
            (-135, Configuration),
            (-1351, Configuration),
            (-136, Configuration),
            (-137, Configuration),
            (-139, RecipientPermanent),
            (-141, RecipientPermanent),
            (-146, Configuration),
        ];
        for (code, want) in oa_api.iter().chain(zns) {
            assert_eq!(classify(*code), *want, "code {code}");
        }
        assert!(matches!(
            classify(-32),
            RateLimited {
                window: Window::Minute,
                ..
            }
        ));
        for code in [-144, -147] {
            assert!(matches!(
                classify(code),
                RateLimited {
                    window: Window::Day,
                    ..
                }
            ));
        }
        for code in [-133, -234] {
            assert!(matches!(
                classify(code),
                RateLimited {
                    window: Window::Night,
                    ..
                }
            ));
        }
        assert_eq!(classify(-99999), Transient);
    }
}
