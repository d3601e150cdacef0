//! Idempotency keys: claim, complete, release.

use super::*;

#[derive(Serialize, Deserialize)]
pub(super) struct IdemRecord {
    completed: bool,
    lease_until_ms: i64,
    pub(super) expires_at_ms: i64,
    result: Option<String>,
}

#[async_trait]
impl IdempotencyStore for EmbeddedStore {
    async fn claim(
        &self,
        key_: &str,
        now: DateTime<Utc>,
        lease: Duration,
        keep_for: Duration,
    ) -> StoreResult<Claim> {
        let k = key_.to_string();
        let now_ms = now.timestamp_millis();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
                if let Some(r) = get_json::<IdemRecord>(&t, &k)?
                    && r.expires_at_ms >= now_ms
                {
                    if r.completed {
                        return Ok(Claim::Completed { result: r.result });
                    }
                    if r.lease_until_ms >= now_ms {
                        return Ok(Claim::InProgress);
                    }
                }
                let record = IdemRecord {
                    completed: false,
                    lease_until_ms: now_ms.saturating_add(millis(lease)),
                    expires_at_ms: now_ms.saturating_add(millis(keep_for)),
                    result: None,
                };
                put_json(&mut t, &k, &record)?;
                expire_at(txn, at_ms(record.expires_at_ms), Expiring::Idempotency, &k)?;
                Ok(Claim::Acquired)
            })
            .await
    }

    async fn complete(
        &self,
        key_: &str,
        result: Option<&str>,
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> StoreResult<()> {
        let k = key_.to_string();
        let record = IdemRecord {
            completed: true,
            lease_until_ms: 0,
            expires_at_ms: now.timestamp_millis().saturating_add(millis(keep_for)),
            result: result.map(str::to_string),
        };
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
                put_json(&mut t, &k, &record)?;
                expire_at(txn, at_ms(record.expires_at_ms), Expiring::Idempotency, &k)
            })
            .await
    }

    async fn release(&self, key_: &str) -> StoreResult<()> {
        let k = key_.to_string();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
                t.remove(k.as_str()).map_err(unavailable)?;
                Ok(())
            })
            .await
    }
}

fn at_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MAX_UTC)
}
