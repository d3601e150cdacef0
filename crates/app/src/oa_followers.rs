//! Zalo's own follower count of each tenant's OA, read once per Vietnam day into the
//! statistics (`followers.zalo`), next to the follows and unfollows counted from webhook events.
//! Run from an hourly schedule: a day's read happens at the first run that day, exactly once
//! (a failed read is retried at the next run).

use std::time::Duration;

use serde::Serialize;

use crate::messenger::Messenger;
use crate::once::{Once, Terms, exactly_once};
use crate::ports::{Clock, Store, StoreError};
use crate::tenancy::Tenancy;

/// The counter; its value on a day is the count Zalo gave that day.
pub const ZALO_FOLLOWERS: &str = "followers.zalo";

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct FollowersReport {
    /// Tenant id and the count read now.
    pub read: Vec<(String, u64)>,
    /// Already read today.
    pub already: Vec<String>,
    /// Tenant id and why (operator English, no token).
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("{0}")]
    Zalo(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn record_followers(
    store: &dyn Store,
    tenancy: &Tenancy,
    messenger: &dyn Messenger,
    clock: &dyn Clock,
) -> FollowersReport {
    let mut report = FollowersReport::default();
    let day = motcua_domain::time::to_vn(clock.now()).date_naive();
    let terms = Terms {
        lease: Duration::from_secs(120),
        keep_for: Duration::from_secs(3 * 24 * 3600),
    };
    for tenant in tenancy.directory().iter() {
        let t = &tenant.id;
        let Some(oa) = tenant.oa_id.as_deref() else {
            continue;
        };
        let work = async {
            let count = messenger
                .follower_count(oa)
                .await
                .map_err(|e| ReadError::Zalo(e.detail))?;
            let value = i64::try_from(count).unwrap_or(i64::MAX);
            store.incr(t, ZALO_FOLLOWERS, day, value).await?;
            Ok::<_, ReadError>(count)
        };
        let key = format!("getoa#{t}#{day}");
        match exactly_once(store, clock, &key, terms, work, |n| Some(n.to_string())).await {
            Ok(Once::Done(count)) => {
                tracing::info!(tenant = %t, count, "Zalo follower count recorded");
                report.read.push((t.to_string(), count));
            }
            Ok(Once::Before(_) | Once::Busy) => report.already.push(t.to_string()),
            Err(e) => {
                tracing::warn!(tenant = %t, error = %e, "Zalo follower count not read");
                report.failed.push((t.to_string(), e.to_string()));
            }
        }
    }
    report
}
