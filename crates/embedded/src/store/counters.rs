//! Daily and monthly counters.

use super::*;

fn day_key(tenant: &TenantId, metric: &str, day: NaiveDate) -> String {
    key(&[
        tenant.as_str(),
        metric,
        &format!("D{}", day.format("%Y-%m-%d")),
    ])
}

fn month_key(tenant: &TenantId, metric: &str, day: NaiveDate) -> String {
    key(&[
        tenant.as_str(),
        metric,
        &format!("M{:04}-{:02}", day.year(), day.month()),
    ])
}

#[async_trait]
impl CounterStore for EmbeddedStore {
    async fn incr(
        &self,
        tenant: &TenantId,
        metric: &str,
        day: NaiveDate,
        by: i64,
    ) -> StoreResult<()> {
        let keys = [day_key(tenant, metric, day), month_key(tenant, metric, day)];
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(COUNTERS).map_err(unavailable)?;
                for k in &keys {
                    let v = t
                        .get(k.as_str())
                        .map_err(unavailable)?
                        .map_or(0, |v| v.value());
                    t.insert(k.as_str(), v + by).map_err(unavailable)?;
                }
                Ok(())
            })
            .await
    }

    async fn incr_day_until(
        &self,
        tenant: &TenantId,
        metric: &str,
        day: NaiveDate,
        by: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let k = day_key(tenant, metric, day);
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(COUNTERS).map_err(unavailable)?;
                let v = t
                    .get(k.as_str())
                    .map_err(unavailable)?
                    .map_or(0, |v| v.value());
                t.insert(k.as_str(), v + by).map_err(unavailable)?;
                drop(t);
                if v == 0 {
                    expire_at(txn, expires_at, Expiring::Counter, &k)?;
                }
                Ok(())
            })
            .await
    }

    async fn daily(
        &self,
        tenant: &TenantId,
        metric: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, i64)>> {
        let (lo, hi) = (day_key(tenant, metric, from), day_key(tenant, metric, to));
        self.db
            .read(move |txn| {
                let t = txn.open_table(COUNTERS).map_err(unavailable)?;
                let mut out = Vec::new();
                for item in t.range(lo.as_str()..=hi.as_str()).map_err(unavailable)? {
                    let (k, v) = item.map_err(unavailable)?;
                    let day = k.value().rsplit(crate::db::SEP).next().unwrap_or_default();
                    let day = NaiveDate::parse_from_str(&day[1..], "%Y-%m-%d").map_err(|e| {
                        StoreError::Corrupt {
                            key: k.value().to_string(),
                            reason: e.to_string(),
                        }
                    })?;
                    out.push((day, v.value()));
                }
                Ok(out)
            })
            .await
    }

    async fn monthly(&self, tenant: &TenantId, metric: &str, month: NaiveDate) -> StoreResult<i64> {
        let k = month_key(tenant, metric, month);
        self.db
            .read(move |txn| {
                let t = txn.open_table(COUNTERS).map_err(unavailable)?;
                Ok(t.get(k.as_str())
                    .map_err(unavailable)?
                    .map_or(0, |v| v.value()))
            })
            .await
    }
}
