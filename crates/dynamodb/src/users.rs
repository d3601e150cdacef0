//! Zalo users: typed attributes changed in place with `UpdateItem`, so that concurrent changes
//! of different fields never overwrite each other. GSI1 finds the users of a phone.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use motcua_app::{PhoneClaim, StoreError, StoreResult, ZaloUser, ZaloUserStore};
use motcua_domain::{Protected, TenantId};

use crate::DynamoStore;
use crate::item::{Fields, Item, s, time};
use crate::keys::{self, GSI1, GSI3, META};

impl DynamoStore {
    /// An `UpdateItem` of one user that creates it when absent: `#uid`, `#following`
    /// (`:false` unless set) and `#updated` are always named, `:uid` and `:at` always bound.
    fn update_user(
        &self,
        tenant: &TenantId,
        user_id: &str,
        at: DateTime<Utc>,
        set: &str,
    ) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(keys::zalo_user(tenant, user_id)))
            .key("SK", s(META))
            .update_expression(format!("SET #uid = :uid, #updated = :at, {set}"))
            .expression_attribute_names("#uid", "user_id")
            .expression_attribute_names("#following", "following")
            .expression_attribute_names("#updated", "updated_at")
            .expression_attribute_values(":uid", s(user_id))
            .expression_attribute_values(":at", time(at))
    }
}

fn decode_user(tenant: &TenantId, item: &Item) -> StoreResult<ZaloUser> {
    let f = Fields(item);
    let phone = match f.opt_str("phone_hash")? {
        Some(hash) => Some(Protected {
            hash: hash.to_string(),
            sealed: f.str("phone_sealed")?.to_string(),
        }),
        None => None,
    };
    Ok(ZaloUser {
        tenant: tenant.clone(),
        user_id: f.str("user_id")?.to_string(),
        following: f.bool("following")?,
        last_interaction_at: f.opt_time("last_interaction_at")?,
        phone,
        phone_linked_at: f.opt_time("phone_linked_at")?,
        updated_at: f.time("updated_at")?,
        phone_claim: match f.opt_str("phone_claim")? {
            Some(json) => Some(serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
                key: "zalo user phone_claim".into(),
                reason: e.to_string(),
            })?),
            None => None,
        },
    })
}

