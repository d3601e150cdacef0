//! Dossiers and their timelines: one partition per dossier, `META` plus `T#…` entries.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Utc};
use motcua_app::{DossierStore, StoreResult, Upsert};
use motcua_domain::{Dossier, DossierCode, DossierView, TenantId, TimelineEntry};

use crate::DynamoStore;
use crate::item::{BODY, Fields, Item, body, keyed, n, s};
use crate::keys::{self, GSI1, GSI2, GSI3, META, TIMELINE_PREFIX};

/// The attribute conditional dossier writes compare (`Dossier::sync.revision`).
const REVISION: &str = "revision";

/// The dossier's `META` item with its sparse index keys.
fn dossier_item(dossier: &Dossier) -> Item {
    let mut item = keyed(keys::dossier(&dossier.tenant, &dossier.code), META);
    item.insert("version".into(), n(dossier.version));
    item.insert(REVISION.into(), n(dossier.sync.revision));
    item.insert(BODY.into(), body(dossier));
    // Unfinished dossiers with an appointment date are listed by date (sparse GSI3).
    if let Some(due) = dossier.due_at.filter(|_| !dossier.status.is_final()) {
        item.insert(format!("{GSI3}PK"), s(keys::due(&dossier.tenant)));
        item.insert(
            format!("{GSI3}SK"),
            s(keys::due_dossier(due, &dossier.code)),
        );
    }
    // Closed dossiers are listed by closing time, for the purge (sparse GSI3 too: a dossier
    // is either unfinished or closed).
    if let Some(closed) = dossier.closed_at() {
        item.insert(format!("{GSI3}PK"), s(keys::closed(&dossier.tenant)));
        item.insert(
            format!("{GSI3}SK"),
            s(keys::due_dossier(closed, &dossier.code)),
        );
    }
    // Sparse indexes: a dossier without a phone is simply absent from them.
    let phones = [
        (GSI1, &dossier.applicant_phone),
        (GSI2, &dossier.representative_phone),
    ];
    for (index, phone) in phones {
        if let Some(phone) = phone {
            item.insert(
                format!("{index}PK"),
                s(keys::phone(&dossier.tenant, &phone.hash)),
            );
            item.insert(format!("{index}SK"), s(keys::phone_dossier(&dossier.code)));
        }
    }
    item
}

#[async_trait]
impl DossierStore for DynamoStore {
    async fn load_dossier(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
    ) -> StoreResult<Option<DossierView>> {
        let query = self
            .query()
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(keys::dossier(tenant, code)))
            .consistent_read(true);
        let items = self
            .query_all("Query (dossier and timeline)", query)
            .await?;
        let mut dossier = None;
        let mut timeline = Vec::new();
        for item in &items {
            let fields = Fields(item);
            let sk = fields.str("SK")?;
            if sk == META {
                dossier = Some(fields.body()?);
            } else if sk.starts_with(TIMELINE_PREFIX) {
                timeline.push(fields.body()?);
            }
        }
        Ok(dossier.map(|dossier| DossierView { dossier, timeline }))
    }

    async fn upsert_dossier_if_newer(&self, dossier: &Dossier) -> StoreResult<Upsert> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(dossier_item(dossier)))
            .condition_expression("attribute_not_exists(PK) OR #v < :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(dossier.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Upsert::Applied),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let stored = failed
                        .item()
                        .ok_or_else(|| self.missing_old_item("PutItem (dossier)"))?;
                    Ok(Upsert::Stale {
                        stored_version: Fields(stored).num("version")?,
                    })
                }
                _ => Err(self.unavailable("PutItem (dossier)", err)),
            },
        }
    }

    async fn replace_dossier(&self, dossier: &Dossier, expected: Option<u64>) -> StoreResult<bool> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(dossier_item(dossier)));
        // A record written before revisions existed has no `revision`: it counts as 0.
        let put = match expected {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(0) => put
                .condition_expression(
                    "attribute_exists(PK) AND (attribute_not_exists(#r) OR #r = :e)",
                )
                .expression_attribute_names("#r", REVISION)
                .expression_attribute_values(":e", n(0)),
            Some(r) => put
                .condition_expression("#r = :e")
                .expression_attribute_names("#r", REVISION)
                .expression_attribute_values(":e", n(r)),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(self.unavailable("PutItem (dossier, conditional)", err)),
            },
        }
    }

    async fn add_timeline_entry(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
        entry: &TimelineEntry,
    ) -> StoreResult<bool> {
        let sk = keys::timeline_entry(entry.at, &entry.event_id, &entry.kind);
        let mut item = keyed(keys::dossier(tenant, code), &sk);
        item.insert(BODY.into(), body(entry));
        self.put_if_absent("PutItem (timeline entry)", item).await
    }

    async fn dossiers_due_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Dossier>> {
        let query = self
            .query()
            .index_name(GSI3)
            .key_condition_expression("GSI3PK = :pk AND GSI3SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(keys::due(tenant)))
            .expression_attribute_values(":from", s(keys::ms13(from)))
            // every code sorts before '~'
            .expression_attribute_values(":to", s(format!("{}#~", keys::ms13(to))));
        let items = self
            .query_all("Query GSI3 (dossiers by due date)", query)
            .await?;
        items.iter().map(|item| Fields(item).body()).collect()
    }

    async fn dossiers_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<Dossier>> {
        // Applicant phones are in GSI1, representative phones in GSI2.
        let by_index = |index: &str| {
            self.query()
                .index_name(index)
                .key_condition_expression(format!(
                    "{index}PK = :pk AND begins_with({index}SK, :prefix)"
                ))
                .expression_attribute_values(":pk", s(keys::phone(tenant, phone_hash)))
                .expression_attribute_values(":prefix", s(keys::DOSSIER_PREFIX))
        };
        let (applicant, representative) = tokio::try_join!(
            self.query_all("Query GSI1 (dossiers by applicant phone)", by_index(GSI1)),
            self.query_all(
                "Query GSI2 (dossiers by representative phone)",
                by_index(GSI2)
            ),
        )?;
        let mut dossiers: Vec<Dossier> = Vec::new();
        for item in applicant.iter().chain(&representative) {
            let dossier: Dossier = Fields(item).body()?;
            if !dossiers.iter().any(|d| d.code == dossier.code) {
                dossiers.push(dossier);
            }
        }
        Ok(dossiers)
    }
}
