//! Purges. Closed dossiers and tickets are found through indexes by closing time; records with
//! an expiry fixed when written are listed in `expiry` (`ms13/kind/key`), which the sweep
//! reads in time order, as DynamoDB's TTL would delete them.

use super::*;
use crate::db::{SEP, remove_prefix};

/// What an `expiry` entry points at.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expiring {
    MessageRef,
    Audit,
    Idempotency,
    Budget,
    Counter,
    PendingAnswer,
    Delivery,
}

impl Expiring {
    fn tag(self) -> &'static str {
        match self {
            Expiring::MessageRef => "msg",
            Expiring::Audit => "audit",
            Expiring::Idempotency => "idem",
            Expiring::Budget => "budget",
            Expiring::Counter => "counter",
            Expiring::PendingAnswer => "pending",
            Expiring::Delivery => "delivery",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        [
            Expiring::MessageRef,
            Expiring::Audit,
            Expiring::Idempotency,
            Expiring::Budget,
            Expiring::Counter,
            Expiring::PendingAnswer,
            Expiring::Delivery,
        ]
        .into_iter()
        .find(|e| e.tag() == tag)
    }
}

/// Lists `record` (a key of the kind's table) for deletion after `at`.
pub(crate) fn expire_at(
    txn: &redb::WriteTransaction,
    at: DateTime<Utc>,
    kind: Expiring,
    record: &str,
) -> StoreResult<()> {
    let k = key(&[&ms13(at), kind.tag(), record]);
    txn.open_table(EXPIRY)
        .map_err(unavailable)?
        .insert(k.as_str(), ())
        .map_err(unavailable)?;
    Ok(())
}

/// The closed-index key of a dossier whose status is final.
pub(crate) fn closed_key(d: &Dossier) -> Option<String> {
    let at = d.closed_at()?;
    Some(key(&[d.tenant.as_str(), &ms13(at), d.code.as_str()]))
}

/// Keys of `index` from `lo` (inclusive) to `hi` (exclusive), at most `limit`.
fn index_range(
    txn: &redb::WriteTransaction,
    index: Index,
    lo: &str,
    hi: &str,
    limit: usize,
) -> StoreResult<Vec<String>> {
    let table = txn.open_table(index).map_err(unavailable)?;
    let mut out = Vec::new();
    for item in table.range(lo..hi).map_err(unavailable)?.take(limit) {
        out.push(item.map_err(unavailable)?.0.value().to_string());
    }
    Ok(out)
}

