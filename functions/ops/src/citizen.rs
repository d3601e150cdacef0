//! `citizen erase`: a citizen's erasure request received on paper, served as `user_withdraw`
//! serves one from the chat (`motcua_app::erasure`).

use motcua_app::erasure::{Requester, erase_citizen};
use motcua_domain::{PhoneNumber, TenantId};

use crate::OpsError;
use crate::context::Ctx;

pub(crate) async fn erase(
    ctx: &Ctx,
    tenant: &str,
    phone: &str,
    operator: &str,
) -> Result<String, OpsError> {
    let id = TenantId::parse(tenant).map_err(|e| format!("--tenant {tenant:?}: {e}"))?;
    let keys = ctx
        .deployment
        .tenancy
        .keys(&id)
        .ok_or_else(|| format!("no tenant {tenant} in this deployment"))?;
    let number = PhoneNumber::parse(phone).map_err(|e| format!("--phone: {e}"))?;
    if operator.trim().is_empty() {
        return Err("--operator: say who serves the request (it goes in the audit trail)".into());
    }
    let hash = keys.phone_hash(&number);
    let erased = erase_citizen(
        ctx.store.as_ref(),
        &id,
        &[],
        &[hash],
        Requester::Operator(operator.trim()),
        ctx.clock.now(),
        &ctx.deployment.tenancy.retention(&id),
    )
    .await?;
    let digits = number.international();
    Ok(format!(
        "{tenant}: erased {} Zalo account(s) and {} ticket message(s) of the phone ending {}; \
         it gets no further notice until it is proven again in the chat; recorded in the audit trail",
        erased.accounts,
        erased.messages,
        &digits[digits.len().saturating_sub(3)..]
    ))
}
