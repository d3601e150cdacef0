//! Sending later. A second admin's approval may name a time, within [`MAX_AHEAD`]; the
//! scheduled job (due-watch `{"job": "announcements"}` every 5 minutes on AWS, a timer
//! locally) starts each announcement whose time has come. The store's conditional move to
//! sending lets exactly one start win, whoever presses "send" meanwhile; the recipients are
//! counted at the start, not at the approval.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use motcua_domain::TenantId;
use serde::Serialize;

use super::{AnnouncementJob, MAX_RECIPIENTS, since};
use crate::ports::{Announcement, AnnouncementStatus, Clock, Queue, QueueError, Store, StoreError};
use crate::tenancy::Tenancy;

/// The furthest ahead an announcement can be scheduled.
pub const MAX_AHEAD: Duration = Duration::days(30);

/// Moves `a` to sending with its recipients counted at `now`; `false` if it was sending
/// already.
pub(super) async fn begin(
    store: &dyn Store,
    a: &Announcement,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let recipients = match since(a, now) {
        None => 1,
        Some(from) => store
            .zalo_users_active_since(&a.tenant, from, MAX_RECIPIENTS)
            .await?
            .len() as u64,
    };
    store.begin_sending(&a.tenant, &a.id, recipients, now).await
}

/// Queues the job that sends `id` from its first recipient.
pub(super) async fn queue_job(
    queue: &dyn Queue,
    tenant: &TenantId,
    id: &str,
) -> Result<(), QueueError> {
    let job = AnnouncementJob {
        tenant: tenant.clone(),
        id: id.to_string(),
        from: 0,
    };
    let body = serde_json::to_string(&job).expect("a job serializes");
    queue.send(&body).await.map(|_| ())
}

/// What one run of the scheduled start did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Started {
    pub started: usize,
    /// Started, but the job could not be queued: an admin presses "send" again (RUNBOOK).
    pub not_queued: usize,
}

/// The scheduled start over every tenant.
pub struct ScheduledStart {
    pub store: Arc<dyn Store>,
    pub tenancy: Tenancy,
    /// The announcement jobs' queue.
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
}

impl ScheduledStart {
    pub async fn run(&self) -> Result<Started, StoreError> {
        let now = self.clock.now();
        let mut out = Started::default();
        for tenant in self.tenancy.directory().iter() {
            // a scheduled one is at most 30 days old; 500 covers a busy province's month
            for a in self.store.list_announcements(&tenant.id, 500).await? {
                let due = a.scheduled_for.is_some_and(|at| at <= now);
                if a.status != AnnouncementStatus::Scheduled || !due {
                    continue;
                }
                if !begin(self.store.as_ref(), &a, now).await? {
                    continue;
                }
                match queue_job(self.queue.as_ref(), &a.tenant, &a.id).await {
                    Ok(()) => {
                        out.started += 1;
                        tracing::info!(tenant = %a.tenant, announcement = %a.id, "scheduled announcement started");
                    }
                    Err(e) => {
                        out.not_queued += 1;
                        tracing::error!(tenant = %a.tenant, announcement = %a.id, error = %e,
                            "scheduled announcement started but its job was not queued; press send again");
                    }
                }
            }
        }
        Ok(out)
    }
}
