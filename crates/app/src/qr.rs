//! The signature printed in a receipt's QR link (`infra/QR.md` documents it for vendors):
//!
//! ```text
//! token = base64url_nopad( HMAC-SHA-256( qr_key, "motcua-qr-v1:" ‖ canonical code )[0..12] )
//! url   = https://<tenant public host>/tra-cuu/<canonical code>?k=<token>
//! ```
//!
//! 12 bytes (96 bits, 16 characters) cannot be guessed; the link grants the full card of one
//! dossier, as holding the paper receipt does.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, KeyInit, Mac};
use motcua_domain::DossierCode;
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const TOKEN_BYTES: usize = 12;
/// Base64url length of the token.
pub const TOKEN_CHARS: usize = 16;

/// A tenant's QR key. `Debug` prints nothing secret.
#[derive(Clone)]
pub struct QrSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for QrSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QrSigner(..)")
    }
}

impl QrSigner {
    /// `key` must be at least 32 bytes.
    pub fn new(key: &[u8]) -> Option<Self> {
        (key.len() >= 32).then(|| QrSigner { key: key.to_vec() })
    }

    fn mac(&self, code: &DossierCode) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"motcua-qr-v1:");
        mac.update(code.as_str().as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn token(&self, code: &DossierCode) -> String {
        B64URL.encode(&self.mac(code)[..TOKEN_BYTES])
    }

    /// Constant-time check of a token from a link (wrong length, bad base64: false).
    pub fn verify(&self, code: &DossierCode, token: &str) -> bool {
        if token.len() != TOKEN_CHARS {
            return false;
        }
        let Ok(got) = B64URL.decode(token) else {
            return false;
        };
        got.len() == TOKEN_BYTES && bool::from(got.ct_eq(&self.mac(code)[..TOKEN_BYTES]))
    }

    /// The link printed as the receipt's QR code. Loopback hosts (local demo) use http.
    pub fn url(&self, public_host: &str, code: &DossierCode) -> String {
        let scheme = if public_host.starts_with("127.0.0.1") || public_host.starts_with("localhost")
        {
            "http"
        } else {
            "https"
        };
        format!(
            "{scheme}://{public_host}/tra-cuu/{code}?k={}",
            self.token(code)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DossierCode {
        DossierCode::parse(s).unwrap()
    }

    #[test]
    fn token_round_trip_and_refusals() {
        let s = QrSigner::new(&[9u8; 32]).unwrap();
        let c = code("000.00.04.H60-261110-0028");
        let t = s.token(&c);
        assert_eq!(t.len(), TOKEN_CHARS);
        assert!(s.verify(&c, &t));
        assert!(
            !s.verify(&code("000.00.04.H60-261110-0029"), &t),
            "bound to the code"
        );
        assert!(!s.verify(&c, &t[..15]), "short");
        assert!(!s.verify(&c, &format!("{t}A")), "long");
        assert!(!s.verify(&c, ""), "absent");
        let mut wrong = t.clone().into_bytes();
        wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
        assert!(!s.verify(&c, std::str::from_utf8(&wrong).unwrap()));
        assert!(!s.verify(&c, "!!!!!!!!!!!!!!!!"), "not base64");
        let other = QrSigner::new(&[8u8; 32]).unwrap();
        assert!(!other.verify(&c, &t), "another tenant's key");
        assert!(QrSigner::new(&[1u8; 31]).is_none());
    }

    #[test]
    fn documented_vector_for_vendors() {
        // infra/QR.md quotes this vector: key = 32 bytes of 0x01
        let s = QrSigner::new(&[1u8; 32]).unwrap();
        let c = code("000.00.04.H60-230215-0028");
        assert_eq!(
            s.url("dichvucong.tuyenquang.gov.vn", &c),
            format!(
                "https://dichvucong.tuyenquang.gov.vn/tra-cuu/000.00.04.H60-230215-0028?k={}",
                s.token(&c)
            )
        );
        // the same value from Python: hmac.new(b"\\x01" * 32, b"motcua-qr-v1:" + code, sha256)
        assert_eq!(s.token(&c), "z-BHEld_fT-IqZXE");
        assert_eq!(s.url("127.0.0.1:8080", &c)[..7], *"http://");
    }
}
