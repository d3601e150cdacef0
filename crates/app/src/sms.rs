//! The port for brandname SMS (adapter: `motcua-sms`, an eSMS-style gateway's HTTP API). The
//! notifier's last channel for notices that carry a deadline, where the tenant enables it
//! (`[tenant.sms]`). Failures come back in the messenger's terms, so one rule decides what the
//! notifier does next.

use async_trait::async_trait;
use motcua_domain::{PhoneNumber, TenantId};

use crate::messenger::{Delivered, SendError};

/// One customer-care SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms<'a> {
    /// The sender name registered with the carriers.
    pub brandname: &'a str,
    pub phone: &'a PhoneNumber,
    /// As the citizen reads it; sent as is when `unicode`, else already without diacritics.
    pub text: &'a str,
    pub unicode: bool,
    /// The same for every attempt at the same notice: the gateway refuses a repeated id
    /// (eSMS code 124), which the adapter reports as accepted, so a retried send never
    /// reaches the citizen twice.
    pub request_id: &'a str,
}

#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// Hands `sms` to the tenant's gateway; `Delivered` carries the gateway's message id.
    async fn send_sms(&self, tenant: &TenantId, sms: &Sms<'_>) -> Result<Delivered, SendError>;
}
