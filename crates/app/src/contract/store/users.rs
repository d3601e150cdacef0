//! Store contract: Zalo users, phone links and the active-since index.

use super::*;

pub async fn zalo_user_interaction_only_moves_forward<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    assert_eq!(s.get_zalo_user(&tq, "u1").await.unwrap(), None);
    s.record_interaction(&tq, "u1", t("2026-11-20T10:00:00Z"))
        .await
        .unwrap();
    s.record_interaction(&tq, "u1", t("2026-11-19T10:00:00Z"))
        .await
        .unwrap();
    let u = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
    assert_eq!(u.last_interaction_at, Some(t("2026-11-20T10:00:00Z")));
    assert!(!u.following);
    s.set_following(&tq, "u1", true, t("2026-11-21T10:00:00Z"))
        .await
        .unwrap();
    s.record_interaction(&tq, "u1", t("2026-11-22T10:00:00Z"))
        .await
        .unwrap();
    let u = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
    assert!(u.following);
    assert_eq!(u.last_interaction_at, Some(t("2026-11-22T10:00:00Z")));
    assert_eq!(s.get_zalo_user(&tenant("bn"), "u1").await.unwrap(), None);
}

/// A claimed phone is kept apart from the linked one: it is not indexed by phone (it moves no
/// notice), replacing or dropping it leaves the link alone.
pub async fn zalo_user_phone_claim_is_not_a_link<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let at = t("2026-11-20T10:00:00Z");
    let claim = PhoneClaim {
        phone: protected("p9"),
        code_hash: "code-hash".into(),
        expires_at: at + chrono::Duration::minutes(30),
        code_expires_at: Some(at + chrono::Duration::minutes(5)),
        tries_left: 3,
    };
    s.set_phone_claim(&tq, "u1", Some(&claim), at)
        .await
        .unwrap();
    let u = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
    assert_eq!(u.phone_claim, Some(claim.clone()));
    assert_eq!(u.phone, None, "a claim is not a link");
    assert!(
        s.zalo_users_by_phone(&tq, "hash-p9")
            .await
            .unwrap()
            .is_empty()
    );
    s.link_phone(&tq, "u1", &protected("p1"), at).await.unwrap();
    let fewer = PhoneClaim {
        tries_left: 2,
        ..claim
    };
    s.set_phone_claim(&tq, "u1", Some(&fewer), at)
        .await
        .unwrap();
    let u = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
    assert_eq!(
        (u.phone_claim, u.phone),
        (Some(fewer), Some(protected("p1")))
    );
    s.set_phone_claim(&tq, "u1", None, at).await.unwrap();
    let u = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
    assert_eq!((u.phone_claim, u.phone), (None, Some(protected("p1"))));
    assert_eq!(
        s.zalo_users_by_phone(&tq, "hash-p1").await.unwrap().len(),
        1
    );
}

