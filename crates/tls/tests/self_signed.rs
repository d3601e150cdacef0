//! From the attacker's side: a server on the path that presents a certificate no system root
//! signed (a self-signed one, as a spoofed Zalo or SMS endpoint would) is refused by the
//! clients every binary builds, and nothing of the request reaches it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An HTTPS server on loopback for `localhost` with a fresh self-signed certificate; counts
/// the requests whose bytes it could read.
async fn impostor() -> (u16, CertificateDer<'static>, Arc<AtomicUsize>) {
    let signed = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = signed.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signed.signing_key.serialize_der()));
    motcua_tls::use_ring();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                if tls.read(&mut buf).await.unwrap_or(0) > 0 {
                    seen.fetch_add(1, Ordering::SeqCst);
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    (port, cert, requests)
}

fn client(config: rustls::ClientConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_self_signed_server_is_refused_before_any_byte_of_the_request() {
    let (port, cert, requests) = impostor().await;
    let url = format!("https://localhost:{port}/v3.0/oa/message/cs");

    let refused = client(motcua_tls::client_config())
        .post(&url)
        .body(r#"{"recipient":{"user_id":"1"},"message":{"text":"0912345678"}}"#)
        .send()
        .await
        .expect_err("an untrusted certificate must not be accepted");
    // reqwest's Debug shows the whole source chain, down to rustls's verdict
    let chain = format!("{refused:?}");
    assert!(
        chain.contains("UnknownIssuer"),
        "refused for its certificate, not for something else: {chain}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 0, "no request reached it");

    // The control: the same server, trusted explicitly, answers. So the refusal above was the
    // trust decision, not a broken server.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let trusting = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let answer = client(trusting).get(&url).send().await.unwrap();
    assert_eq!(answer.text().await.unwrap(), "ok");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}
