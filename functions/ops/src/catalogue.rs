//! `motcua-ops catalogue check|import|show|search`: the procedure guide's catalogue. The file
//! is what the province exports from its one-stop system or the national procedure database
//! (columns in `infra/tenants/README.md`); an import replaces the tenant's catalogue whole.

use std::fmt::Write as _;
use std::path::Path;

use chrono::Utc;
use motcua_app::guide::{Guides, import_catalogue};
use motcua_domain::TenantId;
use motcua_domain::procedure::{Format, ProcedureCatalogue};

use crate::OpsError;
use crate::context::Ctx;

fn read(file: &Path) -> Result<(String, Format, String), OpsError> {
    let name = file.display().to_string();
    let format = Format::from_path(&name)
        .ok_or_else(|| format!("{name}: name the file .json or .csv, by its format"))?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("{name}: {e}"))?;
    let source = file
        .file_name()
        .map_or(name.clone(), |n| n.to_string_lossy().into_owned());
    Ok((text, format, source))
}

fn tenant(ctx: &Ctx, id: &str) -> Result<TenantId, OpsError> {
    let id = TenantId::parse(id).map_err(|e| format!("--tenant {id:?}: {e}"))?;
    ctx.deployment
        .tenancy
        .directory()
        .get(&id)
        .ok_or_else(|| format!("no tenant {id} in this deployment"))?;
    Ok(id)
}

pub(crate) fn check(file: &Path) -> Result<String, OpsError> {
    let (text, format, source) = read(file)?;
    let c = ProcedureCatalogue::import(&text, format, &source, Utc::now())
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(format!(
        "{}: {} procedure(s), version {}",
        file.display(),
        c.procedures.len(),
        c.version
    ))
}

pub(crate) async fn import(ctx: &Ctx, id: &str, file: &Path) -> Result<String, OpsError> {
    let id = tenant(ctx, id)?;
    let (text, format, source) = read(file)?;
    let info = import_catalogue(&*ctx.store, &*ctx.clock, &id, &text, format, &source)
        .await
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(format!(
        "{id}: imported {} procedure(s) from {}, version {}",
        info.procedures, info.source, info.version
    ))
}

pub(crate) async fn show(ctx: &Ctx, id: &str) -> Result<String, OpsError> {
    let id = tenant(ctx, id)?;
    Ok(match ctx.store.procedures_info(&id).await? {
        Some(i) => format!(
            "{id}: version {}, {} procedure(s), from {}, imported {}",
            i.version,
            i.procedures,
            i.source,
            i.imported_at.to_rfc3339()
        ),
        None => format!("{id}: no catalogue imported; questions go to staff"),
    })
}

pub(crate) async fn search(ctx: &Ctx, id: &str, question: &str) -> Result<String, OpsError> {
    let id = tenant(ctx, id)?;
    let Some(guide) = Guides::default().for_tenant(&*ctx.store, &id).await? else {
        return Ok(format!(
            "{id}: no catalogue imported; questions go to staff"
        ));
    };
    let found = guide.search(question);
    if found.is_empty() {
        return Ok("no procedure fits well enough: the question goes to staff".into());
    }
    let mut out = String::new();
    for f in found {
        let _ = writeln!(
            out,
            "{}  {}  (score {:.2}, question {:.0} %, name {:.0} %)",
            f.procedure.code,
            f.procedure.name,
            f.score,
            100.0 * f.question_coverage,
            100.0 * f.name_coverage
        );
    }
    Ok(out.trim_end().to_string())
}
