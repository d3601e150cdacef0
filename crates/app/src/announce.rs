//! Announcements to the OA's audience: a tenant admin writes a draft, previews it (text and
//! recipient count), and sends it. Sending puts one job on a queue; the job's consumer sends to
//! each recipient through the rate-limited Zalo client. Each recipient is claimed in the
//! idempotency store before the send, so a repeated job or a second "send" press never reaches
//! anyone twice.
//!
//! Dossier notices come first. The announcer's Zalo client draws from the announcements' own
//! share of the call budget (`motcua_runtime::ANNOUNCEMENT_CALLS_PER_MINUTE`), and the job
//! sends in batches of [`BATCH`]: before each batch it waits while dossier events wait on the
//! notifier's queue ([`Pace`]), so a notice queued behind an announcement waits for one batch
//! at most. A job that runs out of its invocation's time puts itself back on its queue.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{StreamExt, stream};
use motcua_domain::catalogue::{ANNOUNCEMENT_LINK_TITLE, MAX_STAFF_TEXT, MAX_TITLE, Msg};
use motcua_domain::{TenantId, time, window};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::messenger::{Messenger, Outgoing, SendFailure};
use crate::once::{Once, Terms, exactly_once};
use crate::ports::{Announcement, AnnouncementStatus, Audience, Queue, Store, StoreError};
use crate::staff::{Principal, StaffDesk, StaffError, StaffResult};

mod ledger;
pub mod schedule;
pub use schedule::ScheduledStart;

/// Most recipients of one consultation-message announcement.
pub const MAX_RECIPIENTS: usize = 50_000;
/// Sends in flight at once (the client's limiter keeps the OA under Zalo's rate).
const CONCURRENCY: usize = 8;
/// Recipients sent to between two looks at the notifier's backlog.
pub const BATCH: usize = 50;
const LEASE: Duration = Duration::from_secs(120);
const KEEP: Duration = Duration::from_secs(90 * 24 * 3600);

/// What an admin writes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Draft {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub link: Option<String>,
    pub audience: Audience,
}

/// The queued job: one per send press (duplicates are harmless).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementJob {
    pub tenant: TenantId,
    pub id: String,
    /// Where in the (stable) recipient list this run starts: 0 for a send press, further on
    /// for a job that continues an earlier run.
    #[serde(default)]
    pub from: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub sent: i64,
    /// Out of reach (window closed, blocked the OA…).
    pub skipped: i64,
    /// Refused by Zalo for a reason to fix (template, permission…).
    pub failed: i64,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnouncementView {
    #[serde(flatten)]
    pub announcement: Announcement,
    /// The text as the citizen reads it.
    pub preview: String,
    pub progress: Progress,
}

/// What sending an announcement now would do (the console's preview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// Who would receive it; `None` for a broadcast (Zalo counts the followers).
    pub recipients: Option<usize>,
    /// Recipients per channel (`zalo_cs_free`, `zalo_cs_paid`, or `broadcast`: uncounted).
    pub by_channel: BTreeMap<&'static str, Option<usize>>,
    /// VND at the tenant's prices.
    pub cost_vnd: Option<u64>,
    /// In trial mode: the users it would not reach (they are no testers).
    pub withheld: usize,
}

/// What one job run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobOutcome {
    pub sent: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Recipients already handled by an earlier run.
    pub already: usize,
    /// Recipients to try again (rate limit, Zalo or store unavailable): the job must be retried.
    pub retry: usize,
    /// Batches that waited for the notifier's backlog first.
    pub gave_way: usize,
    /// The run used its time and put the job back on the queue for the rest (including the
    /// recipients to try again): this message is done, whatever `retry` says.
    pub continued: bool,
}

fn since(a: &Announcement, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match a.audience {
        Audience::Broadcast { .. } => None,
        Audience::CsFree => Some(window::earliest_inside(window::FREE_CS_WINDOW, at)),
        Audience::CsWindow => Some(window::earliest_inside(window::CS_WINDOW, at)),
    }
}

