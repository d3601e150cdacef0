//! Status notifications: a dossier event from the one-stop system becomes the right message to
//! the right person, exactly once, on the cheapest channel that reaches them.
//!
//! Per event: claim the idempotency key (a re-delivery, a legacy re-send or a partial-batch
//! replay finds it completed and sends nothing) → apply it to the dossier (an older version only
//! adds to the timeline and sends nothing) → choose the channel and send → complete the key at
//! once, then record the decision in the timeline and the counters.
//!
//! Channels, cheapest first: (1) CS message to a linked Zalo user who interacted within 48 h
//! (free); (2) within 7 days (paid CS), or past that a ZBS template by user id where the tenant
//! registered one; (3) ZNS template to the phone; (4) for a notice that carries a deadline, the
//! tenant's brandname SMS where it enables one; (5) undeliverable, recorded for statistics and
//! the staff page. Template messages and SMS wait for the end of the tenant's quiet hours.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua_domain::catalogue;
use motcua_domain::zalo::ZaloUser;
use motcua_domain::{
    Dossier, DossierEvent, Protected, Tenant, TimelineEntry, WithoutConsent, dvcqg, time,
};

use crate::ingest::{IngestError, apply_event_with};
use crate::messenger::{Delivered, Messenger, SendError, SendFailure};
use crate::metrics::Metrics;
pub use message::tracking_id;
use message::{chat_message, notice, notice_digest};
mod decision;
mod ledger;
mod message;
mod plan;
mod receipts;
mod sms;
pub(crate) mod spend;

pub use decision::Decision;
use decision::decision_from_label;

pub use plan::{Attempt, channel_plan, with_sms};

use crate::once::{Once, Terms, exactly_once};
use crate::pii::PiiKeys;
use crate::ports::{Clock, Queue, Store, StoreError};
use crate::sms::SmsGateway;
use crate::tenancy::Tenancy;

/// A delivery receipt from Zalo (`user_received_message`, `user_seen_message`, ZNS receipts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    Delivered,
    Seen,
}

/// What to do with a queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Every event in it is done (sent, skipped as duplicate or stale, or undeliverable).
    Done(Vec<(String, Decision)>),
    /// It can never succeed: to the dead-letter queue with this reason.
    DeadLetter(String),
    /// Try again later; `after` when the wait is known (rate limit, quiet hours).
    Retry {
        after: Option<Duration>,
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct NotifierSettings {
    /// How long an in-progress claim holds before another worker may take over (a crashed
    /// worker's event is retried after this).
    pub lease: Duration,
    /// How long completed events are remembered (legacy systems re-send for days).
    pub keep_for: Duration,
    /// Longest wait asked of the queue before a retry (SQS allows a 12-hour visibility timeout).
    pub max_retry_delay: Duration,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        NotifierSettings {
            lease: Duration::from_secs(120),
            keep_for: Duration::from_secs(30 * 24 * 3600),
            max_retry_delay: Duration::from_secs(12 * 3600),
        }
    }
}

pub struct Notifier {
    pub store: Arc<dyn Store>,
    pub tenancy: Tenancy,
    pub messenger: Arc<dyn Messenger>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<dyn Metrics>,
    pub settings: NotifierSettings,
    /// The queue to the one-stop system: each notice's `notification_status` messages.
    pub outbound: Arc<dyn Queue>,
    /// The brandname SMS gateway, where a tenant enables SMS (`[tenant.sms]`); without one,
    /// an SMS attempt is recorded as impossible and the notice goes on the worklist.
    pub sms: Option<Arc<dyn SmsGateway>>,
}

/// What every channel of one notice sends from.
struct Outbound<'a> {
    oa: &'a str,
    phone: &'a Protected,
    message: &'a crate::messenger::Outgoing,
    params: &'a std::collections::BTreeMap<String, String>,
    notice: &'a catalogue::Notice,
    now: DateTime<Utc>,
}

enum Step {
    Retry(Option<Duration>, String),
    DeadLetter(String),
}

impl From<StoreError> for Step {
    fn from(e: StoreError) -> Self {
        Step::Retry(None, e.to_string())
    }
}

