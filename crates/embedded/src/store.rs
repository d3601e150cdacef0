use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use motcua_app::*;
use motcua_domain::{Dossier, DossierCode, DossierView, Protected, TenantId, TimelineEntry};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::db::{
    EmbeddedDb, Index, Json, get_json, json_with_prefix, key, keys_with_prefix, put_json,
    unavailable,
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
/// `tenant/id` → announcement; `tenant/ms13 created/id` → () lists them.
const ANNOUNCEMENTS: Json = TableDefinition::new("announcements");
const ANNOUNCEMENT_ORDER: Index = TableDefinition::new("announcement_order");

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
        ACTIVE_USERS,
        ANNOUNCEMENT_ORDER,
    ] {
        txn.open_table(t)?;
    }
    txn.open_table(TICKET_SEQ)?;
    txn.open_table(COUNTERS)?;
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

#[async_trait]
impl DossierStore for EmbeddedStore {
    async fn load_dossier(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
    ) -> StoreResult<Option<DossierView>> {
        let k = key(&[tenant.as_str(), code.as_str()]);
        self.db
            .read(move |txn| {
                let dossiers = txn.open_table(DOSSIERS).map_err(unavailable)?;
                let Some(dossier) = get_json::<Dossier>(&dossiers, &k)? else {
                    return Ok(None);
                };
                let timeline = txn.open_table(TIMELINE).map_err(unavailable)?;
                let timeline = json_with_prefix(&timeline, &format!("{k}{}", crate::db::SEP))?;
                Ok(Some(DossierView { dossier, timeline }))
            })
            .await
    }

    async fn upsert_dossier_if_newer(&self, dossier: &Dossier) -> StoreResult<Upsert> {
        let d = dossier.clone();
        self.db
            .write(move |txn| {
                let tenant = d.tenant.as_str();
                let k = key(&[tenant, d.code.as_str()]);
                let mut dossiers = txn.open_table(DOSSIERS).map_err(unavailable)?;
                let old = get_json::<Dossier>(&dossiers, &k)?;
                if let Some(old) = &old
                    && old.version >= d.version
                {
                    return Ok(Upsert::Stale {
                        stored_version: old.version,
                    });
                }
                put_json(&mut dossiers, &k, &d)?;
                let mut index = txn.open_table(PHONE_DOSSIERS).map_err(unavailable)?;
                for h in old.iter().flat_map(phone_hashes) {
                    index
                        .remove(key(&[tenant, &h, d.code.as_str()]).as_str())
                        .map_err(unavailable)?;
                }
                for h in phone_hashes(&d) {
                    index
                        .insert(key(&[tenant, &h, d.code.as_str()]).as_str(), ())
                        .map_err(unavailable)?;
                }
                let mut due = txn.open_table(DUE_DOSSIERS).map_err(unavailable)?;
                if let Some(k) = old.as_ref().and_then(due_key) {
                    due.remove(k.as_str()).map_err(unavailable)?;
                }
                if let Some(k) = due_key(&d) {
                    due.insert(k.as_str(), ()).map_err(unavailable)?;
                }
                Ok(Upsert::Applied)
            })
            .await
    }