/// Why one recipient's send is to be tried again.
enum Attempt {
    /// Zalo's rate limit or a transient failure: the job is retried.
    Retry,
    Store(StoreError),
}

impl From<StoreError> for Attempt {
    fn from(e: StoreError) -> Self {
        Attempt::Store(e)
    }
}

fn metric(a: &Announcement, what: &str) -> String {
    format!("announcement.{}.{what}", a.id)
}

fn counter_day(a: &Announcement) -> NaiveDate {
    time::to_vn(a.sending_at.unwrap_or(a.created_at)).date_naive()
}

pub fn render(a: &Announcement) -> Outgoing {
    Outgoing {
        text: Msg::Announcement {
            title: a.title.clone(),
            body: a.body.clone(),
        }
        .render(),
        buttons: Vec::new(),
        link: a
            .link
            .as_ref()
            .map(|l| (ANNOUNCEMENT_LINK_TITLE.to_string(), l.clone())),
        call: None,
    }
}

fn validate(d: &Draft) -> StaffResult<Draft> {
    let title: String = d.title.trim().nfc().collect();
    let body: String = d.body.trim().nfc().collect();
    if title.is_empty() || body.is_empty() {
        return Err(StaffError::Invalid(
            "Cần nhập tiêu đề và nội dung thông báo.".into(),
        ));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(StaffError::Invalid(format!(
            "Tiêu đề dài quá {MAX_TITLE} ký tự."
        )));
    }
    if body.chars().count() > MAX_STAFF_TEXT {
        return Err(StaffError::Invalid(format!(
            "Nội dung dài quá {MAX_STAFF_TEXT} ký tự."
        )));
    }
    let link = match d.link.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => match url::Url::parse(l) {
            Ok(u) if u.scheme() == "https" => Some(u.to_string()),
            _ => {
                return Err(StaffError::Invalid(
                    "Đường dẫn phải là một địa chỉ https:// đầy đủ.".into(),
                ));
            }
        },
    };
    if let Audience::Broadcast { article_id } = &d.audience
        && (article_id.trim().is_empty()
            || !article_id.trim().chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(StaffError::Invalid(
            "Gửi broadcast cần mã bài viết (article id) đã tạo trong trang quản trị OA.".into(),
        ));
    }
    Ok(Draft {
        title,
        body,
        link,
        audience: match &d.audience {
            Audience::Broadcast { article_id } => Audience::Broadcast {
                article_id: article_id.trim().to_string(),
            },
            other => other.clone(),
        },
    })
}

/// How an announcement job runs next to dossier notices. Before each batch it waits while
/// messages wait on the notifier's queue, looking every `poll`, for `most` at the longest (a
/// backlog that does not drain slows an announcement, never stops it). After `time_budget` it
/// starts no further batch and puts the rest of the job back on its queue, so that a job never
/// outlives its Lambda invocation.
pub struct Pace {
    pub notices: Arc<dyn Queue>,
    pub poll: Duration,
    pub most: Duration,
    pub time_budget: Duration,
}

impl Pace {
    /// The deployment's pace: a look every second, two minutes at most per batch, and twelve
    /// minutes of sending per invocation (the announcer's timeout is 15).
    pub fn deployed(notices: Arc<dyn Queue>) -> Self {
        Pace {
            notices,
            poll: Duration::from_secs(1),
            most: Duration::from_secs(120),
            time_budget: Duration::from_secs(12 * 60),
        }
    }

    /// Waits while dossier events wait. Returns whether it waited.
    async fn give_way(&self, a: &Announcement) -> bool {
        let started = tokio::time::Instant::now();
        let mut waited = false;
        loop {
            match self.notices.waiting().await {
                Ok(0) => return waited,
                Ok(n) if started.elapsed() >= self.most => {
                    tracing::warn!(announcement = %a.id, waiting = n, "notifier backlog persists; the next batch goes anyway");
                    return waited;
                }
                Ok(n) => {
                    if !waited {
                        tracing::info!(announcement = %a.id, waiting = n, "announcement gives way to dossier notices");
                    }
                }
                Err(e) => {
                    tracing::warn!(announcement = %a.id, error = %e, "notifier backlog unknown; the batch goes");
                    return waited;
                }
            }
            waited = true;
            tokio::time::sleep(self.poll).await;
        }
    }
}

