//! Tickets: a per-tenant counter item, one partition per ticket (`META`, messages `M#…` and
//! message id markers `MID#…`), GSI1 for a user's tickets and GSI2 for tickets by status.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem};
use motcua_app::{
    Author, NewTicket, StoreError, StoreResult, Ticket, TicketMessage, TicketStatus, TicketStore,
};
use motcua_domain::TenantId;

use crate::DynamoStore;
use crate::item::{BODY, Fields, Item, body, keyed, n, s};
use crate::keys::{self, GSI1, GSI2, MESSAGE_PREFIX, META};

/// The ticket's main item with its index attributes.
fn ticket_item(ticket: &Ticket) -> Item {
    let mut item = keyed(keys::ticket(&ticket.tenant, ticket.number), META);
    item.insert("status".into(), s(ticket.status.as_str()));
    item.insert(BODY.into(), body(ticket));
    let order = keys::ticket_order(ticket);
    item.insert(
        "GSI1PK".into(),
        s(keys::user_tickets(&ticket.tenant, &ticket.user_id)),
    );
    item.insert("GSI1SK".into(), s(order.clone()));
    item.insert(
        "GSI2PK".into(),
        s(keys::status_tickets(&ticket.tenant, ticket.status)),
    );
    item.insert("GSI2SK".into(), s(order));
    item
}

impl DynamoStore {
    /// The next ticket number of a tenant (atomic increment; numbers are never reused).
    async fn next_ticket_number(&self, tenant: &TenantId) -> StoreResult<u64> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(keys::ticket_counter(tenant)))
            .key("SK", s(META))
            .update_expression("ADD #n :one")
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|err| self.unavailable("UpdateItem (ticket counter)", err))?;
        let Some(attributes) = out.attributes() else {
            return Err(StoreError::Unavailable(format!(
                "DynamoDB UpdateItem (ticket counter) on table {} returned no new value",
                self.table
            )));
        };
        Fields(attributes).num("n")
    }

    /// Writes the ticket's main item under `condition` (about its `PK`); returns whether the
    /// condition held.
    async fn put_ticket(&self, ticket: &Ticket, condition: &str) -> StoreResult<bool> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(ticket_item(ticket)))
            .condition_expression(condition);
        self.put_conditionally("PutItem (ticket)", put).await
    }
}

#[async_trait]
impl TicketStore for DynamoStore {
    async fn open_ticket(&self, new: &NewTicket) -> StoreResult<Ticket> {
        let ticket = Ticket::opened(new, self.next_ticket_number(&new.tenant).await?);
        if !self.put_ticket(&ticket, "attribute_not_exists(PK)").await? {
            return Err(StoreError::Conflict(format!(
                "ticket {} of {} already exists: the ticket counter is behind",
                ticket.number, ticket.tenant
            )));
        }
        Ok(ticket)
    }

