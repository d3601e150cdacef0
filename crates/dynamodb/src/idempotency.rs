//! Idempotency records with AWS Lambda Powertools semantics: `status` IN_PROGRESS or COMPLETED,
//! a lease for in-progress work, an expiry, and `ttl` so that DynamoDB removes old records.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Utc};
use motcua_app::{Claim, IdempotencyStore, StoreResult};

use crate::DynamoStore;
use crate::item::{Fields, keyed, n, s};
use crate::keys::{self, META};

const IN_PROGRESS: &str = "IN_PROGRESS";
const COMPLETED: &str = "COMPLETED";

/// `now + span` in epoch milliseconds.
fn millis_after(now: DateTime<Utc>, span: Duration) -> i64 {
    let span = i64::try_from(span.as_millis()).unwrap_or(i64::MAX);
    now.timestamp_millis().saturating_add(span)
}

/// DynamoDB TTL is in epoch seconds; round up so that TTL never ends a record early.
fn ttl_seconds(expires_at_ms: i64) -> i64 {
    expires_at_ms.saturating_add(999).div_euclid(1000)
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn claim(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease: Duration,
        keep_for: Duration,
    ) -> StoreResult<Claim> {
        let expires_at_ms = millis_after(now, keep_for);
        let mut item = keyed(keys::idempotency(key), META);
        item.insert("status".into(), s(IN_PROGRESS));
        item.insert("lease_until_ms".into(), n(millis_after(now, lease)));
        item.insert("expires_at_ms".into(), n(expires_at_ms));
        item.insert("ttl".into(), n(ttl_seconds(expires_at_ms)));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(PK) OR #expires < :now \
                 OR (#status = :in_progress AND #lease < :now)",
            )
            .expression_attribute_names("#expires", "expires_at_ms")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#lease", "lease_until_ms")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let stored = failed
                        .item()
                        .ok_or_else(|| self.missing_old_item("PutItem (idempotency claim)"))?;
                    let stored = Fields(stored);
                    if stored.str("status")? == COMPLETED {
                        Ok(Claim::Completed {
                            result: stored.opt_str("result")?.map(str::to_string),
                        })
                    } else {
                        Ok(Claim::InProgress)
                    }
                }
                _ => Err(self.unavailable("PutItem (idempotency claim)", err)),
            },
        }
    }

    async fn complete(
        &self,
        key: &str,
        result: Option<&str>,
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> StoreResult<()> {
        let expires_at_ms = millis_after(now, keep_for);
        let (set_result, remove_result) = match result {
            Some(_) => (", #result = :result", ""),
            None => ("", ", #result"),
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(keys::idempotency(key)))
            .key("SK", s(META))
            .update_expression(format!(
                "SET #status = :completed, #expires = :expires, #ttl = :ttl{set_result} \
                 REMOVE #lease{remove_result}"
            ))
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#expires", "expires_at_ms")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#lease", "lease_until_ms")
            .expression_attribute_names("#result", "result")
            .expression_attribute_values(":completed", s(COMPLETED))
            .expression_attribute_values(":expires", n(expires_at_ms))
            .expression_attribute_values(":ttl", n(ttl_seconds(expires_at_ms)));
        if let Some(result) = result {
            update = update.expression_attribute_values(":result", s(result));
        }
        update
            .send()
            .await
            .map_err(|err| self.unavailable("UpdateItem (idempotency completion)", err))?;
        Ok(())
    }

    async fn release(&self, key: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(keys::idempotency(key)))
            .key("SK", s(META))
            .send()
            .await
            .map_err(|err| self.unavailable("DeleteItem (idempotency release)", err))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_to_the_next_second() {
        assert_eq!(ttl_seconds(1_700_000_000_000), 1_700_000_000);
        assert_eq!(ttl_seconds(1_700_000_000_001), 1_700_000_001);
    }
}
