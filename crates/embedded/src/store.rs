mod budgets;
mod counters;
mod deliveries;
mod dossiers;
mod idempotency;
mod messages;
mod pending;
mod procedures;
mod retention;
mod staff;
mod tickets;
mod tokens;
mod users;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use motcua_app::*;
use motcua_domain::{Dossier, DossierCode, DossierView, Protected, TenantId, TimelineEntry};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

pub(crate) use retention::backfill_closed_index;
use retention::{Expiring, expire_at};

use crate::db::{
    EmbeddedDb, Index, Json, SEP, get_json, json_with_prefix, key, keys_with_prefix, put_json,
    remove_prefix, unavailable,
};

const DOSSIERS: Json = TableDefinition::new("dossiers");
const TIMELINE: Json = TableDefinition::new("timeline");
/// `tenant/phone hash/code`: both applicant and representative phones.
const PHONE_DOSSIERS: Index = TableDefinition::new("phone_dossiers");
const USERS: Json = TableDefinition::new("zalo_users");
/// `tenant/phone hash/user id`
const PHONE_USERS: Index = TableDefinition::new("phone_users");
const IDEMPOTENCY: Json = TableDefinition::new("idempotency");
const TICKET_SEQ: TableDefinition<&str, u64> = TableDefinition::new("ticket_seq");
const TICKETS: Json = TableDefinition::new("tickets");
const TICKET_MESSAGES: Json = TableDefinition::new("ticket_messages");
/// `tenant/number/message id`: uniqueness of message ids within a ticket.
const TICKET_MESSAGE_IDS: Index = TableDefinition::new("ticket_message_ids");
/// `tenant/user/opened ms/number`
const USER_TICKETS: Index = TableDefinition::new("user_tickets");
/// `tenant/status/opened ms/number`
const STATUS_TICKETS: Index = TableDefinition::new("status_tickets");
const TOKENS: Json = TableDefinition::new("oa_tokens");
const LEASES: Json = TableDefinition::new("oa_leases");
const COUNTERS: TableDefinition<&str, i64> = TableDefinition::new("counters");
/// `tenant/due ms/code` of unfinished dossiers with an appointment date.
const DUE_DOSSIERS: Index = TableDefinition::new("due_dossiers");
/// `oa/message id` → which dossier event a sent message belongs to.
const MESSAGE_REFS: Json = TableDefinition::new("message_refs");
/// `tenant/ms13 last interaction/user id` → (): the audience of announcements.
const ACTIVE_USERS: Index = TableDefinition::new("active_users");
/// `tenant/yyyy-mm-dd (Vietnam)/ms13/uuid` → audit entry.
const AUDIT: Json = TableDefinition::new("audit");
/// Shared call budgets: `key|window start (ms13)` → units taken in that window.
const BUDGETS: TableDefinition<&str, u64> = TableDefinition::new("budgets");
/// `tenant/ms13 closed/code` of dossiers whose status is final (retention starts there).
const CLOSED_DOSSIERS: Index = TableDefinition::new("closed_dossiers");
/// `ms13 expiry/kind/record key`: records to delete after a time fixed when written.
const EXPIRY: Index = TableDefinition::new("expiry");
/// `tenant/user/n20 ticket/ms13/message id` → a staff answer waiting for the user.
const PENDING_ANSWERS: Json = TableDefinition::new("pending_answers");
/// Upkeep done once per file (`closed_index_v1`: closed dossiers of older files indexed).
const STORE_META: TableDefinition<&str, u64> = TableDefinition::new("store_meta");
/// `tenant/phone hash` → ms of the withdrawal.
const PHONE_SUPPRESSIONS: TableDefinition<&str, i64> = TableDefinition::new("phone_suppressions");
/// `tenant/id` → announcement; `tenant/ms13 created/id` → () lists them.
const ANNOUNCEMENTS: Json = TableDefinition::new("announcements");
const ANNOUNCEMENT_ORDER: Index = TableDefinition::new("announcement_order");
/// `tenant/info` → the catalogue's version; `tenant/catalogue` → the whole catalogue.
const PROCEDURES: Json = TableDefinition::new("procedures");

/// Creates every table so that read transactions never meet a missing one.
pub(crate) fn create_tables(txn: &redb::WriteTransaction) -> Result<(), redb::TableError> {
    for t in [
        DOSSIERS,
        TIMELINE,
        USERS,
        IDEMPOTENCY,
        TICKETS,
        TICKET_MESSAGES,
        TOKENS,
        LEASES,
        MESSAGE_REFS,
        AUDIT,
        ANNOUNCEMENTS,
        PENDING_ANSWERS,
        PROCEDURES,
    ] {
        txn.open_table(t)?;
    }
    for t in [
        PHONE_DOSSIERS,
        PHONE_USERS,
        TICKET_MESSAGE_IDS,
        USER_TICKETS,
        STATUS_TICKETS,
        DUE_DOSSIERS,
        CLOSED_DOSSIERS,
        EXPIRY,
        ACTIVE_USERS,
        ANNOUNCEMENT_ORDER,
    ] {
        txn.open_table(t)?;
    }
    txn.open_table(TICKET_SEQ)?;
    txn.open_table(STORE_META)?;
    txn.open_table(COUNTERS)?;
    txn.open_table(PHONE_SUPPRESSIONS)?;
    deliveries::create(txn)?;
    Ok(())
}

