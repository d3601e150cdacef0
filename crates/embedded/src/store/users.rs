//! Zalo users, their verified-phone links and the active-since index.

use super::*;

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

    async fn set_phone_claim(
        &self,
        tenant: &TenantId,
        user_id: &str,
        claim: Option<&PhoneClaim>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let claim = claim.cloned();
        self.update_user(tenant, user_id, at, move |u| {
            u.phone_claim = claim;
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

    async fn suppress_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let k = key(&[tenant.as_str(), phone_hash]);
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(PHONE_SUPPRESSIONS).map_err(unavailable)?;
                t.insert(k.as_str(), at.timestamp_millis())
                    .map_err(unavailable)?;
                Ok(())
            })
            .await
    }

    async fn lift_phone_suppression(&self, tenant: &TenantId, phone_hash: &str) -> StoreResult<()> {
        let k = key(&[tenant.as_str(), phone_hash]);
        self.db
            .write(move |txn| {
                let mut t = txn.open_table(PHONE_SUPPRESSIONS).map_err(unavailable)?;
                t.remove(k.as_str()).map_err(unavailable)?;
                Ok(())
            })
            .await
    }

    async fn phone_suppressed(&self, tenant: &TenantId, phone_hash: &str) -> StoreResult<bool> {
        let k = key(&[tenant.as_str(), phone_hash]);
        self.db
            .read(move |txn| {
                let t = txn.open_table(PHONE_SUPPRESSIONS).map_err(unavailable)?;
                Ok(t.get(k.as_str()).map_err(unavailable)?.is_some())
            })
            .await
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
