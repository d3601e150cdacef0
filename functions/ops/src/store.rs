//! `motcua-ops store purge|compact`: the retention purge on demand, and compaction of the local
//! database file after it.

use motcua_app::retention::{Purge, PurgeSettings};

use crate::context::Ctx;
use crate::{OpsError, Target};

pub(crate) async fn purge(ctx: &Ctx) -> Result<String, OpsError> {
    let purge = Purge {
        store: ctx.store.clone(),
        tenancy: ctx.deployment.tenancy.clone(),
        clock: ctx.clock.clone(),
        metrics: motcua_runtime::metrics(),
        settings: PurgeSettings {
            // an operator waits for the end
            time_budget: std::time::Duration::MAX,
            ..PurgeSettings::default()
        },
    };
    let r = purge.run().await?;
    Ok(format!(
        "purged {} closed dossier(s), {} closed ticket(s), {} expired record(s)",
        r.dossiers, r.tickets, r.expired
    ))
}

pub(crate) fn compact(target: &Target) -> Result<String, OpsError> {
    let Some(dir) = &target.data_dir else {
        return Err(
            "compaction is for a local data directory (--data-dir); DynamoDB needs none".into(),
        );
    };
    let path = dir.join("motcua.redb");
    let (before, after) = motcua_embedded::EmbeddedDb::compact_file(&path)?;
    Ok(format!(
        "compacted {}: {} bytes -> {} bytes",
        path.display(),
        before,
        after
    ))
}

pub(crate) async fn backfill_closed(target: &Target) -> Result<String, OpsError> {
    let Some(table) = &target.table else {
        return Err(
            "backfill-closed is for a DynamoDB table (--table); the embedded store indexes closed \
             dossiers by itself when it opens"
                .into(),
        );
    };
    let aws = motcua_runtime::aws::Aws::load().await?;
    let n = aws
        .store_named(table.clone())
        .backfill_closed_index()
        .await?;
    Ok(format!(
        "{table}: indexed {n} closed dossier(s); the next purge applies their retention"
    ))
}
