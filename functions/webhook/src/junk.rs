//! Per-source throttling of junk. Bodies that fail verification (not a Zalo event, an OA we do
//! not serve, a wrong signature, a replay) are counted per source address; a source over
//! `per_minute` refusals is answered 429 for a minute before any parsing or HMAC. A source
//! whose bodies verify is never counted, so Zalo's deliveries keep flowing while a flood from
//! elsewhere is cut short. Per instance and in memory: it bounds what junk costs each instance;
//! the route's own API Gateway throttle (template.yaml) keeps junk at other routes away.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Sources remembered at once; beyond it the oldest blocks are forgotten first.
const MAX_TRACKED: usize = 10_000;
/// How long a source over its budget is refused.
pub const BLOCK: Duration = Duration::from_secs(60);

pub struct JunkGuard {
    refusals: DefaultKeyedRateLimiter<IpAddr>,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl JunkGuard {
    /// `per_minute` refused bodies per source before it is blocked (all of them may come at once).
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).expect("at least one");
        JunkGuard {
            refusals: RateLimiter::keyed(Quota::per_minute(n).allow_burst(n)),
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// How much longer `source` is refused, if it is.
    pub fn blocked(&self, source: IpAddr) -> Option<Duration> {
        let mut blocked = self.blocked.lock().expect("not poisoned");
        let until = *blocked.get(&source)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            blocked.remove(&source);
            return None;
        }
        Some(left)
    }

    /// Counts a refused body from `source`; returns true when that puts the source over its
    /// budget (it is then blocked for `BLOCK`).
    pub fn refused(&self, source: IpAddr) -> bool {
        if self.refusals.len() > MAX_TRACKED {
            self.refusals.retain_recent();
        }
        if self.refusals.check_key(&source).is_ok() {
            return false;
        }
        let now = Instant::now();
        let mut blocked = self.blocked.lock().expect("not poisoned");
        if blocked.len() >= MAX_TRACKED {
            blocked.retain(|_, until| *until > now);
        }
        if blocked.len() >= MAX_TRACKED {
            // still full of live blocks: make room by dropping the one that ends first
            if let Some(first) = blocked.iter().min_by_key(|(_, u)| **u).map(|(k, _)| *k) {
                blocked.remove(&first);
            }
        }
        blocked.insert(source, now + BLOCK);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_blocked_after_its_budget_and_others_are_not() {
        let g = JunkGuard::new(3);
        let a: IpAddr = "198.51.100.1".parse().unwrap();
        let b: IpAddr = "198.51.100.2".parse().unwrap();
        assert!(!g.refused(a) && !g.refused(a) && !g.refused(a));
        assert!(g.blocked(a).is_none());
        assert!(g.refused(a), "the fourth refusal in a minute blocks");
        let left = g.blocked(a).unwrap();
        assert!(left <= BLOCK && left > BLOCK - Duration::from_secs(5));
        assert!(g.blocked(b).is_none());
        assert!(!g.refused(b));
    }

    #[test]
    fn the_block_list_stays_bounded() {
        let g = JunkGuard::new(1);
        for i in 0..(MAX_TRACKED as u32 + 50) {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            g.refused(ip);
            g.refused(ip);
        }
        assert!(g.blocked.lock().unwrap().len() <= MAX_TRACKED);
    }
}
