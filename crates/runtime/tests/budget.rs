//! Two instances (here: two limiters, each as one Lambda would build it) on one store stay
//! within one Zalo budget together; two per-process limiters, as before, do not.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua_app::{Clock, Store, SystemClock};
use motcua_runtime::SharedBudget;
use motcua_zalo::{RateLimiter, SlidingWindowLimiter};

const LIMIT: usize = 5;
const WINDOW: Duration = Duration::from_millis(300);

tokio::task_local! {
    /// The last time the running task's limiter read from the clock.
    static LAST_READ: Cell<Option<DateTime<Utc>>>;
}

/// The wall clock, noting each reading for the task that made it. The shared budget counts a
/// call in the window of the reading it took it with; a reading taken after `acquire` returns
/// can fall in the next window when the store write straddles the boundary (slow machines,
/// faketime), which would blame the budget for the test's own lateness.
struct NotedClock;

impl Clock for NotedClock {
    fn now(&self) -> DateTime<Utc> {
        let now = SystemClock.now();
        let _ = LAST_READ.try_with(|last| last.set(Some(now)));
        now
    }
}

/// Each instance runs 3 tasks of 5 calls; returns when each call was admitted: the limiter's
/// own reading if it reads the clock, else the time `acquire` returned.
async fn calls(instances: Vec<Arc<dyn RateLimiter>>, clock: Arc<dyn Clock>) -> Vec<DateTime<Utc>> {
    let mut tasks = Vec::new();
    for limiter in instances {
        for _ in 0..3 {
            let (limiter, clock) = (limiter.clone(), clock.clone());
            tasks.push(tokio::spawn(LAST_READ.scope(Cell::new(None), async move {
                let mut at = Vec::new();
                for _ in 0..5 {
                    LAST_READ.with(|last| last.set(None));
                    limiter.acquire().await;
                    let read = LAST_READ.with(|last| last.get());
                    at.push(read.unwrap_or_else(|| clock.now()));
                }
                at
            })));
        }
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// The most calls admitted in one fixed window (aligned as the shared budget aligns them).
fn busiest_window(at: &[DateTime<Utc>]) -> usize {
    let w = WINDOW.as_millis() as i64;
    let mut counts = std::collections::BTreeMap::new();
    for t in at {
        *counts
            .entry(t.timestamp_millis().div_euclid(w))
            .or_insert(0) += 1;
    }
    counts.into_values().max().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_budget() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        motcua_embedded::EmbeddedDb::open(dir.path().join("db.redb"))
            .unwrap()
            .store(),
    );
    let clock: Arc<dyn Clock> = Arc::new(NotedClock);
    let instance = || -> Arc<dyn RateLimiter> {
        Arc::new(SharedBudget::new(
            store.clone(),
            clock.clone(),
            "zalo-calls",
            LIMIT as u64,
            WINDOW,
        ))
    };
    let at = calls(vec![instance(), instance()], clock.clone()).await;
    assert_eq!(at.len(), 30);
    assert!(
        busiest_window(&at) <= LIMIT,
        "at most {LIMIT} calls in any window, both instances together: {}",
        busiest_window(&at)
    );

    // the same load on two per-process limiters: each keeps its own budget, so together they
    // go over
    let local = || -> Arc<dyn RateLimiter> { Arc::new(SlidingWindowLimiter::new(LIMIT, WINDOW)) };
    let at = calls(vec![local(), local()], clock).await;
    assert!(busiest_window(&at) > LIMIT);
}
