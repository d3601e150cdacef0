//! The operator CLI. Every subcommand works against either deployment:
//! - AWS: `--table <name>` with tenants and secrets read from SSM/Secrets Manager
//!   (`MOTCUA_TENANTS_PARAMETER`, `MOTCUA_SECRETS_ARN`), credentials from the usual AWS chain;
//! - local/on-premises: `--data-dir <dir> --tenants <file>`, the local server's store (stop the
//!   server first: the embedded database has one writer process).
//!
//! Tokens never appear on the command line (shell history) or in output: they are read from
//! the environment, and shown only as SHA-256 prefixes.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use motcua_app::metrics::EmfMetrics;
use motcua_app::{SystemClock, TokenStore};
use motcua_config::Deployment;
use motcua_zalo::tokens::hash_prefix;
use motcua_zalo::{BaseUrls, SlidingWindowLimiter, TokenManager, TokenPair, ZaloClient};

#[derive(Parser)]
#[command(
    name = "motcua-ops",
    about = "Operate a motcua deployment (AWS or local)",
    version
)]
pub struct Cli {
    #[command(flatten)]
    pub target: Target,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct Target {
    /// DynamoDB table of an AWS deployment.
    #[arg(long, global = true, conflicts_with = "data_dir")]
    pub table: Option<String>,
    /// Data directory of a local/on-premises deployment.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Tenant file of a local deployment.
    #[arg(long, global = true, default_value = "infra/local/tenants.toml")]
    pub tenants: PathBuf,
    /// Zalo OAuth/API base URL (default: the real Zalo, or ZALO_*_BASE).
    #[arg(long, global = true)]
    pub zalo_base: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Zalo OA tokens.
    #[command(subcommand)]
    Tokens(Tokens),
}

#[derive(Subcommand)]
pub enum Tokens {
    /// Store a pair obtained from Zalo's console (API Explorer). Reads ZALO_ACCESS_TOKEN and
    /// ZALO_REFRESH_TOKEN from the environment.
    Import {
        #[arg(long)]
        oa: String,
        /// Seconds the access token is valid for (Zalo issues 90000 = 25 h).
        #[arg(long, default_value_t = 90_000)]
        expires_in: u64,
    },
    /// First grant: exchange the authorization code from the consent redirect. Reads the PKCE
    /// verifier from ZALO_CODE_VERIFIER.
    Exchange {
        #[arg(long)]
        oa: String,
        #[arg(long)]
        code: String,
    },
    /// Refresh now, whatever the expiry (e.g. after rotating the app secret).
    Refresh {
        #[arg(long)]
        oa: String,
    },
    /// Version, expiry and hash prefixes of every OA's stored pair.
    Show,
}

/// A failure for the operator: printed as is, exit status 1.
pub type OpsError = Box<dyn std::error::Error + Send + Sync>;

struct Ctx {
    deployment: Deployment,
    store: Arc<dyn TokenStore>,
    manager: TokenManager,
}

async fn context(target: &Target) -> Result<Ctx, OpsError> {
    let (deployment, store): (Deployment, Arc<dyn TokenStore>) =
        match (&target.table, &target.data_dir) {
            (Some(table), _) => {
                let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
                let deployment = Deployment::from_aws(&sdk).await?;
                let client = aws_sdk_dynamodb::Client::new(&sdk);
                (
                    deployment,
                    Arc::new(motcua_dynamodb::DynamoStore::new(client, table.clone())),
                )
            }
            (None, Some(dir)) => {
                let deployment =
                    Deployment::from_files(&target.tenants, &dir.join("secrets.json"))?;
                let db = motcua_embedded::EmbeddedDb::open(dir.join("motcua.redb"))?;
                (deployment, Arc::new(db.store()))
            }
            (None, None) => {
                return Err(
                    "say where the deployment is: --table <name> (AWS) or --data-dir <dir> (local)"
                        .into(),
                );
            }
        };
    let urls = target
        .zalo_base
        .as_deref()
        .map_or_else(BaseUrls::from_env, BaseUrls::all);
    let client = ZaloClient::new(urls, Arc::new(SlidingWindowLimiter::zalo_default()));
    let metrics = Arc::new(EmfMetrics {
        namespace: "Motcua".into(),
    });
    let manager = TokenManager::for_deployment(
        store.clone(),
        client,
        &deployment,
        Arc::new(SystemClock),
        metrics,
    );
    Ok(Ctx {
        deployment,
        store,
        manager,
    })
}

fn env_secret(name: &str) -> Result<String, OpsError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().to_string())
        .ok_or_else(|| {
            format!(
                "{name} is not set (secrets are read from the environment, never from arguments)"
            )
            .into()
        })
}

/// Runs one command and returns what to print.
pub async fn run(cli: Cli) -> Result<String, OpsError> {
    let ctx = context(&cli.target).await?;
    let known = |oa: &str| -> Result<(), OpsError> {
        if ctx.manager.oa_ids().iter().any(|o| o == oa) {
            Ok(())
        } else {
            Err(format!("OA {oa} has no Zalo app configured (tenant [tenant.zalo] app_id and the zalo_app_secret secret)").into())
        }
    };
    match cli.command {
        Command::Tokens(Tokens::Import { oa, expires_in }) => {
            known(&oa)?;
            let pair = TokenPair {
                access_token: env_secret("ZALO_ACCESS_TOKEN")?,
                refresh_token: env_secret("ZALO_REFRESH_TOKEN")?,
                expires_in: Duration::from_secs(expires_in),
            };
            let t = ctx.manager.install(&oa, &pair).await?;
            Ok(format!(
                "imported tokens for OA {oa}: version {}, access token valid until {}",
                t.version, t.access_expires_at
            ))
        }
        Command::Tokens(Tokens::Exchange { oa, code }) => {
            known(&oa)?;
            let verifier = env_secret("ZALO_CODE_VERIFIER")?;
            let t = ctx
                .manager
                .bootstrap_with_code(&oa, &code, &verifier)
                .await?;
            Ok(format!(
                "granted: OA {oa} tokens version {}, access token valid until {}",
                t.version, t.access_expires_at
            ))
        }
        Command::Tokens(Tokens::Refresh { oa }) => {
            known(&oa)?;
            let current = ctx.manager.current(&oa).await?;
            let t = ctx.manager.after_rejection(&oa, current.version).await?;
            Ok(format!(
                "refreshed: OA {oa} tokens version {}, access token valid until {}",
                t.version, t.access_expires_at
            ))
        }
        Command::Tokens(Tokens::Show) => {
            let mut lines = Vec::new();
            for t in ctx.deployment.tenancy.directory().iter() {
                let Some(oa) = &t.oa_id else { continue };
                let line = match ctx.store.get_tokens(oa).await? {
                    None => format!(
                        "{} OA {oa}: no tokens (run `tokens import` or `tokens exchange`)",
                        t.id
                    ),
                    Some(tok) => format!(
                        "{} OA {oa}: version {}, access {} until {}, refresh {} until {}",
                        t.id,
                        tok.version,
                        hash_prefix(&tok.access_token),
                        tok.access_expires_at,
                        hash_prefix(&tok.refresh_token),
                        tok.refresh_expires_at
                    ),
                };
                lines.push(line);
            }
            Ok(lines.join("\n"))
        }
    }
}
