//! The client's address behind the province's reverse proxy. Without it every citizen would
//! share the proxy's address, and so one lookup budget. `X-Forwarded-For` is believed only when
//! the connection comes from a proxy the operator named (`--trusted-proxy`), and then only its
//! right-most entry that is not itself a trusted proxy: entries to the left of it were written
//! by the client and can say anything.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;

/// The address lookups are counted against.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    header
        .rsplit(',')
        .map(|h| h.trim().parse::<IpAddr>())
        .find(|h| !matches!(h, Ok(ip) if trusted.contains(ip)))
        .and_then(Result::ok)
        .unwrap_or(peer)
}

/// Middleware: sets `motcua_app::ClientIp` from the connection and the trusted proxies.
pub async fn client_ip(trusted: Arc<Vec<IpAddr>>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let header = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let ip = client_address(peer.ip(), header, &trusted);
        req.extensions_mut().insert(motcua_app::ClientIp(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy_and_only_its_own_entry() {
        let proxy = ip("10.0.0.5");
        let trusted = [proxy];
        // a citizen straight on the server cannot pick an address to hide behind
        assert_eq!(
            client_address(ip("203.0.113.9"), Some("198.51.100.1"), &trusted),
            ip("203.0.113.9")
        );
        // through the proxy: the address the proxy saw
        assert_eq!(
            client_address(proxy, Some("198.51.100.1"), &trusted),
            ip("198.51.100.1")
        );
        // entries the client wrote itself are to the left and are ignored
        assert_eq!(
            client_address(proxy, Some("1.2.3.4, 5.6.7.8, 198.51.100.1"), &trusted),
            ip("198.51.100.1")
        );
        // two proxies in a row
        let chain = [proxy, ip("10.0.0.6")];
        assert_eq!(
            client_address(proxy, Some("1.2.3.4, 198.51.100.1, 10.0.0.6"), &chain),
            ip("198.51.100.1")
        );
        // no header, or garbage where the proxy's entry should be: the proxy itself
        assert_eq!(client_address(proxy, None, &trusted), proxy);
        assert_eq!(
            client_address(proxy, Some("1.2.3.4, junk"), &trusted),
            proxy
        );
    }
}
