//! What we keep about the Zalo side: an OA's users, its tokens, and the messages it sent.

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
