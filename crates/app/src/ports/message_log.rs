//! Sent Zalo messages, for their delivery receipts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_domain::zalo::MessageRef;

use super::StoreResult;

#[async_trait]
pub trait MessageLog: Send + Sync {
    /// Remembers a sent message until `expires_at` (receipts come within days).
    async fn put_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
        message: &MessageRef,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    async fn get_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRef>>;
}
