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
use motcua_app::messenger::Messenger;
use motcua_app::notify::Decision;
use motcua_app::{Clock, Queue, Store, SystemClock};
use motcua_config::Deployment;
use motcua_zalo::tokens::hash_prefix;
use motcua_zalo::{BaseUrls, TokenManager, TokenPair, ZaloMessenger};

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
    /// Dead-letter queues.
    #[command(subcommand)]
    Dlq(Dlq),
    /// Tenant configuration files.
    #[command(subcommand)]
    Config(Config),
    /// Staff console accounts.
    #[command(subcommand)]
    Admin(Admin),
    /// Receipt QR codes.
    #[command(subcommand)]
    Qr(Qr),
    /// Citizen notifications.
    #[command(subcommand)]
    Notify(Notify),
}

#[derive(Subcommand)]
pub enum Notify {
    /// Send a dossier's last notification again (a citizen says it never came), through the
    /// same channel choice as the first time.
    Resend {
        /// The receipt code.
        #[arg(long)]
        code: String,
    },
    /// Send a ZNS template with sample values in development mode (delivered only to the Zalo
    /// app's and OA's admins), to check a registered template before going live.
    Test {
        /// The tenant id (`tuyen-quang`).
        #[arg(long)]
        tenant: String,
        /// The admin's phone number.
        #[arg(long)]
        phone: String,
        /// Template key: an event kind (`received`, `result_ready`…) or `ticket_answered`.
        #[arg(long, default_value = "received")]
        kind: String,
    },
}