pub async fn zalo_user_phone_link_and_erasure<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let at = t("2026-11-20T10:00:00Z");
    s.set_following(&tq, "u1", true, at).await.unwrap();
    s.link_phone(&tq, "u1", &protected("p1"), at).await.unwrap();
    s.link_phone(&tq, "u2", &protected("p1"), at).await.unwrap();
    s.link_phone(&tenant("bn"), "u3", &protected("p1"), at)
        .await
        .unwrap();
    let mut users: Vec<String> = s
        .zalo_users_by_phone(&tq, "hash-p1")
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    users.sort();
    assert_eq!(users, ["u1", "u2"]);
    let u1 = s.get_zalo_user(&tq, "u1").await.unwrap().unwrap();
    assert!(u1.following, "linking keeps the follow state");
    assert_eq!(u1.phone, Some(protected("p1")));
    assert_eq!(u1.phone_linked_at, Some(at));

    // re-linking to another phone moves the user
    s.link_phone(&tq, "u2", &protected("p2"), at).await.unwrap();
    assert_eq!(
        s.zalo_users_by_phone(&tq, "hash-p1").await.unwrap().len(),
        1
    );
    assert_eq!(
        s.zalo_users_by_phone(&tq, "hash-p2").await.unwrap()[0].user_id,
        "u2"
    );

    assert!(s.delete_zalo_user(&tq, "u1").await.unwrap());
    assert!(!s.delete_zalo_user(&tq, "u1").await.unwrap());
    assert_eq!(s.get_zalo_user(&tq, "u1").await.unwrap(), None);
    assert!(
        s.zalo_users_by_phone(&tq, "hash-p1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.zalo_users_by_phone(&tenant("bn"), "hash-p1")
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A withdrawal suppresses one phone in one tenant, survives the user's erasure, and ends only
/// when lifted.
pub async fn phone_suppression_holds_per_tenant_until_lifted<S: Store + 'static>(s: Arc<S>) {
    let (tq, bn) = (tenant("tq"), tenant("bn"));
    let at = t("2026-11-20T10:00:00Z");
    assert!(!s.phone_suppressed(&tq, "hash-p1").await.unwrap());
    s.link_phone(&tq, "u1", &protected("p1"), at).await.unwrap();
    s.suppress_phone(&tq, "hash-p1", at).await.unwrap();
    s.suppress_phone(&tq, "hash-p1", at).await.unwrap(); // twice is once
    s.delete_zalo_user(&tq, "u1").await.unwrap();
    assert!(s.phone_suppressed(&tq, "hash-p1").await.unwrap());
    assert!(
        !s.phone_suppressed(&bn, "hash-p1").await.unwrap(),
        "another tenant"
    );
    assert!(
        !s.phone_suppressed(&tq, "hash-p2").await.unwrap(),
        "another phone"
    );
    s.lift_phone_suppression(&tq, "hash-p1").await.unwrap();
    assert!(!s.phone_suppressed(&tq, "hash-p1").await.unwrap());
    s.lift_phone_suppression(&tq, "hash-p1").await.unwrap(); // nothing to lift is fine
}

pub async fn users_active_since_lists_recent_users<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let bn = tenant("bn");
    s.record_interaction(&tq, "old", t("2026-11-10T00:00:00Z"))
        .await
        .unwrap();
    s.record_interaction(&tq, "recent", t("2026-11-20T00:00:00Z"))
        .await
        .unwrap();
    s.record_interaction(&tq, "newest", t("2026-11-21T00:00:00Z"))
        .await
        .unwrap();
    // following alone is not an interaction time the store invents
    s.set_following(&tq, "follower", true, t("2026-11-21T00:00:00Z"))
        .await
        .unwrap();
    s.record_interaction(&bn, "other-tenant", t("2026-11-21T00:00:00Z"))
        .await
        .unwrap();
    // an old user comes back: listed once, at the new time
    s.record_interaction(&tq, "old", t("2026-11-19T00:00:00Z"))
        .await
        .unwrap();
    let since = t("2026-11-15T00:00:00Z");
    assert_eq!(
        s.zalo_users_active_since(&tq, since, 10).await.unwrap(),
        vec!["newest", "recent", "old"]
    );
    assert_eq!(
        s.zalo_users_active_since(&tq, since, 2).await.unwrap(),
        vec!["newest", "recent"]
    );
    assert!(
        s.zalo_users_active_since(&tq, t("2026-11-22T00:00:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // an erased user is gone from the audience
    s.delete_zalo_user(&tq, "recent").await.unwrap();
    assert_eq!(
        s.zalo_users_active_since(&tq, since, 10).await.unwrap(),
        vec!["newest", "old"]
    );
}

/// A budget is taken atomically: 20 concurrent takers of a 7-unit window get exactly 7; the
/// next window starts afresh; keys do not share; a window spent stays spent for a caller that
/// still takes from it after the next one began (it read the clock before the boundary).
pub async fn budgets_are_taken_atomically_per_window<S: Store + 'static>(s: Arc<S>) {
    let w1 = t("2026-11-20T10:00:00Z");
    let w2 = t("2026-11-20T10:01:00Z");
    let takers = (0..20).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.take_budget("zalo-calls", w1, 7, w2).await.unwrap() })
    });
    let mut taken = 0;
    for h in takers {
        taken += usize::from(h.await.unwrap());
    }
    assert_eq!(taken, 7);
    assert!(!s.take_budget("zalo-calls", w1, 7, w2).await.unwrap());
    assert!(
        s.take_budget("other", w1, 7, w2).await.unwrap(),
        "keys do not share"
    );
    assert!(
        s.take_budget("zalo-calls", w2, 7, w2).await.unwrap(),
        "a new window"
    );
    assert!(
        !s.take_budget("zalo-calls", w1, 7, w2).await.unwrap(),
        "a late taker of the spent window is refused"
    );
}