    async fn add_timeline_entry(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
        entry: &TimelineEntry,
    ) -> StoreResult<bool> {
        let k = key(&[
            tenant.as_str(),
            code.as_str(),
            &ms13(entry.at),
            &entry.event_id,
            &entry.kind,
        ]);
        let entry = entry.clone();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(TIMELINE).map_err(unavailable)?;
                if t.get(k.as_str()).map_err(unavailable)?.is_some() {
                    return Ok(false);
                }
                put_json(&mut t, &k, &entry)?;
                Ok(true)
            })
            .await
    }

    async fn dossiers_due_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Dossier>> {
        let tenant = tenant.clone();
        let lo = key(&[tenant.as_str(), &ms13(from)]);
        // every code sorts before '~' after the separator
        let hi = format!("{}{}~", key(&[tenant.as_str(), &ms13(to)]), crate::db::SEP);
        self.db
            .read(move |txn| {
                let due = txn.open_table(DUE_DOSSIERS).map_err(unavailable)?;
                let dossiers = txn.open_table(DOSSIERS).map_err(unavailable)?;
                let mut out = Vec::new();
                for item in due.range(lo.as_str()..=hi.as_str()).map_err(unavailable)? {
                    let (k, _) = item.map_err(unavailable)?;
                    let code = k
                        .value()
                        .rsplit(crate::db::SEP)
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    if let Some(d) = get_json(&dossiers, &key(&[tenant.as_str(), &code]))? {
                        out.push(d);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn dossiers_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<Dossier>> {
        self.via_index(PHONE_DOSSIERS, DOSSIERS, tenant, phone_hash)
            .await
    }
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

#[async_trait]
impl ZaloUserStore for EmbeddedStore {
    async fn get_zalo_user(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Option<ZaloUser>> {
        let k = key(&[tenant.as_str(), user_id]);
        self.db
            .read(move |txn| get_json(&txn.open_table(USERS).map_err(unavailable)?, &k))
            .await
    }

    async fn record_interaction(
        &self,
        tenant: &TenantId,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.update_user(tenant, user_id, at, move |u| {
            u.last_interaction_at = u.last_interaction_at.max(Some(at));
        })
        .await
    }

    async fn set_following(
        &self,
        tenant: &TenantId,
        user_id: &str,
        following: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.update_user(tenant, user_id, at, move |u| u.following = following)
            .await
    }

    async fn link_phone(
        &self,
        tenant: &TenantId,
        user_id: &str,
        phone: &Protected,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let phone = phone.clone();
        self.update_user(tenant, user_id, at, move |u| {
            u.phone = Some(phone);
            u.phone_linked_at = Some(at);
        })
        .await
    }

    async fn zalo_users_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<ZaloUser>> {
        self.via_index(PHONE_USERS, USERS, tenant, phone_hash).await
    }

    async fn delete_zalo_user(&self, tenant: &TenantId, user_id: &str) -> StoreResult<bool> {
        let tenant = tenant.clone();
        let user_id = user_id.to_string();
        self.db
            .write(move |txn| {
                let k = key(&[tenant.as_str(), &user_id]);
                let mut users = txn.open_table(USERS).map_err(unavailable)?;
                let Some(user) = get_json::<ZaloUser>(&users, &k)? else {
                    return Ok(false);
                };
                users.remove(k.as_str()).map_err(unavailable)?;
                if let Some(at) = user.last_interaction_at {
                    let mut index = txn.open_table(ACTIVE_USERS).map_err(unavailable)?;
                    index
                        .remove(key(&[tenant.as_str(), &ms13(at), &user_id]).as_str())
                        .map_err(unavailable)?;
                }
                if let Some(p) = user.phone {
                    let mut index = txn.open_table(PHONE_USERS).map_err(unavailable)?;
                    index
                        .remove(key(&[tenant.as_str(), &p.hash, &user_id]).as_str())
                        .map_err(unavailable)?;
                }
                Ok(true)
            })
            .await
    }

    async fn zalo_users_active_since(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<String>> {
        let lo = key(&[tenant.as_str(), &ms13(since)]);
        let hi = format!("{}~", key(&[tenant.as_str(), ""]));
        self.db
            .read(move |txn| {
                let index = txn.open_table(ACTIVE_USERS).map_err(unavailable)?;
                let mut out = Vec::new();
                for item in index
                    .range(lo.as_str()..hi.as_str())
                    .map_err(unavailable)?
                    .rev()
                    .take(limit)
                {
                    let (k, _) = item.map_err(unavailable)?;
                    let user = k.value().rsplit(crate::db::SEP).next().unwrap_or_default();
                    out.push(user.to_string());
                }
                Ok(out)
            })
            .await
    }
}

#[derive(Serialize, Deserialize)]
struct IdemRecord {
    completed: bool,
    lease_until_ms: i64,
    expires_at_ms: i64,
    result: Option<String>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl IdempotencyStore for EmbeddedStore {
    async fn claim(
        &self,
        key_: &str,
        now: DateTime<Utc>,
        lease: Duration,
        keep_for: Duration,
    ) -> StoreResult<Claim> {
        let k = key_.to_string();
        let now_ms = now.timestamp_millis();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
                if let Some(r) = get_json::<IdemRecord>(&t, &k)?
                    && r.expires_at_ms >= now_ms
                {
                    if r.completed {
                        return Ok(Claim::Completed { result: r.result });
                    }
                    if r.lease_until_ms >= now_ms {
                        return Ok(Claim::InProgress);
                    }
                }
                let record = IdemRecord {
                    completed: false,
                    lease_until_ms: now_ms.saturating_add(millis(lease)),
                    expires_at_ms: now_ms.saturating_add(millis(keep_for)),
                    result: None,
                };
                put_json(&mut t, &k, &record)?;
                Ok(Claim::Acquired)
            })
            .await
    }

    async fn complete(
        &self,
        key_: &str,
        result: Option<&str>,
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> StoreResult<()> {
        let k = key_.to_string();
        let record = IdemRecord {
            completed: true,
            lease_until_ms: 0,
            expires_at_ms: now.timestamp_millis().saturating_add(millis(keep_for)),
            result: result.map(str::to_string),
        };
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
                put_json(&mut t, &k, &record)
            })
            .await
    }

    async fn release(&self, key_: &str) -> StoreResult<()> {
        let k = key_.to_string();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
                t.remove(k.as_str()).map_err(unavailable)?;
                Ok(())
            })
            .await
    }
}

fn status_index_key(t: &Ticket) -> String {
    key(&[
        t.tenant.as_str(),
        t.status.as_str(),
        &ms13(t.opened_at),
        &n20(t.number),
    ])
}

#[async_trait]
impl TicketStore for EmbeddedStore {
    async fn open_ticket(&self, new: &NewTicket) -> StoreResult<Ticket> {
        let new = new.clone();
        self.db
            .write(move |txn| {
                let tenant = new.tenant.as_str();
                let mut seq = txn.open_table(TICKET_SEQ).map_err(unavailable)?;
                let number = seq
                    .get(tenant)
                    .map_err(unavailable)?
                    .map_or(0, |v| v.value())
                    + 1;
                seq.insert(tenant, number).map_err(unavailable)?;
                let ticket = Ticket::opened(&new, number);
                let mut tickets = txn.open_table(TICKETS).map_err(unavailable)?;
                put_json(&mut tickets, &key(&[tenant, &n20(number)]), &ticket)?;
                let mut by_user = txn.open_table(USER_TICKETS).map_err(unavailable)?;
                let user_key = key(&[tenant, &new.user_id, &ms13(new.opened_at), &n20(number)]);
                by_user.insert(user_key.as_str(), ()).map_err(unavailable)?;
                let mut by_status = txn.open_table(STATUS_TICKETS).map_err(unavailable)?;
                by_status
                    .insert(status_index_key(&ticket).as_str(), ())
                    .map_err(unavailable)?;
                Ok(ticket)
            })
            .await
    }

    async fn get_ticket(
        &self,
        tenant: &TenantId,
        number: u64,
    ) -> StoreResult<Option<(Ticket, Vec<TicketMessage>)>> {
        let k = key(&[tenant.as_str(), &n20(number)]);
        self.db
            .read(move |txn| {
                let tickets = txn.open_table(TICKETS).map_err(unavailable)?;
                let Some(ticket) = get_json::<Ticket>(&tickets, &k)? else {
                    return Ok(None);
                };
                let messages = txn.open_table(TICKET_MESSAGES).map_err(unavailable)?;
                let messages = json_with_prefix(&messages, &format!("{k}{}", crate::db::SEP))?;
                Ok(Some((ticket, messages)))
            })
            .await
    }

    async fn add_ticket_message(
        &self,
        tenant: &TenantId,
        number: u64,
        message: &TicketMessage,
    ) -> StoreResult<bool> {
        let tenant = tenant.clone();
        let message = message.clone();
        self.db
            .write(move |txn| {
                let ticket_key = key(&[tenant.as_str(), &n20(number)]);
                let id_key = key(&[&ticket_key, &message.message_id]);
                let mut ids = txn.open_table(TICKET_MESSAGE_IDS).map_err(unavailable)?;
                if ids.get(id_key.as_str()).map_err(unavailable)?.is_some() {
                    return Ok(false);
                }
                ids.insert(id_key.as_str(), ()).map_err(unavailable)?;
                let mut messages = txn.open_table(TICKET_MESSAGES).map_err(unavailable)?;
                let k = key(&[&ticket_key, &ms13(message.at), &message.message_id]);
                put_json(&mut messages, &k, &message)?;
                Ok(true)
            })
            .await
    }

    async fn update_ticket(&self, ticket: &Ticket) -> StoreResult<()> {
        let ticket = ticket.clone();
        self.db
            .write(move |txn| {
                let k = key(&[ticket.tenant.as_str(), &n20(ticket.number)]);
                let mut tickets = txn.open_table(TICKETS).map_err(unavailable)?;
                let Some(old) = get_json::<Ticket>(&tickets, &k)? else {
                    return Err(StoreError::Conflict(format!(
                        "ticket {} of {} does not exist",
                        ticket.number, ticket.tenant
                    )));
                };
                put_json(&mut tickets, &k, &ticket)?;
                let mut by_status = txn.open_table(STATUS_TICKETS).map_err(unavailable)?;
                by_status
                    .remove(status_index_key(&old).as_str())
                    .map_err(unavailable)?;
                by_status
                    .insert(status_index_key(&ticket).as_str(), ())
                    .map_err(unavailable)?;
                Ok(())
            })
            .await
    }

    async fn latest_open_ticket(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Option<Ticket>> {
        let tenant = tenant.clone();
        let prefix = format!("{}{}", key(&[tenant.as_str(), user_id]), crate::db::SEP);
        self.db
            .read(move |txn| {
                let by_user = txn.open_table(USER_TICKETS).map_err(unavailable)?;
                let tickets = txn.open_table(TICKETS).map_err(unavailable)?;
                for rest in keys_with_prefix(&by_user, &prefix)?.iter().rev() {
                    let number = rest.rsplit(crate::db::SEP).next().unwrap_or_default();
                    if let Some(t) = get_json::<Ticket>(&tickets, &key(&[tenant.as_str(), number]))?
                        && t.status != TicketStatus::Closed
                    {
                        return Ok(Some(t));
                    }
                }
                Ok(None)
            })
            .await
    }

    async fn erase_citizen_messages(&self, tenant: &TenantId, user_id: &str) -> StoreResult<usize> {
        let tenant = tenant.clone();
        let prefix = format!("{}{}", key(&[tenant.as_str(), user_id]), crate::db::SEP);
        self.db
            .write(move |txn| {
                let by_user = txn.open_table(USER_TICKETS).map_err(unavailable)?;
                let numbers: Vec<String> = keys_with_prefix(&by_user, &prefix)?
                    .iter()
                    .filter_map(|rest| rest.rsplit(crate::db::SEP).next().map(str::to_string))
                    .collect();
                drop(by_user);
                let mut table = txn.open_table(TICKET_MESSAGES).map_err(unavailable)?;
                let mut erased = 0;
                for number in numbers {
                    let ticket_prefix =
                        format!("{}{}", key(&[tenant.as_str(), &number]), crate::db::SEP);
                    let mut keys = Vec::new();
                    for item in table.range(ticket_prefix.as_str()..).map_err(unavailable)? {
                        let (k, _) = item.map_err(unavailable)?;
                        if !k.value().starts_with(&ticket_prefix) {
                            break;
                        }
                        keys.push(k.value().to_string());
                    }
                    for k in keys {
                        let Some(mut m) = get_json::<TicketMessage>(&table, &k)? else {
                            continue;
                        };
                        if m.author == Author::Citizen
                            && (m.text.is_some() || !m.attachments.is_empty())
                        {
                            m.text = None;
                            m.attachments.clear();
                            put_json(&mut table, &k, &m)?;
                            erased += 1;
                        }
                    }
                }
                Ok(erased)
            })
            .await
    }

    async fn tickets_by_status(
        &self,
        tenant: &TenantId,
        status: TicketStatus,
        limit: usize,
    ) -> StoreResult<Vec<Ticket>> {
        let tenant = tenant.clone();
        let prefix = format!(
            "{}{}",
            key(&[tenant.as_str(), status.as_str()]),
            crate::db::SEP
        );
        self.db
            .read(move |txn| {
                let by_status = txn.open_table(STATUS_TICKETS).map_err(unavailable)?;
                let tickets = txn.open_table(TICKETS).map_err(unavailable)?;
                let mut out = Vec::new();
                for rest in keys_with_prefix(&by_status, &prefix)?.iter().take(limit) {
                    let number = rest.rsplit(crate::db::SEP).next().unwrap_or_default();
                    if let Some(t) = get_json(&tickets, &key(&[tenant.as_str(), number]))? {
                        out.push(t);
                    }
                }
                Ok(out)
            })
            .await
    }
}

#[derive(Serialize, Deserialize)]
struct StoredRef {
    message: MessageRef,
    expires_at: DateTime<Utc>,
}

#[async_trait]
impl MessageLog for EmbeddedStore {
    async fn put_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
        message: &MessageRef,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let k = key(&[oa_id, message_id]);
        let stored = StoredRef {
            message: message.clone(),
            expires_at,
        };
        self.db
            .write(move |txn| {
                put_json(
                    &mut txn.open_table(MESSAGE_REFS).map_err(unavailable)?,
                    &k,
                    &stored,
                )
            })
            .await
    }

    async fn get_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRef>> {
        let k = key(&[oa_id, message_id]);
        self.db
            .read(move |txn| {
                let refs = txn.open_table(MESSAGE_REFS).map_err(unavailable)?;
                Ok(get_json::<StoredRef>(&refs, &k)?.map(|r| r.message))
            })
            .await
    }
}

#[derive(Serialize, Deserialize)]
struct Lease {
    holder: String,
    until_ms: i64,
}

#[async_trait]
impl TokenStore for EmbeddedStore {
    async fn get_tokens(&self, oa_id: &str) -> StoreResult<Option<OaTokens>> {
        let k = oa_id.to_string();
        self.db
            .read(move |txn| get_json(&txn.open_table(TOKENS).map_err(unavailable)?, &k))
            .await
    }

    async fn put_tokens(&self, tokens: &OaTokens) -> StoreResult<()> {
        let tokens = tokens.clone();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(TOKENS).map_err(unavailable)?;
                let stored = get_json::<OaTokens>(&t, &tokens.oa_id)?.map_or(0, |s| s.version);
                if tokens.version != stored + 1 {
                    return Err(StoreError::Conflict(format!(
                        "tokens of OA {} are at version {stored}, cannot write version {}",
                        tokens.oa_id, tokens.version
                    )));
                }
                put_json(&mut t, &tokens.oa_id, &tokens)
            })
            .await
    }

    async fn acquire_lease(
        &self,
        oa_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let k = oa_id.to_string();
        let holder = holder.to_string();
        let now_ms = now.timestamp_millis();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(LEASES).map_err(unavailable)?;
                if let Some(l) = get_json::<Lease>(&t, &k)?
                    && l.until_ms > now_ms
                {
                    return Ok(false);
                }
                let lease = Lease {
                    holder,
                    until_ms: now_ms.saturating_add(millis(ttl)),
                };
                put_json(&mut t, &k, &lease)?;
                Ok(true)
            })
            .await
    }

    async fn release_lease(&self, oa_id: &str, holder: &str) -> StoreResult<()> {
        let k = oa_id.to_string();
        let holder = holder.to_string();
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(LEASES).map_err(unavailable)?;
                if get_json::<Lease>(&t, &k)?.is_some_and(|l| l.holder == holder) {
                    t.remove(k.as_str()).map_err(unavailable)?;
                }
                Ok(())
            })
            .await
    }
}

