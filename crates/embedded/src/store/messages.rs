//! The log of sent Zalo messages, for delivery receipts.

use super::*;

#[derive(Serialize, Deserialize)]
pub(super) struct StoredRef {
    message: MessageRef,
    pub(super) expires_at: DateTime<Utc>,
}

#[async_trait]
impl MessageLog for EmbeddedStore {
    async fn put_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
        message: &MessageRef,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let k = key(&[oa_id, message_id]);
        let stored = StoredRef {
            message: message.clone(),
            expires_at,
        };
        self.db
            .write(move |txn| {
                put_json(
                    &mut txn.open_table(MESSAGE_REFS).map_err(unavailable)?,
                    &k,
                    &stored,
                )?;
                expire_at(txn, stored.expires_at, Expiring::MessageRef, &k)
            })
            .await
    }

    async fn get_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRef>> {
        let k = key(&[oa_id, message_id]);
        self.db
            .read(move |txn| {
                let refs = txn.open_table(MESSAGE_REFS).map_err(unavailable)?;
                Ok(get_json::<StoredRef>(&refs, &k)?.map(|r| r.message))
            })
            .await
    }
}
