//! OA tokens and the refresh lease.

use super::*;

#[derive(Serialize, Deserialize)]
struct Lease {
    holder: String,
    until_ms: i64,
}

#[async_trait]
impl TokenStore for EmbeddedStore {
    async fn get_tokens(&self, oa_id: &str) -> StoreResult<Option<OaTokens>> {
        let k = oa_id.to_string();
        self.db
            .read(move |txn| get_json(&txn.open_table(TOKENS).map_err(unavailable)?, &k))
            .await
    }

    async fn put_tokens(&self, tokens: &OaTokens) -> StoreResult<()> {
        let tokens = tokens.clone();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(TOKENS).map_err(unavailable)?;
                let stored = get_json::<OaTokens>(&t, &tokens.oa_id)?.map_or(0, |s| s.version);
                if tokens.version != stored + 1 {
                    return Err(StoreError::Conflict(format!(
                        "tokens of OA {} are at version {stored}, cannot write version {}",
                        tokens.oa_id, tokens.version
                    )));
                }
                put_json(&mut t, &tokens.oa_id, &tokens)
            })
            .await
    }

    async fn acquire_lease(
        &self,
        oa_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let k = oa_id.to_string();
        let holder = holder.to_string();
        let now_ms = now.timestamp_millis();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(LEASES).map_err(unavailable)?;
                if let Some(l) = get_json::<Lease>(&t, &k)?
                    && l.until_ms > now_ms
                {
                    return Ok(false);
                }
                let lease = Lease {
                    holder,
                    until_ms: now_ms.saturating_add(millis(ttl)),
                };
                put_json(&mut t, &k, &lease)?;
                Ok(true)
            })
            .await
    }

    async fn release_lease(&self, oa_id: &str, holder: &str) -> StoreResult<()> {
        let k = oa_id.to_string();
        let holder = holder.to_string();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(LEASES).map_err(unavailable)?;
                if get_json::<Lease>(&t, &k)?.is_some_and(|l| l.holder == holder) {
                    t.remove(k.as_str()).map_err(unavailable)?;
                }
                Ok(())
            })
            .await
    }
}
