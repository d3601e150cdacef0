//! Purges. Closed dossiers are listed in GSI3 (`CLOSED#{tenant}`) by closing time, closed
//! tickets in GSI2 (`KS#{tenant}#closed`) by opening time; each is re-read consistently before
//! its partition is deleted, because an index may lag a reopening. Records with an expiry fixed
//! when written carry `ttl`, and DynamoDB deletes them itself.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use chrono::{DateTime, Utc};
use motcua_app::{RetentionStore, StoreError, StoreResult, Ticket, TicketStatus};
use motcua_domain::{Dossier, TenantId};

use crate::DynamoStore;
use crate::item::{Fields, Item, s};
use crate::keys::{self, GSI2, GSI3, META};

/// BatchWriteItem takes at most 25 requests.
const BATCH: usize = 25;

impl DynamoStore {
    /// Index entries (`PK`s) of `pk` in `index` with a sort key below `below`, at most `limit`
    /// when given.
    async fn listed_before(
        &self,
        index: &str,
        pk: String,
        below: String,
        limit: Option<usize>,
    ) -> StoreResult<Vec<String>> {
        let query = self
            .query()
            .index_name(index)
            .key_condition_expression(format!("{index}PK = :pk AND {index}SK < :below"))
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":below", s(below))
            .projection_expression("PK");
        let query = match limit {
            Some(l) => query.limit(i32::try_from(l).unwrap_or(i32::MAX)),
            None => query,
        };
        let mut pages = query.into_paginator().items().send();
        let mut out = Vec::new();
        while limit.is_none_or(|l| out.len() < l) {
            match pages.next().await {
                Some(Ok(item)) => out.push(Fields(&item).str("PK")?.to_string()),
                Some(Err(err)) => return Err(self.unavailable("Query (purge candidates)", err)),
                None => break,
            }
        }
        Ok(out)
    }

    /// Every item of a partition, read consistently.
    async fn partition(&self, pk: &str) -> StoreResult<Vec<Item>> {
        let query = self
            .query()
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(pk))
            .projection_expression("PK, SK, #body")
            .expression_attribute_names("#body", crate::item::BODY)
            .consistent_read(true);
        self.query_all("Query (partition to purge)", query).await
    }

    /// Deletes `items` (by key) in batches, resending what DynamoDB leaves unprocessed.
    async fn delete_items(&self, items: &[Item]) -> StoreResult<()> {
        for chunk in items.chunks(BATCH) {
            let mut requests = chunk
                .iter()
                .map(|item| {
                    let mut key = Item::new();
                    for k in ["PK", "SK"] {
                        if let Some(v) = item.get(k) {
                            key.insert(k.into(), v.clone());
                        }
                    }
                    DeleteRequest::builder()
                        .set_key(Some(key))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                        .map_err(|e| StoreError::Unavailable(format!("DeleteRequest: {e}")))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            for attempt in 0.. {
                if requests.is_empty() {
                    break;
                }
                if attempt == 8 {
                    return Err(StoreError::Unavailable(format!(
                        "BatchWriteItem (purge) on table {} left {} deletes unprocessed",
                        self.table,
                        requests.len()
                    )));
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|err| self.unavailable("BatchWriteItem (purge)", err))?;
                requests = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
                if !requests.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
            }
        }
        Ok(())
    }

    /// Deletes the partition `pk` if its `META` record still qualifies.
    async fn purge_partition<T: serde::de::DeserializeOwned>(
        &self,
        pk: &str,
        qualifies: impl Fn(&T) -> bool,
    ) -> StoreResult<bool> {
        let items = self.partition(pk).await?;
        let meta = items
            .iter()
            .find(|i| Fields(i).str("SK").is_ok_and(|sk| sk == META));
        match meta {
            Some(meta) if qualifies(&Fields(meta).body::<T>()?) => {
                self.delete_items(&items).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl RetentionStore for DynamoStore {
    async fn purge_closed_dossiers(
        &self,
        tenant: &TenantId,
        closed_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<usize> {
        if limit == 0 {
            return Ok(0);
        }
        let listed = self
            .listed_before(
                GSI3,
                keys::closed(tenant),
                keys::ms13(closed_before),
                Some(limit),
            )
            .await?;
        let mut purged = 0;
        for pk in listed {
            let closed = |d: &Dossier| d.closed_at().is_some_and(|at| at < closed_before);
            purged += usize::from(self.purge_partition(&pk, closed).await?);
        }
        Ok(purged)
    }

    async fn purge_closed_tickets(
        &self,
        tenant: &TenantId,
        closed_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<usize> {
        // A ticket closes after it opens: every one closed before the cutoff is listed with an
        // opening time before it; those closed later are skipped.
        let listed = self
            .listed_before(
                GSI2,
                keys::status_tickets(tenant, TicketStatus::Closed),
                keys::ms13(closed_before),
                None,
            )
            .await?;
        let mut purged = 0;
        for pk in listed {
            if purged == limit {
                break;
            }
            let closed = |t: &Ticket| t.closed_at().is_some_and(|at| at < closed_before);
            purged += usize::from(self.purge_partition(&pk, closed).await?);
        }
        Ok(purged)
    }

    async fn purge_expired(&self, _now: DateTime<Utc>, _limit: usize) -> StoreResult<usize> {
        // TTL (`ttl`, epoch seconds) on every such item: see infra/TABLE.md.
        Ok(0)
    }
}

impl DynamoStore {
    /// One-off upkeep for tables written before closed dossiers were indexed: gives every
    /// closed dossier without an index entry its `CLOSED#{tenant}` entry, so that the purge
    /// finds it. A Scan of the whole table (the product itself never scans), for
    /// `motcua-ops store backfill-closed`; the write is conditional on the dossier's revision,
    /// so a dossier changed meanwhile is left to its own write. Returns how many were indexed.
    pub async fn backfill_closed_index(&self) -> StoreResult<usize> {
        let scan = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(
                "SK = :meta AND begins_with(PK, :d) AND attribute_not_exists(GSI3PK)",
            )
            .expression_attribute_values(":meta", s(META))
            .expression_attribute_values(":d", s("D#"));
        let items: Vec<Item> = scan
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|err| self.unavailable("Scan (dossiers to index)", err))?;
        let mut indexed = 0;
        for item in &items {
            let d: Dossier = Fields(item).body()?;
            let Some(closed) = d.closed_at() else {
                continue;
            };
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("PK", s(keys::dossier(&d.tenant, &d.code)))
                .key("SK", s(META))
                .update_expression("SET GSI3PK = :pk, GSI3SK = :sk")
                .condition_expression("attribute_not_exists(revision) OR revision = :rev")
                .expression_attribute_values(":pk", s(keys::closed(&d.tenant)))
                .expression_attribute_values(":sk", s(keys::due_dossier(closed, &d.code)))
                .expression_attribute_values(":rev", crate::item::n(d.sync.revision))
                .send()
                .await;
            match result {
                Ok(_) => indexed += 1,
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(err) => {
                    return Err(self.unavailable("UpdateItem (index a closed dossier)", err));
                }
            }
        }
        Ok(indexed)
    }
}
