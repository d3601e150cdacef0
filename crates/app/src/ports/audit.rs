//! The staff audit trail.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use motcua_domain::TenantId;
use motcua_domain::audit::AuditEntry;

use super::StoreResult;

#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry, kept until `expires_at` (the tenant's `retention.audit`); entries are
    /// never changed.
    async fn append_audit(&self, entry: &AuditEntry, expires_at: DateTime<Utc>) -> StoreResult<()>;
    /// A Vietnam calendar day's entries, newest first, at most `limit`.
    async fn audit_entries(
        &self,
        tenant: &TenantId,
        day: NaiveDate,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>>;
}
