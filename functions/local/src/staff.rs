//! Staff accounts of the local server: `<data-dir>/staff.toml` (Argon2 hashes). On first start
//! two administrators per tenant are created with a random password, written once to
//! `<data-dir>/staff-passwords.txt` (owner-only) for the operator to hand over and delete.
//! The session-signing key is generated into `<data-dir>/session.key` the same way.

use std::fmt::Write as _;
use std::path::Path;

use admin::auth::{LocalAuth, hash_password};
use motcua_config::{Deployment, write_private};

use crate::{AppState, StartError};

pub const STAFF_FILE: &str = "staff.toml";
pub const PASSWORDS_FILE: &str = "staff-passwords.txt";
const SESSION_KEY_FILE: &str = "session.key";

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random generator is available");
    hex::encode(buf)
}

fn io(path: &Path, e: std::io::Error) -> StartError {
    StartError::Staff(format!("{}: {e}", path.display()))
}

/// Reads (or creates) the staff file and the session key.
pub fn accounts(data_dir: &Path, deployment: &Deployment) -> Result<LocalAuth, StartError> {
    let key_path = data_dir.join(SESSION_KEY_FILE);
    if !key_path.exists() {
        write_private(&key_path, &random_hex(32)).map_err(|e| io(&key_path, e))?;
    }
    let key = std::fs::read_to_string(&key_path).map_err(|e| io(&key_path, e))?;
    let key = hex::decode(key.trim())
        .map_err(|e| StartError::Staff(format!("{}: not hex: {e}", key_path.display())))?;

    let staff_path = data_dir.join(STAFF_FILE);
    if !staff_path.exists() {
        let (mut toml, mut passwords) = (String::new(), String::new());
        toml.push_str("# Staff accounts of the local server. Hash a password with\n");
        toml.push_str("# `motcua-ops admin hash-password`; roles: admin (whole tenant) or staff (one agency).\n");
        // Two administrators per tenant: an announcement one of them writes, the other
        // approves by sending it (four eyes).
        for tenant in deployment.tenancy.directory().iter() {
            for (prefix, label) in [("admin", ""), ("admin2", " (2)")] {
                let username = format!("{prefix}-{}", tenant.id);
                let password = random_hex(8);
                let _ = write!(
                    toml,
                    "\n[[staff]]\nusername = \"{username}\"\nname = \"Quản trị {}{label}\"\ntenant = \"{}\"\nrole = \"admin\"\npassword_hash = \"{}\"\n",
                    tenant.name,
                    tenant.id,
                    hash_password(&password)
                );
                let _ = writeln!(passwords, "{username} {password}");
            }
        }
        write_private(&staff_path, &toml).map_err(|e| io(&staff_path, e))?;
        let pw_path = data_dir.join(PASSWORDS_FILE);
        write_private(&pw_path, &passwords).map_err(|e| io(&pw_path, e))?;
    }
    let text = std::fs::read_to_string(&staff_path).map_err(|e| io(&staff_path, e))?;
    LocalAuth::from_toml(&text, &key).map_err(|e| StartError::Staff(e.to_string()))
}

/// Where the operator finds the accounts (printed at start-up).
pub fn describe(_state: &AppState) -> String {
    format!("<data-dir>/{STAFF_FILE}; first-start passwords in <data-dir>/{PASSWORDS_FILE}")
}
