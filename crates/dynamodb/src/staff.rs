//! What the staff console keeps: the audit trail (`A#{tenant}#{day}`, one item per action,
//! kept two years) and announcements (`N#{tenant}#{id}`, listed newest first through GSI1).

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use chrono::{DateTime, NaiveDate, Utc};
use motcua_app::{
    Announcement, AnnouncementStatus, AnnouncementStore, AuditEntry, AuditLog, StoreResult,
};
use motcua_domain::{TenantId, time as vn};

use crate::DynamoStore;
use crate::item::{BODY, Fields, body, keyed, n, s};
use crate::keys::{self, GSI1, META};

impl DynamoStore {
    fn put_announcement(&self, a: &Announcement) -> PutItemFluentBuilder {
        let mut item = keyed(keys::announcement(&a.tenant, &a.id), META);
        item.insert(BODY.into(), body(a));
        item.insert(
            "status".into(),
            s(match a.status {
                AnnouncementStatus::Draft => "draft",
                AnnouncementStatus::Scheduled => "scheduled",
                AnnouncementStatus::Sending => "sending",
            }),
        );
        item.insert("GSI1PK".into(), s(keys::announcements(&a.tenant)));
        item.insert(
            "GSI1SK".into(),
            s(format!("{}#{}", keys::ms13(a.created_at), a.id)),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn append_audit(
        &self,
        entry: &AuditEntry,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        let day = vn::to_vn(entry.at).date_naive();
        let sk = format!("{}#{}", keys::ms13(entry.at), uuid::Uuid::new_v4());
        let mut item = keyed(keys::audit_day(&entry.tenant, day), &sk);
        item.insert(BODY.into(), body(entry));
        item.insert("ttl".into(), n(expires_at.timestamp()));
        self.put("PutItem (audit entry)", item).await
    }

    async fn audit_entries(
        &self,
        tenant: &TenantId,
        day: NaiveDate,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>> {
        let query = self
            .query()
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(keys::audit_day(tenant, day)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit.min(1000)).unwrap_or(1000));
        let out = query
            .send()
            .await
            .map_err(|err| self.unavailable("Query (audit day)", err))?;
        out.items().iter().map(|item| Fields(item).body()).collect()
    }
}

#[async_trait]
impl AnnouncementStore for DynamoStore {
    async fn create_announcement(&self, announcement: &Announcement) -> StoreResult<bool> {
        let put = self
            .put_announcement(announcement)
            .condition_expression("attribute_not_exists(PK)");
        self.put_conditionally("PutItem (announcement)", put).await
    }

    async fn get_announcement(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Option<Announcement>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::announcement(tenant, id)))
            .key("SK", s(META))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (announcement)", err))?;
        out.item().map(|item| Fields(item).body()).transpose()
    }

    async fn list_announcements(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> StoreResult<Vec<Announcement>> {
        let out = self
            .query()
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(keys::announcements(tenant)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit.min(1000)).unwrap_or(1000))
            .send()
            .await
            .map_err(|err| self.unavailable("Query GSI1 (announcements)", err))?;
        out.items().iter().map(|item| Fields(item).body()).collect()
    }

    async fn begin_sending(
        &self,
        tenant: &TenantId,
        id: &str,
        recipients: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(mut a) = self.get_announcement(tenant, id).await? else {
            return Ok(false);
        };
        if a.status == AnnouncementStatus::Sending {
            return Ok(false);
        }
        a.status = AnnouncementStatus::Sending;
        a.recipients = recipients;
        a.sending_at = Some(at);
        // Only one writer moves it to sending.
        let put = self
            .put_announcement(&a)
            .condition_expression("#status IN (:draft, :scheduled)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":draft", s("draft"))
            .expression_attribute_values(":scheduled", s("scheduled"));
        self.put_conditionally("PutItem (announcement sending)", put)
            .await
    }

    async fn schedule_announcement(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(mut a) = self.get_announcement(tenant, id).await? else {
            return Ok(false);
        };
        if a.status != AnnouncementStatus::Draft {
            return Ok(false);
        }
        a.status = AnnouncementStatus::Scheduled;
        a.scheduled_for = Some(at);
        let put = self
            .put_announcement(&a)
            .condition_expression("#status = :draft")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":draft", s("draft"));
        self.put_conditionally("PutItem (announcement scheduled)", put)
            .await
    }
}
