//! The delivery ledger: `tenant/code/event` → the record, and the sweep index
//! `tenant/{ms13 sweep_at}/code/event`, written in one transaction with it.

use motcua_domain::delivery::Delivery;

use super::*;

const DELIVERIES: Json = TableDefinition::new("deliveries");
const SWEEP: Index = TableDefinition::new("delivery_sweep");

pub(super) fn create(txn: &redb::WriteTransaction) -> Result<(), redb::TableError> {
    txn.open_table(DELIVERIES)?;
    txn.open_table(SWEEP)?;
    Ok(())
}

fn record_key(tenant: &TenantId, code: &DossierCode, event_id: &str) -> String {
    key(&[tenant.as_str(), code.as_str(), event_id])
}

fn sweep_key(d: &Delivery) -> Option<String> {
    let at = d.sweep_at()?;
    Some(key(&[
        d.tenant.as_str(),
        &ms13(at),
        d.code.as_str(),
        &d.event_id,
    ]))
}

/// Deletes a dossier's notices and their sweep entries (the retention purge).
pub(super) fn remove_of_dossier(
    txn: &redb::WriteTransaction,
    tenant: &TenantId,
    code: &DossierCode,
) -> StoreResult<()> {
    let prefix = format!("{}{SEP}", key(&[tenant.as_str(), code.as_str()]));
    let mut records = txn.open_table(DELIVERIES).map_err(unavailable)?;
    let gone: Vec<Delivery> = json_with_prefix(&records, &prefix)?;
    remove_prefix(&mut records, &prefix)?;
    let mut sweep = txn.open_table(SWEEP).map_err(unavailable)?;
    for k in gone.iter().filter_map(sweep_key) {
        sweep.remove(k.as_str()).map_err(unavailable)?;
    }
    Ok(())
}

#[async_trait]
impl DeliveryLedger for EmbeddedStore {
    async fn put_delivery(&self, delivery: &Delivery, expected: Option<u64>) -> StoreResult<bool> {
        let k = record_key(&delivery.tenant, &delivery.code, &delivery.event_id);
        let delivery = delivery.clone();
        self.db
            .write(move |txn| {
                let mut records = txn.open_table(DELIVERIES).map_err(unavailable)?;
                let old: Option<Delivery> = get_json(&records, &k)?;
                if old.as_ref().map(Delivery::revision) != expected {
                    return Ok(false);
                }
                put_json(&mut records, &k, &delivery)?;
                drop(records);
                let mut sweep = txn.open_table(SWEEP).map_err(unavailable)?;
                if let Some(old) = old.as_ref().and_then(sweep_key) {
                    sweep.remove(old.as_str()).map_err(unavailable)?;
                }
                if let Some(new) = sweep_key(&delivery) {
                    sweep.insert(new.as_str(), ()).map_err(unavailable)?;
                }
                Ok(true)
            })
            .await
    }

    async fn get_delivery(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
        event_id: &str,
    ) -> StoreResult<Option<Delivery>> {
        let k = record_key(tenant, code, event_id);
        self.db
            .read(move |txn| get_json(&txn.open_table(DELIVERIES).map_err(unavailable)?, &k))
            .await
    }

    async fn deliveries_of(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
    ) -> StoreResult<Vec<Delivery>> {
        let prefix = format!("{}{SEP}", key(&[tenant.as_str(), code.as_str()]));
        let mut all: Vec<Delivery> = self
            .db
            .read(move |txn| {
                json_with_prefix(&txn.open_table(DELIVERIES).map_err(unavailable)?, &prefix)
            })
            .await?;
        all.sort_by_key(|d| d.history.first().map(|t| t.at));
        Ok(all)
    }

    async fn deliveries_to_sweep(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let lo = key(&[tenant.as_str(), ""]);
        // every key of a time at or before `now` sorts below `{ms13 now + 1}`
        let hi = key(&[
            tenant.as_str(),
            &ms13(now + chrono::Duration::milliseconds(1)),
        ]);
        let tenant = tenant.clone();
        self.db
            .read(move |txn| {
                let sweep = txn.open_table(SWEEP).map_err(unavailable)?;
                let records = txn.open_table(DELIVERIES).map_err(unavailable)?;
                let mut out = Vec::new();
                for item in sweep.range(lo.as_str()..hi.as_str()).map_err(unavailable)? {
                    if out.len() == limit {
                        break;
                    }
                    let entry = item.map_err(unavailable)?.0.value().to_string();
                    let mut parts = entry.split(SEP).skip(2);
                    let (Some(code), Some(event_id)) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    let k = key(&[tenant.as_str(), code, event_id]);
                    if let Some(d) = get_json::<Delivery>(&records, &k)? {
                        out.push(d);
                    }
                }
                Ok(out)
            })
            .await
    }
}
