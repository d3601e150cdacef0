//! Shared call budgets: an item per key and fixed window, `ADD n 1` conditional on `n < limit`,
//! removed by DynamoDB's TTL after the window.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use chrono::{DateTime, Utc};
use motcua_app::{BudgetStore, StoreResult};

use crate::DynamoStore;
use crate::item::{n, s};
use crate::keys;

#[async_trait]
impl BudgetStore for DynamoStore {
    async fn take_budget(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        limit: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let taken = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(keys::budget(key)))
            .key("SK", s(keys::budget_window(window_start)))
            .update_expression("ADD #n :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#n) OR #n < :limit")
            .expression_attribute_names("#n", "n")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":ttl", n(expires_at.timestamp() + 1))
            .send()
            .await;
        match taken {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(self.unavailable("UpdateItem (shared budget)", err)),
            },
        }
    }
}
