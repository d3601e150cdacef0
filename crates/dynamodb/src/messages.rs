//! The sent-message log: `MSG#{oa}#{message id}` → the subject of the ledger record it
//! belongs to (a dossier event, a ticket answer, a phone code, an announcement copy), with `ttl`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use motcua_app::{MessageLog, MessageRef, StoreResult};

use crate::DynamoStore;
use crate::item::{BODY, Fields, body, keyed, n, s};
use crate::keys::{self, META};

#[async_trait]
impl MessageLog for DynamoStore {
    async fn put_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
        message: &MessageRef,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut item = keyed(keys::message_ref(oa_id, message_id), META);
        item.insert(BODY.into(), body(message));
        item.insert("ttl".into(), n(expires_at.timestamp()));
        self.put("PutItem (message ref)", item).await
    }

    async fn get_message_ref(
        &self,
        oa_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRef>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::message_ref(oa_id, message_id)))
            .key("SK", s(META))
            .send()
            .await
            .map_err(|err| self.unavailable("GetItem (message ref)", err))?;
        out.item().map(|item| Fields(item).body()).transpose()
    }
}
