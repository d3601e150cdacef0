//! `qr print`: signed receipt QR codes as SVG files, one per code in a text file.

use std::path::Path;

use crate::OpsError;
use crate::context::Ctx;

pub(crate) async fn print(ctx: &Ctx, codes: &Path, out: &Path) -> Result<String, OpsError> {
    let text = std::fs::read_to_string(codes)
        .map_err(|e| format!("cannot read {}: {e}", codes.display()))?;
    std::fs::create_dir_all(out)?;
    let mut written = 0;
    let mut refused = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let code = match motcua_domain::DossierCode::parse(line) {
            Ok(code) => code,
            Err(e) => {
                refused.push(format!("{line}: {e}"));
                continue;
            }
        };
        let Some(tenant) = ctx.deployment.tenancy.for_code(&code) else {
            refused.push(format!("{line}: no tenant owns this agency code"));
            continue;
        };
        let signer = ctx
            .deployment
            .qr_signer(tenant.id.as_str())
            .ok_or_else(|| format!("tenant {} has no qr_key secret", tenant.id))?;
        let host = tenant
            .public_host
            .as_deref()
            .ok_or_else(|| format!("tenant {} has no public_host", tenant.id))?;
        let svg = qr::svg(&signer.url(host, &code), qr::Options::default())?;
        std::fs::write(out.join(format!("{code}.svg")), svg)?;
        written += 1;
    }
    let mut lines = vec![format!("wrote {written} QR code(s) to {}", out.display())];
    if !refused.is_empty() {
        lines.push(format!("{} line(s) refused:", refused.len()));
        lines.extend(refused);
    }
    Ok(lines.join("\n"))
}
