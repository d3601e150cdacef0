//! Staff answers waiting for the citizen's next interaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::TenantId;
use motcua_domain::ticket::PendingAnswer;

use super::StoreResult;

#[async_trait]
pub trait PendingAnswerStore: Send + Sync {
    /// Remembers an answer for `user` until it is delivered or `expires_at` passes.
    async fn add_pending_answer(
        &self,
        tenant: &TenantId,
        user_id: &str,
        answer: &PendingAnswer,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The user's pending answers, by ticket number then time: one read.
    async fn pending_answers(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> StoreResult<Vec<PendingAnswer>>;

    /// Forgets one (delivered, or erased). Returns whether it was there.
    async fn remove_pending_answer(
        &self,
        tenant: &TenantId,
        user_id: &str,
        answer: &PendingAnswer,
    ) -> StoreResult<bool>;
}