impl Notifier {
    /// Parses a message body: a canonical event (schema v1) or a DVCQG payload
    /// (`DongBoHoSoMC`, `CapNhatTienDoHoSoMC`). `arrival` is when the queue first took it.
    pub fn parse(&self, body: &str, arrival: DateTime<Utc>) -> Result<Vec<DossierEvent>, String> {
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("body is not JSON: {e}"))?;
        if dvcqg::is_dvcqg(&value) {
            let dir = self.tenancy.directory();
            return dvcqg::to_events(
                &value,
                |code| dir.for_code(code).map(|t| &t.notify.vendor_status_map),
                time::to_vn(arrival),
            )
            .map_err(|e| format!("DVCQG payload: {e}"));
        }
        DossierEvent::from_json(body)
            .map(|e| vec![e])
            .map_err(|e| e.to_string())
    }

    /// Processes one queue message that arrived now (tests, tools).
    pub async fn process_message(&self, body: &str) -> Disposition {
        self.process_message_sent(body, None).await
    }

    /// Processes one queue message: every event in it, each exactly once. `sent_at` is when
    /// the queue first took it (the time of a DVCQG status-1 snapshot without a date).
    pub async fn process_message_sent(
        &self,
        body: &str,
        sent_at: Option<DateTime<Utc>>,
    ) -> Disposition {
        let arrival = sent_at.unwrap_or_else(|| self.clock.now());
        let events = match self.parse(body, arrival) {
            Ok(events) => events,
            Err(reason) => return Disposition::DeadLetter(reason),
        };
        let mut done = Vec::new();
        for event in &events {
            match self.process_event(event, sent_at).await {
                Ok(decision) => done.push((event.event_id.clone(), decision)),
                Err(Step::DeadLetter(reason)) => {
                    return Disposition::DeadLetter(format!("event {}: {reason}", event.event_id));
                }
                Err(Step::Retry(after, reason)) => {
                    return Disposition::Retry {
                        after,
                        reason: format!("event {}: {reason}", event.event_id),
                    };
                }
            }
        }
        Disposition::Done(done)
    }

    /// One event, exactly once; `queued_at` is when the inbound queue took it.
    async fn process_event(
        &self,
        event: &DossierEvent,
        queued_at: Option<DateTime<Utc>>,
    ) -> Result<Decision, Step> {
        let tenant = self
            .tenancy
            .owner_of(event.tenant.as_ref(), &event.dossier.code)
            .map_err(|why| Step::DeadLetter(format!("refused: {why}")))?;
        let key = format!("notify#{}#{}", tenant.id, event.event_id);
        let now = self.clock.now();
        let terms = Terms {
            lease: self.settings.lease,
            keep_for: self.settings.keep_for,
        };
        // the key is completed before anything else: once a message is out, nothing may send it
        // again
        let work = self.apply_and_send(tenant, event, now);
        match exactly_once(&*self.store, &*self.clock, &key, terms, work, |(d, _)| {
            Some(d.label().to_string())
        })
        .await?
        {
            Once::Done((decision, version)) => {
                self.record(tenant, event, version, &decision).await;
                if decision.sent() {
                    self.delivery_time(tenant, queued_at);
                }
                Ok(decision)
            }
            Once::Before(result) => {
                tracing::info!(event_id = %event.event_id, result = ?result, "duplicate event skipped");
                let decision = decision_from_label(result.as_deref());
                self.ledger_report(tenant, event, &decision).await;
                Ok(decision)
            }
            Once::Busy => Err(Step::Retry(
                Some(self.settings.lease),
                "another worker holds this event".into(),
            )),
        }
    }

    async fn apply_and_send(
        &self,
        tenant: &Tenant,
        event: &DossierEvent,
        now: DateTime<Utc>,
    ) -> Result<(Decision, u64), Step> {
        let digest = |d: &Dossier| notice_digest(tenant, event, d);
        let outcome =
            match apply_event_with(self.store.as_ref(), &self.tenancy, event, now, &digest).await {
                Ok(o) => o,
                Err(e @ IngestError::UnknownTenant(_)) => {
                    return Err(Step::DeadLetter(e.to_string()));
                }
                Err(e @ IngestError::NotYetKnown(_)) => {
                    return Err(Step::Retry(Some(Duration::from_secs(60)), e.to_string()));
                }
                Err(e @ IngestError::Contended(_)) => return Err(Step::Retry(None, e.to_string())),
                Err(IngestError::Store(e)) => return Err(e.into()),
            };
        for w in &outcome.warnings {
            tracing::warn!(event_id = %event.event_id, code = %outcome.code, warning = %w, "event data problem");
        }
        let version = outcome.version;
        let decision = if !outcome.current || outcome.notified_before {
            Decision::Stale
        } else if outcome.quiet || !tenant.notify.kinds.contains(&event.kind) {
            Decision::NotNotified
        } else if outcome.dossier.zalo_opt_in == Some(false) {
            Decision::OptedOut
        } else if outcome.repeats_last_notice {
            Decision::Repeated
        } else {
            let keys = self
                .tenancy
                .keys(&tenant.id)
                .expect("Tenancy holds keys for every tenant");
            let mut ranked = event.clone();
            ranked.version = version;
            self.deliver(tenant, keys, &ranked, &outcome.dossier, now)
                .await?
        };
        Ok((decision, version))
    }

    /// The Zalo accounts that proved `phone`, or why nothing may reach it: the citizen
    /// withdrew (`user_withdraw`, an erasure on paper), or no consent is recorded and, by the
    /// tenant's default, only a citizen who proved the phone in the chat (asking there is the
    /// consent) hears from us, with no ZNS to a phone that never did.
    async fn audience(
        &self,
        tenant: &Tenant,
        dossier: &Dossier,
        phone: &Protected,
    ) -> Result<Result<Vec<ZaloUser>, Decision>, Step> {
        if self.store.phone_suppressed(&tenant.id, &phone.hash).await? {
            return Ok(Err(Decision::OptedOut));
        }
        let users = self
            .store
            .zalo_users_by_phone(&tenant.id, &phone.hash)
            .await?;
        let consent_unknown = dossier.zalo_opt_in.is_none()
            && tenant.notify.without_consent == WithoutConsent::LinkedOnly;
        if consent_unknown && users.is_empty() {
            return Ok(Err(Decision::NoConsent));
        }
        Ok(Ok(users))
    }

    /// The notice on the first channel that takes it, in the delivery ledger either way.
    async fn deliver(
        &self,
        tenant: &Tenant,
        keys: &PiiKeys,
        event: &DossierEvent,
        dossier: &Dossier,
        now: DateTime<Utc>,
    ) -> Result<Decision, Step> {
        let decision = self.on_channels(tenant, keys, event, dossier, now).await?;
        self.ledger_failed(tenant, event, dossier, &decision, now)
            .await;
        Ok(decision)
    }

    /// The OA, the phone to tell (the authorised representative's, when one acts) and its
    /// Zalo users, or why nobody may be told.
    async fn recipients<'d>(
        &self,
        tenant: &'d Tenant,
        dossier: &'d Dossier,
    ) -> Result<Result<(&'d str, &'d Protected, Vec<ZaloUser>), Decision>, Step> {
        let Some(oa) = tenant.oa_id.as_deref() else {
            return Ok(Err(Decision::Undeliverable("tenant has no Zalo OA".into())));
        };
        let Some(phone) = dossier.phone_to_tell() else {
            return Ok(Err(Decision::Undeliverable(
                "no phone on the dossier".into(),
            )));
        };
        Ok(self
            .audience(tenant, dossier, phone)
            .await?
            .map(|users| (oa, phone, users)))
    }

    async fn on_channels(
        &self,
        tenant: &Tenant,
        keys: &PiiKeys,
        event: &DossierEvent,
        dossier: &Dossier,
        now: DateTime<Utc>,
    ) -> Result<Decision, Step> {
        let notice = notice(event, dossier);
        let kind = event.kind.as_str();
        let (oa, phone, users) = match self.recipients(tenant, dossier).await? {
            Ok(found) => found,
            Err(decision) => return Ok(decision),
        };
        let zbs = tenant.zalo.zbs_uid_templates.get(kind).map(String::as_str);
        let zns = tenant.zalo.zns_templates.get(kind).map(String::as_str);
        let message = chat_message(event, dossier, &notice);
        let params = notice.template_params();
        let mut tried: Vec<String> = Vec::new();
        let params_ok = templates_sendable(kind, &params, &mut tried);
        let out = Outbound {
            oa,
            phone,
            message: &message,
            params: &params,
            notice: &notice,
            now,
        };
        let plan = plan::channel_plan(&users, now, zbs, zns);
        for attempt in plan::with_sms(plan, event.kind, tenant.sms.as_ref()) {
            if attempt.is_template() {
                if !params_ok && !matches!(attempt, Attempt::Sms { .. }) {
                    continue;
                }
                self.outside_quiet_hours(tenant, now)?;
            }
            let decision = attempt.decision();
            let tester = |p: &motcua_domain::PhoneNumber| keys.phone_hash(p);
            if !plan::trial_allows(tenant.trial.as_ref(), &phone.hash, tester, &attempt) {
                return Ok(Decision::Withheld(decision.label().into()));
            }
            let pending = self.pending(tenant, keys, event, dossier, phone, &attempt);
            let sent = match self
                .send_attempt(tenant, keys, event, dossier, &attempt, &out)
                .await?
            {
                Ok(sent) => sent,
                Err(skipped) => {
                    tried.push(skipped);
                    continue;
                }
            };
            match sent {
                Ok(sent) => {
                    self.log_message(oa, &sent.message_id, tenant, event, &decision)
                        .await;
                    self.ledger_accepted(pending, &sent.message_id, now).await;
                    return Ok(decision);
                }
                Err(e) => {
                    self.billing_alarm(tenant, &e);
                    fall_through(&e, &mut tried, decision.label())?
                }
            }
        }
        if zns.is_none() {
            tried.push(format!("zns: no template for {kind}"));
        }
        if tried.is_empty() {
            tried.push("no linked Zalo user".into());
        }
        Ok(Decision::Undeliverable(tried.join("; ")))
    }

    /// Sends one attempt of the plan; `Err(reason)` when it cannot go at all (the ZNS cap is
    /// reached, the stored phone does not open, no SMS gateway).
    async fn send_attempt(
        &self,
        tenant: &Tenant,
        keys: &PiiKeys,
        event: &DossierEvent,
        dossier: &Dossier,
        attempt: &Attempt<'_>,
        out: &Outbound<'_>,
    ) -> Result<Result<Result<Delivered, SendError>, String>, Step> {
        let sent = match *attempt {
            Attempt::Cs { user_id, .. } => {
                self.messenger.send_cs(out.oa, user_id, out.message).await
            }
            Attempt::ZbsUid { user_id, template } => {
                self.messenger
                    .send_template_uid(out.oa, user_id, template, out.params)
                    .await
            }
            Attempt::Zns { template } => {
                let tracking = tracking_id(event, dossier);
                let zns = spend::ZnsNotice {
                    template,
                    params: out.params,
                    tracking: &tracking,
                    now: out.now,
                };
                return self.zns_within_cap(tenant, keys, out.phone, zns).await;
            }
            Attempt::Sms { settings } => {
                let sms = sms::SmsNotice {
                    settings,
                    notice: out.notice,
                };
                return Ok(self.send_sms(tenant, keys, event, out.phone, sms).await);
            }
        };
        Ok(Ok(sent))
    }

    /// Sends a dossier's last citizen-facing notification again (an operator's action when a
    /// citizen says a message never came): the newest timeline entry of a kind the tenant
    /// notifies, rebuilt from the stored dossier (the agency's reason comes from the entry's
    /// note), through the same channel choice as the first time. Recorded in the timeline and
    /// the counters like any notification. Event-specific lists (missing papers, fee amount)
    /// are not stored and are not repeated.
    pub async fn resend_last(
        &self,
        tenant_id: &motcua_domain::TenantId,
        code: &motcua_domain::DossierCode,
    ) -> Result<(motcua_domain::EventKind, Decision), String> {
        let tenant = self
            .tenancy
            .tenant(tenant_id)
            .ok_or_else(|| format!("no tenant {tenant_id}"))?;
        let view = self
            .store
            .load_dossier(tenant_id, code)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no dossier {code} for tenant {tenant_id}"))?;
        let (kind, entry) = view
            .timeline
            .iter()
            .rev()
            .find_map(|e| {
                let kind = motcua_domain::EventKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == e.kind)?;
                tenant.notify.kinds.contains(&kind).then_some((kind, e))
            })
            .ok_or_else(|| format!("dossier {code} has no notified event in its timeline"))?;
        let d = &view.dossier;
        let event = DossierEvent {
            schema_version: 1,
            event_id: format!("resend-{}-{}", entry.event_id, self.clock.now().timestamp()),
            tenant: Some(tenant.id.clone()),
            kind,
            occurred_at: time::to_vn(self.clock.now()),
            version: d.version,
            dossier: motcua_domain::event::DossierSnapshot::of_stored(d),
            details: motcua_domain::event::EventDetails {
                reason: entry.note.clone(),
                ..Default::default()
            },
            source: motcua_domain::Source::Canonical,
        };
        if d.zalo_opt_in == Some(false) {
            return Ok((kind, Decision::OptedOut));
        }
        let keys = self
            .tenancy
            .keys(&tenant.id)
            .expect("Tenancy holds keys for every tenant");
        let decision = match self
            .deliver(tenant, keys, &event, d, self.clock.now())
            .await
        {
            Ok(decision) => decision,
            Err(Step::Retry(_, why)) => return Err(format!("not sent, try again later: {why}")),
            Err(Step::DeadLetter(why)) => return Err(why),
        };
        self.record(tenant, &event, event.version, &decision).await;
        Ok((kind, decision))
    }

    /// The delivery-time objective's data point: from the inbound queue taking the event to
    /// Zalo accepting its notice (`DeliverySeconds`; the alarm watches its hourly p95). Events
    /// that arrive in the tenant's quiet hours wait on purpose and are not measured.
    fn delivery_time(&self, tenant: &Tenant, queued_at: Option<DateTime<Utc>>) {
        let Some(queued_at) = queued_at else {
            return;
        };
        let quiet = tenant.notify.quiet_hours.as_ref();
        if quiet.is_some_and(|q| q.remaining(queued_at).is_some()) {
            return;
        }
        let took = (self.clock.now() - queued_at).num_milliseconds().max(0) as f64 / 1000.0;
        self.metrics
            .seconds("DeliverySeconds", took, &[("Tenant", tenant.id.as_str())]);
    }

    fn outside_quiet_hours(&self, tenant: &Tenant, now: DateTime<Utc>) -> Result<(), Step> {
        match tenant
            .notify
            .quiet_hours
            .as_ref()
            .and_then(|q| q.remaining(now))
        {
            Some(wait) => Err(Step::Retry(
                wait.to_std().ok(),
                "template messages wait for the end of the quiet hours".into(),
            )),
            None => Ok(()),
        }
    }

    /// Timeline entry, counters and metrics for a finished event (best effort: the event is
    /// already complete, and a failure here must not cause a second send).
    async fn record(
        &self,
        tenant: &Tenant,
        event: &DossierEvent,
        version: u64,
        decision: &Decision,
    ) {
        if matches!(decision, Decision::Stale) {
            return;
        }
        self.ledger_report(tenant, event, decision).await;
        let note = match decision {
            Decision::Undeliverable(why) => format!("undeliverable: {why}"),
            Decision::Withheld(channel) => format!("trial_withheld: would have sent {channel}"),
            d => d.label().to_string(),
        };
        let entry = TimelineEntry {
            at: self.clock.now(),
            version,
            event_id: event.event_id.clone(),
            kind: "notification".into(),
            status: event.dossier.status,
            step_label: event.dossier.step_label.clone(),
            note: Some(note),
        };
        if let Err(e) = self
            .store
            .add_timeline_entry(&tenant.id, &event.dossier.code, &entry)
            .await
        {
            tracing::warn!(event_id = %event.event_id, error = %e, "notification not added to the timeline");
        }
        let day = time::to_vn(self.clock.now()).date_naive();
        for metric in [
            format!("notify.{}", decision.label()),
            format!("notify.{}.{}", event.kind.as_str(), decision.label()),
        ] {
            if let Err(e) = self.store.incr(&tenant.id, &metric, day, 1).await {
                tracing::warn!(metric, error = %e, "counter not incremented");
            }
        }
        self.metrics.count(
            "Notification",
            1.0,
            &[
                ("Tenant", tenant.id.as_str()),
                ("Channel", decision.label()),
            ],
        );
        // A dimensionless count for the undeliverable-rate alarm (the denominator is
        // `Notification`'s dimensionless total).
        if matches!(decision, Decision::Undeliverable(_)) {
            self.metrics.count("NotificationsUndeliverable", 1.0, &[]);
        }
        tracing::info!(event_id = %event.event_id, tenant = %tenant.id, kind = event.kind.as_str(),
            decision = decision.label(), price = decision.price_class(), "notification decided");
    }
}

