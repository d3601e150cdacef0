//! `notify resend|test`: the last notification again (same channel choice), and a ZNS template
//! in development mode with sample parameters.

use motcua_app::messenger::Messenger;
use motcua_app::notify::Decision;

use crate::OpsError;
use crate::context::Ctx;

pub(crate) async fn resend(ctx: &Ctx, code: &str) -> Result<String, OpsError> {
    let code = motcua_domain::DossierCode::parse(code).map_err(|e| format!("{code}: {e}"))?;
    let tenant = ctx
        .deployment
        .tenancy
        .for_code(&code)
        .ok_or("no tenant owns this receipt code's agency")?
        .id
        .clone();
    let notifier = motcua_app::notify::Notifier {
        store: ctx.store.clone(),
        tenancy: ctx.deployment.tenancy.clone(),
        messenger: ctx.messenger.clone(),
        clock: ctx.clock.clone(),
        metrics: motcua_runtime::metrics(),
        settings: motcua_app::notify::NotifierSettings::default(),
        // The CLI has no outbound queue: the statuses of what it sends wait for the sweep.
        outbound: std::sync::Arc::new(motcua_app::delivery::LeaveToSweep),
        sms: motcua_runtime::sms_gateway(&ctx.deployment, std::env::var("SMS_BASE_URL").ok()),
    };
    let (kind, decision) = notifier.resend_last(&tenant, &code).await?;
    let outcome = match &decision {
        Decision::Undeliverable(why) => format!("undeliverable: {why}"),
        d => d.label().to_string(),
    };
    Ok(format!(
        "{code}: {} notification re-sent: {outcome}",
        kind.as_str()
    ))
}

pub(crate) async fn test(
    ctx: &Ctx,
    tenant: &str,
    phone: &str,
    kind: &str,
) -> Result<String, OpsError> {
    let id = motcua_domain::TenantId::parse(tenant).map_err(|e| e.to_string())?;
    let t = ctx
        .deployment
        .tenancy
        .tenant(&id)
        .ok_or_else(|| format!("no tenant {tenant} in the configuration"))?;
    let oa = t.oa_id.as_deref().ok_or("the tenant has no oa_id")?;
    let template = t
        .zalo
        .zns_templates
        .get(kind)
        .ok_or_else(|| format!("[tenant.zalo] zns_templates has no {kind:?} template"))?;
    let phone = motcua_domain::PhoneNumber::parse(phone).map_err(|e| e.to_string())?;
    let params = sample_params(kind)?;
    motcua_domain::catalogue::check_params(kind, &params)?;
    let tracking = format!("test-{}", ctx.clock.now().timestamp());
    let sent = ctx
        .messenger
        .send_zns(oa, &phone, template, &params, &tracking, true)
        .await
        .map_err(|e| format!("Zalo refused the test message: {e}"))?;
    let names: Vec<&str> = params.keys().map(String::as_str).collect();
    Ok(format!(
        "sent template {template} ({kind}, parameters {}) to {} in development mode: Zalo message {}",
        names.join(", "),
        phone.masked(),
        sent.message_id
    ))
}

/// Sample template values, as a real notification of `kind` would carry them: every declared
/// parameter (`catalogue::template_parameters`), the ones this kind has no value for at their
/// defaults, exactly as the notifier sends them.
fn sample_params(kind: &str) -> Result<std::collections::BTreeMap<String, String>, OpsError> {
    if kind == motcua_domain::catalogue::TICKET_ANSWERED {
        return Ok(motcua_domain::catalogue::ticket_answered_params(
            1,
            "Sở Tư pháp",
        ));
    }
    if kind == motcua_domain::catalogue::OTP {
        return Ok(motcua_domain::catalogue::otp_params("123456"));
    }
    if kind == motcua_domain::catalogue::PHONE_RELINKED {
        return Ok(motcua_domain::catalogue::phone_relinked_params(
            "16:05 23/11/2026",
            "Sở Tư pháp",
        ));
    }
    let kind = motcua_domain::EventKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| {
            format!("{kind:?} is neither an event kind nor ticket_answered, otp or phone_relinked")
        })?;
    Ok(motcua_domain::catalogue::Notice {
        kind,
        code: "000.00.04.H60-261124-0001".into(),
        procedure: "Cấp Phiếu lý lịch tư pháp".into(),
        status: motcua_domain::NationalStatus::Processing,
        step: Some("Thẩm định hồ sơ".into()),
        unit: Some("Phòng Hành chính tư pháp".into()),
        due: Some("01/12/2026".into()),
        new_due: Some("05/12/2026".into()),
        reason: Some("Thiếu bản sao căn cước".into()),
        missing_papers: vec!["Bản sao căn cước".into()],
        fee_amount: Some(200_000),
    }
    .template_params())
}
