//! Staff answers waiting for the citizen's next interaction.

use motcua_domain::ticket::PendingAnswer;

use super::*;

fn pending_key(tenant: &TenantId, user: &str, a: &PendingAnswer) -> String {
    key(&[
        tenant.as_str(),
        user,
        &n20(a.number),
        &ms13(a.at),
        &a.message_id,
    ])
}

#[async_trait]
impl PendingAnswerStore for EmbeddedStore {
    async fn add_pending_answer(
        &self,
        tenant: &TenantId,
        user_id: &str,
        answer: &PendingAnswer,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let k = pending_key(tenant, user_id, answer);
        let answer = answer.clone();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(PENDING_ANSWERS).map_err(unavailable)?;
                put_json(&mut t, &k, &answer)?;
                drop(t);
                expire_at(txn, expires_at, Expiring::PendingAnswer, &k)
            })
            .await
    }

    async fn pending_answers(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Vec<PendingAnswer>> {
        let prefix = format!("{}{}", key(&[tenant.as_str(), user_id]), crate::db::SEP);
        self.db
            .read(move |txn| {
                let t = txn.open_table(PENDING_ANSWERS).map_err(unavailable)?;
                json_with_prefix(&t, &prefix)
            })
            .await
    }

    async fn remove_pending_answer(
        &self,
        tenant: &TenantId,
        user_id: &str,
        answer: &PendingAnswer,
    ) -> StoreResult<bool> {
        let k = pending_key(tenant, user_id, answer);
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(PENDING_ANSWERS).map_err(unavailable)?;
                Ok(t.remove(k.as_str()).map_err(unavailable)?.is_some())
            })
            .await
    }
}
