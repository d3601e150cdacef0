//! The deployment a command works on: AWS (`--table`) or a local data directory.

use std::sync::Arc;

use motcua_app::{Clock, Store, SystemClock};
use motcua_config::Deployment;
use motcua_zalo::{BaseUrls, TokenManager, ZaloMessenger};

use crate::{OpsError, Target};

pub(crate) struct Ctx {
    pub deployment: Deployment,
    pub store: Arc<dyn Store>,
    pub manager: Arc<TokenManager>,
    pub messenger: Arc<ZaloMessenger>,
    pub clock: Arc<dyn Clock>,
}

pub(crate) async fn context(target: &Target) -> Result<Ctx, OpsError> {
    let (deployment, store): (Deployment, Arc<dyn Store>) = match (&target.table, &target.data_dir)
    {
        (Some(table), _) => {
            let aws = motcua_runtime::aws::Aws::load().await?;
            let store = aws.store_named(table.clone());
            (aws.deployment, store)
        }
        (None, Some(dir)) => {
            let deployment = Deployment::from_files(&target.tenants, &dir.join("secrets.json"))?;
            // The local server seals ticket messages and queue bodies with this key; without
            // it, an erasure could not read what it must erase.
            let key = motcua_embedded::seal::load_or_create_key(&dir.join("queue.key"))
                .map_err(|e| format!("{}: {e}", dir.join("queue.key").display()))?;
            let db = motcua_embedded::EmbeddedDb::open(dir.join("motcua.redb"))?.seal_at_rest(&key);
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

pub(crate) fn env_secret(name: &str) -> Result<String, OpsError> {
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
