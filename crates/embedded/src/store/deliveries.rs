//! The delivery ledger: `tenant/{subject parts}` → the record (a dossier notice's parts are
//! `code/event`), with two indexes written in the same transaction: `delivery_sweep`
//! `tenant/{ms13 sweep_at}/{subject parts}` and `not_reached`
//! `tenant/{ms13 not_reached_since}/code/event`. A record with an `expires_at` (every subject
//! but a dossier's) is listed in the store's expiry index and removed with its index entries.

use motcua_domain::delivery::{Delivery, Subject};

use super::retention::{Expiring, expire_at};

use super::*;

const DELIVERIES: Json = TableDefinition::new("deliveries");
const SWEEP: Index = TableDefinition::new("delivery_sweep");
const NOT_REACHED: Index = TableDefinition::new("not_reached");

/// When a record is listed in an index (`None`: not listed).
type ListedAt = fn(&Delivery) -> Option<DateTime<Utc>>;

/// Each index and the time a record is listed at in it.
const INDEXES: [(Index, ListedAt); 2] = [
    (SWEEP, Delivery::sweep_at),
    (NOT_REACHED, Delivery::not_reached_since),
];

pub(super) fn create(txn: &redb::WriteTransaction) -> Result<(), redb::TableError> {
    txn.open_table(DELIVERIES)?;
    for (index, _) in INDEXES {
        txn.open_table(index)?;
    }
    Ok(())
}

fn record_key(tenant: &TenantId, subject: &Subject) -> String {
    let parts = subject.parts();
    let mut all = vec![tenant.as_str()];
    all.extend(parts.iter().map(String::as_str));
    key(&all)
}

fn index_key(d: &Delivery, at: Option<DateTime<Utc>>) -> Option<String> {
    let at = ms13(at?);
    let parts = d.subject.parts();
    let mut all = vec![d.tenant.as_str(), &at];
    all.extend(parts.iter().map(String::as_str));
    Some(key(&all))
}

/// Removes a record whose `expires_at` has come, with its index entries (the expiry sweep);
/// whether it was removed.
pub(super) fn remove_expired(
    txn: &redb::WriteTransaction,
    record: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut records = txn.open_table(DELIVERIES).map_err(unavailable)?;
    let Some(d) = get_json::<Delivery>(&records, record)? else {
        return Ok(false);
    };
    if d.expires_at.is_none_or(|at| at > now) {
        return Ok(false);
    }
    records.remove(record).map_err(unavailable)?;
    drop(records);
    reindex(txn, Some(&d), None)?;
    Ok(true)
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
    drop(records);
    for d in &gone {
        reindex(txn, Some(d), None)?;
    }
    Ok(())
}

/// Moves the record's index entries from what `old` was listed at to what `new` is.
fn reindex(
    txn: &redb::WriteTransaction,
    old: Option<&Delivery>,
    new: Option<&Delivery>,
) -> StoreResult<()> {
    for (index, at) in INDEXES {
        let mut t = txn.open_table(index).map_err(unavailable)?;
        if let Some(k) = old.and_then(|d| index_key(d, at(d))) {
            t.remove(k.as_str()).map_err(unavailable)?;
        }
        if let Some(k) = new.and_then(|d| index_key(d, at(d))) {
            t.insert(k.as_str(), ()).map_err(unavailable)?;
        }
    }
    Ok(())
}

/// Up to `limit` records listed in `index` before `hi`, in index order.
fn listed(
    txn: &redb::ReadTransaction,
    index: Index,
    tenant: &TenantId,
    hi: &str,
    limit: usize,
) -> StoreResult<Vec<Delivery>> {
    let lo = key(&[tenant.as_str(), ""]);
    let entries = txn.open_table(index).map_err(unavailable)?;
    let records = txn.open_table(DELIVERIES).map_err(unavailable)?;
    let mut out = Vec::new();
    for item in entries.range(lo.as_str()..hi).map_err(unavailable)? {
        if out.len() == limit {
            break;
        }
        let entry = item.map_err(unavailable)?.0.value().to_string();
        let mut parts = vec![tenant.as_str()];
        parts.extend(entry.split(SEP).skip(2));
        let k = key(&parts);
        if let Some(d) = get_json::<Delivery>(&records, &k)? {
            out.push(d);
        }
    }
    Ok(out)
}

#[async_trait]
impl DeliveryLedger for EmbeddedStore {
    async fn put_delivery(&self, delivery: &Delivery, expected: Option<u64>) -> StoreResult<bool> {
        let k = record_key(&delivery.tenant, &delivery.subject);
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
                reindex(txn, old.as_ref(), Some(&delivery))?;
                let listed = old.as_ref().and_then(|d| d.expires_at);
                if let Some(at) = delivery.expires_at.filter(|at| Some(*at) != listed) {
                    expire_at(txn, at, Expiring::Delivery, &k)?;
                }
                Ok(true)
            })
            .await
    }

    async fn get_delivery(
        &self,
        tenant: &TenantId,
        subject: &Subject,
    ) -> StoreResult<Option<Delivery>> {
        let k = record_key(tenant, subject);
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
        // every key of a time at or before `now` sorts below `{ms13 now + 1}`
        let hi = key(&[
            tenant.as_str(),
            &ms13(now + chrono::Duration::milliseconds(1)),
        ]);
        let tenant = tenant.clone();
        self.db
            .read(move |txn| listed(txn, SWEEP, &tenant, &hi, limit))
            .await
    }

    async fn not_reached(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Delivery>> {
        let hi = key(&[tenant.as_str(), "~"]);
        let tenant = tenant.clone();
        self.db
            .read(move |txn| listed(txn, NOT_REACHED, &tenant, &hi, limit))
            .await
    }
}