#[async_trait]
impl RetentionStore for EmbeddedStore {
    async fn purge_closed_dossiers(
        &self,
        tenant: &TenantId,
        closed_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<usize> {
        let lo = key(&[tenant.as_str(), ""]);
        let hi = key(&[tenant.as_str(), &ms13(closed_before)]);
        let tenant = tenant.clone();
        self.db
            .write(move |txn| {
                let closed = index_range(txn, CLOSED_DOSSIERS, &lo, &hi, limit)?;
                for entry in &closed {
                    let code = entry.rsplit(SEP).next().unwrap_or_default();
                    let k = key(&[tenant.as_str(), code]);
                    let mut dossiers = txn.open_table(DOSSIERS).map_err(unavailable)?;
                    let old = get_json::<Dossier>(&dossiers, &k)?;
                    dossiers.remove(k.as_str()).map_err(unavailable)?;
                    drop(dossiers);
                    let mut timeline = txn.open_table(TIMELINE).map_err(unavailable)?;
                    remove_prefix(&mut timeline, &format!("{k}{SEP}"))?;
                    drop(timeline);
                    if let Ok(code) = code.parse::<DossierCode>() {
                        super::deliveries::remove_of_dossier(txn, &tenant, &code)?;
                    }
                    if let Some(old) = &old {
                        super::dossiers::unindex(txn, old)?;
                    }
                    let mut index = txn.open_table(CLOSED_DOSSIERS).map_err(unavailable)?;
                    index.remove(entry.as_str()).map_err(unavailable)?;
                }
                Ok(closed.len())
            })
            .await
    }

    async fn purge_closed_tickets(
        &self,
        tenant: &TenantId,
        closed_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<usize> {
        // A ticket closes after it opens: every one closed before the cutoff is listed under
        // `closed` with an opening time before it; those closed later are skipped.
        let status = TicketStatus::Closed.as_str();
        let lo = key(&[tenant.as_str(), status, ""]);
        let hi = key(&[tenant.as_str(), status, &ms13(closed_before)]);
        let tenant = tenant.clone();
        self.db
            .write(move |txn| {
                let candidates = index_range(txn, STATUS_TICKETS, &lo, &hi, usize::MAX)?;
                let mut purged = 0;
                for entry in candidates {
                    if purged == limit {
                        break;
                    }
                    let number = entry.rsplit(SEP).next().unwrap_or_default();
                    let k = key(&[tenant.as_str(), number]);
                    let mut tickets = txn.open_table(TICKETS).map_err(unavailable)?;
                    let Some(ticket) = get_json::<Ticket>(&tickets, &k)? else {
                        continue;
                    };
                    if ticket.closed_at().is_none_or(|at| at >= closed_before) {
                        continue;
                    }
                    tickets.remove(k.as_str()).map_err(unavailable)?;
                    drop(tickets);
                    let prefix = format!("{k}{SEP}");
                    remove_prefix(
                        &mut txn.open_table(TICKET_MESSAGES).map_err(unavailable)?,
                        &prefix,
                    )?;
                    remove_prefix(
                        &mut txn.open_table(TICKET_MESSAGE_IDS).map_err(unavailable)?,
                        &prefix,
                    )?;
                    let user_key = key(&[
                        tenant.as_str(),
                        &ticket.user_id,
                        &ms13(ticket.opened_at),
                        &n20(ticket.number),
                    ]);
                    txn.open_table(USER_TICKETS)
                        .map_err(unavailable)?
                        .remove(user_key.as_str())
                        .map_err(unavailable)?;
                    txn.open_table(STATUS_TICKETS)
                        .map_err(unavailable)?
                        .remove(entry.as_str())
                        .map_err(unavailable)?;
                    purged += 1;
                }
                Ok(purged)
            })
            .await
    }

    async fn purge_expired(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<usize> {
        let hi = key(&[&ms13(now), ""]);
        self.db
            .write(move |txn| {
                let due = index_range(txn, EXPIRY, "", &hi, limit)?;
                let mut purged = 0;
                for entry in &due {
                    let mut parts = entry.splitn(3, SEP);
                    let (_, tag, record) = (parts.next(), parts.next(), parts.next());
                    let kind = tag.and_then(Expiring::from_tag);
                    if let (Some(kind), Some(record)) = (kind, record) {
                        purged += usize::from(remove_expired(txn, kind, record, now)?);
                    }
                    txn.open_table(EXPIRY)
                        .map_err(unavailable)?
                        .remove(entry.as_str())
                        .map_err(unavailable)?;
                }
                Ok(purged)
            })
            .await
    }
}

/// Removes one expired record; records whose expiry moved later since (a completed
/// idempotency record, a message reference written again) stay.
fn remove_expired(
    txn: &redb::WriteTransaction,
    kind: Expiring,
    record: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let removed = match kind {
        Expiring::MessageRef => {
            let mut t = txn.open_table(MESSAGE_REFS).map_err(unavailable)?;
            match get_json::<super::messages::StoredRef>(&t, record)? {
                Some(r) if r.expires_at <= now => t.remove(record).map_err(unavailable)?.is_some(),
                _ => false,
            }
        }
        Expiring::Idempotency => {
            let mut t = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
            match get_json::<super::idempotency::IdemRecord>(&t, record)? {
                Some(r) if r.expires_at_ms <= now.timestamp_millis() => {
                    t.remove(record).map_err(unavailable)?.is_some()
                }
                _ => false,
            }
        }
        Expiring::Audit => txn
            .open_table(AUDIT)
            .map_err(unavailable)?
            .remove(record)
            .map_err(unavailable)?
            .is_some(),
        Expiring::Budget => txn
            .open_table(BUDGETS)
            .map_err(unavailable)?
            .remove(record)
            .map_err(unavailable)?
            .is_some(),
        Expiring::PendingAnswer => txn
            .open_table(PENDING_ANSWERS)
            .map_err(unavailable)?
            .remove(record)
            .map_err(unavailable)?
            .is_some(),
        Expiring::Counter => txn
            .open_table(COUNTERS)
            .map_err(unavailable)?
            .remove(record)
            .map_err(unavailable)?
            .is_some(),
        Expiring::Delivery => super::deliveries::remove_expired(txn, record, now)?,
    };
    Ok(removed)
}

/// Lists the closed dossiers of a file written before the closed index existed, once: a mark
/// in `store_meta` records that it was done, so the dossiers are not read at every start.
pub(crate) fn backfill_closed_index(txn: &redb::WriteTransaction) -> Result<(), redb::Error> {
    const DONE: &str = "closed_index_v1";
    let mut marks = txn.open_table(STORE_META)?;
    if marks.get(DONE)?.is_some() {
        return Ok(());
    }
    marks.insert(DONE, 1)?;
    let mut index = txn.open_table(CLOSED_DOSSIERS)?;
    let dossiers = txn.open_table(DOSSIERS)?;
    for item in dossiers.iter()? {
        let (_, v) = item?;
        if let Ok(d) = serde_json::from_slice::<Dossier>(v.value())
            && let Some(k) = closed_key(&d)
        {
            index.insert(k.as_str(), ())?;
        }
    }
    Ok(())
}
