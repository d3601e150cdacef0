//! The tenants a process serves, with their PII keys.

use std::collections::HashMap;

use motcua_domain::tenant::TenantError;
use motcua_domain::{DossierCode, Tenant, TenantDirectory, TenantId};
use serde::Deserialize;

use crate::pii::{PiiError, PiiKeys};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("tenant configuration is not valid TOML: {0}")]
    Toml(String),
    #[error(transparent)]
    Tenant(#[from] TenantError),
    #[error("no PII secret for tenant {0}")]
    MissingSecret(String),
    #[error("PII secret of tenant {tenant}: {source}")]
    BadSecret { tenant: String, source: PiiError },
}

/// The tenant file: `[[tenant]]` tables (see `infra/tenants/*.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    pub tenant: Vec<Tenant>,
}

impl TenantFile {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let file: TenantFile =
            toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        Ok(file)
    }
}

#[derive(Debug, Clone)]
pub struct Tenancy {
    directory: TenantDirectory,
    keys: HashMap<TenantId, PiiKeys>,
}

impl Tenancy {
    /// `secret_for` returns the tenant's PII secret (raw bytes) from wherever secrets live.
    pub fn new(
        tenants: Vec<Tenant>,
        mut secret_for: impl FnMut(&TenantId) -> Option<Vec<u8>>,
    ) -> Result<Self, ConfigError> {
        let directory = TenantDirectory::new(tenants)?;
        let mut keys = HashMap::new();
        for t in directory.iter() {
            let secret =
                secret_for(&t.id).ok_or_else(|| ConfigError::MissingSecret(t.id.to_string()))?;
            let k = PiiKeys::derive(&secret).map_err(|source| ConfigError::BadSecret {
                tenant: t.id.to_string(),
                source,
            })?;
            keys.insert(t.id.clone(), k);
        }
        Ok(Tenancy { directory, keys })
    }

    pub fn directory(&self) -> &TenantDirectory {
        &self.directory
    }

    pub fn tenant(&self, id: &TenantId) -> Option<&Tenant> {
        self.directory.get(id)
    }

    pub fn for_code(&self, code: &DossierCode) -> Option<&Tenant> {
        self.directory.for_code(code)
    }

    /// The tenant's retention; the defaults for a tenant not configured here.
    pub fn retention(&self, id: &TenantId) -> motcua_domain::Retention {
        self.tenant(id).map(|t| t.retention).unwrap_or_default()
    }

    /// See [`TenantDirectory::owner_of`].
    pub fn owner_of(
        &self,
        named: Option<&TenantId>,
        code: &DossierCode,
    ) -> Result<&Tenant, String> {
        self.directory.owner_of(named, code)
    }

    pub fn keys(&self, id: &TenantId) -> Option<&PiiKeys> {
        self.keys.get(id)
    }
}