/// Every store port on one embedded database.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: EmbeddedDb,
}

impl EmbeddedStore {
    pub(crate) fn new(db: EmbeddedDb) -> Self {
        EmbeddedStore { db }
    }
}

fn ms13(t: DateTime<Utc>) -> String {
    format!("{:013}", t.timestamp_millis().max(0))
}

fn n20(n: u64) -> String {
    format!("{n:020}")
}

/// The due-index key of a dossier that is unfinished and has an appointment date.
fn due_key(d: &Dossier) -> Option<String> {
    let due = d.due_at.filter(|_| !d.status.is_final())?;
    Some(key(&[d.tenant.as_str(), &ms13(due), d.code.as_str()]))
}

fn phone_hashes(d: &Dossier) -> Vec<String> {
    let mut v: Vec<String> = [&d.applicant_phone, &d.representative_phone]
        .into_iter()
        .flatten()
        .map(|p| p.hash.clone())
        .collect();
    v.dedup();
    v
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl EmbeddedStore {
    /// The records of `main` (keys `tenant/id`) whose ids `index` lists under `tenant/group/`
    /// (a phone hash): one consistent snapshot, like a GSI query plus the items.
    async fn via_index<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        index: Index,
        main: Json,
        tenant: &TenantId,
        group: &str,
    ) -> StoreResult<Vec<T>> {
        let tenant = tenant.clone();
        let prefix = format!("{}{}", key(&[tenant.as_str(), group]), crate::db::SEP);
        self.db
            .read(move |txn| {
                let index = txn.open_table(index).map_err(unavailable)?;
                let main = txn.open_table(main).map_err(unavailable)?;
                let mut out = Vec::new();
                for id in keys_with_prefix(&index, &prefix)? {
                    if let Some(record) = get_json(&main, &key(&[tenant.as_str(), &id]))? {
                        out.push(record);
                    }
                }
                Ok(out)
            })
            .await
    }

    /// Read-modify-write of one Zalo user, creating it when absent.
    async fn update_user(
        &self,
        tenant: &TenantId,
        user_id: &str,
        at: DateTime<Utc>,
        change: impl FnOnce(&mut ZaloUser) + Send + 'static,
    ) -> StoreResult<()> {
        let tenant = tenant.clone();
        let user_id = user_id.to_string();
        self.db
            .write(move |txn| {
                let k = key(&[tenant.as_str(), &user_id]);
                let mut users = txn.open_table(USERS).map_err(unavailable)?;
                let mut user = get_json::<ZaloUser>(&users, &k)?.unwrap_or(ZaloUser {
                    tenant: tenant.clone(),
                    user_id: user_id.clone(),
                    following: false,
                    last_interaction_at: None,
                    phone: None,
                    phone_linked_at: None,
                    updated_at: at,
                    phone_claim: None,
                });
                let old_hash = user.phone.as_ref().map(|p| p.hash.clone());
                let old_active = user.last_interaction_at;
                change(&mut user);
                if old_active != user.last_interaction_at {
                    let mut index = txn.open_table(ACTIVE_USERS).map_err(unavailable)?;
                    if let Some(at) = old_active {
                        index
                            .remove(key(&[tenant.as_str(), &ms13(at), &user_id]).as_str())
                            .map_err(unavailable)?;
                    }
                    if let Some(at) = user.last_interaction_at {
                        index
                            .insert(key(&[tenant.as_str(), &ms13(at), &user_id]).as_str(), ())
                            .map_err(unavailable)?;
                    }
                }
                user.updated_at = user.updated_at.max(at);
                put_json(&mut users, &k, &user)?;
                let new_hash = user.phone.as_ref().map(|p| p.hash.clone());
                if old_hash != new_hash {
                    let mut index = txn.open_table(PHONE_USERS).map_err(unavailable)?;
                    if let Some(h) = old_hash {
                        index
                            .remove(key(&[tenant.as_str(), &h, &user_id]).as_str())
                            .map_err(unavailable)?;
                    }
                    if let Some(h) = new_hash {
                        index
                            .insert(key(&[tenant.as_str(), &h, &user_id]).as_str(), ())
                            .map_err(unavailable)?;
                    }
                }
                Ok(())
            })
            .await
    }
}