/// The announcement use cases; the desk provides the store, tenancy, Zalo and audit.
pub struct Announcements {
    pub desk: Arc<StaffDesk>,
    /// What the job consumer sends with: on Lambda and locally, a Zalo client that draws from
    /// the announcements' share of the call budget.
    pub messenger: Arc<dyn Messenger>,
    /// The queue of announcement jobs.
    pub queue: Arc<dyn Queue>,
    /// How the job consumer lets dossier notices pass and keeps within its invocation; `None`
    /// where no job runs (the console's API role).
    pub pace: Option<Pace>,
}

impl Announcements {
    fn store(&self) -> &Arc<dyn Store> {
        &self.desk.store
    }

    fn admin_only(p: &Principal) -> StaffResult<()> {
        if p.is_admin() {
            Ok(())
        } else {
            Err(StaffError::Forbidden(
                "only a tenant admin sends announcements",
            ))
        }
    }

    pub async fn create(&self, p: &Principal, draft: &Draft) -> StaffResult<AnnouncementView> {
        let result = async {
            Self::admin_only(p)?;
            let d = validate(draft)?;
            let a = Announcement {
                tenant: p.tenant.clone(),
                id: uuid::Uuid::now_v7().simple().to_string(),
                title: d.title,
                body: d.body,
                link: d.link,
                audience: d.audience,
                status: AnnouncementStatus::Draft,
                created_by: p.username.clone(),
                created_at: self.desk.clock.now(),
                sending_at: None,
                recipients: 0,
                scheduled_for: None,
            };
            if !self.store().create_announcement(&a).await? {
                return Err(StaffError::Conflict(
                    "Mã thông báo bị trùng, thử lại.".into(),
                ));
            }
            self.view(a).await
        }
        .await;
        let target = result
            .as_ref()
            .map(|v| format!("announcement:{}", v.announcement.id))
            .unwrap_or_default();
        self.desk
            .audited(p, "announcement.create", &target, result)
            .await
    }

    async fn view(&self, a: Announcement) -> StaffResult<AnnouncementView> {
        let progress = self.progress(&a).await?;
        Ok(AnnouncementView {
            preview: render(&a).text,
            announcement: a,
            progress,
        })
    }

