//! Erasing a citizen at their request: `user_withdraw` in the chat, or a request received on
//! paper and served by an operator (`motcua-ops citizen erase`). Everything tied to the Zalo
//! accounts and to the phone goes: the accounts and their phone links and claims, what the
//! citizen wrote in tickets (texts and attachments), and every further notice to the phone, by
//! any channel, until the phone is proven again in the chat. The dossiers stay: they are the
//! province's administrative record, held in masked, hashed and sealed form. The audit trail
//! records that an erasure happened, who asked and how, never whom it erased.

use chrono::{DateTime, Utc};
use motcua_domain::TenantId;
use motcua_domain::audit::AuditEntry;

use crate::ports::{Store, StoreResult};

/// Who asked, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester<'a> {
    /// The citizen, by `user_withdraw`.
    Citizen,
    /// An operator serving a request received on paper.
    Operator(&'a str),
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Erased {
    pub accounts: usize,
    pub messages: usize,
    pub phones_suppressed: usize,
}

/// Erases `users` and every account linked to one of `phone_hashes`, and suppresses those
/// phones. Idempotent: erasing again finds nothing more and changes nothing.
pub async fn erase_citizen(
    store: &dyn Store,
    tenant: &TenantId,
    users: &[String],
    phone_hashes: &[String],
    requester: Requester<'_>,
    at: DateTime<Utc>,
    retention: &motcua_domain::Retention,
) -> StoreResult<Erased> {
    let mut phones: Vec<String> = phone_hashes.to_vec();
    let mut accounts: Vec<String> = users.to_vec();
    for user in users {
        if let Some(phone) = store
            .get_zalo_user(tenant, user)
            .await?
            .and_then(|u| u.phone)
        {
            phones.push(phone.hash);
        }
    }
    for hash in phone_hashes {
        accounts.extend(
            store
                .zalo_users_by_phone(tenant, hash)
                .await?
                .into_iter()
                .map(|u| u.user_id),
        );
    }
    phones.sort();
    phones.dedup();
    accounts.sort();
    accounts.dedup();
    let mut erased = Erased::default();
    // suppression first: a notice decided meanwhile finds the phone withdrawn
    for hash in &phones {
        store.suppress_phone(tenant, hash, at).await?;
        erased.phones_suppressed += 1;
    }
    for user in &accounts {
        erased.accounts += usize::from(store.delete_zalo_user(tenant, user).await?);
        erased.messages += store.erase_citizen_messages(tenant, user).await?;
        for pending in store.pending_answers(tenant, user).await? {
            store.remove_pending_answer(tenant, user, &pending).await?;
        }
    }
    let (actor, via) = match requester {
        Requester::Citizen => ("citizen".to_string(), "user_withdraw in the Zalo chat"),
        Requester::Operator(name) => (name.to_string(), "a request received on paper"),
    };
    store
        .append_audit(
            &AuditEntry {
                tenant: tenant.clone(),
                at,
                actor,
                action: "citizen.erasure".into(),
                target: String::new(),
                outcome: "ok".into(),
                detail: Some(format!(
                    "{via}: {} account(s), {} message(s), {} phone(s) withdrawn from notices",
                    erased.accounts, erased.messages, erased.phones_suppressed
                )),
            },
            retention.audit_expires(at),
        )
        .await?;
    Ok(erased)
}
