//! The operator CLI. Every subcommand works against either deployment:
//! - AWS: `--table <name>` with tenants and secrets read from SSM/Secrets Manager
//!   (`MOTCUA_TENANTS_PARAMETER`, `MOTCUA_SECRETS_ARN`), credentials from the usual AWS chain;
//! - local/on-premises: `--data-dir <dir> --tenants <file>`, the local server's store (stop the
//!   server first: the embedded database has one writer process).
//!
//! Tokens never appear on the command line (shell history) or in output: they are read from
//! the environment, and shown only as SHA-256 prefixes.

mod admin;
mod catalogue;
mod citizen;
mod cli;
mod config;
mod context;
mod dlq;
mod notify;
mod qr;
mod store;
mod tokens;

pub use cli::*;
pub use dlq::{ReplayReport, replay};

/// A failure for the operator: printed as is, exit status 1.
pub type OpsError = Box<dyn std::error::Error + Send + Sync>;

/// Runs one command and returns what to print.
pub async fn run(cli: Cli) -> Result<String, OpsError> {
    match &cli.command {
        Command::Config(Config::Check { file }) => return config::check(file),
        Command::Catalogue(Catalogue::Check { file }) => return catalogue::check(file),
        Command::Admin(Admin::HashPassword) => return admin::hash_password(),
        Command::Store(StoreCmd::Compact) => return store::compact(&cli.target),
        Command::Store(StoreCmd::BackfillClosed) => {
            return store::backfill_closed(&cli.target).await;
        }
        // Without a deployment, only unsealed dead letters can be replayed.
        Command::Dlq(Dlq::Replay {
            queue_url,
            dlq_url,
            dry_run,
            max,
        }) if cli.target.table.is_none() && cli.target.data_dir.is_none() => {
            return dlq::replay_command(None, queue_url, dlq_url, *dry_run, *max).await;
        }
        _ => {}
    }
    let ctx = context::context(&cli.target).await?;
    match cli.command {
        Command::Tokens(Tokens::Import { oa, expires_in }) => {
            tokens::import(&ctx, &oa, expires_in).await
        }
        Command::Tokens(Tokens::Exchange { oa, code }) => tokens::exchange(&ctx, &oa, &code).await,
        Command::Tokens(Tokens::Refresh { oa }) => tokens::refresh(&ctx, &oa).await,
        Command::Tokens(Tokens::Show) => tokens::show(&ctx).await,
        Command::Qr(Qr::Print { codes, out }) => qr::print(&ctx, &codes, &out).await,
        Command::Notify(Notify::Resend { code }) => notify::resend(&ctx, &code).await,
        Command::Citizen(Citizen::Erase {
            tenant,
            phone,
            operator,
        }) => citizen::erase(&ctx, &tenant, &phone, &operator).await,
        Command::Notify(Notify::Test {
            tenant,
            phone,
            kind,
        }) => notify::test(&ctx, &tenant, &phone, &kind).await,
        Command::Dlq(Dlq::Replay {
            queue_url,
            dlq_url,
            dry_run,
            max,
        }) => dlq::replay_command(Some(&ctx), &queue_url, &dlq_url, dry_run, max).await,
        Command::Catalogue(Catalogue::Import { tenant, file }) => {
            catalogue::import(&ctx, &tenant, &file).await
        }
        Command::Catalogue(Catalogue::Show { tenant }) => catalogue::show(&ctx, &tenant).await,
        Command::Catalogue(Catalogue::Search { tenant, question }) => {
            catalogue::search(&ctx, &tenant, &question).await
        }
        Command::Store(StoreCmd::Purge { compact }) => {
            let report = store::purge(&ctx).await?;
            drop(ctx);
            match compact {
                true => Ok(format!("{report}\n{}", store::compact(&cli.target)?)),
                false => Ok(report),
            }
        }
        Command::Config(_)
        | Command::Catalogue(Catalogue::Check { .. })
        | Command::Admin(_)
        | Command::Store(StoreCmd::Compact | StoreCmd::BackfillClosed) => {
            unreachable!("handled above")
        }
    }
}
