//! Queue bodies sealed at rest. A DVCQG payload carries names, phone and ID numbers; in the
//! redb file it would stay readable, in the live table and in every page freed by a receive or
//! a delete, until the page is reused. With a key the queues store AES-256-GCM ciphertext
//! (nonce ‖ ciphertext, base64), so neither holds plaintext.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// Length of a queue key, in bytes.
pub const KEY_LEN: usize = 32;

#[derive(Clone)]
pub(crate) struct BodySeal(Aes256Gcm);

impl BodySeal {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        BodySeal(Aes256Gcm::new_from_slice(key).expect("a 32-byte key"))
    }

    pub(crate) fn seal(&self, body: &str) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random source is available");
        let ct = self
            .0
            .encrypt(&nonce.into(), body.as_bytes())
            .expect("AES-GCM encryption of a message body cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        B64.encode(out)
    }

    pub(crate) fn open(&self, sealed: &str) -> Result<String, &'static str> {
        let bytes = B64
            .decode(sealed)
            .map_err(|_| "a sealed body is not base64")?;
        if bytes.len() < 12 + 16 {
            return Err("a sealed body is too short");
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().expect("split at 12");
        let plain = self
            .0
            .decrypt(&nonce.into(), ct)
            .map_err(|_| "a sealed body does not open with this data directory's queue key")?;
        String::from_utf8(plain).map_err(|_| "a sealed body is not UTF-8")
    }
}

/// The queue key of a data directory: `queue.key` (base64 of 32 random bytes, created on first
/// use, readable by its owner only). It lives apart from the database file, so that a copy of
/// the file (a backup, a disk sent for repair) holds no readable payload.
pub fn load_or_create_key(path: &std::path::Path) -> std::io::Result<[u8; KEY_LEN]> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = B64.decode(text.trim()).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not base64: {e}", path.display()),
                )
            })?;
            bytes.try_into().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} does not hold {KEY_LEN} bytes", path.display()),
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; KEY_LEN];
            getrandom::fill(&mut key).expect("the OS random source is available");
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            std::io::Write::write_all(&mut options.open(path)?, B64.encode(key).as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_body_opens_only_with_its_key_and_shows_nothing() {
        let s = BodySeal::new(&[7; KEY_LEN]);
        let body = r#"{"SoDienThoai":"0906591985","ChuHoSo":"Nguyễn Thị Thanh Mẫn"}"#;
        let sealed = s.seal(body);
        assert!(!sealed.contains("0906591985") && !sealed.contains("Mẫn"));
        assert_eq!(s.open(&sealed).unwrap(), body);
        assert_ne!(s.seal(body), sealed, "a fresh nonce each time");
        assert!(BodySeal::new(&[8; KEY_LEN]).open(&sealed).is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.key");
        let first = load_or_create_key(&path).unwrap();
        assert_eq!(load_or_create_key(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by its owner only");
        }
        std::fs::write(&path, "short").unwrap();
        assert!(load_or_create_key(&path).is_err());
    }
}
