//! The guards on money: a tenant's daily ZNS spend cap (`[tenant.notify] zns_daily_cap_vnd`),
//! shared by every ZNS the tenant sends (notices, phone-proving codes, staff answers), and the
//! alarms Zalo's own billing refusals raise at once (`-115` out of ZNS balance, `-144` the OA's
//! daily ZNS quota).
//!
//! The cap is a shared budget (`BudgetStore::take_budget`, atomic across instances) of
//! `cap / price` ZNS per Vietnam day, taken before each ZNS notice: a ZNS that Zalo then refuses
//! still counts, so the cap errs on the side of spending less. A second budget of 80 % of it,
//! taken on each send, is refused from the send that reaches 80 %: each such send counts
//! `ZnsSpendCapWarning` (its alarm).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use motcua_domain::{Protected, Tenant, time};

use super::{Notifier, Step};
use crate::messenger::{Delivered, SendError};
use crate::pii::PiiKeys;

/// A ZNS notice about to go.
pub(super) struct ZnsNotice<'a> {
    pub template: &'a str,
    pub params: &'a BTreeMap<String, String>,
    pub tracking: &'a str,
    pub now: DateTime<Utc>,
}

impl Notifier {
    /// Sends a ZNS notice to `phone` within the tenant's cap; `Err` with the reason when it
    /// cannot go (the stored phone does not open, or the cap is reached).
    pub(super) async fn zns_within_cap(
        &self,
        tenant: &Tenant,
        keys: &PiiKeys,
        phone: &Protected,
        zns: ZnsNotice<'_>,
    ) -> Result<Result<Result<Delivered, SendError>, String>, Step> {
        let number = match keys.open_phone(phone) {
            Ok(number) => number,
            Err(e) => return Ok(Err(format!("zns: stored phone unusable ({e})"))),
        };
        if !self.take_zns_spend(tenant, zns.now).await? {
            return Ok(Err("zns: daily spend cap reached".into()));
        }
        let oa = tenant.oa_id.as_deref().unwrap_or_default();
        let development = tenant.zalo.zns_development;
        Ok(Ok(self
            .messenger
            .send_zns(
                oa,
                &number,
                zns.template,
                zns.params,
                zns.tracking,
                development,
            )
            .await))
    }

    /// Takes one ZNS notice out of the tenant's cap for today; false at the cap.
    pub(super) async fn take_zns_spend(
        &self,
        tenant: &Tenant,
        now: DateTime<Utc>,
    ) -> Result<bool, Step> {
        let spend = take_zns_spend(self.store.as_ref(), tenant, now).await?;
        Ok(spend.alarm(self.metrics.as_ref(), tenant))
    }

    /// Zalo's billing refusals alarm at once.
    pub(super) fn billing_alarm(&self, tenant: &Tenant, e: &SendError) {
        let metric = match e.zalo_code {
            Some(-115) => "ZnsBalanceExhausted",
            Some(-144) => "ZnsDailyQuotaReached",
            _ => return,
        };
        self.metrics.count(metric, 1.0, &[]);
        tracing::error!(tenant = %tenant.id, metric, detail = %e.detail, "Zalo refused ZNS for billing");
    }
}

/// Where one ZNS leaves the tenant's daily cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spend {
    /// No cap, or under 80 % of it.
    Within,
    /// Taken, at or over 80 %.
    Warning,
    /// Not taken: the cap is reached.
    Capped,
}

impl Spend {
    /// Counts the cap's alarms; whether the ZNS may go.
    pub(crate) fn alarm(self, metrics: &dyn crate::metrics::Metrics, tenant: &Tenant) -> bool {
        match self {
            Spend::Within => true,
            Spend::Warning => {
                metrics.count("ZnsSpendCapWarning", 1.0, &[]);
                tracing::warn!(tenant = %tenant.id, "over 80 % of the daily ZNS spend cap");
                true
            }
            Spend::Capped => {
                metrics.count("ZnsSpendCapReached", 1.0, &[]);
                tracing::warn!(tenant = %tenant.id, "daily ZNS spend cap reached; no ZNS until tomorrow");
                false
            }
        }
    }
}

/// Takes one ZNS (a notice, a phone-proving code, a staff answer) out of the tenant's cap for
/// the Vietnam day of `now`: one shared budget of `cap / price` sends, atomic across
/// instances.
pub(crate) async fn take_zns_spend(
    store: &dyn crate::ports::Store,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> Result<Spend, crate::ports::StoreError> {
    let Some(cap) = tenant.notify.zns_daily_cap_vnd else {
        return Ok(Spend::Within);
    };
    let sends = cap / u64::from(tenant.prices.zns.max(1));
    let day = time::to_vn(now).date_naive();
    let day_start = time::vn_midnight_utc(day);
    let expires = day_start + Duration::days(2);
    let key = format!("zns-spend:{}", tenant.id);
    if !store.take_budget(&key, day_start, sends, expires).await? {
        return Ok(Spend::Capped);
    }
    let warn_from = (sends * 4).div_ceil(5).saturating_sub(1);
    let warning = format!("{key}:80");
    if !store
        .take_budget(&warning, day_start, warn_from, expires)
        .await?
    {
        return Ok(Spend::Warning);
    }
    Ok(Spend::Within)
}
