//! A deployment's configuration, the same shape everywhere:
//! - tenants: the TOML of `infra/tenants/*.toml` (not secret);
//! - secrets: one JSON document `{"tenants": {"<id>": {"pii_secret": "<base64>",
//!   "zalo_oa_secret_key": "...", "zalo_app_secret": "..."}}}`.
//!
//! Locally both are files (the secrets file is created with random keys on first start); on AWS
//! the tenants TOML is an SSM parameter (`MOTCUA_TENANTS_PARAMETER`) and the secrets a Secrets
//! Manager secret (`MOTCUA_SECRETS_ARN`), read once at cold start.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use motcua_app::{ConfigError, Tenancy, TenantFile};
use motcua_domain::{Tenant, TenantDirectory};
use serde::{Deserialize, Serialize};

/// One tenant's secrets. `Debug` prints none of them.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSecrets {
    /// Base64 of at least 32 random bytes: keys the phone hashes and sealed copies.
    pub pii_secret: String,
    /// The OA secret key: verifies webhook signatures.
    #[serde(default)]
    pub zalo_oa_secret_key: Option<String>,
    /// The Zalo app secret: authenticates token refreshes.
    #[serde(default)]
    pub zalo_app_secret: Option<String>,
    /// Base64 of at least 32 random bytes: signs the links printed as receipt QR codes
    /// (`infra/QR.md`); shared with the one-stop vendor if it prints links itself.
    #[serde(default)]
    pub qr_key: Option<String>,
    /// The one-stop system's key for the QR endpoint in local/on-premises deployments (on AWS
    /// the route is protected by IAM instead).
    #[serde(default)]
    pub qr_api_key: Option<String>,
    /// The one-stop system's key for `POST /api/v1/intake/events` in local/on-premises
    /// deployments (on AWS it writes to SQS with IAM credentials instead).
    #[serde(default)]
    pub intake_api_key: Option<String>,
    /// The brandname SMS gateway account (`[tenant.sms]`): its API key and secret key.
    #[serde(default)]
    pub sms_api_key: Option<String>,
    #[serde(default)]
    pub sms_secret_key: Option<String>,
}

impl std::fmt::Debug for TenantSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSecrets")
            .field("zalo_oa_secret_key", &self.zalo_oa_secret_key.is_some())
            .field("zalo_app_secret", &self.zalo_app_secret.is_some())
            .field("qr_key", &self.qr_key.is_some())
            .field("qr_api_key", &self.qr_api_key.is_some())
            .field("intake_api_key", &self.intake_api_key.is_some())
            .field("sms_api_key", &self.sms_api_key.is_some())
            .field("sms_secret_key", &self.sms_secret_key.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    pub tenants: BTreeMap<String, TenantSecrets>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("secrets are not valid JSON of the expected shape: {0}")]
    SecretsJson(String),
    #[error("environment variable {0} is not set")]
    MissingEnv(&'static str),
    #[error("reading {what} from AWS failed: {reason}")]
    Aws { what: String, reason: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "tenant {0} sends SMS ([tenant.sms]) but its secrets have no sms_api_key and sms_secret_key"
    )]
    MissingSmsKeys(String),
}

fn random_b64() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the OS random source is available");
    B64.encode(key)
}

impl Secrets {
    pub fn parse_json(text: &str) -> Result<Self, LoadError> {
        // serde_json's message names the field, never a value of this document.
        serde_json::from_str(text).map_err(|e| LoadError::SecretsJson(e.to_string()))
    }

    /// Local mode: reads the file, adds random secrets for tenants that have none, and writes it
    /// back readable only by its owner.
    pub fn load_or_create_file(path: &Path, tenants: &TenantDirectory) -> Result<Self, LoadError> {
        let io = |source| LoadError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut secrets = match std::fs::read_to_string(path) {
            Ok(text) => Self::parse_json(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Secrets::default(),
            Err(e) => return Err(io(e)),
        };
        let mut changed = false;
        for t in tenants.iter() {
            let entry = secrets.tenants.entry(t.id.to_string()).or_insert_with(|| {
                changed = true;
                TenantSecrets {
                    pii_secret: random_b64(),
                    ..TenantSecrets::default()
                }
            });
            for field in [
                &mut entry.zalo_oa_secret_key,
                &mut entry.zalo_app_secret,
                &mut entry.qr_key,
                &mut entry.qr_api_key,
                &mut entry.intake_api_key,
            ] {
                if field.is_none() {
                    *field = Some(random_b64());
                    changed = true;
                }
            }
        }
        if changed {
            let text = serde_json::to_string_pretty(&secrets).expect("plain maps serialise");
            write_private(path, &text).map_err(io)?;
        }
        Ok(secrets)
    }

    pub fn pii_secret(&self, tenant: &str) -> Option<Vec<u8>> {
        self.tenants
            .get(tenant)
            .and_then(|s| B64.decode(&s.pii_secret).ok())
    }

    pub fn tenant(&self, tenant: &str) -> Option<&TenantSecrets> {
        self.tenants.get(tenant)
    }
}

/// Writes a file only its owner can read (secrets, generated passwords).
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// A Zalo app grant of one OA, for the token manager. `Debug` hides the secret.
#[derive(Clone)]
pub struct ZaloApp {
    pub tenant: String,
    pub oa_id: String,
    pub app_id: String,
    pub app_secret: String,
}

impl std::fmt::Debug for ZaloApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZaloApp")
            .field("tenant", &self.tenant)
            .field("oa_id", &self.oa_id)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// Tenants with their keys, plus the raw secrets for the Zalo adapter.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub tenancy: Tenancy,
    pub secrets: Secrets,
}