#[derive(Subcommand)]
pub enum Dlq {
    /// Move dead letters back to their queue (SQS). Without --dry-run each message is sent to
    /// the queue, then deleted from the dead-letter queue; on a FIFO queue replayed messages
    /// share one message group, in dead-letter order.
    Replay {
        /// The queue to put the messages back on.
        #[arg(long)]
        queue_url: String,
        /// Its dead-letter queue.
        #[arg(long)]
        dlq_url: String,
        /// List what would be replayed (id, reason, size) and leave everything in place.
        #[arg(long)]
        dry_run: bool,
        /// Replay at most this many messages.
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

#[derive(Subcommand)]
pub enum Config {
    /// Parse and validate a tenants TOML file (as the functions load it): agency code
    /// conflicts, OA ids, template keys, ticket policy. Prints a summary per tenant.
    Check {
        /// The file to check (e.g. infra/tenants/tuyen-quang.toml).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum Admin {
    /// Hash a staff password for the local server's staff.toml (Argon2id). Reads the password
    /// from standard input, so that it stays out of shell history.
    HashPassword,
}

#[derive(Subcommand)]
pub enum Qr {
    /// Write the receipt QR code (SVG) of every code in a file, one per line, into a folder.
    Print {
        /// A file with one receipt code per line.
        #[arg(long)]
        codes: PathBuf,
        /// Where the SVG files go (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
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
    store: Arc<dyn Store>,
    manager: Arc<TokenManager>,
    messenger: Arc<ZaloMessenger>,
    clock: Arc<dyn Clock>,
}

async fn context(target: &Target) -> Result<Ctx, OpsError> {
    let (deployment, store): (Deployment, Arc<dyn Store>) = match (&target.table, &target.data_dir)
    {
        (Some(table), _) => {
            let aws = motcua_runtime::aws::Aws::load().await?;
            let store = aws.store_named(table.clone())?;
            (aws.deployment, store)
        }
        (None, Some(dir)) => {
            let deployment = Deployment::from_files(&target.tenants, &dir.join("secrets.json"))?;
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
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let zalo = motcua_runtime::Zalo::new(
        urls,
        store.clone(),
        &deployment,
        clock.clone(),
        motcua_runtime::metrics(),
    );
    Ok(Ctx {
        deployment,
        store,
        manager: zalo.tokens,
        messenger: zalo.messenger,
        clock,
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

/// What a DLQ replay did (or, in a dry run, would do).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// (message id, dead-letter reason, body bytes), in the order read.
    pub messages: Vec<(String, Option<String>, usize)>,
    pub replayed: usize,
}

/// Reads `dlq` and, unless `dry_run`, sends each message to `main` then deletes it from `dlq`.
/// Works on any [`Queue`] (SQS or the embedded queue).
pub async fn replay(
    dlq: &dyn Queue,
    main: &dyn Queue,
    fifo: bool,
    dry_run: bool,
    max: usize,
) -> Result<ReplayReport, OpsError> {
    let mut report = ReplayReport::default();
    let mut seen = std::collections::HashSet::new();
    let mut done = false;
    while !done {
        let batch = dlq.receive(10, Duration::from_secs(1)).await?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            // Past the limit, or seen before (a dry run has gone round the whole queue): give
            // the message back untouched.
            done = done || report.messages.len() >= max || seen.contains(&m.message_id);
            if done || dry_run {
                dlq.retry_later(&m.receipt, Duration::ZERO).await?;
                if !done {
                    seen.insert(m.message_id.clone());
                    report.messages.push((
                        m.message_id.clone(),
                        m.dead_letter_reason.clone(),
                        m.body.len(),
                    ));
                }
                continue;
            }
            seen.insert(m.message_id.clone());
            report.messages.push((
                m.message_id.clone(),
                m.dead_letter_reason.clone(),
                m.body.len(),
            ));
            if fifo {
                main.send_in_group(&m.body, "replay").await?;
            } else {
                main.send(&m.body).await?;
            }
            dlq.delete(&m.receipt).await?;
            report.replayed += 1;
        }
    }
    Ok(report)
}

/// Sample template values, as a real notification of `kind` would carry them.
fn sample_params(kind: &str) -> Result<std::collections::BTreeMap<String, String>, OpsError> {
    if kind == "ticket_answered" {
        return Ok(motcua_domain::catalogue::ticket_answered_params(
            1,
            "Sở Tư pháp",
        ));
    }
    let kind = motcua_domain::EventKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| format!("{kind:?} is neither an event kind nor ticket_answered"))?;
    Ok(motcua_domain::catalogue::Notice {
        kind,
        code: "000.00.04.H60-261124-0001".into(),
        procedure: "Cấp Phiếu lý lịch tư pháp".into(),
        status: motcua_domain::NationalStatus::Processing,
        step: Some("Thẩm định hồ sơ".into()),
        due: Some("01/12/2026".into()),
        new_due: Some("05/12/2026".into()),
        reason: Some("Thiếu bản sao căn cước".into()),
        missing_papers: vec!["Bản sao căn cước".into()],
        fee_amount: Some(200_000),
    }
    .template_params())
}

fn check_config(file: &std::path::Path) -> Result<String, OpsError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let parsed =
        motcua_app::TenantFile::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let directory = motcua_domain::TenantDirectory::new(parsed.tenant)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for t in directory.iter() {
        lines.push(format!(
            "{} ({}): agency codes {}; OA {}; {} ZNS template(s); agencies {}; answer within {} h; outside the window: {:?}",
            t.id,
            t.name,
            t.agency_codes.join(", "),
            t.oa_id.as_deref().unwrap_or("(none)"),
            t.zalo.zns_templates.len(),
            if t.agencies.is_empty() { "(none)".to_string() } else { t.agencies.keys().cloned().collect::<Vec<_>>().join(", ") },
            t.ticket_answer_hours,
            t.tickets.outside_window,
        ));
        if t.oa_id.is_some() && t.zalo.app_id.is_none() {
            problems.push(format!(
                "{}: oa_id is set but [tenant.zalo] app_id is not (tokens cannot be refreshed)",
                t.id
            ));
        }
        for key in t
            .zalo
            .zns_templates
            .keys()
            .chain(t.zalo.zbs_uid_templates.keys())
        {
            let known = key == "ticket_answered"
                || motcua_domain::EventKind::ALL
                    .iter()
                    .any(|k| k.as_str() == key);
            if !known {
                problems.push(format!(
                    "{}: template key {key:?} is neither an event kind nor ticket_answered",
                    t.id
                ));
            }
        }
        if t.tickets.outside_window == motcua_domain::AnswerFallback::Zns
            && !t.zalo.zns_templates.contains_key("ticket_answered")
        {
            problems.push(format!(
                "{}: outside_window = \"zns\" needs zns_templates.ticket_answered",
                t.id
            ));
        }
        for category in t.tickets.answer_hours.keys() {
            if !["question", "complaint", "suggestion"].contains(&category.as_str()) {
                problems.push(format!(
                    "{}: answer_hours has unknown category {category:?}",
                    t.id
                ));
            }
        }
    }
    if problems.is_empty() {
        lines.push(format!("{}: OK", file.display()));
        Ok(lines.join("\n"))
    } else {
        Err(format!(
            "{}\n{} problem(s):\n{}",
            lines.join("\n"),
            problems.len(),
            problems.join("\n")
        )
        .into())
    }
}

/// Runs one command and returns what to print.
pub async fn run(cli: Cli) -> Result<String, OpsError> {
    match &cli.command {
        Command::Config(Config::Check { file }) => return check_config(file),
        Command::Admin(Admin::HashPassword) => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 12 {
                return Err("use a password of at least 12 characters".into());
            }
            return Ok(admin::auth::hash_password(password));
        }
        Command::Dlq(Dlq::Replay {
            queue_url,
            dlq_url,
            dry_run,
            max,
        }) => {
            let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let client = aws_sdk_sqs::Client::new(&sdk);
            let main = motcua_sqs::SqsQueue::new(client.clone(), queue_url, dlq_url);
            let dlq = main.dead_letter_queue();
            let report = replay(&dlq, &main, queue_url.ends_with(".fifo"), *dry_run, *max).await?;
            let mut out: Vec<String> = report
                .messages
                .iter()
                .map(|(id, reason, len)| {
                    format!(
                        "{id}  {len} bytes  reason: {}",
                        reason
                            .as_deref()
                            .unwrap_or("(moved after too many receives)")
                    )
                })
                .collect();
            out.push(if *dry_run {
                format!(
                    "dry run: {} message(s) would be replayed; nothing changed",
                    report.messages.len()
                )
            } else {
                format!("replayed {} message(s) to {queue_url}", report.replayed)
            });
            return Ok(out.join("\n"));
        }
        _ => {}
    }
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
        Command::Qr(Qr::Print { codes, out }) => {
            let text = std::fs::read_to_string(&codes)
                .map_err(|e| format!("cannot read {}: {e}", codes.display()))?;
            std::fs::create_dir_all(&out)?;
            let mut written = 0;
            let mut refused = Vec::new();
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let code = match motcua_domain::DossierCode::parse(line) {
                    Ok(code) => code,
                    Err(e) => {
                        refused.push(format!("{line}: {e}"));
                        continue;
                    }
                };
                let Some(tenant) = ctx.deployment.tenancy.for_code(&code) else {
                    refused.push(format!("{line}: no tenant owns this agency code"));
                    continue;
                };
                let signer = ctx
                    .deployment
                    .qr_signer(tenant.id.as_str())
                    .ok_or_else(|| format!("tenant {} has no qr_key secret", tenant.id))?;
                let host = tenant
                    .public_host
                    .as_deref()
                    .ok_or_else(|| format!("tenant {} has no public_host", tenant.id))?;
                let svg = qr::svg(&signer.url(host, &code), qr::Options::default())?;
                std::fs::write(out.join(format!("{code}.svg")), svg)?;
                written += 1;
            }
            let mut lines = vec![format!("wrote {written} QR code(s) to {}", out.display())];
            if !refused.is_empty() {
                lines.push(format!("{} line(s) refused:", refused.len()));
                lines.extend(refused);
            }
            Ok(lines.join("\n"))
        }
        Command::Notify(Notify::Resend { code }) => {
            let code =
                motcua_domain::DossierCode::parse(&code).map_err(|e| format!("{code}: {e}"))?;
            let tenant = ctx
                .deployment
                .tenancy
                .for_code(&code)
                .ok_or("no tenant owns this receipt code's agency")?
                .id
                .clone();
            let notifier = motcua_app::notify::Notifier {
                store: ctx.store.clone(),
                tenancy: ctx.deployment.tenancy.clone(),
                messenger: ctx.messenger.clone(),
                clock: ctx.clock.clone(),
                metrics: motcua_runtime::metrics(),
                settings: motcua_app::notify::NotifierSettings::default(),
            };
            let (kind, decision) = notifier.resend_last(&tenant, &code).await?;
            let outcome = match &decision {
                Decision::Undeliverable(why) => format!("undeliverable: {why}"),
                d => d.label().to_string(),
            };
            Ok(format!(
                "{code}: {} notification re-sent: {outcome}",
                kind.as_str()
            ))
        }
        Command::Notify(Notify::Test {
            tenant,
            phone,
            kind,
        }) => {
            let id = motcua_domain::TenantId::parse(&tenant).map_err(|e| e.to_string())?;
            let t = ctx
                .deployment
                .tenancy
                .tenant(&id)
                .ok_or_else(|| format!("no tenant {tenant} in the configuration"))?;
            let oa = t.oa_id.as_deref().ok_or("the tenant has no oa_id")?;
            let template =
                t.zalo.zns_templates.get(&kind).ok_or_else(|| {
                    format!("[tenant.zalo] zns_templates has no {kind:?} template")
                })?;
            let phone = motcua_domain::PhoneNumber::parse(&phone).map_err(|e| e.to_string())?;
            let params = sample_params(&kind)?;
            let tracking = format!("test-{}", ctx.clock.now().timestamp());
            let sent = ctx
                .messenger
                .send_zns(oa, &phone, template, &params, &tracking, true)
                .await
                .map_err(|e| format!("Zalo refused the test message: {e}"))?;
            Ok(format!(
                "sent template {template} ({kind}) to {} in development mode: Zalo message {}",
                phone.masked(),
                sent.message_id
            ))
        }
        Command::Config(_) | Command::Admin(_) | Command::Dlq(_) => unreachable!("handled above"),
    }
}
