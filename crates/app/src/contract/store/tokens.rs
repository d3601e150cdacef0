//! Store contract: OA tokens and the refresh lease.

use super::*;

fn tokens(version: u64, access: &str) -> OaTokens {
    OaTokens {
        oa_id: "oa1".into(),
        access_token: access.into(),
        refresh_token: format!("refresh-{access}"),
        access_expires_at: t("2026-11-25T00:00:00Z"),
        refresh_expires_at: t("2027-02-22T00:00:00Z"),
        version,
        updated_at: t("2026-11-24T00:00:00Z"),
    }
}

pub async fn tokens_are_versioned<S: Store + 'static>(s: Arc<S>) {
    assert_eq!(s.get_tokens("oa1").await.unwrap(), None);
    assert!(matches!(
        s.put_tokens(&tokens(2, "a")).await,
        Err(StoreError::Conflict(_))
    ));
    s.put_tokens(&tokens(1, "a")).await.unwrap();
    assert!(matches!(
        s.put_tokens(&tokens(1, "b")).await,
        Err(StoreError::Conflict(_))
    ));
    s.put_tokens(&tokens(2, "c")).await.unwrap();
    assert_eq!(s.get_tokens("oa1").await.unwrap(), Some(tokens(2, "c")));
    assert!(matches!(
        s.put_tokens(&tokens(2, "d")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.get_tokens("oa2").await.unwrap(), None);
}

pub async fn tokens_concurrent_writers_one_wins<S: Store + 'static>(s: Arc<S>) {
    s.put_tokens(&tokens(1, "a")).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.put_tokens(&tokens(2, &format!("w{i}"))).await.is_ok()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if t.await.unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(s.get_tokens("oa1").await.unwrap().unwrap().version, 2);
}

pub async fn token_lease_is_exclusive_until_expiry<S: Store + 'static>(s: Arc<S>) {
    let now = t("2026-11-24T00:00:00Z");
    let ttl = Duration::from_secs(30);
    assert!(s.acquire_lease("oa1", "a", now, ttl).await.unwrap());
    assert!(
        !s.acquire_lease("oa1", "b", now + Span::seconds(29), ttl)
            .await
            .unwrap()
    );
    assert!(
        s.acquire_lease("oa2", "b", now, ttl).await.unwrap(),
        "leases are per OA"
    );
    s.release_lease("oa1", "b").await.unwrap();
    assert!(
        !s.acquire_lease("oa1", "b", now + Span::seconds(1), ttl)
            .await
            .unwrap(),
        "only the holder releases"
    );
    s.release_lease("oa1", "a").await.unwrap();
    assert!(
        s.acquire_lease("oa1", "b", now + Span::seconds(2), ttl)
            .await
            .unwrap()
    );
    assert!(
        s.acquire_lease("oa1", "c", now + Span::seconds(33), ttl)
            .await
            .unwrap(),
        "an expired lease can be taken"
    );
}
