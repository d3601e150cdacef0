//! Dossier notices come before announcements. A notice queued while an announcement to 1,000
//! followers is going out waits for one batch at most: the announcer looks at the notifier's
//! queue between batches and gives way while anything waits there. Then the announcement
//! finishes, each follower reached once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use e2e::Rig;
use e2e::lives;
use motcua_app::announce::{AnnouncementJob, Announcements, BATCH, Pace};
use motcua_app::staff::StaffDesk;
use motcua_app::{Clock, Queue, RecordingQueue};
use motcua_domain::TenantId;
use motcua_domain::announcement::{Announcement, AnnouncementStatus, Audience};
use motcua_zalo_fake::Endpoint;

const FOLLOWERS: usize = 1000;

async fn announcement_to_followers(rig: &Rig, tenant: &TenantId) -> AnnouncementJob {
    let now = rig.clock.now();
    for i in 0..FOLLOWERS {
        let user = format!("{:019}", 7_000_000_000_000_000_000u64 + i as u64);
        rig.store
            .set_following(tenant, &user, true, now - Span::hours(2))
            .await
            .unwrap();
        rig.store
            .record_interaction(tenant, &user, now - Span::hours(1))
            .await
            .unwrap();
    }
    let a = Announcement {
        tenant: tenant.clone(),
        id: "a-priority".into(),
        title: "Lịch nghỉ Tết".into(),
        body: "Bộ phận Một cửa nghỉ từ ngày 14/02 đến hết ngày 22/02.".into(),
        link: None,
        audience: Audience::CsFree,
        status: AnnouncementStatus::Draft,
        created_by: "admin-a".into(),
        created_at: now,
        sending_at: None,
        recipients: 0,
        scheduled_for: None,
    };
    assert!(rig.store.create_announcement(&a).await.unwrap());
    assert!(
        rig.store
            .begin_sending(tenant, &a.id, FOLLOWERS as u64, now)
            .await
            .unwrap()
    );
    AnnouncementJob {
        tenant: tenant.clone(),
        id: a.id,
        from: 0,
    }
}

fn announcer(rig: &Rig, jobs: Arc<RecordingQueue>, pace: Pace) -> Announcements {
    Announcements {
        desk: Arc::new(StaffDesk {
            store: rig.store.clone(),
            tenancy: Arc::new(rig.notifier.tenancy.clone()),
            messenger: rig.notifier.messenger.clone(),
            clock: rig.clock.clone(),
            metrics: rig.notifier.metrics.clone(),
        }),
        messenger: rig.notifier.messenger.clone(),
        queue: jobs,
        pace: Some(pace),
    }
}

fn announcement_sends(rig: &Rig) -> usize {
    rig.fake.count(Endpoint::Cs)
}

#[tokio::test]
async fn a_notice_queued_behind_a_1000_recipient_announcement_waits_one_batch_at_most() {
    let rig = Rig::new(None).await;
    let tenant = TenantId::parse("tuyen-quang").unwrap();
    let job = announcement_to_followers(&rig, &tenant).await;
    // every send takes a while, as Zalo's do: the announcement lasts long enough to overtake
    rig.fake.set_latency(Duration::from_millis(8));
    let pace = Pace {
        notices: Arc::new(rig.queue.clone()),
        poll: Duration::from_millis(10),
        most: Duration::from_secs(60),
        time_budget: Duration::from_secs(600),
    };
    let announcements = Arc::new(announcer(&rig, Arc::new(RecordingQueue::default()), pace));
    let running = {
        let a = announcements.clone();
        tokio::spawn(async move { a.run_job(&job).await })
    };
    while announcement_sends(&rig) < 3 * BATCH / 2 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    // a dossier event arrives while the announcement is half way through a batch
    let life = lives::life(17, 1);
    rig.queue.send(&life.bodies[0].to_string()).await.unwrap();
    let at_arrival = announcement_sends(&rig);
    // the notifier is busy elsewhere: the event waits on its queue, and the announcement stops
    // after the batch in flight
    tokio::time::sleep(Duration::from_millis(600)).await;
    let paused_at = announcement_sends(&rig);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        announcement_sends(&rig),
        paused_at,
        "the announcement has stopped"
    );
    assert!(
        paused_at - at_arrival <= BATCH,
        "{} announcement messages went out after the notice was queued (batch {BATCH})",
        paused_at - at_arrival
    );
    assert!(
        paused_at < FOLLOWERS,
        "the announcement waits for the notice"
    );

    let drained = rig.drain(&[]).await;
    assert!(drained.dead.is_empty(), "{:?}", drained.dead);
    let records = rig.fake.records();
    let notice = records
        .iter()
        .position(|r| r.endpoint == Endpoint::Zns)
        .expect("the notice went out");
    assert!(records[notice].ok(), "{}", records[notice].answer);
    let before_notice = records[..notice]
        .iter()
        .filter(|r| r.endpoint == Endpoint::Cs)
        .count();
    // once the notifier has taken it, the notice and the announcement share the budget: the
    // announcement finishes no further batch first
    assert!(
        before_notice - paused_at < BATCH,
        "the notice waited for {} more announcement messages after it was taken",
        before_notice - paused_at
    );

    let outcome = running.await.unwrap().unwrap();
    assert_eq!(outcome.sent, FOLLOWERS);
    assert_eq!(outcome.retry, 0);
    assert!(outcome.gave_way >= 1, "{outcome:?}");
    let reached: HashSet<String> = rig
        .fake
        .records()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Cs && r.ok())
        .filter_map(|r| r.recipient())
        .collect();
    assert_eq!(reached.len(), FOLLOWERS, "each follower once");
    assert_eq!(announcement_sends(&rig), FOLLOWERS);
}

