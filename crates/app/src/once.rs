//! The one exactly-once helper: claim a key, do the work, then complete or release the key.
//! Every use case that must not repeat a side effect (a Zalo message, a staff answer, an
//! announcement recipient, a due-date flag, a Zalo event's reply) goes through `exactly_once`.
//!
//! The rule for failures after the claim, the same for every caller:
//! - the work succeeded but the key could not be completed: the side effect has happened, so
//!   the result is returned as done (never as an error, which would invite a retry that repeats
//!   it) and the failure is logged; the lease then holds off other workers until it expires;
//! - the work failed: the key is released so that a retry can take it at once; if the release
//!   itself fails, that is logged and the work's own error is returned (the lease expires on
//!   its own, then a retry takes over).

use std::future::Future;
use std::time::Duration;

use crate::{Claim, Clock, IdempotencyStore, StoreError};

/// How long a claim holds before another worker may take over (longer than the work can take),
/// and how long a completed key is remembered (longer than any re-delivery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub lease: Duration,
    pub keep_for: Duration,
}

/// What `exactly_once` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Once<T> {
    /// This call did the work.
    Done(T),
    /// The work was done before; here is what it saved.
    Before(Option<String>),
    /// Another worker holds the key's lease now.
    Busy,
}

/// Claims `key`; only if this call owns it, runs `work` (a future is lazy: it does nothing
/// unless awaited here) and completes the key with `saved(&result)`.
pub async fn exactly_once<T, E>(
    store: &dyn IdempotencyStore,
    clock: &dyn Clock,
    key: &str,
    terms: Terms,
    work: impl Future<Output = Result<T, E>>,
    saved: impl FnOnce(&T) -> Option<String>,
) -> Result<Once<T>, E>
where
    E: From<StoreError>,
{
    match store
        .claim(key, clock.now(), terms.lease, terms.keep_for)
        .await?
    {
        Claim::Acquired => {}
        Claim::Completed { result } => return Ok(Once::Before(result)),
        Claim::InProgress => return Ok(Once::Busy),
    }
    match work.await {
        Ok(value) => {
            let result = saved(&value);
            if let Err(e) = store
                .complete(key, result.as_deref(), clock.now(), terms.keep_for)
                .await
            {
                tracing::error!(key = %log_key(key), error = %e, "done, but the idempotency key was not completed; its lease holds off other workers until it expires");
            }
            Ok(Once::Done(value))
        }
        Err(e) => {
            if let Err(release) = store.release(key).await {
                tracing::warn!(key = %log_key(key), error = %release, "idempotency release failed; the lease expires on its own");
            }
            Err(e)
        }
    }
}

