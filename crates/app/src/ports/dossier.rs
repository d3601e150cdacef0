//! Dossiers and their timelines.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::{Dossier, DossierCode, DossierView, TenantId, TimelineEntry};

use super::StoreResult;

/// Outcome of writing a dossier snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Applied,
    /// The stored dossier already has this or a newer version; nothing was written.
    Stale {
        stored_version: u64,
    },
}

#[async_trait]
pub trait DossierStore: Send + Sync {
    /// The dossier and its timeline (oldest first), in one read.
    async fn load_dossier(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
    ) -> StoreResult<Option<DossierView>>;

    /// Writes `dossier` only if no dossier is stored or the stored `version` is lower.
    async fn upsert_dossier_if_newer(&self, dossier: &Dossier) -> StoreResult<Upsert>;

    /// Optimistic write: stores `dossier` only if the stored one has `sync.revision ==
    /// expected` (`None`: only if none is stored; a record written before revisions existed
    /// counts as revision 0). Returns false, writing nothing, when another writer came first.
    async fn replace_dossier(&self, dossier: &Dossier, expected: Option<u64>) -> StoreResult<bool>;

    /// Adds a timeline entry unless the dossier already has one with the same `at`, `event_id`
    /// and `kind` (a re-sent event carries its original time). Returns whether it was added.
    async fn add_timeline_entry(
        &self,
        tenant: &TenantId,
        code: &DossierCode,
        entry: &TimelineEntry,
    ) -> StoreResult<bool>;

    /// Unfinished dossiers (status not final) whose appointment date is in `[from, to]`,
    /// soonest first. Served by an index that is eventually consistent on DynamoDB.
    async fn dossiers_due_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Dossier>>;

    /// Dossiers whose applicant or representative phone has this keyed hash. Served by an index
    /// that is eventually consistent on DynamoDB: a write is visible here within about a second.
    async fn dossiers_by_phone(
        &self,
        tenant: &TenantId,
        phone_hash: &str,
    ) -> StoreResult<Vec<Dossier>>;
}