/// A failure on one channel: move on to the next, or retry the whole message later.
fn fall_through(e: &SendError, tried: &mut Vec<String>, channel: &str) -> Result<(), Step> {
    match e.failure {
        SendFailure::OutsideWindow
        | SendFailure::RecipientPermanent
        | SendFailure::Configuration => {
            if e.failure == SendFailure::Configuration {
                tracing::error!(channel, detail = %e.detail, "channel misconfigured; trying the next one");
            }
            tried.push(format!("{channel}: {:?}", e.failure));
            Ok(())
        }
        SendFailure::RateLimited { retry_after } => Err(Step::Retry(
            Some(retry_after),
            format!("{channel} rate limited"),
        )),
        SendFailure::Transient => Err(Step::Retry(None, format!("{channel}: {}", e.detail))),
    }
}

/// What Zalo would refuse (-1122 / -1121) is never sent: whether the template parameters pass
/// its checks; the reason joins `tried` when they do not.
fn templates_sendable(
    kind: &str,
    params: &std::collections::BTreeMap<String, String>,
    tried: &mut Vec<String>,
) -> bool {
    match catalogue::check_params(kind, params) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(kind, error = %e, "template parameters invalid; templates skipped");
            tried.push(format!("templates: {e}"));
            false
        }
    }
}