fn day_key(tenant: &TenantId, metric: &str, day: NaiveDate) -> String {
    key(&[
        tenant.as_str(),
        metric,
        &format!("D{}", day.format("%Y-%m-%d")),
    ])
}

fn month_key(tenant: &TenantId, metric: &str, day: NaiveDate) -> String {
    key(&[
        tenant.as_str(),
        metric,
        &format!("M{:04}-{:02}", day.year(), day.month()),
    ])
}

#[async_trait]
impl CounterStore for EmbeddedStore {
    async fn incr(
        &self,
        tenant: &TenantId,
        metric: &str,
        day: NaiveDate,
        by: i64,
    ) -> StoreResult<()> {
        let keys = [day_key(tenant, metric, day), month_key(tenant, metric, day)];
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(COUNTERS).map_err(unavailable)?;
                for k in &keys {
                    let v = t
                        .get(k.as_str())
                        .map_err(unavailable)?
                        .map_or(0, |v| v.value());
                    t.insert(k.as_str(), v + by).map_err(unavailable)?;
                }
                Ok(())
            })
            .await
    }

    async fn daily(
        &self,
        tenant: &TenantId,
        metric: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, i64)>> {
        let (lo, hi) = (day_key(tenant, metric, from), day_key(tenant, metric, to));
        self.db
            .read(move |txn| {
                let t = txn.open_table(COUNTERS).map_err(unavailable)?;
                let mut out = Vec::new();
                for item in t.range(lo.as_str()..=hi.as_str()).map_err(unavailable)? {
                    let (k, v) = item.map_err(unavailable)?;
                    let day = k.value().rsplit(crate::db::SEP).next().unwrap_or_default();
                    let day = NaiveDate::parse_from_str(&day[1..], "%Y-%m-%d").map_err(|e| {
                        StoreError::Corrupt {
                            key: k.value().to_string(),
                            reason: e.to_string(),
                        }
                    })?;
                    out.push((day, v.value()));
                }
                Ok(out)
            })
            .await
    }

    async fn monthly(&self, tenant: &TenantId, metric: &str, month: NaiveDate) -> StoreResult<i64> {
        let k = month_key(tenant, metric, month);
        self.db
            .read(move |txn| {
                let t = txn.open_table(COUNTERS).map_err(unavailable)?;
                Ok(t.get(k.as_str())
                    .map_err(unavailable)?
                    .map_or(0, |v| v.value()))
            })
            .await
    }
}

