//! Store contract: Idempotency keys.

use super::*;

const LEASE: Duration = Duration::from_secs(60);
const KEEP: Duration = Duration::from_secs(3600);

pub async fn idempotency_claim_lifecycle<S: Store + 'static>(s: Arc<S>) {
    let now = t("2026-11-24T00:00:00Z");
    assert_eq!(
        s.claim("k1", now, LEASE, KEEP).await.unwrap(),
        Claim::Acquired
    );
    assert_eq!(
        s.claim("k1", now, LEASE, KEEP).await.unwrap(),
        Claim::InProgress
    );
    assert_eq!(
        s.claim("k2", now, LEASE, KEEP).await.unwrap(),
        Claim::Acquired
    );
    s.release("k2").await.unwrap();
    assert_eq!(
        s.claim("k2", now, LEASE, KEEP).await.unwrap(),
        Claim::Acquired
    );
    s.complete("k1", Some("sent:zalo_cs"), now, KEEP)
        .await
        .unwrap();
    assert_eq!(
        s.claim("k1", now + Span::seconds(10), LEASE, KEEP)
            .await
            .unwrap(),
        Claim::Completed {
            result: Some("sent:zalo_cs".into())
        }
    );
    s.complete("k2", None, now, KEEP).await.unwrap();
    assert_eq!(
        s.claim("k2", now, LEASE, KEEP).await.unwrap(),
        Claim::Completed { result: None }
    );
}

pub async fn idempotency_expired_leases_and_records_can_be_taken_over<S: Store + 'static>(
    s: Arc<S>,
) {
    let now = t("2026-11-24T00:00:00Z");
    assert_eq!(
        s.claim("k", now, LEASE, KEEP).await.unwrap(),
        Claim::Acquired
    );
    // a crashed worker's lease expires
    let later = now + Span::seconds(61);
    assert_eq!(
        s.claim("k", later, LEASE, KEEP).await.unwrap(),
        Claim::Acquired
    );
    s.complete("k", Some("r"), later, KEEP).await.unwrap();
    // completed records are kept for KEEP, then the key is free again (TTL may lag)
    let much_later = later + Span::seconds(3601);
    assert_eq!(
        s.claim("k", much_later, LEASE, KEEP).await.unwrap(),
        Claim::Acquired
    );
}

pub async fn idempotency_concurrent_claims_have_one_winner<S: Store + 'static>(s: Arc<S>) {
    let now = t("2026-11-24T00:00:00Z");
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.claim("race", now, LEASE, KEEP).await
        }));
    }
    let mut acquired = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Claim::Acquired => acquired += 1,
            Claim::InProgress => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(acquired, 1);
}
