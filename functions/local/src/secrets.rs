//! Local secrets: `<data-dir>/secrets.json`, created with fresh random keys on first start and
//! readable only by the owner. On AWS the same secrets come from Secrets Manager.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use motcua_domain::TenantDirectory;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LocalSecrets {
    /// Tenant id → base64 PII secret (32 random bytes).
    pub pii: BTreeMap<String, String>,
    /// Tenant id → Zalo secrets (for the local Zalo fake, or a real OA when pointed at Zalo).
    #[serde(default)]
    pub zalo: BTreeMap<String, ZaloSecrets>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ZaloSecrets {
    /// Verifies webhook signatures.
    pub oa_secret_key: String,
    /// Authenticates token refreshes.
    pub app_secret: String,
}

fn random_b64() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the OS random source is available");
    B64.encode(key)
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid secrets file: {reason}")]
    Invalid { path: String, reason: String },
}

impl LocalSecrets {
    /// Loads the file, adding a random secret for every tenant that has none yet.
    pub fn load_or_create(path: &Path, tenants: &TenantDirectory) -> Result<Self, SecretsError> {
        let io = |source| SecretsError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut secrets: LocalSecrets = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| SecretsError::Invalid {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => LocalSecrets::default(),
            Err(e) => return Err(io(e)),
        };
        let mut changed = false;
        for t in tenants.iter() {
            secrets.pii.entry(t.id.to_string()).or_insert_with(|| {
                changed = true;
                random_b64()
            });
            secrets.zalo.entry(t.id.to_string()).or_insert_with(|| {
                changed = true;
                ZaloSecrets {
                    oa_secret_key: random_b64(),
                    app_secret: random_b64(),
                }
            });
        }
        if changed {
            let text = serde_json::to_string_pretty(&secrets).expect("plain map serialises");
            write_private(path, &text).map_err(io)?;
        }
        Ok(secrets)
    }

    pub fn pii_secret(&self, tenant: &str) -> Option<Vec<u8>> {
        self.pii.get(tenant).and_then(|s| B64.decode(s).ok())
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}
