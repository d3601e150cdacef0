//! Statistics counters: a day item and a month item per metric, incremented with `ADD`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use motcua_app::{CounterStore, StoreResult};
use motcua_domain::TenantId;

use crate::DynamoStore;
use crate::item::{Fields, n, s};
use crate::keys::{self, DAY_FORMAT, DAY_PREFIX};

impl DynamoStore {
    /// `ADD n :by`, and `ttl` when the counter expires (a user's or a dossier's day counter).
    async fn add_to_counter(
        &self,
        pk: String,
        sk: String,
        by: i64,
        expires_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":by", n(by));
        let update = match expires_at {
            None => update.update_expression("ADD #n :by"),
            Some(at) => update
                .update_expression("ADD #n :by SET #ttl = :ttl")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":ttl", n(at.timestamp())),
        };
        update
            .send()
            .await
            .map_err(|err| self.unavailable("UpdateItem (counter)", err))?;
        Ok(())
    }
}

#[async_trait]
impl CounterStore for DynamoStore {
    async fn incr(
        &self,
        tenant: &TenantId,
        metric: &str,
        day: NaiveDate,
        by: i64,
    ) -> StoreResult<()> {
        let pk = keys::counter(tenant, metric);
        tokio::try_join!(
            self.add_to_counter(pk.clone(), keys::day(day), by, None),
            self.add_to_counter(pk, keys::month(day), by, None),
        )?;
        Ok(())
    }

    async fn incr_day_until(
        &self,
        tenant: &TenantId,
        metric: &str,
        day: NaiveDate,
        by: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let pk = keys::counter(tenant, metric);
        self.add_to_counter(pk, keys::day(day), by, Some(expires_at))
            .await
    }

    async fn daily(
        &self,
        tenant: &TenantId,
        metric: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, i64)>> {
        // DynamoDB refuses a BETWEEN whose bounds are reversed.
        if from > to {
            return Ok(Vec::new());
        }
        let query = self
            .query()
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(keys::counter(tenant, metric)))
            .expression_attribute_values(":from", s(keys::day(from)))
            .expression_attribute_values(":to", s(keys::day(to)))
            .consistent_read(true);
        let items = self.query_all("Query (daily counters)", query).await?;
        items
            .iter()
            .map(|item| {
                let fields = Fields(item);
                let sk = fields.str("SK")?;
                let day = sk
                    .strip_prefix(DAY_PREFIX)
                    .and_then(|day| NaiveDate::parse_from_str(day, DAY_FORMAT).ok())
                    .ok_or_else(|| fields.corrupt("sort key is not a day bucket"))?;
                Ok((day, fields.num("n")?))
            })
            .collect()
    }

    async fn monthly(&self, tenant: &TenantId, metric: &str, month: NaiveDate) -> StoreResult<i64> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::counter(tenant, metric)))
            .key("SK", s(keys::month(month)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (monthly counter)", err))?;
        match out.item() {
            Some(item) => Fields(item).num("n"),
            None => Ok(0),
        }
    }
}
