//! Who is calling. On AWS, API Gateway's JWT authorizer (Cognito) has checked the token before
//! the function runs; the Lambda entry copies the verified claims into a [`JwtClaims`] request
//! extension, which no HTTP client can set. Roles come from Cognito groups that only the
//! province's administrators manage: `admin:<tenant>` or `staff:<tenant>:<agency>`.
//!
//! On the local server, staff accounts come from a TOML file with Argon2 password hashes; a
//! successful login sets an HMAC-signed, HttpOnly, SameSite=Strict session cookie.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::LazyLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, KeyInit, Mac};
use motcua_app::staff::{Principal, Role};
use motcua_domain::TenantId;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const COOKIE: &str = "motcua_admin";
const SESSION_HOURS: i64 = 10;

/// Claims of a token API Gateway's JWT authorizer accepted (`requestContext.authorizer.jwt`).
#[derive(Debug, Clone, Default)]
pub struct JwtClaims(pub HashMap<String, String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("signed in, but no console group ({0})")]
    NoRole(String),
}

/// Reads a principal from JWT claims.
pub fn principal_from_claims(claims: &JwtClaims) -> Result<Principal, AuthError> {
    let c = &claims.0;
    let username = c
        .get("cognito:username")
        .or_else(|| c.get("username"))
        .filter(|u| !u.is_empty())
        .ok_or(AuthError::Unauthenticated)?
        .clone();
    let name = c
        .get("name")
        .filter(|n| !n.is_empty())
        .cloned()
        .unwrap_or_else(|| username.clone());
    let groups = parse_groups(c.get("cognito:groups").map_or("", String::as_str));
    // An admin group wins over staff groups.
    let mut staff = None;
    for g in &groups {
        let parts: Vec<&str> = g.split(':').collect();
        match parts.as_slice() {
            ["admin", tenant] => {
                if let Ok(tenant) = TenantId::parse(tenant) {
                    return Ok(Principal {
                        username,
                        name,
                        tenant,
                        role: Role::TenantAdmin,
                    });
                }
            }
            ["staff", tenant, agency] if staff.is_none() && !agency.is_empty() => {
                if let Ok(tenant) = TenantId::parse(tenant) {
                    staff = Some((tenant, agency.to_string()));
                }
            }
            _ => {}
        }
    }
    let (tenant, agency) = staff.ok_or_else(|| AuthError::NoRole(username.clone()))?;
    Ok(Principal {
        username,
        name,
        tenant,
        role: Role::AgencyStaff { agency },
    })
}

/// API Gateway flattens array claims to `[a b c]`; a JSON array or a comma list is accepted too.
fn parse_groups(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list;
    }
    raw.trim_start_matches('[')
        .trim_end_matches(']')
        .split([' ', ','])
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

/// One staff account of the local server's user file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalUser {
    pub username: String,
    pub name: String,
    pub tenant: String,
    /// `admin` or `staff`.
    pub role: String,
    #[serde(default)]
    pub agency: Option<String>,
    /// Argon2 PHC string (`motcua-ops admin hash-password`).
    pub password_hash: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    #[serde(default)]
    staff: Vec<LocalUser>,
}

#[derive(Debug, thiserror::Error)]
pub enum UserFileError {
    #[error("staff file: {0}")]
    Parse(String),
    #[error("staff file: user {user}: {reason}")]
    User { user: String, reason: String },
}

impl LocalUser {
    fn principal(&self) -> Result<Principal, UserFileError> {
        let bad = |reason: &str| UserFileError::User {
            user: self.username.clone(),
            reason: reason.to_string(),
        };
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._-@".contains(c);
        if self.username.is_empty() || !self.username.chars().all(allowed) {
            return Err(bad("a username is letters, digits and . _ - @ only"));
        }
        let tenant = TenantId::parse(&self.tenant).map_err(|e| bad(&e.to_string()))?;
        let role = match (self.role.as_str(), &self.agency) {
            ("admin", _) => Role::TenantAdmin,
            ("staff", Some(agency)) if !agency.is_empty() => Role::AgencyStaff {
                agency: agency.clone(),
            },
            ("staff", _) => return Err(bad("a staff account needs an agency")),
            _ => return Err(bad("role must be \"admin\" or \"staff\"")),
        };
        PasswordHash::new(&self.password_hash)
            .map_err(|e| bad(&format!("password_hash is not a PHC string: {e}")))?;
        Ok(Principal {
            username: self.username.clone(),
            name: self.name.clone(),
            tenant,
            role,
        })
    }
}

