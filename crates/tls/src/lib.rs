//! The TLS of every HTTPS client our binaries build: the AWS SDK's (through
//! `motcua_runtime::aws`), reqwest's for Zalo and SMS, and the fakes' test clients.
//!
//! - One crypto library: rustls on ring ([`use_ring`]). reqwest is built without a provider of
//!   its own, and the SDK's client is told to use ring rather than its default aws-lc.
//! - One read of the system's root certificates per process ([`client_config`],
//!   [`roots_pem`]). rustls-native-certs reads the bundle file and every file of the
//!   certificate directory each time it is called (292 files in Debian's `/etc/ssl/certs`), and
//!   each reqwest client called it when built, as did the SDK's client once: a Lambda read
//!   them two or three times at start, and the test suites once per client.
//! - The system's bundle file alone when there is one ([`load_system_roots`]): the directory
//!   beside it is the same certificates again (Debian's and Alpine's `update-ca-certificates`
//!   and Red Hat's `update-ca-trust` write both from one source), and reading it as well cost a
//!   Lambda 6-16 ms of its start (BENCHMARKS.md). `SSL_CERT_FILE` / `SSL_CERT_DIR`, when set,
//!   are obeyed as given, directory included.
//!
//! Behaviour is what the platform verifier gave: the system's roots, standard WebPKI checks of
//! chain and host name, TLS 1.2 and 1.3.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use base64::Engine;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

/// The system's root certificates that parse as trust anchors, each once (the bundle and the
/// directory hold the same certificates).
struct Roots {
    store: Arc<RootCertStore>,
    certs: Vec<CertificateDer<'static>>,
}

static ROOTS: LazyLock<Roots> = LazyLock::new(|| {
    let found = load_system_roots();
    for error in &found.errors {
        tracing::warn!(%error, "a system root certificate could not be read");
    }
    Roots::from_certs(found.certs)
});

/// The bundle file OpenSSL would use, if this host has one and it holds certificates;
/// otherwise (or when `SSL_CERT_FILE` / `SSL_CERT_DIR` say where to look) what
/// rustls-native-certs finds in the bundle and the directories together.
fn load_system_roots() -> rustls_native_certs::CertificateResult {
    if !openssl_probe::has_ssl_cert_env_vars()
        && let Some(bundle) = openssl_probe::probe().cert_file
    {
        let found = rustls_native_certs::load_certs_from_paths(Some(&bundle), None);
        if !found.certs.is_empty() {
            return found;
        }
    }
    rustls_native_certs::load_native_certs()
}

impl Roots {
    fn from_certs(found: Vec<CertificateDer<'static>>) -> Roots {
        let mut seen = HashSet::new();
        let mut store = RootCertStore::empty();
        let mut certs = Vec::new();
        let mut unusable = 0;
        for cert in found {
            if !seen.insert(cert.to_vec()) {
                continue;
            }
            match store.add(cert.clone()) {
                Ok(()) => certs.push(cert),
                Err(_) => unusable += 1,
            }
        }
        if unusable > 0 {
            tracing::warn!(
                unusable,
                "system root certificates ignored: not trust anchors"
            );
        }
        if certs.is_empty() {
            tracing::warn!("no system root certificate found: every HTTPS call will fail");
        }
        Roots {
            store: Arc::new(store),
            certs,
        }
    }
}

/// Makes ring the process's TLS crypto. Idempotent; [`client_config`] calls it.
pub fn use_ring() {
    // an error means a provider is already installed: ring, by an earlier call
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client configuration on ring and the system's roots, for reqwest
/// (`ClientBuilder::tls_backend_preconfigured`). The roots are read at the first call.
pub fn client_config() -> rustls::ClientConfig {
    use_ring();
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring offers TLS 1.2 and 1.3")
        .with_root_certificates(ROOTS.store.clone())
        .with_no_client_auth()
}

/// The same roots as PEM, for the AWS SDK's client (its trust store takes PEM).
pub fn roots_pem() -> Vec<u8> {
    pem(&ROOTS.certs)
}

fn pem(certs: &[CertificateDer<'_>]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for cert in certs {
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        for line in b64.encode(cert).as_bytes().chunks(64) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    fn system() -> Vec<CertificateDer<'static>> {
        rustls_native_certs::load_native_certs().certs
    }

    #[test]
    fn duplicates_and_non_anchors_are_dropped_and_the_rest_kept_in_order() {
        let found = system();
        assert!(found.len() >= 2, "this host has system roots");
        let (a, b) = (found[0].clone(), found[1].clone());
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let roots = Roots::from_certs(vec![a.clone(), junk, b.clone(), a.clone(), b.clone()]);
        assert_eq!(roots.certs, vec![a, b]);
        assert_eq!(roots.store.len(), 2);
    }

    #[test]
    fn the_pem_reads_back_as_the_same_certificates() {
        let certs = ROOTS.certs.clone();
        assert!(!certs.is_empty());
        let back: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&roots_pem())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, certs);
    }

    #[test]
    fn every_distinct_system_root_is_trusted() {
        // `system()` is the bundle and the directory together: reading the bundle alone must
        // lose none of them, and the host's roots all parse as anchors
        let distinct: HashSet<Vec<u8>> = system().iter().map(|c| c.to_vec()).collect();
        let ours: HashSet<Vec<u8>> = ROOTS.certs.iter().map(|c| c.to_vec()).collect();
        assert_eq!(ROOTS.store.len(), ROOTS.certs.len());
        assert_eq!(ours, distinct);
        let config = client_config();
        assert!(
            config.alpn_protocols.is_empty(),
            "HTTP/1.1 only, as reqwest's own"
        );
    }
}
