//! Receipt codes in the chat: the status card (the full one for the owner of a verified phone,
//! see `phone.rs`); a phone number typed in chat is never searched.

use super::*;

impl Conversation {
    pub(super) async fn code_card(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        code: &DossierCode,
        body: &str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let day = time::to_vn(e.at).date_naive();
        let used = self.count_today(t, "lookup_user", user, day).await?;
        if used > self.settings.lookups_per_day {
            self.metrics
                .count("LookupRateLimited", 1.0, &[("Tenant", t.as_str())]);
            let reply = Msg::LookupRateLimited {
                retry_minutes: minutes_to_midnight(e.at),
            };
            self.send(&e.oa_id, user, Some(msg_id), text(reply.render()))
                .await?;
            return Ok("rate_limited");
        }
        self.store.incr(t, "lookup.chat", day, 1).await?;
        let id_suffix = id_suffix(body, code);
        let user_phone = self
            .store
            .get_zalo_user(t, user)
            .await?
            .and_then(|u| u.phone)
            .map(|p| p.hash);
        // Only this OA's province answers; another province's code looks unknown.
        let found = match self.tenancy.for_code(code) {
            Some(owner) if owner.id == *t => {
                let proof = Proof {
                    token: None,
                    id_suffix: id_suffix.as_deref(),
                    phone_hash: user_phone.as_deref(),
                };
                lookup(
                    self.store.as_ref(),
                    &self.tenancy,
                    |_| None,
                    code,
                    proof,
                    self.clock.now(),
                )
                .await?
            }
            _ => None,
        };
        let Some(view) = found else {
            let missed = self.count_today(t, "lookup_miss_user", user, day).await?;
            if missed >= self.settings.misses_for_scan_alarm {
                self.metrics
                    .count("LookupScanSuspected", 1.0, &[("Tenant", t.as_str())]);
                tracing::warn!(tenant = %t, misses = missed, "a Zalo user keeps asking for codes that do not exist");
            }
            let reply = Msg::DossierNotFound {
                code: code.to_string(),
            };
            self.send(&e.oa_id, user, Some(msg_id), text(reply.render()))
                .await?;
            return Ok("lookup_miss");
        };
        if view.id_suffix_locked {
            self.metrics
                .count("LookupIdDigitsLocked", 1.0, &[("Tenant", t.as_str())]);
        }
        self.send(&e.oa_id, user, Some(msg_id), text(card(view).render()))
            .await?;
        Ok("lookup")
    }

    /// Adds one to the user's counter `metric` for the day and returns the day's total. The
    /// counter is named by a keyed digest of the user id (`PiiKeys::user_tag`), never the id.
    pub(super) async fn count_today(
        &self,
        tenant: &TenantId,
        metric: &str,
        user: &str,
        day: chrono::NaiveDate,
    ) -> Result<i64, ConversationError> {
        let keys = self.keys(tenant);
        let metric = format!("{metric}.{}", keys.user_tag(user));
        let metric = metric.as_str();
        let until = self.tenancy.retention(tenant).subject_counter_expires(day);
        self.store
            .incr_day_until(tenant, metric, day, 1, until)
            .await?;
        let today = self.store.daily(tenant, metric, day, day).await?;
        Ok(today.first().map_or(0, |d| d.1))
    }

    /// The dossier, if the user's verified phone is its applicant's or representative's.
    pub(super) async fn owned(
        &self,
        t: &TenantId,
        user: &str,
        raw: &str,
    ) -> Result<Option<motcua_domain::DossierView>, ConversationError> {
        let Ok(code) = DossierCode::parse(raw) else {
            return Ok(None);
        };
        let Some(hash) = self
            .store
            .get_zalo_user(t, user)
            .await?
            .and_then(|u| u.phone)
            .map(|p| p.hash)
        else {
            return Ok(None);
        };
        let Some(view) = self.store.load_dossier(t, &code).await? else {
            return Ok(None);
        };
        let d = &view.dossier;
        let mine = [&d.applicant_phone, &d.representative_phone]
            .into_iter()
            .flatten()
            .any(|p| p.hash == hash);
        Ok(mine.then_some(view))
    }
}

fn minutes_to_midnight(at: DateTime<Utc>) -> u32 {
    use chrono::Timelike;
    let local = time::to_vn(at);
    (24 * 60 - (local.hour() * 60 + local.minute())).max(1)
}

/// The status card: the short card, or the full one for the owner or with the ID digits.
fn card(view: crate::lookup::CitizenView) -> Msg {
    let s = &view.status;
    let short = Msg::StatusShort {
        code: s.code.clone(),
        status: s.status,
        step: s.step_label.clone(),
        received: s.received_at.map(time::vn_date),
        due: s.due_at.map(time::vn_date),
        overdue: s.overdue,
        late: s.late,
    };
    match view.card {
        Some(card) => Msg::StatusFull {
            short: Box::new(short),
            applicant: card.applicant,
            procedure: card.procedure,
            steps: card
                .timeline
                .iter()
                .rev()
                .take(5)
                .rev()
                .map(|i| format!("{} {}", time::vn_date(i.at), i.label))
                .collect(),
        },
        None if view.id_suffix_locked => Msg::IdDigitsLocked {
            short: Box::new(short),
        },
        None => short,
    }
}

/// The second factor typed with the code: four digits in the message other than the code's own.
fn id_suffix(body: &str, code: &DossierCode) -> Option<String> {
    body.replace(code.as_str(), " ")
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 4)
        .map(str::to_string)
}