/// Hashes a password for the user file (Argon2id, default parameters, random salt).
pub fn hash_password(password: &str) -> String {
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters hashes any password");
    hash.to_string()
}

#[derive(Serialize, Deserialize)]
struct Session {
    u: String,
    exp: i64,
}

/// The rate-limit key of every username that is not an account (`:` is not allowed in one).
const UNKNOWN_USER_KEY: &str = ":unknown";

/// The local server's accounts and session signing.
pub struct LocalAuth {
    users: BTreeMap<String, (LocalUser, Principal)>,
    session_key: Vec<u8>,
    /// Attempts per known username (successful or not), against password guessing; every
    /// unknown username shares one key, so that sprayed names cannot grow this map.
    attempts: DefaultKeyedRateLimiter<String>,
}

/// Verified against when the username is unknown, so that timing does not tell. One per
/// process: Argon2 is slow on purpose, and every `LocalAuth` can share it.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password"));

impl LocalAuth {
    pub fn new(users: Vec<LocalUser>, session_key: &[u8]) -> Result<Self, UserFileError> {
        let mut map = BTreeMap::new();
        for u in users {
            let p = u.principal()?;
            if map.insert(u.username.clone(), (u.clone(), p)).is_some() {
                return Err(UserFileError::User {
                    user: u.username,
                    reason: "listed twice".into(),
                });
            }
        }
        // hashed now, not at the first unknown name: that login would take two hashes' time
        LazyLock::force(&DUMMY_HASH);
        Ok(LocalAuth {
            users: map,
            session_key: session_key.to_vec(),
            attempts: RateLimiter::keyed(
                Quota::per_minute(NonZeroU32::new(5).expect("non-zero"))
                    .allow_burst(NonZeroU32::new(5).expect("non-zero")),
            ),
        })
    }

    pub fn from_toml(text: &str, session_key: &[u8]) -> Result<Self, UserFileError> {
        let file: UserFile =
            toml::from_str(text).map_err(|e| UserFileError::Parse(e.to_string()))?;
        Self::new(file.staff, session_key)
    }