    async fn progress(&self, a: &Announcement) -> StaffResult<Progress> {
        let day = counter_day(a);
        let count = |what: &'static str| {
            let store = self.store().clone();
            let (tenant, m) = (a.tenant.clone(), metric(a, what));
            async move {
                Ok::<i64, StoreError>(
                    store
                        .daily(&tenant, &m, day, day)
                        .await?
                        .iter()
                        .map(|(_, n)| n)
                        .sum(),
                )
            }
        };
        let (sent, skipped, failed) =
            futures_util::future::try_join3(count("sent"), count("skipped"), count("failed"))
                .await?;
        let done = a.status == AnnouncementStatus::Sending
            && u64::try_from(sent + skipped + failed).unwrap_or(0) >= a.recipients;
        Ok(Progress {
            sent,
            skipped,
            failed,
            done,
        })
    }

    pub async fn list(&self, p: &Principal) -> StaffResult<Vec<AnnouncementView>> {
        let result = async {
            Self::admin_only(p)?;
            let mut out = Vec::new();
            for a in self.store().list_announcements(&p.tenant, 50).await? {
                out.push(self.view(a).await?);
            }
            Ok(out)
        }
        .await;
        self.desk.audited(p, "announcement.list", "", result).await
    }

    /// Who would receive it if sent now, by channel, and what it would cost at the tenant's
    /// prices (the preview). A consultation message is free within 48 hours of the user's last
    /// interaction and billed (`zalo_cs_paid`) up to 7 days; a broadcast goes to every
    /// follower as Zalo counts them, at no per-message price. In trial mode only the testers
    /// count; the others are `withheld`.
    pub async fn preview(&self, p: &Principal, audience: &Audience) -> StaffResult<Preview> {
        let now = self.desk.clock.now();
        let tenant = self.desk.tenancy.tenant(&p.tenant);
        let testers = tenant.and_then(|t| t.trial.as_ref()).map(|t| &t.zalo_users);
        let active = |window| {
            let from = window::earliest_inside(window, now);
            self.store()
                .zalo_users_active_since(&p.tenant, from, MAX_RECIPIENTS)
        };
        let (free, window) = match audience {
            Audience::Broadcast { .. } => {
                // in trial mode a broadcast reaches nobody: it waits for the end of the trial
                return Ok(Preview {
                    recipients: testers.map(|_| 0),
                    by_channel: BTreeMap::from([("broadcast", testers.map(|_| 0))]),
                    cost_vnd: Some(0),
                    withheld: 0,
                });
            }
            Audience::CsFree => (active(window::FREE_CS_WINDOW).await?, Vec::new()),
            Audience::CsWindow => {
                let (free, all) = futures_util::future::try_join(
                    active(window::FREE_CS_WINDOW),
                    active(window::CS_WINDOW),
                )
                .await?;
                (free, all)
            }
        };
        let reached = |u: &String| testers.is_none_or(|t| t.contains(u));
        let everyone: std::collections::BTreeSet<&String> = free.iter().chain(&window).collect();
        let paid = window
            .iter()
            .filter(|u| !free.contains(u) && reached(u))
            .count();
        let free = free.iter().filter(|u| reached(u)).count();
        let price = tenant.map_or(0, |t| u64::from(t.prices.zalo_cs_paid));
        Ok(Preview {
            recipients: Some(free + paid),
            by_channel: BTreeMap::from([
                ("zalo_cs_free", Some(free)),
                ("zalo_cs_paid", Some(paid)),
            ]),
            cost_vnd: Some(paid as u64 * price),
            withheld: everyone.len() - free - paid,
        })
    }

    async fn load(&self, p: &Principal, id: &str) -> StaffResult<Announcement> {
        self.store()
            .get_announcement(&p.tenant, id)
            .await?
            .ok_or(StaffError::NotFound)
    }

    pub async fn get(&self, p: &Principal, id: &str) -> StaffResult<AnnouncementView> {
        let result = async {
            Self::admin_only(p)?;
            let a = self.load(p, id).await?;
            self.view(a).await
        }
        .await;
        self.desk
            .audited(
                p,
                "announcement.view",
                &format!("announcement:{id}"),
                result,
            )
            .await
    }

    /// The second admin's approval: sends now, or at `at` when that is later (within
    /// [`schedule::MAX_AHEAD`]). Moves the announcement to sending (once) and queues the job.
    /// Pressing it again on an announcement already sending queues the job again, which is how
    /// a send interrupted before its job was queued resumes (recipients already reached are
    /// skipped); on a scheduled one it starts it now (and a new time for it is refused).
    pub async fn send(
        &self,
        p: &Principal,
        id: &str,
        at: Option<DateTime<Utc>>,
    ) -> StaffResult<AnnouncementView> {
        let result = async {
            Self::admin_only(p)?;
            let a = self.load(p, id).await?;
            let now = self.desk.clock.now();
            if at.is_some_and(|at| at <= now) {
                return Err(StaffError::Invalid("Thời điểm hẹn gửi đã qua.".into()));
            }
            // four eyes: a second admin's send is the approval
            if a.status == AnnouncementStatus::Draft && a.created_by == p.username {
                return Err(StaffError::NeedsSecondAdmin);
            }
            match (a.status, at) {
                (AnnouncementStatus::Draft, Some(at)) => {
                    if at > now + schedule::MAX_AHEAD {
                        return Err(StaffError::Invalid(
                            "Chỉ hẹn giờ gửi trong vòng 30 ngày tới.".into(),
                        ));
                    }
                    self.store()
                        .schedule_announcement(&p.tenant, id, at)
                        .await?;
                    let a = self.load(p, id).await?;
                    return self.view(a).await;
                }
                (AnnouncementStatus::Scheduled, Some(_)) => {
                    // a new time is not a way to send it now
                    return Err(StaffError::Conflict(
                        "Thông báo này đã được hẹn giờ gửi; bấm \"Gửi ngay\" để gửi luôn.".into(),
                    ));
                }
                (AnnouncementStatus::Draft | AnnouncementStatus::Scheduled, _) => {
                    // only the first press moves it; a concurrent one finds it sending
                    schedule::begin(self.store().as_ref(), &a, now).await?;
                }
                (AnnouncementStatus::Sending, _) => {}
            }
            schedule::queue_job(self.queue.as_ref(), &p.tenant, id)
                .await
                .map_err(|e| {
                    StaffError::Unavailable(format!("announcement job not queued: {e}"))
                })?;
            let a = self.load(p, id).await?;
            self.view(a).await
        }
        .await;
        self.desk
            .audited(
                p,
                "announcement.send",
                &format!("announcement:{id}"),
                result,
            )
            .await
    }

    /// Runs one job: every recipient not yet handled gets the message once.
    pub async fn run_job(&self, job: &AnnouncementJob) -> Result<JobOutcome, StoreError> {
        let Some(a) = self.store().get_announcement(&job.tenant, &job.id).await? else {
            tracing::warn!(announcement = %job.id, "announcement job for a missing announcement: dropped");
            return Ok(JobOutcome::default());
        };
        if a.status != AnnouncementStatus::Sending {
            tracing::warn!(announcement = %job.id, "announcement job for a draft: dropped");
            return Ok(JobOutcome::default());
        }
        let Some(oa_id) = self
            .desk
            .tenancy
            .tenant(&a.tenant)
            .and_then(|t| t.oa_id.clone())
        else {
            return Err(StoreError::Unavailable(format!(
                "tenant {} has no OA configured",
                a.tenant
            )));
        };
        let recipients = self.recipients(&a).await?;
        let free = self.free_now(&a).await?;
        let message = render(&a);
        let mut out = JobOutcome::default();
        let started = tokio::time::Instant::now();
        let from = job.from.min(recipients.len());
        for (n, batch) in recipients[from..].chunks(BATCH).enumerate() {
            if let Some(pace) = &self.pace {
                // every run sends one batch at least, so that a job always moves on
                if n > 0 && started.elapsed() >= pace.time_budget {
                    let progressed = out.sent + out.skipped + out.failed > 0;
                    if out.retry == 0 || progressed {
                        // recipients to try again are before `next`: the rest starts over
                        // from this run's start, skipping those already handled
                        let next = if out.retry == 0 {
                            from + n * BATCH
                        } else {
                            from
                        };
                        self.continue_later(job, next, &mut out).await;
                    }
                    // nothing moved and something failed: SQS retries the job with its back-off
                    break;
                }
                out.gave_way += usize::from(pace.give_way(&a).await);
            }
            let outcomes: Vec<Result<&'static str, StoreError>> = stream::iter(batch.to_vec())
                .map(|user| self.send_one(&a, &oa_id, user, &message, &free))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for o in outcomes {
                match o {
                    Ok("sent") => out.sent += 1,
                    Ok("skipped") | Ok("withheld") => out.skipped += 1,
                    Ok("failed") => out.failed += 1,
                    Ok("already") => out.already += 1,
                    Ok(_) | Err(_) => out.retry += 1,
                }
            }
        }
        tracing::info!(announcement = %a.id, tenant = %a.tenant, sent = out.sent,
            skipped = out.skipped, failed = out.failed, already = out.already,
            retry = out.retry, gave_way = out.gave_way, continued = out.continued,
            "announcement job run");
        Ok(out)
    }

    /// Who receives `a`, in a stable order (by user id: a job run again, or continued from an
    /// offset, walks the same list; users only join it as they interact).
    async fn recipients(&self, a: &Announcement) -> Result<Vec<Option<String>>, StoreError> {
        let sending_at = a.sending_at.unwrap_or(a.created_at);
        Ok(match since(a, sending_at) {
            None => vec![None],
            Some(from) => {
                let mut users = self
                    .store()
                    .zalo_users_active_since(&a.tenant, from, MAX_RECIPIENTS)
                    .await?;
                users.sort_unstable();
                users.into_iter().map(Some).collect()
            }
        })
    }

    /// Puts the job back on its queue to go on from recipient `from` (a user who joined the
    /// list before that point in the meantime only makes the next run check one recipient
    /// twice, which the idempotency keys make harmless). If the queue refuses, the job is to
    /// be retried from the start.
    async fn continue_later(&self, job: &AnnouncementJob, from: usize, out: &mut JobOutcome) {
        let next = AnnouncementJob {
            from,
            ..job.clone()
        };
        let body = serde_json::to_string(&next).expect("a job serializes");
        match self.queue.send(&body).await {
            Ok(_) => out.continued = true,
            Err(e) => {
                tracing::warn!(announcement = %job.id, error = %e, "announcement not continued; the job is retried");
                out.retry += 1;
            }
        }
    }

    async fn send_one(
        &self,
        a: &Announcement,
        oa_id: &str,
        user: Option<String>,
        message: &Outgoing,
        free: &ledger::Free,
    ) -> Result<&'static str, StoreError> {
        let store = self.store();
        let who = user.as_deref().unwrap_or("broadcast");
        let key = format!("announce#{}#{}#{who}", a.tenant, a.id);
        // a tenant in trial mode reaches only its testers' Zalo users; a broadcast reaches
        // everyone, so it waits for the end of the trial
        let trial = self
            .desk
            .tenancy
            .tenant(&a.tenant)
            .and_then(|t| t.trial.as_ref());
        let withheld = trial.is_some_and(|t| {
            user.as_deref()
                .is_none_or(|u| !t.zalo_users.iter().any(|z| z == u))
        });
        let work = async {
            if withheld {
                return Ok("withheld");
            }
            let result = match (&a.audience, &user) {
                (Audience::Broadcast { article_id }, _) => {
                    self.messenger.broadcast_article(oa_id, article_id).await
                }
                (_, Some(user)) => self.messenger.send_cs(oa_id, user, message).await,
                (_, None) => unreachable!("consultation announcements have a recipient"),
            };
            match result {
                Ok(sent) => {
                    let id = &sent.message_id;
                    self.ledger_copy(a, oa_id, user.as_deref(), free, id).await;
                    Ok("sent")
                }
                Err(e) => match e.failure {
                    SendFailure::OutsideWindow | SendFailure::RecipientPermanent => Ok("skipped"),
                    SendFailure::Configuration => {
                        tracing::error!(announcement = %a.id, error = %e, "announcement refused by Zalo");
                        Ok("failed")
                    }
                    SendFailure::RateLimited { .. } | SendFailure::Transient => Err(Attempt::Retry),
                },
            }
        };
        let terms = Terms {
            lease: LEASE,
            keep_for: KEEP,
        };
        match exactly_once(&**store, &*self.desk.clock, &key, terms, work, |o| {
            Some((*o).to_string())
        })
        .await
        {
            Ok(Once::Done(outcome)) => {
                store
                    .incr(&a.tenant, &metric(a, outcome), counter_day(a), 1)
                    .await?;
                Ok(outcome)
            }
            Ok(Once::Before(_)) => Ok("already"),
            Ok(Once::Busy) | Err(Attempt::Retry) => Ok("retry"),
            Err(Attempt::Store(e)) => Err(e),
        }
    }
}