/// How a key is logged: its use case (the part before the first `#`) and a digest. Keys carry
/// Zalo user ids and dossier codes (`announce#tenant#id#uid`), which a log line must not put
/// side by side; the digest still tells two keys apart.
pub fn log_key(key: &str) -> String {
    use sha2::Digest as _;
    let use_case = key.split('#').next().unwrap_or_default();
    let digest = sha2::Sha256::digest(key.as_bytes());
    format!("{use_case}#{}", hex::encode(&digest[..6]))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::{ManualClock, StoreResult};

    const TERMS: Terms = Terms {
        lease: Duration::from_secs(60),
        keep_for: Duration::from_secs(3600),
    };

    enum Key {
        LeasedUntil(DateTime<Utc>),
        Completed(Option<String>),
    }

    /// Keys in memory, with failures to inject.
    #[derive(Default)]
    struct Keys {
        keys: Mutex<HashMap<String, Key>>,
        fail_complete: Mutex<bool>,
        fail_release: Mutex<bool>,
    }

    #[async_trait]
    impl IdempotencyStore for Keys {
        async fn claim(
            &self,
            key: &str,
            now: DateTime<Utc>,
            lease: Duration,
            _keep_for: Duration,
        ) -> StoreResult<Claim> {
            let mut keys = self.keys.lock().unwrap();
            match keys.get(key) {
                Some(Key::Completed(result)) => Ok(Claim::Completed {
                    result: result.clone(),
                }),
                Some(Key::LeasedUntil(until)) if *until > now => Ok(Claim::InProgress),
                _ => {
                    let until = now + chrono::Duration::from_std(lease).unwrap();
                    keys.insert(key.into(), Key::LeasedUntil(until));
                    Ok(Claim::Acquired)
                }
            }
        }
        async fn complete(
            &self,
            key: &str,
            result: Option<&str>,
            _now: DateTime<Utc>,
            _keep_for: Duration,
        ) -> StoreResult<()> {
            if *self.fail_complete.lock().unwrap() {
                return Err(StoreError::Unavailable("injected".into()));
            }
            let entry = Key::Completed(result.map(str::to_string));
            self.keys.lock().unwrap().insert(key.into(), entry);
            Ok(())
        }
        async fn release(&self, key: &str) -> StoreResult<()> {
            if *self.fail_release.lock().unwrap() {
                return Err(StoreError::Unavailable("injected".into()));
            }
            self.keys.lock().unwrap().remove(key);
            Ok(())
        }
    }

    #[derive(Debug, PartialEq)]
    enum Failed {
        Work,
        Store,
    }

    impl From<StoreError> for Failed {
        fn from(_: StoreError) -> Self {
            Failed::Store
        }
    }

    fn clock() -> ManualClock {
        ManualClock::at("2026-11-24T03:00:00Z")
    }

    async fn send(
        keys: &Keys,
        clock: &ManualClock,
        sent: &AtomicUsize,
        ok: bool,
    ) -> Result<Once<u32>, Failed> {
        let work = async {
            if !ok {
                return Err(Failed::Work);
            }
            Ok(sent.fetch_add(1, Ordering::SeqCst) as u32 + 1)
        };
        exactly_once(keys, clock, "k", TERMS, work, |n| Some(n.to_string())).await
    }

    #[tokio::test]
    async fn the_work_runs_once_and_later_calls_see_what_it_saved() {
        let (keys, clock, sent) = (Keys::default(), clock(), AtomicUsize::new(0));
        assert_eq!(send(&keys, &clock, &sent, true).await, Ok(Once::Done(1)));
        assert_eq!(
            send(&keys, &clock, &sent, true).await,
            Ok(Once::Before(Some("1".into())))
        );
        assert_eq!(sent.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_work_releases_the_key_for_the_retry() {
        let (keys, clock, sent) = (Keys::default(), clock(), AtomicUsize::new(0));
        assert_eq!(send(&keys, &clock, &sent, false).await, Err(Failed::Work));
        assert_eq!(send(&keys, &clock, &sent, true).await, Ok(Once::Done(1)));
    }

    #[tokio::test]
    async fn a_failed_release_returns_the_work_error_and_the_lease_expires() {
        let (keys, clock, sent) = (Keys::default(), clock(), AtomicUsize::new(0));
        *keys.fail_release.lock().unwrap() = true;
        assert_eq!(send(&keys, &clock, &sent, false).await, Err(Failed::Work));
        assert_eq!(send(&keys, &clock, &sent, true).await, Ok(Once::Busy));
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(send(&keys, &clock, &sent, true).await, Ok(Once::Done(1)));
    }

    #[tokio::test]
    async fn a_failed_completion_still_reports_the_work_as_done_and_holds_others_off() {
        let (keys, clock, sent) = (Keys::default(), clock(), AtomicUsize::new(0));
        *keys.fail_complete.lock().unwrap() = true;
        assert_eq!(send(&keys, &clock, &sent, true).await, Ok(Once::Done(1)));
        assert_eq!(send(&keys, &clock, &sent, true).await, Ok(Once::Busy));
        assert_eq!(sent.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_work_does_not_run_while_another_worker_holds_the_key() {
        let (keys, clock, sent) = (Keys::default(), clock(), AtomicUsize::new(0));
        keys.claim("k", clock.now(), TERMS.lease, TERMS.keep_for)
            .await
            .unwrap();
        assert_eq!(send(&keys, &clock, &sent, true).await, Ok(Once::Busy));
        assert_eq!(sent.load(Ordering::SeqCst), 0);
    }
}

#[cfg(test)]
mod log_key_tests {
    use super::log_key;

    #[test]
    fn a_logged_key_names_its_use_case_and_nothing_it_carries() {
        let logged = log_key("announce#tuyen-quang#a-17#8470000000000000001");
        assert!(logged.starts_with("announce#"), "{logged}");
        assert!(!logged.contains("8470000000000000001") && !logged.contains("tuyen-quang"));
        assert_ne!(
            logged,
            log_key("announce#tuyen-quang#a-17#8470000000000000002")
        );
        let notify = log_key("notify#tuyen-quang#000.00.04.H60-261110-0028");
        assert!(!notify.contains("H60"), "{notify}");
    }
}
