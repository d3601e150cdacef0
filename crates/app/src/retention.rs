//! The purge (daily): deletes what each tenant's retention (`[tenant.retention]`) says is no
//! longer needed. Closed dossiers with their timelines, closed tickets with their messages, and
//! records whose expiry was fixed when written (DynamoDB deletes those itself by TTL). Each
//! run stops at its time budget; the next one goes on where it stopped.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::Metrics;
use crate::ports::{Clock, Store, StoreError};
use crate::tenancy::Tenancy;

#[derive(Debug, Clone)]
pub struct PurgeSettings {
    /// Records deleted per store call.
    pub batch: usize,
    /// A run stops starting new batches after this long (the Lambda's timeout is longer).
    pub time_budget: Duration,
}

impl Default for PurgeSettings {
    fn default() -> Self {
        PurgeSettings {
            batch: 100,
            time_budget: Duration::from_secs(600),
        }
    }
}

impl PurgeSettings {
    /// Defaults, with `MOTCUA_PURGE_BUDGET_SECONDS` overriding the time budget.
    pub fn from_env() -> Self {
        let mut s = PurgeSettings::default();
        if let Some(secs) = std::env::var("MOTCUA_PURGE_BUDGET_SECONDS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            s.time_budget = Duration::from_secs(secs);
        }
        s
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    pub dossiers: usize,
    pub tickets: usize,
    /// Expired records deleted by the sweep (always 0 on DynamoDB, where TTL does it).
    pub expired: usize,
    /// The time budget ran out: more may be left for the next run.
    pub unfinished: bool,
}

pub struct Purge {
    pub store: Arc<dyn Store>,
    pub tenancy: Tenancy,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<dyn Metrics>,
    pub settings: PurgeSettings,
}

impl Purge {
    pub async fn run(&self) -> Result<PurgeReport, StoreError> {
        let now = self.clock.now();
        let started = std::time::Instant::now();
        let batch = self.settings.batch.max(1);
        let out_of_time = || started.elapsed() >= self.settings.time_budget;
        let mut report = PurgeReport::default();
        for tenant in self.tenancy.directory().iter() {
            let (id, r) = (&tenant.id, tenant.retention);
            let dossiers = drain(batch, &out_of_time, || {
                self.store
                    .purge_closed_dossiers(id, r.dossiers_closed_before(now), batch)
            })
            .await?;
            let tickets = drain(batch, &out_of_time, || {
                self.store
                    .purge_closed_tickets(id, r.tickets_closed_before(now), batch)
            })
            .await?;
            let dims = [("Tenant", id.as_str())];
            self.metrics.count("PurgedDossiers", dossiers as f64, &dims);
            self.metrics.count("PurgedTickets", tickets as f64, &dims);
            report.dossiers += dossiers;
            report.tickets += tickets;
        }
        report.expired =
            drain(batch, &out_of_time, || self.store.purge_expired(now, batch)).await?;
        report.unfinished = out_of_time();
        tracing::info!(?report, "purge");
        Ok(report)
    }
}

/// Calls `purge` (one batch of at most `batch`) until a batch comes back short or the time is
/// up; returns how many were purged.
async fn drain<F, Fut>(
    batch: usize,
    out_of_time: &impl Fn() -> bool,
    mut purge: F,
) -> Result<usize, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, StoreError>>,
{
    let mut total = 0;
    loop {
        let n = purge().await?;
        total += n;
        if n < batch || out_of_time() {
            return Ok(total);
        }
    }
}
