//! The procedure guide: importing a tenant's catalogue, and a searchable copy of it per tenant,
//! rebuilt only when the stored version changes (one small read per question).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use motcua_domain::TenantId;
use motcua_domain::guide::Guide;
use motcua_domain::procedure::{CatalogueInfo, Format, ImportError, ProcedureCatalogue};

use crate::ports::{Clock, Store, StoreError, StoreResult};

#[derive(Debug, thiserror::Error)]
pub enum CatalogueImportError {
    #[error("catalogue refused: {0}")]
    Refused(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a catalogue file whole and makes it the tenant's current catalogue.
pub async fn import_catalogue(
    store: &dyn Store,
    clock: &dyn Clock,
    tenant: &TenantId,
    input: &str,
    format: Format,
    source: &str,
) -> Result<CatalogueInfo, CatalogueImportError> {
    let catalogue = ProcedureCatalogue::import(input, format, source, clock.now())?;
    store.put_procedures(tenant, &catalogue).await?;
    tracing::info!(
        %tenant,
        version = %catalogue.version,
        procedures = catalogue.procedures.len(),
        "procedure catalogue imported"
    );
    Ok(catalogue.info())
}

/// Searchable catalogues, one per tenant, as long as their version stays current.
#[derive(Default)]
pub struct Guides {
    built: Mutex<HashMap<TenantId, Arc<Guide>>>,
}

impl Guides {
    /// The tenant's guide, or `None` when it has imported no catalogue.
    pub async fn for_tenant(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
    ) -> StoreResult<Option<Arc<Guide>>> {
        let Some(info) = store.procedures_info(tenant).await? else {
            return Ok(None);
        };
        if let Some(guide) = self.built.lock().expect("not poisoned").get(tenant)
            && guide.catalogue().version == info.version
        {
            return Ok(Some(guide.clone()));
        }
        let Some(catalogue) = store.procedures(tenant).await? else {
            return Ok(None);
        };
        let guide = Arc::new(Guide::new(catalogue));
        self.built
            .lock()
            .expect("not poisoned")
            .insert(tenant.clone(), guide.clone());
        Ok(Some(guide))
    }
}
