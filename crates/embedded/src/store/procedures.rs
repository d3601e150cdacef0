//! The tenant's procedure catalogue: its version and the whole catalogue, written in one
//! transaction.

use motcua_domain::procedure::{CatalogueInfo, ProcedureCatalogue};

use super::*;

#[async_trait]
impl ProcedureStore for EmbeddedStore {
    async fn put_procedures(
        &self,
        tenant: &TenantId,
        catalogue: &ProcedureCatalogue,
    ) -> StoreResult<()> {
        let (info_key, body_key) = (
            key(&[tenant.as_str(), "info"]),
            key(&[tenant.as_str(), "catalogue"]),
        );
        let catalogue = catalogue.clone();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(PROCEDURES).map_err(unavailable)?;
                put_json(&mut t, &body_key, &catalogue)?;
                put_json(&mut t, &info_key, &catalogue.info())
            })
            .await
    }

    async fn procedures_info(&self, tenant: &TenantId) -> StoreResult<Option<CatalogueInfo>> {
        let k = key(&[tenant.as_str(), "info"]);
        self.db
            .read(move |txn| {
                let t = txn.open_table(PROCEDURES).map_err(unavailable)?;
                get_json(&t, &k)
            })
            .await
    }

    async fn procedures(&self, tenant: &TenantId) -> StoreResult<Option<ProcedureCatalogue>> {
        let k = key(&[tenant.as_str(), "catalogue"]);
        self.db
            .read(move |txn| {
                let t = txn.open_table(PROCEDURES).map_err(unavailable)?;
                get_json(&t, &k)
            })
            .await
    }
}