    async fn get_ticket(
        &self,
        tenant: &TenantId,
        number: u64,
    ) -> StoreResult<Option<(Ticket, Vec<TicketMessage>)>> {
        let query = self
            .query()
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(keys::ticket(tenant, number)))
            .consistent_read(true);
        let items = self.query_all("Query (ticket and messages)", query).await?;
        let mut ticket = None;
        let mut messages = Vec::new();
        for item in &items {
            let fields = Fields(item);
            let sk = fields.str("SK")?;
            if sk == META {
                ticket = Some(fields.body()?);
            } else if sk.starts_with(MESSAGE_PREFIX) {
                messages.push(fields.body()?);
            }
        }
        Ok(ticket.map(|ticket| (ticket, messages)))
    }

    async fn add_ticket_message(
        &self,
        tenant: &TenantId,
        number: u64,
        message: &TicketMessage,
    ) -> StoreResult<bool> {
        let pk = keys::ticket(tenant, number);
        let mut item = keyed(
            pk.clone(),
            &keys::ticket_message(message.at, &message.message_id),
        );
        item.insert(BODY.into(), body(message));
        let marker = keyed(pk, &keys::ticket_message_id(&message.message_id));
        // The marker and the message are written together or not at all.
        let put = |item: Item| -> StoreResult<TransactWriteItem> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .map_err(|e| {
                    StoreError::Unavailable(format!("cannot build a ticket message write: {e}"))
                })?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(put(marker)?)
            .transact_items(put(item)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(canceled))
                    if canceled
                        .cancellation_reasons()
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed")) =>
                {
                    Ok(false)
                }
                _ => Err(self.unavailable("TransactWriteItems (ticket message)", err)),
            },
        }
    }

    async fn mark_delivered_in_chat(
        &self,
        tenant: &TenantId,
        number: u64,
        message_id: &str,
        message_at: chrono::DateTime<chrono::Utc>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<bool> {
        let pk = keys::ticket(tenant, number);
        let sk = keys::ticket_message(message_at, message_id);
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(pk.clone()))
            .key("SK", s(sk.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (ticket message)", err))?;
        let Some(item) = got.item else {
            return Ok(false);
        };
        let mut m: TicketMessage = Fields(&item).body()?;
        m.delivered_in_chat_at = Some(at);
        self.client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .update_expression("SET #body = :body")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#body", BODY)
            .expression_attribute_values(":body", body(&m))
            .send()
            .await
            .map_err(|err| self.unavailable("UpdateItem (ticket message delivered)", err))?;
        Ok(true)
    }

    async fn update_ticket(&self, ticket: &Ticket) -> StoreResult<()> {
        if !self.put_ticket(ticket, "attribute_exists(PK)").await? {
            return Err(StoreError::Conflict(format!(
                "ticket {} of {} does not exist",
                ticket.number, ticket.tenant
            )));
        }
        Ok(())
    }

    async fn erase_citizen_messages(&self, tenant: &TenantId, user_id: &str) -> StoreResult<usize> {
        let tickets = self
            .query()
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(keys::user_tickets(tenant, user_id)));
        let tickets = self
            .query_all("Query GSI1 (tickets of a user)", tickets)
            .await?;
        let mut erased = 0;
        for t in &tickets {
            let ticket: Ticket = Fields(t).body()?;
            let messages = self
                .query()
                .key_condition_expression("PK = :pk AND begins_with(SK, :m)")
                .expression_attribute_values(":pk", s(keys::ticket(tenant, ticket.number)))
                .expression_attribute_values(":m", s(MESSAGE_PREFIX))
                .consistent_read(true);
            for item in self.query_all("Query (ticket messages)", messages).await? {
                let fields = Fields(&item);
                let mut m: TicketMessage = fields.body()?;
                if m.author != Author::Citizen || (m.text.is_none() && m.attachments.is_empty()) {
                    continue;
                }
                m.text = None;
                m.attachments.clear();
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key("PK", s(fields.str("PK")?))
                    .key("SK", s(fields.str("SK")?))
                    .update_expression("SET #body = :body")
                    .expression_attribute_names("#body", BODY)
                    .expression_attribute_values(":body", body(&m))
                    .send()
                    .await
                    .map_err(|err| self.unavailable("UpdateItem (erase ticket message)", err))?;
                erased += 1;
            }
        }
        Ok(erased)
    }

    async fn latest_open_ticket(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Option<Ticket>> {
        let mut items = self
            .query()
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .filter_expression("#status <> :closed")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pk", s(keys::user_tickets(tenant, user_id)))
            .expression_attribute_values(":closed", s(TicketStatus::Closed.as_str()))
            .scan_index_forward(false)
            .into_paginator()
            .items()
            .send();
        match items.next().await.transpose() {
            Ok(item) => item.map(|item| Fields(&item).body()).transpose(),
            Err(err) => Err(self.unavailable("Query GSI1 (open tickets of a user)", err)),
        }
    }

    async fn tickets_by_status(
        &self,
        tenant: &TenantId,
        status: TicketStatus,
        limit: usize,
    ) -> StoreResult<Vec<Ticket>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut items = self
            .query()
            .index_name(GSI2)
            .key_condition_expression("GSI2PK = :pk")
            .expression_attribute_values(":pk", s(keys::status_tickets(tenant, status)))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .into_paginator()
            .items()
            .send();
        let mut tickets = Vec::new();
        while tickets.len() < limit {
            match items.next().await {
                Some(Ok(item)) => tickets.push(Fields(&item).body()?),
                Some(Err(err)) => {
                    return Err(self.unavailable("Query GSI2 (tickets by status)", err));
                }
                None => break,
            }
        }
        Ok(tickets)
    }
}
