//! The canary: once an hour, outside the quiet hours, each tenant that names a staff tester
//! (`[tenant.canary] zalo_user`) sends them a consultation message through the same Zalo path
//! as every notice (tokens, rate limit, the OA). A refusal counts `CanaryFailed` (alarmed), so
//! a revoked grant, an OA that lost its permissions or a Zalo outage is found by the canary and
//! not by a citizen. The time Zalo took is `CanarySeconds`.

use std::sync::Arc;

use motcua_domain::catalogue::canary_text;
use motcua_domain::time;
use serde::Serialize;

use crate::messenger::{Messenger, Outgoing};
use crate::metrics::Metrics;
use crate::ports::Clock;
use crate::tenancy::Tenancy;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct CanaryReport {
    pub ok: Vec<String>,
    /// Tenant and why (operator English, no user id).
    pub failed: Vec<(String, String)>,
    /// In their quiet hours: nobody's phone buzzes at night for a check.
    pub quiet: Vec<String>,
}

pub struct Canary {
    pub tenancy: Tenancy,
    pub messenger: Arc<dyn Messenger>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<dyn Metrics>,
}

impl Canary {
    pub async fn run(&self) -> CanaryReport {
        let mut report = CanaryReport::default();
        let now = self.clock.now();
        for tenant in self.tenancy.directory().iter() {
            let Some(canary) = &tenant.canary else {
                continue;
            };
            let id = tenant.id.to_string();
            let quiet = tenant.notify.quiet_hours.as_ref();
            if quiet.is_some_and(|q| q.remaining(now).is_some()) {
                report.quiet.push(id);
                continue;
            }
            let dims = [("Tenant", tenant.id.as_str())];
            let Some(oa) = tenant.oa_id.as_deref() else {
                self.failed(&mut report, id, "the tenant has no Zalo OA".into());
                continue;
            };
            let message = Outgoing {
                text: canary_text(&tenant.name, &time::vn_datetime(now)),
                ..Outgoing::default()
            };
            let started = std::time::Instant::now();
            match self
                .messenger
                .send_cs(oa, &canary.zalo_user, &message)
                .await
            {
                Ok(_) => {
                    let took = started.elapsed().as_secs_f64();
                    self.metrics.seconds("CanarySeconds", took, &dims);
                    tracing::info!(tenant = %tenant.id, seconds = took, "canary delivered");
                    report.ok.push(id);
                }
                Err(e) => {
                    let why = format!("{:?}: {}", e.failure, e.detail);
                    self.failed(&mut report, id, why);
                }
            }
        }
        report
    }

    fn failed(&self, report: &mut CanaryReport, tenant: String, why: String) {
        self.metrics
            .count("CanaryFailed", 1.0, &[("Tenant", tenant.as_str())]);
        tracing::error!(tenant, reason = %why, "canary failed: notices may not reach citizens");
        report.failed.push((tenant, why));
    }
}