#[async_trait]
impl AuditLog for EmbeddedStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let day = motcua_domain::time::to_vn(entry.at)
            .date_naive()
            .to_string();
        let k = key(&[
            entry.tenant.as_str(),
            &day,
            &ms13(entry.at),
            &uuid::Uuid::new_v4().to_string(),
        ]);
        let entry = entry.clone();
        self.db
            .write(move |txn| {
                put_json(&mut txn.open_table(AUDIT).map_err(unavailable)?, &k, &entry)
            })
            .await
    }

    async fn audit_entries(
        &self,
        tenant: &TenantId,
        day: NaiveDate,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>> {
        let prefix = format!(
            "{}{}",
            key(&[tenant.as_str(), &day.to_string()]),
            crate::db::SEP
        );
        self.db
            .read(move |txn| {
                let table = txn.open_table(AUDIT).map_err(unavailable)?;
                let hi = format!("{prefix}~");
                let mut out = Vec::new();
                for item in table
                    .range(prefix.as_str()..hi.as_str())
                    .map_err(unavailable)?
                    .rev()
                    .take(limit)
                {
                    let (k, v) = item.map_err(unavailable)?;
                    out.push(
                        serde_json::from_slice(v.value())
                            .map_err(|e| crate::db::corrupt(k.value(), e))?,
                    );
                }
                Ok(out)
            })
            .await
    }
}

