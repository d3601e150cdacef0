//! Tickets, their messages and the per-user and per-status indexes.

use super::*;
use crate::db::{open_json, seal_json};

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
        let seal = self.db.seal.clone();
        self.db
            .read(move |txn| {
                let tickets = txn.open_table(TICKETS).map_err(unavailable)?;
                let Some(ticket) = get_json::<Ticket>(&tickets, &k)? else {
                    return Ok(None);
                };
                let table = txn.open_table(TICKET_MESSAGES).map_err(unavailable)?;
                let prefix = format!("{k}{}", crate::db::SEP);
                let mut messages = Vec::new();
                for item in table.range(prefix.as_str()..).map_err(unavailable)? {
                    let (mk, v) = item.map_err(unavailable)?;
                    if !mk.value().starts_with(&prefix) {
                        break;
                    }
                    messages.push(open_json(seal.as_ref(), mk.value(), v.value())?);
                }
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
        let seal = self.db.seal.clone();
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
                let bytes = seal_json(seal.as_ref(), &k, &message)?;
                messages
                    .insert(k.as_str(), bytes.as_slice())
                    .map_err(unavailable)?;
                Ok(true)
            })
            .await
    }

    async fn mark_delivered_in_chat(
        &self,
        tenant: &TenantId,
        number: u64,
        message_id: &str,
        message_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let k = key(&[tenant.as_str(), &n20(number), &ms13(message_at), message_id]);
        let seal = self.db.seal.clone();
        self.db
            .write(move |txn| {
                let mut table = txn.open_table(TICKET_MESSAGES).map_err(unavailable)?;
                let Some(bytes) = table.get(k.as_str()).map_err(unavailable)? else {
                    return Ok(false);
                };
                let mut m: TicketMessage = open_json(seal.as_ref(), &k, bytes.value())?;
                drop(bytes);
                m.delivered_in_chat_at = Some(at);
                let bytes = seal_json(seal.as_ref(), &k, &m)?;
                table
                    .insert(k.as_str(), bytes.as_slice())
                    .map_err(unavailable)?;
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
        let seal = self.db.seal.clone();
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
                        let Some(bytes) = table.get(k.as_str()).map_err(unavailable)? else {
                            continue;
                        };
                        let mut m: TicketMessage = open_json(seal.as_ref(), &k, bytes.value())?;
                        drop(bytes);
                        if m.author == Author::Citizen
                            && (m.text.is_some() || !m.attachments.is_empty())
                        {
                            m.text = None;
                            m.attachments.clear();
                            let bytes = seal_json(seal.as_ref(), &k, &m)?;
                            table
                                .insert(k.as_str(), bytes.as_slice())
                                .map_err(unavailable)?;
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
