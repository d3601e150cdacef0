//! The tenant's procedure catalogue (public data: no personal data in it).

use async_trait::async_trait;
use motcua_domain::TenantId;
use motcua_domain::procedure::{CatalogueInfo, ProcedureCatalogue};

use super::StoreResult;

#[async_trait]
pub trait ProcedureStore: Send + Sync {
    /// Replaces the tenant's catalogue. Readers see the old one or the new one, never a mix.
    async fn put_procedures(
        &self,
        tenant: &TenantId,
        catalogue: &ProcedureCatalogue,
    ) -> StoreResult<()>;

    /// The current catalogue's version, without its procedures: one small read.
    async fn procedures_info(&self, tenant: &TenantId) -> StoreResult<Option<CatalogueInfo>>;

    /// The current catalogue, whole.
    async fn procedures(&self, tenant: &TenantId) -> StoreResult<Option<ProcedureCatalogue>>;
}
