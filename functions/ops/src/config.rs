//! `config check`: a tenant file validated as the deployment would load it, with what it sets.

use crate::OpsError;

pub(crate) fn check(file: &std::path::Path) -> Result<String, OpsError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let parsed =
        motcua_app::TenantFile::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let directory = motcua_domain::TenantDirectory::new(parsed.tenant)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for t in directory.iter() {
        lines.push(format!(
            "{} ({}): agency codes {}; OA {}; {} ZNS template(s); agencies {}; answer within {} h; outside the window: {:?}",
            t.id,
            t.name,
            t.agency_codes.join(", "),
            t.oa_id.as_deref().unwrap_or("(none)"),
            t.zalo.zns_templates.len(),
            if t.agencies.is_empty() { "(none)".to_string() } else { t.agencies.keys().cloned().collect::<Vec<_>>().join(", ") },
            t.ticket_answer_hours,
            t.tickets.outside_window,
        ));
        let r = &t.retention;
        lines.push(format!(
            "  kept (days): dossiers {} and tickets {} after closing, message log {}, audit {}, day counters {}",
            r.dossiers_after_closing, r.tickets_after_closing, r.message_log, r.audit, r.subject_counters
        ));
        if let Some(desk) = &t.support {
            lines.push(format!(
                "  support: hotline {}; staff read questions {}",
                desk.hotline.as_deref().unwrap_or("(none)"),
                desk.hours_vi()
            ));
        }
        problems.extend(tenant_problems(t));
    }
    if problems.is_empty() {
        lines.push(format!("{}: OK", file.display()));
        Ok(lines.join("\n"))
    } else {
        Err(format!(
            "{}\n{} problem(s):\n{}",
            lines.join("\n"),
            problems.len(),
            problems.join("\n")
        )
        .into())
    }
}

/// What in one tenant would fail or surprise in production.
fn tenant_problems(t: &motcua_domain::Tenant) -> Vec<String> {
    let mut problems = Vec::new();
    if t.oa_id.is_some() && t.zalo.app_id.is_none() {
        problems.push(format!(
            "{}: oa_id is set but [tenant.zalo] app_id is not (tokens cannot be refreshed)",
            t.id
        ));
    }
    for key in t
        .zalo
        .zns_templates
        .keys()
        .chain(t.zalo.zbs_uid_templates.keys())
    {
        let known = motcua_domain::catalogue::template_parameters(key).is_some()
            || motcua_domain::EventKind::ALL
                .iter()
                .any(|k| k.as_str() == key);
        if !known {
            problems.push(format!(
                "{}: template key {key:?} is neither an event kind nor ticket_answered, otp or phone_relinked",
                t.id
            ));
        }
    }
    if t.oa_id.is_some() && !t.zalo.zns_templates.contains_key("otp") {
        problems.push(format!(
            "{}: no zns_templates.otp: citizens cannot verify a shared phone, so no one is \
             linked and no notice goes by the free channel",
            t.id
        ));
    }
    if t.zalo.zns_templates.contains_key("otp")
        && !t.zalo.zns_templates.contains_key("phone_relinked")
    {
        problems.push(format!(
            "{}: no zns_templates.phone_relinked: when a phone is proven from another Zalo \
             account, the phone's owner is not told",
            t.id
        ));
    }
    if t.tickets.outside_window == motcua_domain::AnswerFallback::Zns
        && !t.zalo.zns_templates.contains_key("ticket_answered")
    {
        problems.push(format!(
            "{}: outside_window = \"zns\" needs zns_templates.ticket_answered",
            t.id
        ));
    }
    for category in t.tickets.answer_hours.keys() {
        if !["question", "complaint", "suggestion"].contains(&category.as_str()) {
            problems.push(format!(
                "{}: answer_hours has unknown category {category:?}",
                t.id
            ));
        }
    }
    problems
}
