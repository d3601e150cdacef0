//! Staff answers waiting for the citizen's next interaction: `PA#{tenant}#{user}` /
//! `{n20}#{ms13}#{message id}`, with `ttl`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_app::{PendingAnswer, PendingAnswerStore, StoreResult};
use motcua_domain::TenantId;

use crate::DynamoStore;
use crate::item::{BODY, Fields, body, keyed, n, s};
use crate::keys;

#[async_trait]
impl PendingAnswerStore for DynamoStore {
    async fn add_pending_answer(
        &self,
        tenant: &TenantId,
        user_id: &str,
        answer: &PendingAnswer,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let sk = keys::pending_answer(answer.number, answer.at, &answer.message_id);
        let mut item = keyed(keys::pending_answers(tenant, user_id), &sk);
        item.insert(BODY.into(), body(answer));
        item.insert("ttl".into(), n(expires_at.timestamp()));
        self.put("PutItem (pending answer)", item).await
    }

    async fn pending_answers(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Vec<PendingAnswer>> {
        let query = self
            .query()
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(keys::pending_answers(tenant, user_id)))
            .consistent_read(true);
        self.query_all("Query (pending answers)", query)
            .await?
            .iter()
            .map(|item| Fields(item).body())
            .collect()
    }

    async fn remove_pending_answer(
        &self,
        tenant: &TenantId,
        user_id: &str,
        answer: &PendingAnswer,
    ) -> StoreResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(keys::pending_answers(tenant, user_id)))
            .key(
                "SK",
                s(keys::pending_answer(
                    answer.number,
                    answer.at,
                    &answer.message_id,
                )),
            )
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|err| self.unavailable("DeleteItem (pending answer)", err))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
