//! The per-app call budget (4,000 calls/min by default, zalo-platform.md §6).
//!
//! `SlidingWindowLimiter` admits at most `limit` calls in any rolling `window`, across every task
//! of the process: a token bucket would allow up to twice the budget in one of Zalo's fixed
//! minutes. A deployment that must share one budget across Lambda instances plugs a
//! store-backed implementation in behind the same trait.

use std::collections::VecDeque;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Mutex;
use tokio::time::Instant;

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Waits until one more call fits in the budget, and takes it.
    async fn acquire(&self);
}

pub struct SlidingWindowLimiter {
    limit: usize,
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl SlidingWindowLimiter {
    /// `window` should carry a small margin over Zalo's own window (the default adds 1 s to a
    /// minute) so that network jitter cannot push one window's calls into the next.
    pub fn new(limit: usize, window: Duration) -> Self {
        assert!(limit > 0, "a rate limit of zero would block forever");
        SlidingWindowLimiter {
            limit,
            window,
            sent: Mutex::new(VecDeque::with_capacity(limit)),
        }
    }

    /// Zalo's documented OA API budget: 4,000 calls per minute per app.
    pub fn zalo_default() -> Self {
        Self::new(4000, Duration::from_secs(61))
    }
}

#[async_trait]
impl RateLimiter for SlidingWindowLimiter {
    async fn acquire(&self) {
        // The lock is held while waiting, so callers are admitted in arrival order and the
        // oldest timestamp only ever leaves the window.
        let mut sent = self.sent.lock().await;
        if sent.len() == self.limit {
            let oldest = sent.pop_front().expect("full window has a front");
            tokio::time::sleep_until(oldest + self.window).await;
        }
        sent.push_back(Instant::now());
    }
}

/// No budget: for tests and tools that make a handful of calls.
pub struct Unlimited;

#[async_trait]
impl RateLimiter for Unlimited {
    async fn acquire(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_limit_in_any_window() {
        let limiter = Arc::new(SlidingWindowLimiter::new(10, Duration::from_secs(1)));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..35 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                l.acquire().await;
                Instant::now() - start
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 10,
                "{in_window} calls within 1 s starting at {t:?}"
            );
        }
        assert!(
            times[34] >= Duration::from_secs(3),
            "35 calls at 10/s need 3 s"
        );
        assert!(times[34] < Duration::from_secs(4));
    }
}