    /// Checks a password. `Err(retry_after)` when this username has had too many attempts.
    pub fn login(&self, username: &str, password: &str) -> Result<Option<Principal>, Duration> {
        let key = if self.users.contains_key(username) {
            username
        } else {
            UNKNOWN_USER_KEY
        };
        if self.attempts.check_key(&key.to_string()).is_err() {
            return Err(Duration::from_secs(60));
        }
        let (hash, principal) = match self.users.get(username) {
            Some((u, p)) => (u.password_hash.as_str(), Some(p)),
            None => (DUMMY_HASH.as_str(), None),
        };
        let ok = PasswordHash::new(hash).ok().is_some_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        Ok(principal.filter(|_| ok).cloned())
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.session_key).expect("HMAC takes any key")
    }

    /// A session cookie value for a signed-in user.
    pub fn session(&self, username: &str, now: DateTime<Utc>) -> String {
        let body = serde_json::to_vec(&Session {
            u: username.to_string(),
            exp: (now + chrono::Duration::hours(SESSION_HOURS)).timestamp(),
        })
        .expect("a session serializes");
        let body = URL_SAFE_NO_PAD.encode(body);
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        format!("{body}.{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// The principal of a valid, unexpired session cookie value.
    pub fn principal(&self, cookie: &str, now: DateTime<Utc>) -> Option<Principal> {
        let (body, tag) = cookie.split_once('.')?;
        let tag = hex::decode(tag).ok()?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&tag).ok()?;
        let session: Session = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        if session.exp <= now.timestamp() {
            return None;
        }
        self.users.get(&session.u).map(|(_, p)| p.clone())
    }

    pub fn set_cookie(value: &str) -> String {
        format!(
            "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
            SESSION_HOURS * 3600
        )
    }

    pub fn clear_cookie() -> String {
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

/// How this deployment authenticates staff.
pub enum Auth {
    /// AWS: API Gateway verified a Cognito token; `login_url` is the hosted UI's login page.
    Jwt {
        login_url: Option<String>,
    },
    Local(LocalAuth),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> JwtClaims {
        JwtClaims(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn roles_come_from_groups_in_any_shape() {
        let p = principal_from_claims(&claims(&[
            ("cognito:username", "lan"),
            ("cognito:groups", "[staff:tuyen-quang:so-tu-phap]"),
        ]))
        .unwrap();
        assert_eq!(
            p.role,
            Role::AgencyStaff {
                agency: "so-tu-phap".into()
            }
        );
        assert_eq!(p.tenant.as_str(), "tuyen-quang");
        assert_eq!(p.name, "lan");
        // admin wins, whatever the order; JSON array shape
        let p = principal_from_claims(&claims(&[
            ("cognito:username", "minh"),
            ("name", "Nguyễn Minh"),
            (
                "cognito:groups",
                r#"["staff:tuyen-quang:so-tu-phap","admin:tuyen-quang"]"#,
            ),
        ]))
        .unwrap();
        assert_eq!(p.role, Role::TenantAdmin);
        assert_eq!(p.name, "Nguyễn Minh");
        assert_eq!(
            principal_from_claims(&claims(&[
                ("cognito:username", "x"),
                ("cognito:groups", "[viewers]")
            ])),
            Err(AuthError::NoRole("x".into()))
        );
        assert_eq!(
            principal_from_claims(&claims(&[("cognito:groups", "[admin:tuyen-quang]")])),
            Err(AuthError::Unauthenticated)
        );
    }

    fn auth() -> LocalAuth {
        LocalAuth::new(
            vec![LocalUser {
                username: "lan".into(),
                name: "Trần Lan".into(),
                tenant: "tuyen-quang".into(),
                role: "staff".into(),
                agency: Some("so-tu-phap".into()),
                password_hash: hash_password("đúng-mật-khẩu"),
            }],
            b"session key for tests",
        )
        .unwrap()
    }

    #[test]
    fn passwords_are_checked_and_guessing_is_slowed() {
        let a = auth();
        assert!(a.login("lan", "đúng-mật-khẩu").unwrap().is_some());
        assert!(a.login("lan", "sai").unwrap().is_none());
        assert!(a.login("nobody", "đúng-mật-khẩu").unwrap().is_none());
        for _ in 0..3 {
            let _ = a.login("lan", "sai");
        }
        // the sixth attempt within a minute is refused without checking
        assert!(a.login("lan", "đúng-mật-khẩu").is_err());
    }

    #[test]
    fn sprayed_usernames_share_one_budget_and_do_not_grow_the_limiter() {
        let a = auth();
        let refused = (0..1000)
            .filter(|i| a.login(&format!("guess-{i}"), "x").is_err())
            .count();
        assert_eq!(
            refused, 995,
            "five unknown names a minute, all names together"
        );
        assert_eq!(a.attempts.len(), 1, "one key for every unknown name");
        // the real account keeps its own budget
        assert!(a.login("lan", "đúng-mật-khẩu").unwrap().is_some());
        assert_eq!(a.attempts.len(), 2);
    }

    #[test]
    fn sessions_are_signed_and_expire() {
        let a = auth();
        let now: chrono::DateTime<Utc> = "2026-11-24T03:00:00Z".parse().unwrap();
        let cookie = a.session("lan", now);
        assert_eq!(a.principal(&cookie, now).unwrap().username, "lan");
        assert!(
            a.principal(&cookie, now + chrono::Duration::hours(11))
                .is_none()
        );
        // a forged session (other user, same tag) is refused
        let (_, tag) = cookie.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"u":"admin","exp":9999999999}"#);
        assert!(a.principal(&format!("{forged}.{tag}"), now).is_none());
        // another key does not verify it
        let other = LocalAuth::new(vec![], b"another key").unwrap();
        assert!(other.principal(&cookie, now).is_none());
    }

    #[test]
    fn bad_user_files_say_what_is_wrong() {
        let err = LocalAuth::from_toml(
            "[[staff]]\nusername='a'\nname='A'\ntenant='tuyen-quang'\nrole='staff'\npassword_hash='x'\n",
            b"k",
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("needs an agency"), "{err}");
    }
}
