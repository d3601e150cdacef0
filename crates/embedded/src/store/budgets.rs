//! Shared call budgets: one counter per key and fixed window, taken in one write transaction,
//! removed by the expiry sweep after its window as DynamoDB's TTL removes the item. A window
//! keeps its count while callers that read the clock before it ended are still taking from it:
//! dropping it when the next window began gave such a straggler a fresh count, one call over.

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
        let current = key(&[budget, &ms13(window_start)]);
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(BUDGETS).map_err(unavailable)?;
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
