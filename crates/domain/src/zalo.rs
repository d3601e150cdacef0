//! What we keep about the Zalo side: an OA's users (and the phones they claim and prove), its
//! tokens, and the messages it sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::delivery::Subject;
use crate::{Protected, TenantId};

/// A Zalo user as seen by one tenant's OA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZaloUser {
    pub tenant: TenantId,
    /// The OA-scoped user id (a decimal string; never a number).
    pub user_id: String,
    pub following: bool,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// The phone Zalo verified for this user (`user_submit_info`), protected.
    pub phone: Option<Protected>,
    pub phone_linked_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// A phone shared but not proven yet (see [`PhoneClaim`]); `phone` is only ever a proven one.
    #[serde(default)]
    pub phone_claim: Option<PhoneClaim>,
}

/// A phone a user shared (`user_submit_info`: a form the user fills in, so only a claim) that
/// is not proven yet. Two proofs end it: the one-time code that went to the phone by ZNS, or
/// the receipt code of a dossier that carries this phone (shown on the lookup page that the
/// paper receipt's QR opens), typed in the chat. Until then the phone unlocks nothing and
/// moves no notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneClaim {
    pub phone: Protected,
    /// Keyed hash of the one-time code, bound to the user; never the code itself. Empty when
    /// no code was sent (the tenant has no OTP template): only a receipt code proves it then.
    pub code_hash: String,
    /// The end of the claim: the receipt code is accepted until then.
    pub expires_at: DateTime<Utc>,
    /// The end of the one-time code (`OTP_VALID`); `None` in claims made before receipt codes,
    /// whose `expires_at` was the code's.
    #[serde(default)]
    pub code_expires_at: Option<DateTime<Utc>>,
    /// Wrong codes still accepted before the claim is dropped.
    pub tries_left: u8,
}

/// Digits of a one-time code.
pub const OTP_DIGITS: usize = 6;
/// How long a one-time code is valid.
pub const OTP_VALID: chrono::Duration = chrono::Duration::minutes(5);
/// Wrong codes accepted per code.
pub const OTP_TRIES: u8 = 3;
/// Codes sent to one Zalo user per Vietnam day (claims made, with or without a code).
pub const OTP_PER_DAY: i64 = 3;
/// How long a claim waits for a receipt code: time to find the paper and scan its QR.
pub const CLAIM_VALID: chrono::Duration = chrono::Duration::minutes(30);
/// Digits of a receipt code.
pub const RECEIPT_CODE_DIGITS: usize = 8;

/// The digits of a receipt code as a citizen types it: `4821-7730`, `4821 7730`, `48217730`.
pub fn receipt_code_digits(text: &str) -> Option<String> {
    let t = text.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let only_digits_and_one_separator = t
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
        && t.chars().filter(|c| !c.is_ascii_digit()).count() <= 1;
    (digits.len() == RECEIPT_CODE_DIGITS && only_digits_and_one_separator).then_some(digits)
}

/// A receipt code as the lookup page shows it: `4821-7730`.
pub fn format_receipt_code(digits: &str) -> String {
    let (a, b) = digits.split_at(digits.len().min(4));
    format!("{a}-{b}")
}

/// The message is a one-time code (six digits, spaces around allowed).
pub fn is_otp(text: &str) -> bool {
    let t = text.trim();
    t.len() == OTP_DIGITS && t.bytes().all(|b| b.is_ascii_digit())
}

/// An OA's token pair. `Debug` never prints the tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OaTokens {
    pub oa_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_expires_at: DateTime<Utc>,
    /// Increases by one on every rotation; writes are conditional on it.
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for OaTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OaTokens")
            .field("oa_id", &self.oa_id)
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// What a message Zalo accepted was about (its ledger record), so that delivery receipts
/// (`user_received_message`, `user_seen_message`) move the record and, for a dossier notice,
/// show in the dossier's timeline. Flattened like the record's subject: a reference to a
/// dossier notice reads `"code": …, "event_id": …` as it always did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub tenant: TenantId,
    #[serde(flatten)]
    pub subject: Subject,
    /// `zalo_cs_free`, `zns`…
    pub channel: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_codes_are_read_as_typed_and_nothing_else_is() {
        for typed in ["4821-7730", " 4821 7730 ", "48217730"] {
            assert_eq!(
                receipt_code_digits(typed).as_deref(),
                Some("48217730"),
                "{typed}"
            );
        }
        for other in [
            "482177300",
            "4821-773",
            "4821--7730",
            "48-21-7730",
            "123456",
            "TTHC 48217730",
        ] {
            assert_eq!(receipt_code_digits(other), None, "{other}");
        }
        assert_eq!(format_receipt_code("48217730"), "4821-7730");
        assert!(
            !is_otp("48217730"),
            "a receipt code is never taken for a one-time code"
        );
    }
}
