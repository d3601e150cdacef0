//! The staff audit trail.

use async_trait::async_trait;
use chrono::NaiveDate;
use motcua_domain::TenantId;
use motcua_domain::audit::AuditEntry;

use super::StoreResult;

#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry (entries are never changed or deleted by the product).
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// A Vietnam calendar day's entries, newest first, at most `limit`.
    async fn audit_entries(
        &self,
        tenant: &TenantId,
        day: NaiveDate,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>>;
}
