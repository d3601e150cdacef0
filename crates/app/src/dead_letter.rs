//! Dead letters without personal data in plaintext (the notifier's and the Zalo events
//! consumer's). A message that can never be processed is
//! kept for the operator as an envelope: a redacted copy to read (`mask::redact_payload`) and
//! the original sealed with the owning tenant's key (AES-256-GCM), which `motcua-ops dlq
//! replay` opens again. A body whose tenant cannot be told is sealed with the deployment's
//! first tenant (by id); opening tries every tenant's key (GCM refuses a wrong one).

use motcua_domain::{DossierCode, TenantId, mask::redact_payload};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tenancy::Tenancy;

pub const FORMAT: &str = "motcua-dead-letter/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub format: String,
    /// The tenant whose key sealed the original.
    pub tenant: TenantId,
    /// The body without personal data, for reading.
    pub redacted: String,
    /// The original body, sealed.
    pub sealed: String,
}

/// The envelope to put on the dead-letter queue instead of `body`.
pub fn seal(tenancy: &Tenancy, body: &str) -> String {
    let owner =
        owner(tenancy, body).or_else(|| tenancy.directory().iter().map(|t| t.id.clone()).min());
    let Some((tenant, keys)) = owner.and_then(|id| Some((id.clone(), tenancy.keys(&id)?))) else {
        // No tenant at all: nothing to seal with, keep only the redacted copy.
        return redact_payload(body);
    };
    let letter = DeadLetter {
        format: FORMAT.into(),
        sealed: keys.seal_text(body),
        redacted: redact_payload(body),
        tenant,
    };
    serde_json::to_string(&letter).expect("a dead letter serialises")
}

/// The original body of a dead letter: opened from its envelope, or the body itself when it is
/// not one (moved by the queue after too many receives).
pub fn open(tenancy: &Tenancy, body: &str) -> Result<String, String> {
    let Ok(letter) = serde_json::from_str::<DeadLetter>(body) else {
        return Ok(body.to_string());
    };
    if letter.format != FORMAT {
        return Err(format!("unknown dead-letter format {:?}", letter.format));
    }
    let named = tenancy.keys(&letter.tenant).into_iter();
    let all = tenancy
        .directory()
        .iter()
        .filter_map(|t| tenancy.keys(&t.id));
    named
        .chain(all)
        .find_map(|k| k.open_text(&letter.sealed).ok())
        .ok_or_else(|| {
            format!(
                "the dead letter sealed for {} opens with no configured tenant's key",
                letter.tenant
            )
        })
}

/// Is this body a sealed dead letter?
pub fn is_sealed(body: &str) -> bool {
    serde_json::from_str::<DeadLetter>(body).is_ok()
}

/// The tenant owning a DVCQG, canonical or Zalo body, when it can be told.
fn owner(tenancy: &Tenancy, body: &str) -> Option<TenantId> {
    let v: Value = serde_json::from_str(body).ok()?;
    if let Some(id) = v.get("tenant").and_then(Value::as_str)
        && let Ok(id) = TenantId::parse(id)
        && tenancy.tenant(&id).is_some()
    {
        return Some(id);
    }
    // a Zalo event names its OA
    let oa = v
        .pointer("/recipient/id")
        .or_else(|| v.get("oa_id"))
        .and_then(Value::as_str);
    if let Some(t) = oa.and_then(|oa| tenancy.directory().for_oa(oa)) {
        return Some(t.id.clone());
    }
    let code = DossierCode::parse(motcua_domain::event::code_in_body(&v)?).ok()?;
    Some(tenancy.for_code(&code)?.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::TenantFile;

    fn tenancy() -> Tenancy {
        let file = TenantFile::parse(
            "[[tenant]]\nid = \"tuyen-quang\"\nname = \"Tuyên Quang\"\nagency_codes = [\"H60\", \"H22\"]\n\
             [[tenant]]\nid = \"bac-ninh\"\nname = \"Bắc Ninh\"\nagency_codes = [\"H27\"]\n",
        )
        .unwrap();
        Tenancy::new(file.tenant, |id| {
            Some(format!("secret-of-{id}-0123456789abcdef0123456789").into_bytes())
        })
        .unwrap()
    }

    #[test]
    fn a_dead_letter_keeps_nothing_personal_in_clear_and_opens_again() {
        let t = tenancy();
        let body = r#"{"MaHoSo":"000.00.04.H60-261110-0028","ChuHoSo":"NGUYỄN THỊ THANH MẪN","SoDienThoai":"0906591985","TrangThaiHoSo":"99"}"#;
        let letter = seal(&t, body);
        for secret in ["NGUYỄN", "0906591985", "MẪN"] {
            assert!(!letter.contains(secret), "{secret} in {letter}");
        }
        let parsed: DeadLetter = serde_json::from_str(&letter).unwrap();
        assert_eq!(parsed.tenant.as_str(), "tuyen-quang", "sealed by the owner");
        assert!(parsed.redacted.contains("000.00.04.H60-261110-0028"));
        assert_eq!(open(&t, &letter).unwrap(), body);
        assert!(is_sealed(&letter) && !is_sealed(body));
        // not attributable: sealed with the first tenant by id, still opens
        let garbage = "not json, call 0906591985";
        let letter = seal(&t, garbage);
        assert!(!letter.contains("0906591985"));
        assert_eq!(
            serde_json::from_str::<DeadLetter>(&letter)
                .unwrap()
                .tenant
                .as_str(),
            "bac-ninh"
        );
        assert_eq!(open(&t, &letter).unwrap(), garbage);
        // a raw body (moved by the queue itself) replays as it is
        assert_eq!(open(&t, body).unwrap(), body);
        // tampered: refused, not replayed as garbage
        let mut tampered: DeadLetter = serde_json::from_str(&seal(&t, body)).unwrap();
        let mut bytes = tampered.sealed.into_bytes();
        bytes[20] = if bytes[20] == b'A' { b'B' } else { b'A' };
        tampered.sealed = String::from_utf8(bytes).unwrap();
        assert!(open(&t, &serde_json::to_string(&tampered).unwrap()).is_err());
    }
}
