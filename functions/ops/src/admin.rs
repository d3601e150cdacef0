//! `admin hash-password`: an Argon2 hash for data/staff.toml, the password read from stdin.

use crate::OpsError;

pub(crate) fn hash_password() -> Result<String, OpsError> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 12 {
        return Err("use a password of at least 12 characters".into());
    }
    Ok(admin::auth::hash_password(password))
}