impl Deployment {
    pub fn new(tenants: Vec<Tenant>, secrets: Secrets) -> Result<Self, LoadError> {
        let tenancy = Tenancy::new(tenants, |id| secrets.pii_secret(id.as_str()))?;
        let deployment = Deployment { tenancy, secrets };
        if let Some(t) = deployment
            .tenancy
            .directory()
            .iter()
            .find(|t| t.sms.is_some() && deployment.sms_account(t.id.as_str()).is_none())
        {
            return Err(LoadError::MissingSmsKeys(t.id.to_string()));
        }
        Ok(deployment)
    }

    /// The tenant's SMS gateway account (API key, secret key), if both are stored.
    pub fn sms_account(&self, tenant: &str) -> Option<(String, String)> {
        let s = self.secrets.tenant(tenant)?;
        Some((s.sms_api_key.clone()?, s.sms_secret_key.clone()?))
    }

    /// Whether any tenant sends SMS.
    pub fn sends_sms(&self) -> bool {
        self.tenancy.directory().iter().any(|t| t.sms.is_some())
    }

    /// The tenant's QR link signer, if a QR key is stored.
    pub fn qr_signer(&self, tenant: &str) -> Option<motcua_app::qr::QrSigner> {
        let key = B64
            .decode(self.secrets.tenant(tenant)?.qr_key.as_ref()?)
            .ok()?;
        motcua_app::qr::QrSigner::new(&key)
    }

    /// Every OA that has an app id configured and an app secret stored.
    pub fn zalo_apps(&self) -> Vec<ZaloApp> {
        self.tenancy
            .directory()
            .iter()
            .filter_map(|t| {
                Some(ZaloApp {
                    tenant: t.id.to_string(),
                    oa_id: t.oa_id.clone()?,
                    app_id: t.zalo.app_id.clone()?,
                    app_secret: self
                        .secrets
                        .tenant(t.id.as_str())?
                        .zalo_app_secret
                        .clone()?,
                })
            })
            .collect()
    }

    /// Local mode: the tenant file and `<data-dir>/secrets.json`.
    pub fn from_files(tenants_toml: &Path, secrets_json: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(tenants_toml).map_err(|source| LoadError::Io {
            path: tenants_toml.display().to_string(),
            source,
        })?;
        let file = TenantFile::parse(&text)?;
        let directory = TenantDirectory::new(file.tenant.clone()).map_err(ConfigError::from)?;
        let secrets = Secrets::load_or_create_file(secrets_json, &directory)?;
        Self::new(file.tenant, secrets)
    }

    /// On AWS: `MOTCUA_TENANTS_PARAMETER` (SSM, TOML) and `MOTCUA_SECRETS_ARN` (Secrets Manager,
    /// JSON), read once at cold start.
    #[cfg(feature = "aws")]
    pub async fn from_aws(sdk: &aws_config::SdkConfig) -> Result<Self, LoadError> {
        let parameter = std::env::var("MOTCUA_TENANTS_PARAMETER")
            .map_err(|_| LoadError::MissingEnv("MOTCUA_TENANTS_PARAMETER"))?;
        let secret_arn = std::env::var("MOTCUA_SECRETS_ARN")
            .map_err(|_| LoadError::MissingEnv("MOTCUA_SECRETS_ARN"))?;
        let ssm = aws_sdk_ssm::Client::new(sdk);
        let sm = aws_sdk_secretsmanager::Client::new(sdk);
        let (toml, secret) = tokio::join!(
            ssm.get_parameter().name(&parameter).send(),
            sm.get_secret_value().secret_id(&secret_arn).send(),
        );
        let toml = toml
            .map_err(|e| LoadError::Aws {
                what: format!("SSM parameter {parameter}"),
                reason: aws_sdk_ssm::error::DisplayErrorContext(e).to_string(),
            })?
            .parameter
            .and_then(|p| p.value)
            .ok_or_else(|| LoadError::Aws {
                what: format!("SSM parameter {parameter}"),
                reason: "no value".into(),
            })?;
        let secret = secret
            .map_err(|e| LoadError::Aws {
                what: "the secrets document".into(),
                reason: aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
            })?
            .secret_string
            .ok_or_else(|| LoadError::Aws {
                what: "the secrets document".into(),
                reason: "no SecretString".into(),
            })?;
        let file = TenantFile::parse(&toml)?;
        Self::new(file.tenant, Secrets::parse_json(&secret)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANTS: &str = r#"
[[tenant]]
id = "tuyen-quang"
name = "Tuyên Quang"
agency_codes = ["H60", "H22"]
oa_id = "111"
[tenant.zalo]
app_id = "app-1"

[[tenant]]
id = "bac-ninh"
name = "Bắc Ninh"
agency_codes = ["H05", "H02"]
"#;

    #[test]
    fn local_secrets_are_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (toml, json) = (dir.path().join("t.toml"), dir.path().join("secrets.json"));
        std::fs::write(&toml, TENANTS).unwrap();
        let first = Deployment::from_files(&toml, &json).unwrap();
        let text = std::fs::read_to_string(&json).unwrap();
        let second = Deployment::from_files(&toml, &json).unwrap();
        assert_eq!(
            std::fs::read_to_string(&json).unwrap(),
            text,
            "not regenerated"
        );
        assert_eq!(
            first.secrets.pii_secret("bac-ninh"),
            second.secrets.pii_secret("bac-ninh")
        );
        assert_eq!(first.secrets.pii_secret("bac-ninh").unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&json).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read the secrets file");
        }
        let apps = first.zalo_apps();
        assert_eq!(apps.len(), 1, "only the tenant with an OA and an app id");
        assert_eq!(
            (apps[0].oa_id.as_str(), apps[0].app_id.as_str()),
            ("111", "app-1")
        );
        assert!(!format!("{apps:?}").contains(&apps[0].app_secret));
    }

