//! What we keep about the Zalo side: an OA's users (and the phones they claim and prove), its
//! tokens, and the messages it sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DossierCode, Protected, TenantId};

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
/// is not proven yet: a one-time code went to it by ZNS, and the user must type it in the chat.
/// Until then the phone unlocks nothing and moves no notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneClaim {
    pub phone: Protected,
    /// Keyed hash of the code, bound to the user; never the code itself.
    pub code_hash: String,
    pub expires_at: DateTime<Utc>,
    /// Wrong codes still accepted before the claim is dropped.
    pub tries_left: u8,
}

/// Digits of a one-time code.
pub const OTP_DIGITS: usize = 6;
/// How long a one-time code is valid.
pub const OTP_VALID: chrono::Duration = chrono::Duration::minutes(5);
/// Wrong codes accepted per code.
pub const OTP_TRIES: u8 = 3;
/// Codes sent to one Zalo user per Vietnam day.
pub const OTP_PER_DAY: i64 = 3;

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

/// Which dossier event a message Zalo accepted belongs to, so that delivery receipts
/// (`user_received_message`, `user_seen_message`) can be shown in the dossier's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub tenant: TenantId,
    pub code: DossierCode,
    pub event_id: String,
    /// `zalo_cs_free`, `zns`…
    pub channel: String,
}