#[tokio::test]
async fn announcements_draw_from_their_own_share_of_the_zalo_budget() {
    use motcua_runtime::{
        ANNOUNCEMENT_CALLS_PER_MINUTE, SharedBudget, ZALO_BUDGET_KEY, ZALO_CALLS_PER_MINUTE,
        announcement_limiter,
    };
    use motcua_zalo::RateLimiter;
    let dir = e2e::scratch();
    let db = motcua_embedded::EmbeddedDb::open(dir.path().join("budget.redb")).unwrap();
    let store: Arc<dyn motcua_app::Store> = Arc::new(db.store());
    let clock = Arc::new(motcua_app::ManualClock::at("2027-06-01T03:00:10Z"));
    let whole = Arc::new(SharedBudget::new(
        store.clone(),
        clock.clone(),
        ZALO_BUDGET_KEY,
        ZALO_CALLS_PER_MINUTE,
        Duration::from_secs(60),
    ));
    let announcer = announcement_limiter(store, clock.clone(), whole.clone());
    let held = |f| async move {
        tokio::time::timeout(Duration::from_millis(100), f)
            .await
            .is_err()
    };
    for _ in 0..ANNOUNCEMENT_CALLS_PER_MINUTE {
        announcer.acquire().await;
    }
    assert!(
        held(announcer.acquire()).await,
        "the announcements' share of this minute is spent"
    );
    // what is left of the minute is the notices'
    for _ in ANNOUNCEMENT_CALLS_PER_MINUTE..ZALO_CALLS_PER_MINUTE {
        assert!(!held(whole.acquire()).await, "a notice held back");
    }
    assert!(held(whole.acquire()).await, "Zalo's 4,000 calls a minute");
    clock.advance(Span::minutes(1));
    assert!(
        !held(announcer.acquire()).await,
        "a new minute, a new share"
    );
}

#[tokio::test]
async fn a_job_out_of_time_goes_back_on_its_queue_and_reaches_everyone_once() {
    let rig = Rig::new(None).await;
    let tenant = TenantId::parse("tuyen-quang").unwrap();
    let job = announcement_to_followers(&rig, &tenant).await;
    let jobs = Arc::new(RecordingQueue::default());
    // no time at all: each run sends its one batch, then hands the rest on
    let pace = Pace {
        notices: Arc::new(rig.queue.clone()),
        poll: Duration::from_millis(10),
        most: Duration::from_secs(1),
        time_budget: Duration::ZERO,
    };
    let announcements = announcer(&rig, jobs.clone(), pace);
    // Zalo fails three sends of the first run: its continuation starts over from the run's
    // start, so those three are tried again and nobody is skipped
    rig.fake
        .fail_next(Endpoint::Cs, motcua_zalo_fake::Fault::Http(503), 3);
    let mut runs = 0;
    let mut body = serde_json::to_string(&job).unwrap();
    loop {
        runs += 1;
        let next: AnnouncementJob = serde_json::from_str(&body).unwrap();
        let outcome = announcements.run_job(&next).await.unwrap();
        if !outcome.continued {
            assert_eq!(outcome.retry, 0, "{outcome:?}");
            break;
        }
        assert_eq!(
            outcome.sent + outcome.already + outcome.retry,
            BATCH,
            "one batch per run: {outcome:?}"
        );
        assert_eq!(jobs.sent().len(), runs, "the rest is queued again");
        if runs > 2 {
            assert_eq!(
                outcome.already, 0,
                "a continued run starts where the last one stopped"
            );
        }
        body = jobs.sent().last().unwrap().clone();
    }
    assert_eq!(
        runs,
        FOLLOWERS / BATCH + 1,
        "one more for the three tried again"
    );
    let reached: Vec<String> = rig
        .fake
        .records()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Cs && r.ok())
        .filter_map(|r| r.recipient())
        .collect();
    let once: HashSet<&String> = reached.iter().collect();
    assert_eq!(reached.len(), FOLLOWERS, "each follower once");
    assert_eq!(once.len(), FOLLOWERS);
}
