//! The staff console's audit trail and announcements.

use super::*;

#[async_trait]
impl AuditLog for EmbeddedStore {
    async fn append_audit(&self, entry: &AuditEntry, expires_at: DateTime<Utc>) -> StoreResult<()> {
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
                put_json(&mut txn.open_table(AUDIT).map_err(unavailable)?, &k, &entry)?;
                expire_at(txn, expires_at, Expiring::Audit, &k)
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

    async fn schedule_announcement(
        &self,
        tenant: &TenantId,
        id: &str,
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
                a.status = AnnouncementStatus::Scheduled;
                a.scheduled_for = Some(at);
                put_json(&mut table, &k, &a)?;
                Ok(true)
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
                if a.status == AnnouncementStatus::Sending {
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
