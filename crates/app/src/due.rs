//! Time-based flags the one-stop system does not send: dossiers whose appointment date is near
//! (default 24 h) and dossiers past it, flagged once each for staff (timeline entry, counter,
//! metric) so that they can act before and after the date. Citizens are not messaged from
//! here: the apology with a new date comes from the agency (`overdue_apology` events).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua_domain::{Dossier, TimelineEntry, time};

use crate::metrics::Metrics;
use crate::once::{Once, Terms, exactly_once};
use crate::ports::{Clock, Store, StoreError};
use crate::tenancy::Tenancy;

#[derive(Debug, Clone)]
pub struct DueSettings {
    /// Flag dossiers whose appointment is within this long.
    pub warn_before: Duration,
    /// How far back overdue dossiers are looked for.
    pub overdue_lookback: Duration,
}

impl Default for DueSettings {
    fn default() -> Self {
        DueSettings {
            warn_before: Duration::from_secs(24 * 3600),
            overdue_lookback: Duration::from_secs(365 * 24 * 3600),
        }
    }
}

impl DueSettings {
    /// Defaults, with `MOTCUA_DUE_WARN_HOURS` overriding the warning window.
    pub fn from_env() -> Self {
        let mut s = DueSettings::default();
        if let Some(h) = std::env::var("MOTCUA_DUE_WARN_HOURS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            s.warn_before = Duration::from_secs(h * 3600);
        }
        s
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DueReport {
    /// Newly flagged in this run (already flagged ones are not counted again).
    pub due_soon: usize,
    pub overdue: usize,
}

pub struct DueWatch {
    pub store: Arc<dyn Store>,
    pub tenancy: Tenancy,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<dyn Metrics>,
    pub settings: DueSettings,
}

const KEEP: Duration = Duration::from_secs(400 * 24 * 3600);

impl DueWatch {
    pub async fn run(&self) -> Result<DueReport, StoreError> {
        let now = self.clock.now();
        let span = |d: Duration| chrono::Duration::from_std(d).expect("settings fit");
        let mut report = DueReport::default();
        for tenant in self.tenancy.directory().iter() {
            let soon = self
                .store
                .dossiers_due_between(&tenant.id, now, now + span(self.settings.warn_before))
                .await?;
            for d in soon.iter().filter(|d| !d.status.waits_for_citizen()) {
                if self.flag(d, "due_soon", now).await? {
                    report.due_soon += 1;
                }
            }
            let late = self
                .store
                .dossiers_due_between(&tenant.id, now - span(self.settings.overdue_lookback), now)
                .await?;
            for d in late.iter().filter(|d| d.is_overdue(now)) {
                if self.flag(d, "overdue", now).await? {
                    report.overdue += 1;
                    self.metrics
                        .count("DossierOverdue", 1.0, &[("Tenant", tenant.id.as_str())]);
                }
            }
        }
        Ok(report)
    }

    /// Flags once per dossier, kind and appointment date (a new date can be flagged again).
    async fn flag(&self, d: &Dossier, kind: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let due = d
            .due_at
            .expect("the due index only holds dossiers with a date");
        let key = format!("{kind}#{}#{}#{}", d.tenant, d.code, due.timestamp());
        let entry = TimelineEntry {
            at: now,
            version: d.version,
            event_id: format!("due-watch-{}", due.timestamp()),
            kind: kind.to_string(),
            status: d.status,
            step_label: d.step_label.clone(),
            note: Some(format!("hẹn trả {}", time::vn_datetime(due))),
        };
        let recorded = async {
            self.store
                .add_timeline_entry(&d.tenant, &d.code, &entry)
                .await?;
            self.store
                .incr(
                    &d.tenant,
                    &format!("dossier.{kind}"),
                    time::to_vn(now).date_naive(),
                    1,
                )
                .await
        };
        let terms = Terms {
            lease: Duration::from_secs(300),
            keep_for: KEEP,
        };
        match exactly_once(&*self.store, &*self.clock, &key, terms, recorded, |_| {
            Some(kind.to_string())
        })
        .await?
        {
            Once::Done(()) => {
                tracing::info!(tenant = %d.tenant, code = %d.code, kind, "dossier flagged for staff");
                Ok(true)
            }
            Once::Before(_) | Once::Busy => Ok(false),
        }
    }
}
