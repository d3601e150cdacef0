//! The caller's network address, as an HTTP entry saw it: API Gateway's `sourceIp` on AWS, the
//! socket's peer (or a trusted proxy's `X-Forwarded-For`) on the local server. Rate limits
//! count against it.

use std::net::{IpAddr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// What a per-client limit counts against: an IPv4 address as it is, an IPv6 address by its
    /// /64 (one subscriber's network hands out 2^64 addresses).
    pub fn rate_key(self) -> IpAddr {
        match self.0 {
            IpAddr::V4(_) => self.0,
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_per_64_and_ipv4_per_address() {
        let key = |s: &str| ClientIp(s.parse().unwrap()).rate_key();
        assert_eq!(
            key("2001:db8:1:2::1"),
            key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_ne!(key("203.0.113.1"), key("203.0.113.2"));
        assert_eq!(key("203.0.113.1"), "203.0.113.1".parse::<IpAddr>().unwrap());
    }
}
