//! Store contract: Counters by day and month.

use super::*;

pub async fn counters_add_up_by_day_and_month<S: Store + 'static>(s: Arc<S>) {
    let tq = tenant("tq");
    let d = |s: &str| -> NaiveDate { s.parse().unwrap() };
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let s = s.clone();
        let tq = tq.clone();
        tasks.push(tokio::spawn(async move {
            s.incr(&tq, "lookup.chat", "2026-11-24".parse().unwrap(), 1)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    s.incr(&tq, "lookup.chat", d("2026-11-01"), 5)
        .await
        .unwrap();
    s.incr(&tq, "lookup.chat", d("2026-10-31"), 7)
        .await
        .unwrap();
    s.incr(&tq, "lookup.qr", d("2026-11-24"), 2).await.unwrap();
    s.incr(&tenant("bn"), "lookup.chat", d("2026-11-24"), 100)
        .await
        .unwrap();
    assert_eq!(
        s.daily(&tq, "lookup.chat", d("2026-10-01"), d("2026-11-30"))
            .await
            .unwrap(),
        vec![
            (d("2026-10-31"), 7),
            (d("2026-11-01"), 5),
            (d("2026-11-24"), 10)
        ]
    );
    assert_eq!(
        s.daily(&tq, "lookup.chat", d("2026-11-02"), d("2026-11-24"))
            .await
            .unwrap(),
        vec![(d("2026-11-24"), 10)]
    );
    assert_eq!(
        s.monthly(&tq, "lookup.chat", d("2026-11-15"))
            .await
            .unwrap(),
        15
    );
    assert_eq!(
        s.monthly(&tq, "lookup.chat", d("2026-10-01"))
            .await
            .unwrap(),
        7
    );
    assert_eq!(
        s.monthly(&tq, "lookup.qr", d("2026-11-01")).await.unwrap(),
        2
    );
    assert_eq!(
        s.monthly(&tq, "lookup.api", d("2026-11-01")).await.unwrap(),
        0
    );
}
