//! Shared call budgets: one counter per key and fixed window, taken in one write transaction.
//! Windows before the current one are removed as the key moves on, so a key keeps one record.

use super::*;

#[async_trait]
impl BudgetStore for EmbeddedStore {
    async fn take_budget(
        &self,
        budget: &str,
        window_start: DateTime<Utc>,
        limit: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let prefix = key(&[budget, ""]);
        let current = key(&[budget, &ms13(window_start)]);
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(BUDGETS).map_err(unavailable)?;
                let old: Vec<String> = t
                    .range(prefix.as_str()..current.as_str())
                    .map_err(unavailable)?
                    .map(|item| item.map(|(k, _)| k.value().to_string()))
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                for k in &old {
                    t.remove(k.as_str()).map_err(unavailable)?;
                }
                let taken = t
                    .get(current.as_str())
                    .map_err(unavailable)?
                    .map_or(0, |v| v.value());
                if taken >= limit {
                    return Ok(false);
                }
                t.insert(current.as_str(), taken + 1).map_err(unavailable)?;
                drop(t);
                if taken == 0 {
                    // a client seen once leaves no record behind
                    expire_at(txn, expires_at, Expiring::Budget, &current)?;
                }
                Ok(true)
            })
            .await
    }
}
