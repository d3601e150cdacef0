//! `tokens import|exchange|refresh|show`: the OA tokens, never printed (SHA-256 prefixes).

use std::time::Duration;

use motcua_zalo::TokenPair;
use motcua_zalo::tokens::hash_prefix;

use crate::OpsError;
use crate::context::{Ctx, env_secret};

/// The OA must have a Zalo app in the deployment.
fn known(ctx: &Ctx, oa: &str) -> Result<(), OpsError> {
    if ctx.manager.oa_ids().iter().any(|o| o == oa) {
        Ok(())
    } else {
        Err(format!("OA {oa} has no Zalo app configured (tenant [tenant.zalo] app_id and the zalo_app_secret secret)").into())
    }
}

pub(crate) async fn import(ctx: &Ctx, oa: &str, expires_in: u64) -> Result<String, OpsError> {
    known(ctx, oa)?;
    let pair = TokenPair {
        access_token: env_secret("ZALO_ACCESS_TOKEN")?,
        refresh_token: env_secret("ZALO_REFRESH_TOKEN")?,
        expires_in: Duration::from_secs(expires_in),
    };
    let t = ctx.manager.install(oa, &pair).await?;
    Ok(format!(
        "imported tokens for OA {oa}: version {}, access token valid until {}",
        t.version, t.access_expires_at
    ))
}

pub(crate) async fn exchange(ctx: &Ctx, oa: &str, code: &str) -> Result<String, OpsError> {
    known(ctx, oa)?;
    let verifier = env_secret("ZALO_CODE_VERIFIER")?;
    let t = ctx.manager.bootstrap_with_code(oa, code, &verifier).await?;
    Ok(format!(
        "granted: OA {oa} tokens version {}, access token valid until {}",
        t.version, t.access_expires_at
    ))
}

pub(crate) async fn refresh(ctx: &Ctx, oa: &str) -> Result<String, OpsError> {
    known(ctx, oa)?;
    let current = ctx.manager.current(oa).await?;
    let t = ctx.manager.after_rejection(oa, current.version).await?;
    Ok(format!(
        "refreshed: OA {oa} tokens version {}, access token valid until {}",
        t.version, t.access_expires_at
    ))
}

pub(crate) async fn show(ctx: &Ctx) -> Result<String, OpsError> {
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