#[async_trait]
impl AnnouncementStore for EmbeddedStore {
    async fn create_announcement(&self, announcement: &Announcement) -> StoreResult<bool> {
        let a = announcement.clone();
        self.db
            .write(move |txn| {
                let k = key(&[a.tenant.as_str(), &a.id]);
                let mut table = txn.open_table(ANNOUNCEMENTS).map_err(unavailable)?;
                if table.get(k.as_str()).map_err(unavailable)?.is_some() {
                    return Ok(false);
                }
                put_json(&mut table, &k, &a)?;
                txn.open_table(ANNOUNCEMENT_ORDER)
                    .map_err(unavailable)?
                    .insert(
                        key(&[a.tenant.as_str(), &ms13(a.created_at), &a.id]).as_str(),
                        (),
                    )
                    .map_err(unavailable)?;
                Ok(true)
            })
            .await
    }

    async fn get_announcement(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Option<Announcement>> {
        let k = key(&[tenant.as_str(), id]);
        self.db
            .read(move |txn| get_json(&txn.open_table(ANNOUNCEMENTS).map_err(unavailable)?, &k))
            .await
    }

    async fn list_announcements(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> StoreResult<Vec<Announcement>> {
        let tenant = tenant.clone();
        let prefix = format!("{}{}", tenant.as_str(), crate::db::SEP);
        self.db
            .read(move |txn| {
                let order = txn.open_table(ANNOUNCEMENT_ORDER).map_err(unavailable)?;
                let table = txn.open_table(ANNOUNCEMENTS).map_err(unavailable)?;
                let mut out = Vec::new();
                for rest in keys_with_prefix(&order, &prefix)?.iter().rev().take(limit) {
                    let id = rest.rsplit(crate::db::SEP).next().unwrap_or_default();
                    if let Some(a) = get_json(&table, &key(&[tenant.as_str(), id]))? {
                        out.push(a);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn begin_sending(
        &self,
        tenant: &TenantId,
        id: &str,
        recipients: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let k = key(&[tenant.as_str(), id]);
        self.db
            .write(move |txn| {
                let mut table = txn.open_table(ANNOUNCEMENTS).map_err(unavailable)?;
                let Some(mut a) = get_json::<Announcement>(&table, &k)? else {
                    return Ok(false);
                };
                if a.status != AnnouncementStatus::Draft {
                    return Ok(false);
                }
                a.status = AnnouncementStatus::Sending;
                a.recipients = recipients;
                a.sending_at = Some(at);
                put_json(&mut table, &k, &a)?;
                Ok(true)
            })
            .await
    }
}