    #[test]
    fn aws_secrets_document_is_strict_and_complete() {
        let file = TenantFile::parse(TENANTS).unwrap();
        let short =
            Secrets::parse_json(r#"{"tenants": {"tuyen-quang": {"pii_secret": "c2hvcnQ="}}}"#)
                .unwrap();
        assert!(matches!(
            Deployment::new(file.tenant.clone(), short),
            Err(LoadError::Config(_))
        ));
        assert!(
            Secrets::parse_json(r#"{"tenants": {"x": {"pii_secret": "a", "typo": 1}}}"#).is_err()
        );
        let key = B64.encode([7u8; 32]);
        let doc = format!(
            r#"{{"tenants": {{"tuyen-quang": {{"pii_secret": "{key}"}}, "bac-ninh": {{"pii_secret": "{key}"}}}}}}"#
        );
        let d = Deployment::new(file.tenant, Secrets::parse_json(&doc).unwrap()).unwrap();
        assert!(d.zalo_apps().is_empty(), "no app secret stored yet");
    }

    #[test]
    fn a_tenant_that_sends_sms_needs_its_gateway_keys() {
        let sms = TENANTS.replacen(
            "[tenant.zalo]",
            "[tenant.sms]\nbrandname = \"UBND-TQ\"\n[tenant.zalo]",
            1,
        );
        let file = TenantFile::parse(&sms).unwrap();
        let key = B64.encode([7u8; 32]);
        let doc = |tq_extra: &str| {
            format!(
                r#"{{"tenants": {{"tuyen-quang": {{"pii_secret": "{key}"{tq_extra}}}, "bac-ninh": {{"pii_secret": "{key}"}}}}}}"#
            )
        };
        let without = Secrets::parse_json(&doc("")).unwrap();
        let e = Deployment::new(file.tenant.clone(), without).unwrap_err();
        assert!(
            matches!(&e, LoadError::MissingSmsKeys(t) if t == "tuyen-quang"),
            "{e}"
        );
        let half = Secrets::parse_json(&doc(r#", "sms_api_key": "k""#)).unwrap();
        assert!(Deployment::new(file.tenant.clone(), half).is_err());
        let both = doc(r#", "sms_api_key": "api-k", "sms_secret_key": "secret-k""#);
        let d = Deployment::new(file.tenant, Secrets::parse_json(&both).unwrap()).unwrap();
        assert!(d.sends_sms());
        assert_eq!(
            d.sms_account("tuyen-quang"),
            Some(("api-k".into(), "secret-k".into()))
        );
        assert_eq!(d.sms_account("bac-ninh"), None);
        let shown = format!("{:?}", d.secrets.tenant("tuyen-quang").unwrap());
        assert!(
            !shown.contains("secret-k") && !shown.contains("api-k"),
            "{shown}"
        );
    }

    #[test]
    fn a_brandname_is_checked_when_the_tenants_load() {
        for bad in ["", "UBND TQ", "UBND-TUYENQUANG", "Ủy-ban"] {
            let toml = TENANTS.replacen(
                "[tenant.zalo]",
                &format!("[tenant.sms]\nbrandname = {bad:?}\n[tenant.zalo]"),
                1,
            );
            let file = TenantFile::parse(&toml).unwrap();
            assert!(
                TenantDirectory::new(file.tenant).is_err(),
                "{bad:?} accepted"
            );
        }
    }
}
