//! Personal data at rest: keyed hashes for matching, AES-256-GCM for what must be sent later.
//! Keys are per tenant, derived from one secret held outside the code (Secrets Manager on AWS,
//! the data directory's secrets file locally).

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::Aead;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use motcua_domain::{DossierCode, PhoneNumber, Protected};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Minimum length of a tenant's PII secret, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PiiError {
    #[error("PII secret must be at least {MIN_SECRET_LEN} bytes")]
    ShortSecret,
    #[error("sealed value is not valid base64 or is too short")]
    BadSealed,
    #[error("sealed value does not open with this tenant's key (wrong key or tampered)")]
    OpenFailed,
    #[error("opened value is not a phone number")]
    NotAPhone,
}

/// A tenant's keys. `Debug` prints nothing secret.
#[derive(Clone)]
pub struct PiiKeys {
    match_key: [u8; 32],
    seal: Aes256Gcm,
}

impl std::fmt::Debug for PiiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiKeys(..)")
    }
}

impl PiiKeys {
    /// Derives independent matching and sealing keys from one secret (HMAC-SHA-256 as a PRF
    /// with distinct labels).
    pub fn derive(secret: &[u8]) -> Result<Self, PiiError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(PiiError::ShortSecret);
        }
        let prf = |label: &[u8]| -> [u8; 32] {
            let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let match_key = prf(b"motcua/pii/match/v1");
        let seal_key = prf(b"motcua/pii/seal/v1");
        Ok(PiiKeys {
            match_key,
            seal: Aes256Gcm::new_from_slice(&seal_key).expect("32-byte key"),
        })
    }

    fn keyed_hash(&self, parts: &[&[u8]]) -> String {
        let mut mac =
            HmacSha256::new_from_slice(&self.match_key).expect("HMAC takes any key length");
        for p in parts {
            mac.update(&(p.len() as u32).to_be_bytes());
            mac.update(p);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The matching hash of a phone number.
    pub fn phone_hash(&self, phone: &PhoneNumber) -> String {
        self.keyed_hash(&[b"phone", phone.international().as_bytes()])
    }

    /// The matching hash of the last four ID digits, bound to one dossier so that equal
    /// suffixes on different dossiers do not hash alike.
    pub fn id_suffix_hash(&self, code: &DossierCode, last4: &str) -> String {
        self.keyed_hash(&[b"id-suffix", code.as_str().as_bytes(), last4.as_bytes()])
    }

    /// The matching hash of a one-time code, bound to the Zalo user it was sent for.
    pub fn otp_hash(&self, user_id: &str, code: &str) -> String {
        self.keyed_hash(&[b"otp", user_id.as_bytes(), code.as_bytes()])
    }

    /// A Zalo user's name in per-user counters: a keyed digest (16 hex digits), so that the
    /// statistics table never holds the user id.
    pub fn user_tag(&self, user_id: &str) -> String {
        self.keyed_hash(&[b"zalo-user", user_id.as_bytes()])[..16].to_string()
    }

    /// The receipt code of a dossier for one Vietnam day (`RECEIPT_CODE_DIGITS` digits): shown
    /// on the lookup page opened with the receipt QR's token, typed in the chat to prove that
    /// the asker holds the paper receipt.
    pub fn receipt_code(&self, code: &DossierCode, day: chrono::NaiveDate) -> String {
        let digest = self.keyed_hash(&[
            b"receipt-code",
            code.as_str().as_bytes(),
            day.to_string().as_bytes(),
        ]);
        let n = u64::from_str_radix(&digest[..15], 16).expect("hex digits");
        format!("{:08}", n % 100_000_000)
    }

    pub fn protect_phone(&self, phone: &PhoneNumber) -> Protected {
        Protected {
            hash: self.phone_hash(phone),
            sealed: self.seal_bytes(phone.international().as_bytes()),
        }
    }

    pub fn open_phone(&self, p: &Protected) -> Result<PhoneNumber, PiiError> {
        let bytes = self.open_bytes(&p.sealed)?;
        let s = String::from_utf8(bytes).map_err(|_| PiiError::NotAPhone)?;
        PhoneNumber::parse(&s).map_err(|_| PiiError::NotAPhone)
    }

    /// Seals any text (a dead letter's original body) with this tenant's key.
    pub fn seal_text(&self, plain: &str) -> String {
        self.seal_bytes(plain.as_bytes())
    }

    pub fn open_text(&self, sealed: &str) -> Result<String, PiiError> {
        String::from_utf8(self.open_bytes(sealed)?).map_err(|_| PiiError::OpenFailed)
    }

    fn seal_bytes(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random source is available");
        let ct = self
            .seal
            .encrypt(&nonce.into(), plain)
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        B64.encode(out)
    }

    fn open_bytes(&self, sealed: &str) -> Result<Vec<u8>, PiiError> {
        let raw = B64.decode(sealed).map_err(|_| PiiError::BadSealed)?;
        if raw.len() < 12 + 16 {
            return Err(PiiError::BadSealed);
        }
        let (nonce, ct) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().expect("split at 12");
        self.seal
            .decrypt(&nonce.into(), ct)
            .map_err(|_| PiiError::OpenFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(b: u8) -> PiiKeys {
        PiiKeys::derive(&[b; 32]).unwrap()
    }

    #[test]
    fn phone_round_trips_and_hash_matches_any_input_form() {
        let k = keys(1);
        let p = PhoneNumber::parse("0906591985").unwrap();
        let sealed = k.protect_phone(&p);
        assert!(!sealed.sealed.contains("906591985") && !sealed.hash.contains("906591985"));
        assert_eq!(k.open_phone(&sealed).unwrap(), p);
        let same = PhoneNumber::parse("+84 906 591 985").unwrap();
        assert_eq!(k.phone_hash(&same), sealed.hash);
        // sealing is randomised: equal phones do not give equal ciphertexts
        assert_ne!(k.protect_phone(&p).sealed, sealed.sealed);
    }

    #[test]
    fn another_tenant_cannot_match_or_open() {
        let (a, b) = (keys(1), keys(2));
        let p = PhoneNumber::parse("0906591985").unwrap();
        assert_ne!(a.phone_hash(&p), b.phone_hash(&p));
        assert_eq!(
            b.open_phone(&a.protect_phone(&p)),
            Err(PiiError::OpenFailed)
        );
    }

    #[test]
    fn tampering_and_bad_input_are_detected() {
        let k = keys(1);
        let mut sealed = k.protect_phone(&PhoneNumber::parse("0906591985").unwrap());
        let mut raw = B64.decode(&sealed.sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        sealed.sealed = B64.encode(raw);
        assert_eq!(k.open_phone(&sealed), Err(PiiError::OpenFailed));
        sealed.sealed = "AAAA".into();
        assert_eq!(k.open_phone(&sealed), Err(PiiError::BadSealed));
        assert_eq!(
            PiiKeys::derive(&[0; 31]).unwrap_err(),
            PiiError::ShortSecret
        );
    }

    #[test]
    fn id_suffix_hash_is_bound_to_the_dossier() {
        let k = keys(1);
        let c1 = DossierCode::parse("000.00.04.H60-230215-0028").unwrap();
        let c2 = DossierCode::parse("000.00.04.H60-230215-0029").unwrap();
        assert_eq!(k.id_suffix_hash(&c1, "2345"), k.id_suffix_hash(&c1, "2345"));
        assert_ne!(k.id_suffix_hash(&c1, "2345"), k.id_suffix_hash(&c2, "2345"));
        assert_ne!(k.id_suffix_hash(&c1, "2345"), k.id_suffix_hash(&c1, "2346"));
    }
}
