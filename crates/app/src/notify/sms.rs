//! The notifier's last channel: the tenant's brandname SMS, for a notice that carries a
//! deadline and that no Zalo channel delivered (`[tenant.sms]`). The text is the catalogue's
//! SMS for the kind (a customer-care template the province registered), without diacritics
//! unless the tenant sends Unicode. The request id is a digest of the tenant and the event, so
//! a retried notice is the same request and the gateway never sends it twice.

use motcua_domain::catalogue::Notice;
use motcua_domain::catalogue::sms::{sms_text, without_diacritics};
use motcua_domain::{DossierEvent, Protected, SmsSettings, Tenant};

use super::Notifier;
use crate::messenger::{Delivered, SendError, SendFailure};
use crate::pii::PiiKeys;
use crate::sms::Sms;

pub(super) struct SmsNotice<'a> {
    pub settings: &'a SmsSettings,
    pub notice: &'a Notice,
}

/// The gateway's request id for `event`'s SMS: no code, no phone, stable across retries.
pub(super) fn request_id(tenant: &Tenant, event: &DossierEvent) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("sms\0{}\0{}", tenant.id, event.event_id));
    format!("n-{}", hex::encode(&digest[..15]))
}

impl Notifier {
    /// Sends `sms` to `phone`; `Err` with the reason when it cannot go at all.
    pub(super) async fn send_sms(
        &self,
        tenant: &Tenant,
        keys: &PiiKeys,
        event: &DossierEvent,
        phone: &Protected,
        sms: SmsNotice<'_>,
    ) -> Result<Result<Delivered, SendError>, String> {
        let Some(gateway) = &self.sms else {
            return Err("sms: no SMS gateway in this deployment".into());
        };
        let Some(text) = sms_text(sms.notice) else {
            return Err(format!("sms: no SMS text for {}", event.kind.as_str()));
        };
        let text = if sms.settings.unicode {
            text
        } else {
            without_diacritics(&text)
        };
        let number = keys
            .open_phone(phone)
            .map_err(|e| format!("sms: stored phone unusable ({e})"))?;
        let request_id = request_id(tenant, event);
        let message = Sms {
            brandname: &sms.settings.brandname,
            phone: &number,
            text: &text,
            unicode: sms.settings.unicode,
            request_id: &request_id,
        };
        let sent = gateway.send_sms(&tenant.id, &message).await;
        if let Err(e) = &sent
            && e.failure == SendFailure::Configuration
        {
            self.metrics.count("SmsRefused", 1.0, &[]);
            tracing::error!(tenant = %tenant.id, detail = %e.detail, "the SMS gateway refused a notice");
        }
        Ok(sent)
    }
}