#[async_trait]
impl ZaloUserStore for DynamoStore {
    async fn get_zalo_user(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Option<ZaloUser>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::zalo_user(tenant, user_id)))
            .key("SK", s(META))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (Zalo user)", err))?;
        out.item().map(|item| decode_user(tenant, item)).transpose()
    }

    async fn record_interaction(
        &self,
        tenant: &TenantId,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let result = self
            .update_user(
                tenant,
                user_id,
                at,
                "#following = if_not_exists(#following, :false), #last = :at, \
                 GSI3PK = :active_pk, GSI3SK = :active_sk",
            )
            .expression_attribute_names("#last", "last_interaction_at")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":active_pk", s(keys::active_users(tenant)))
            .expression_attribute_values(":active_sk", s(keys::active_user(at, user_id)))
            .condition_expression("attribute_not_exists(#last) OR #last < :at")
            .send()
            .await;
        match result {
            // A later interaction is already recorded: nothing to do.
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(self.unavailable("UpdateItem (Zalo user interaction)", err)),
            Ok(_) => Ok(()),
        }
    }

    async fn set_following(
        &self,
        tenant: &TenantId,
        user_id: &str,
        following: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.update_user(tenant, user_id, at, "#following = :following")
            .expression_attribute_values(":following", AttributeValue::Bool(following))
            .send()
            .await
            .map_err(|err| self.unavailable("UpdateItem (Zalo user follow state)", err))?;
        Ok(())
    }

    async fn link_phone(
        &self,
        tenant: &TenantId,
        user_id: &str,
        phone: &Protected,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.update_user(
            tenant,
            user_id,
            at,
            "#following = if_not_exists(#following, :false), #hash = :hash, #sealed = :sealed, \
             #linked = :at, GSI1PK = :gsi_pk, GSI1SK = :gsi_sk",
        )
        .expression_attribute_names("#hash", "phone_hash")
        .expression_attribute_names("#sealed", "phone_sealed")
        .expression_attribute_names("#linked", "phone_linked_at")
        .expression_attribute_values(":false", AttributeValue::Bool(false))
        .expression_attribute_values(":hash", s(&phone.hash))
        .expression_attribute_values(":sealed", s(&phone.sealed))
        .expression_attribute_values(":gsi_pk", s(keys::phone(tenant, &phone.hash)))
        .expression_attribute_values(":gsi_sk", s(keys::phone_user(user_id)))
        .send()
        .await
        .map_err(|err| self.unavailable("UpdateItem (Zalo user phone link)", err))?;
        Ok(())
    }

    async fn set_phone_claim(
        &self,
        tenant: &TenantId,
        user_id: &str,
        claim: Option<&PhoneClaim>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let request = match claim {
            Some(claim) => {
                let json = serde_json::to_string(claim).expect("a claim serialises");
                self.update_user(
                    tenant,
                    user_id,
                    at,
                    "#following = if_not_exists(#following, :false), #claim = :claim",
                )
                .expression_attribute_values(":claim", s(json))
            }
            None => self.update_user(
                tenant,
                user_id,
                at,
                "#following = if_not_exists(#following, :false) REMOVE #claim",
            ),
        };
        request
            .expression_attribute_names("#claim", "phone_claim")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await
            .map_err(|err| self.unavailable("UpdateItem (Zalo user phone claim)", err))?;
        Ok(())
    }

    async fn zalo_users_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<ZaloUser>> {
        let query = self
            .query()
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)")
            .expression_attribute_values(":pk", s(keys::phone(tenant, phone_hash)))
            .expression_attribute_values(":prefix", s(keys::USER_PREFIX));
        self.query_all("Query GSI1 (Zalo users by phone)", query)
            .await?
            .iter()
            .map(|item| decode_user(tenant, item))
            .collect()
    }

    async fn suppress_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(keys::phone_suppression(tenant, phone_hash)))
            .item("SK", s(META))
            .item("at", time(at))
            .send()
            .await
            .map_err(|err| self.unavailable("PutItem (phone suppression)", err))?;
        Ok(())
    }

    async fn lift_phone_suppression(&self, tenant: &TenantId, phone_hash: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(keys::phone_suppression(tenant, phone_hash)))
            .key("SK", s(META))
            .send()
            .await
            .map_err(|err| self.unavailable("DeleteItem (phone suppression)", err))?;
        Ok(())
    }

    async fn phone_suppressed(&self, tenant: &TenantId, phone_hash: &str) -> StoreResult<bool> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::phone_suppression(tenant, phone_hash)))
            .key("SK", s(META))
            .consistent_read(true)
            .projection_expression("PK")
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (phone suppression)", err))?;
        Ok(out.item().is_some())
    }

    async fn delete_zalo_user(&self, tenant: &TenantId, user_id: &str) -> StoreResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(keys::zalo_user(tenant, user_id)))
            .key("SK", s(META))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|err| self.unavailable("DeleteItem (Zalo user)", err))?;
        Ok(out.attributes().is_some_and(|old| !old.is_empty()))
    }

    async fn zalo_users_active_since(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<String>> {
        let query = self
            .query()
            .index_name(GSI3)
            .key_condition_expression("GSI3PK = :pk AND GSI3SK >= :since")
            .expression_attribute_values(":pk", s(keys::active_users(tenant)))
            .expression_attribute_values(":since", s(keys::ms13(since)))
            .scan_index_forward(false)
            .projection_expression("user_id");
        let mut out = Vec::new();
        let mut pages = query.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| self.unavailable("Query GSI3 (active users)", err))?;
            for item in page.items() {
                if out.len() == limit {
                    return Ok(out);
                }
                out.push(Fields(item).str("user_id")?.to_string());
            }
        }
        Ok(out)
    }
}
