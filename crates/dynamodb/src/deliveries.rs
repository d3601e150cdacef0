//! The delivery ledger: a dossier notice is an `N#{event id}` item in the dossier's partition
//! (so the retention purge deletes it with the dossier); every other record is an `N#{last
//! part}` item in `L#{tenant}#{other parts}` (`keys::ledger`), with `ttl` at its `expires_at`.
//! The sparse sweep index `GSI3PK = DLV#{tenant}`, `GSI3SK = {ms13 sweep_at}#{subject parts}`
//! is on the same item: one conditional `PutItem` writes the record and its index entry.
//! Notices that need a follow-up are listed the same way in GSI2: `GSI2PK = NR#{tenant}`,
//! `GSI2SK = {ms13 not_reached_since}#{code}#{event id}`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_app::{DeliveryLedger, StoreResult};
use motcua_domain::delivery::{Delivery, Subject};
use motcua_domain::{DossierCode, TenantId};

use crate::DynamoStore;
use crate::item::{BODY, Fields, Item, body, keyed, n, s};
use crate::keys::{self, GSI2, GSI3};

const REVISION: &str = "revision";

/// `PK` and `SK` of the record of `subject`.
fn record_keys(tenant: &TenantId, subject: &Subject) -> (String, String) {
    let pk = match subject {
        Subject::Dossier { code, .. } => keys::dossier(tenant, code),
        other => keys::ledger(tenant, other),
    };
    (pk, keys::delivery(subject.item()))
}

fn delivery_item(d: &Delivery) -> Item {
    let (pk, sk) = record_keys(&d.tenant, &d.subject);
    let mut item = keyed(pk, &sk);
    item.insert(REVISION.into(), n(d.revision()));
    item.insert(BODY.into(), body(d));
    if let Some(at) = d.expires_at {
        item.insert("ttl".into(), n(at.timestamp()));
    }
    let name = d.subject.parts().join("#");
    let listed = [
        (GSI3, keys::deliveries_to_sweep(&d.tenant), d.sweep_at()),
        (GSI2, keys::not_reached(&d.tenant), d.not_reached_since()),
    ];
    for (index, pk, at) in listed {
        if let Some(at) = at {
            item.insert(format!("{index}PK"), s(pk));
            item.insert(
                format!("{index}SK"),
                s(format!("{}#{name}", keys::ms13(at))),
            );
        }
    }
    item
}

#[async_trait]
impl DeliveryLedger for DynamoStore {
    async fn put_delivery(&self, delivery: &Delivery, expected: Option<u64>) -> StoreResult<bool> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(delivery_item(delivery)));
        let put = match expected {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(r) => put
                .condition_expression("#r = :e")
                .expression_attribute_names("#r", REVISION)
                .expression_attribute_values(":e", n(r)),
        };
        self.put_conditionally("PutItem (delivery)", put).await
    }

    async fn get_delivery(
        &self,
        tenant: &TenantId,
        subject: &Subject,
    ) -> StoreResult<Option<Delivery>> {
        let (pk, sk) = record_keys(tenant, subject);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (delivery)", err))?;
        out.item().map(|item| Fields(item).body()).transpose()
    }

    async fn deliveries_of(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
    ) -> StoreResult<Vec<Delivery>> {
        let query = self
            .query()
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(keys::dossier(tenant, code)))
            .expression_attribute_values(":prefix", s(keys::DELIVERY_PREFIX));
        let items = self
            .query_all("Query (dossier's deliveries)", query)
            .await?;
        let mut all = items
            .iter()
            .map(|item| Fields(item).body())
            .collect::<StoreResult<Vec<Delivery>>>()?;
        all.sort_by_key(|d| d.history.first().map(|t| t.at));
        Ok(all)
    }

    async fn deliveries_to_sweep(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let out = self
            .query()
            .index_name(GSI3)
            .key_condition_expression("GSI3PK = :pk AND GSI3SK <= :to")
            .expression_attribute_values(":pk", s(keys::deliveries_to_sweep(tenant)))
            // every subject's name sorts before a part of two '~'
            .expression_attribute_values(":to", s(format!("{}#~~", keys::ms13(now))))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|err| self.unavailable("Query GSI3 (deliveries to sweep)", err))?;
        out.items().iter().map(|item| Fields(item).body()).collect()
    }

    async fn not_reached(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Delivery>> {
        let out = self
            .query()
            .index_name(GSI2)
            .key_condition_expression("GSI2PK = :pk")
            .expression_attribute_values(":pk", s(keys::not_reached(tenant)))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|err| self.unavailable("Query GSI2 (notices not reached)", err))?;
        out.items().iter().map(|item| Fields(item).body()).collect()
    }
}
