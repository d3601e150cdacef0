//! OA tokens (`TOKENS`, written conditionally on `version`) and the refresh lease (`LEASE`),
//! both under the OA's partition.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use chrono::{DateTime, Utc};
use motcua_app::{OaTokens, StoreError, StoreResult, TokenStore};

use crate::DynamoStore;
use crate::item::{BODY, Fields, body, keyed, n, s};
use crate::keys::{self, LEASE, TOKENS};

#[async_trait]
impl TokenStore for DynamoStore {
    async fn get_tokens(&self, oa_id: &str) -> StoreResult<Option<OaTokens>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::oa(oa_id)))
            .key("SK", s(TOKENS))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (OA tokens)", err))?;
        out.item().map(|item| Fields(item).body()).transpose()
    }

    async fn put_tokens(&self, tokens: &OaTokens) -> StoreResult<()> {
        let conflict = || {
            StoreError::Conflict(format!(
                "tokens of OA {}: version {} does not follow the stored version",
                tokens.oa_id, tokens.version
            ))
        };
        let mut item = keyed(keys::oa(&tokens.oa_id), TOKENS);
        item.insert("version".into(), n(tokens.version));
        item.insert(BODY.into(), body(tokens));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = match tokens.version {
            0 => return Err(conflict()),
            1 => put.condition_expression("attribute_not_exists(PK)"),
            next => put
                .condition_expression("#v = :previous")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":previous", n(next - 1)),
        };
        if self.put_conditionally("PutItem (OA tokens)", put).await? {
            Ok(())
        } else {
            Err(conflict())
        }
    }

    async fn acquire_lease(
        &self,
        oa_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let now_ms = now.timestamp_millis();
        let until_ms = now_ms.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        let mut item = keyed(keys::oa(oa_id), LEASE);
        item.insert("holder".into(), s(holder));
        item.insert("until_ms".into(), n(until_ms));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR #until <= :now")
            .expression_attribute_names("#until", "until_ms")
            .expression_attribute_values(":now", n(now_ms));
        self.put_conditionally("PutItem (OA token refresh lease)", put)
            .await
    }

    async fn release_lease(&self, oa_id: &str, holder: &str) -> StoreResult<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(keys::oa(oa_id)))
            .key("SK", s(LEASE))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            // Someone else holds it (or nobody does): not ours to free.
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(self.unavailable("DeleteItem (OA token refresh lease)", err)),
            Ok(_) => Ok(()),
        }
    }
}
