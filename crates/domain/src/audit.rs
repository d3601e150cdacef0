//! The staff audit trail's entry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::TenantId;

/// One staff action, kept for the audit trail: who, when, what, on what, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub tenant: TenantId,
    pub at: DateTime<Utc>,
    /// The staff member's username.
    pub actor: String,
    /// `ticket.view`, `ticket.reveal`, `ticket.answer`, `announcement.send`, `login`…
    pub action: String,
    /// `ticket:12`, `announcement:<id>`…; empty when the action has no object.
    pub target: String,
    /// `ok`, `denied`, `not_found`, `failed`.
    pub outcome: String,
    /// Operator English, never personal data.
    #[serde(default)]
    pub detail: Option<String>,
}
