//! A call budget shared by every instance of the deployment (Zalo's 4,000 calls per minute per
//! app are counted by Zalo across all our Lambdas): a fixed-window counter in the store, one
//! conditional write per call. When the window is spent, callers wait for the next one.
//!
//! If the store cannot be reached the call goes ahead (and is logged): a missed budget check
//! costs at worst a `-32` from Zalo, which the client already treats as "retry later", while
//! blocking would stop every notice.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use async_trait::async_trait;
use motcua_app::{Clock, Store};
use motcua_zalo::RateLimiter;

pub struct SharedBudget {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    key: String,
    limit: u64,
    window: Duration,
}

impl SharedBudget {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        key: impl Into<String>,
        limit: u64,
        window: Duration,
    ) -> Self {
        assert!(
            limit > 0 && !window.is_zero(),
            "an empty budget would block forever"
        );
        SharedBudget {
            store,
            clock,
            key: key.into(),
            limit,
            window,
        }
    }

    /// The start of the fixed window holding `at` (windows are aligned to the Unix epoch, as
    /// Zalo's minutes are).
    fn window_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let w = i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX);
        let ms = at.timestamp_millis();
        DateTime::from_timestamp_millis(ms - ms.rem_euclid(w)).unwrap_or(at)
    }
}

#[async_trait]
impl RateLimiter for SharedBudget {
    /// Waits until one more call fits in the shared budget, and takes it.
    async fn acquire(&self) {
        loop {
            let now = self.clock.now();
            let start = self.window_start(now);
            let end = start + self.window;
            match self
                .store
                .take_budget(&self.key, start, self.limit, end + self.window)
                .await
            {
                Ok(true) => return,
                Ok(false) => {
                    let wait = (end - now).to_std().unwrap_or_default();
                    tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
                }
                Err(e) => {
                    tracing::warn!(key = %self.key, error = %e, "shared budget unavailable; call not counted");
                    return;
                }
            }
        }
    }
}
