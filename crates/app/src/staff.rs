//! The staff console's ticket use cases: who may see what, the ticket list and detail (personal
//! data masked until a staff member opens it), assignment, status and category, and answers sent
//! to the citizen by consultation message, with the tenant's fallback when Zalo's 7-day window
//! is closed. Every call is audited, refusals included.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use motcua_domain::catalogue::{MAX_STAFF_TEXT, Msg, ticket_answered_params};
use motcua_domain::mask::mask_digit_runs;
use motcua_domain::{AnswerFallback, Tenant, TenantId, time};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

mod answer;
mod guide;
mod notices;
mod reply;

pub use answer::{Route, answer_counters, outside_window_route};
pub use notices::{NOT_REACHED_PAGE, NoticeRow};

use crate::messenger::{Messenger, Outgoing, SendFailure};
use crate::once::{Once, Terms, exactly_once};
use crate::ports::{
    AuditEntry, Author, Clock, Store, StoreError, Ticket, TicketCategory, TicketMessage,
    TicketStatus,
};
use crate::tenancy::Tenancy;

/// Tickets read per status for a list (the console pages within it).
const LIST_LIMIT: usize = 500;

/// Audit entries shown for one day.
const AUDIT_PAGE: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Role {
    /// Sees and acts on every ticket of the tenant; assigns, announces, reads statistics and
    /// the audit trail.
    TenantAdmin,
    /// Sees and answers the tickets assigned to one agency.
    AgencyStaff { agency: String },
}

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub username: String,
    pub name: String,
    pub tenant: TenantId,
    pub role: Role,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::TenantAdmin
    }

    /// Whether this staff member may see the ticket at all.
    pub fn sees(&self, ticket: &Ticket) -> bool {
        ticket.tenant == self.tenant
            && match &self.role {
                Role::TenantAdmin => true,
                Role::AgencyStaff { agency } => ticket.agency.as_deref() == Some(agency),
            }
    }
}

/// Errors carry a Vietnamese message for the staff member; the audit trail gets the English.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// Missing, or not this staff member's (the two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// Exists but belongs to another agency or tenant: shown as `NotFound`, audited as denied.
    #[error("not visible to this staff member")]
    NotYours,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Four eyes: what one admin wrote, a second admin approves.
    #[error("forbidden: the author cannot approve their own announcement")]
    NeedsSecondAdmin,
    #[error("invalid: {0}")]
    Invalid(String),
    /// The citizen's last interaction is older than 7 days: confirm a fallback first.
    #[error("the citizen is outside Zalo's 7-day window")]
    OutsideWindow {
        last_interaction_at: Option<DateTime<Utc>>,
        fallback: AnswerFallback,
    },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl StaffError {
    /// What the console shows (Vietnamese).
    pub fn message_vi(&self) -> String {
        match self {
            StaffError::NotFound | StaffError::NotYours => {
                "Không tìm thấy (hoặc không thuộc đơn vị của bạn).".into()
            }
            StaffError::Forbidden(_) => "Tài khoản của bạn không có quyền thực hiện việc này.".into(),
            StaffError::NeedsSecondAdmin => "Thông báo cần một quản trị viên khác (không phải người soạn) duyệt và gửi.".into(),
            StaffError::Invalid(m) => m.clone(),
            StaffError::OutsideWindow { fallback, .. } => match fallback {
                AnswerFallback::Zns => "Công dân đã quá 7 ngày không nhắn tin với OA nên Zalo không cho gửi tin tư vấn. Có thể gửi tin ZNS \"đã có trả lời\" tới số điện thoại đã xác thực.".into(),
                AnswerFallback::CallCitizen => "Công dân đã quá 7 ngày không nhắn tin với OA nên Zalo không cho gửi tin tư vấn. Câu trả lời sẽ được lưu và phiếu được đánh dấu \"cần gọi điện cho công dân\".".into(),
            },
            StaffError::Conflict(m) => m.clone(),
            StaffError::Unavailable(_) => "Hệ thống tạm thời chưa xử lý được, vui lòng thử lại sau ít phút.".into(),
        }
    }

    fn outcome(&self) -> &'static str {
        match self {
            StaffError::NotFound => "not_found",
            StaffError::NotYours | StaffError::Forbidden(_) | StaffError::NeedsSecondAdmin => {
                "denied"
            }
            StaffError::Invalid(_) | StaffError::OutsideWindow { .. } | StaffError::Conflict(_) => {
                "refused"
            }
            StaffError::Unavailable(_) => "failed",
        }
    }
}

impl From<StoreError> for StaffError {
    fn from(e: StoreError) -> Self {
        StaffError::Unavailable(e.to_string())
    }
}

pub type StaffResult<T> = Result<T, StaffError>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TicketFilter {
    /// One status; the open ones (new, in progress, answered) when absent.
    pub status: Option<TicketStatus>,
    pub category: Option<TicketCategory>,
    pub agency: Option<String>,
    /// Only tickets opened at least this many hours ago.
    pub older_than_hours: Option<u32>,
    #[serde(default)]
    pub overdue_only: bool,
    /// Only questions the procedure guide answered, in any status (most are closed).
    #[serde(default)]
    pub answered_by_guide: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketSummary {
    pub number: u64,
    pub status: TicketStatus,
    pub status_vi: &'static str,
    pub category: TicketCategory,
    pub category_vi: &'static str,
    pub agency: Option<String>,
    pub agency_name: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub call_citizen: bool,
    /// Answered by the procedure guide: which procedures, and whether it was asked to staff
    /// or marked wrong.
    pub guide: Option<motcua_domain::ticket::GuideAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citizen {
    /// Masked unless revealed.
    pub user_id: String,
    pub phone: Option<String>,
    pub following: bool,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// Zalo still accepts a consultation message (last interaction within 7 days).
    pub within_window: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageView {
    pub at: DateTime<Utc>,
    /// `citizen`, `staff`, `oa_tool`, `guide`.
    pub author: &'static str,
    pub staff_name: Option<String>,
    pub text: Option<String>,
    pub attachments: Vec<crate::ports::Attachment>,
    pub delivery: Option<String>,
    /// A `zns` / `call_citizen` answer sent in the chat at the citizen's next interaction.
    pub delivered_in_chat_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketDetail {
    pub ticket: TicketSummary,
    pub citizen: Citizen,
    pub messages: Vec<MessageView>,
    /// Personal data is shown in clear (the staff member opened it; audited).
    pub revealed: bool,
    /// What the console offers when the window is closed.
    pub fallback: AnswerFallback,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerOutcome {
    /// `zalo_cs`, `zns` or `call_citizen`.
    pub delivery: String,
    pub ticket: u64,
}

pub struct StaffDesk {
    pub store: Arc<dyn Store>,
    pub tenancy: Arc<Tenancy>,
    pub messenger: Arc<dyn Messenger>,
    pub clock: Arc<dyn Clock>,
    /// The spend cap's alarms, when an answer's ZNS is what reaches them.
    pub metrics: Arc<dyn crate::metrics::Metrics>,
}

const CLAIM_LEASE: Duration = Duration::from_secs(60);
const CLAIM_KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

impl StaffDesk {
    fn tenant(&self, p: &Principal) -> StaffResult<&Tenant> {
        self.tenancy.tenant(&p.tenant).ok_or(StaffError::Forbidden(
            "the staff member's tenant is not configured",
        ))
    }

    /// Records one action. An audit write that fails fails the action: nothing happens
    /// unrecorded.
    pub async fn audit(
        &self,
        p: &Principal,
        action: &str,
        target: &str,
        outcome: &str,
        detail: Option<String>,
    ) -> StaffResult<()> {
        let at = self.clock.now();
        let entry = AuditEntry {
            tenant: p.tenant.clone(),
            at,
            actor: p.username.clone(),
            action: action.into(),
            target: target.into(),
            outcome: outcome.into(),
            detail,
        };
        let until = self.tenancy.retention(&p.tenant).audit_expires(at);
        self.store.append_audit(&entry, until).await?;
        Ok(())
    }

    /// The tenant's statistics for `from..=to` (admins only), audited as `action`.
    pub async fn statistics(
        &self,
        p: &Principal,
        from: NaiveDate,
        to: NaiveDate,
        action: &str,
    ) -> StaffResult<crate::stats::Statistics> {
        let result = async {
            if !p.is_admin() {
                return Err(StaffError::Forbidden(
                    "only a tenant admin reads statistics",
                ));
            }
            let tenant = self.tenant(p)?;
            let prices = &tenant.prices;
            Ok(crate::stats::compute(self.store.as_ref(), &p.tenant, prices, from, to).await?)
        }
        .await;
        self.audited(p, action, &format!("{from}..{to}"), result)
            .await
    }

    /// One day of the tenant's audit trail, newest first (admins only; a refusal is audited).
    pub async fn audit_trail(&self, p: &Principal, day: NaiveDate) -> StaffResult<Vec<AuditEntry>> {
        if !p.is_admin() {
            self.audit(p, "audit.view", "", "denied", None).await?;
            return Err(StaffError::Forbidden(
                "only a tenant admin reads the audit trail",
            ));
        }
        Ok(self.store.audit_entries(&p.tenant, day, AUDIT_PAGE).await?)
    }

    /// Audits the result of an action, success or refusal, and passes it on.
    pub async fn audited<T>(
        &self,
        p: &Principal,
        action: &str,
        target: &str,
        result: StaffResult<T>,
    ) -> StaffResult<T> {
        let (outcome, detail) = match &result {
            Ok(_) => ("ok", None),
            Err(e) => (e.outcome(), Some(e.to_string())),
        };
        self.audit(p, action, target, outcome, detail).await?;
        result
    }

    fn summary(&self, tenant: &Tenant, t: &Ticket, now: DateTime<Utc>) -> TicketSummary {
        TicketSummary {
            number: t.number,
            status: t.status,
            status_vi: t.status.label_vi(),
            category: t.category,
            category_vi: t.category.label_vi(),
            agency: t.agency.clone(),
            agency_name: t
                .agency
                .as_ref()
                .and_then(|a| tenant.agencies.get(a).cloned()),
            opened_at: t.opened_at,
            updated_at: t.updated_at,
            due_at: t.due_at,
            answered_at: t.answered_at,
            overdue: t.is_overdue(now),
            call_citizen: t.call_citizen,
            guide: t.guide.clone(),
        }
    }

    pub async fn list_tickets(
        &self,
        p: &Principal,
        filter: &TicketFilter,
    ) -> StaffResult<Vec<TicketSummary>> {
        let result = self.list_inner(p, filter).await;
        self.audited(p, "ticket.list", "", result).await
    }

    async fn list_inner(
        &self,
        p: &Principal,
        filter: &TicketFilter,
    ) -> StaffResult<Vec<TicketSummary>> {
        let tenant = self.tenant(p)?;
        let now = self.clock.now();
        let statuses = match filter.status {
            Some(s) => vec![s],
            None if filter.answered_by_guide => TicketStatus::ALL.to_vec(),
            None => vec![
                TicketStatus::New,
                TicketStatus::InProgress,
                TicketStatus::Answered,
            ],
        };
        let mut out = Vec::new();
        for status in statuses {
            for t in self
                .store
                .tickets_by_status(&p.tenant, status, LIST_LIMIT)
                .await?
            {
                let keep = p.sees(&t)
                    && filter.category.is_none_or(|c| c == t.category)
                    && filter
                        .agency
                        .as_ref()
                        .is_none_or(|a| t.agency.as_ref() == Some(a))
                    && filter
                        .older_than_hours
                        .is_none_or(|h| t.opened_at + chrono::Duration::hours(i64::from(h)) <= now)
                    && (!filter.overdue_only || t.is_overdue(now))
                    && (!filter.answered_by_guide || t.guide.is_some());
                if keep {
                    out.push(self.summary(tenant, &t, now));
                }
            }
        }
        // Overdue first, then by due time.
        out.sort_by_key(|t| (!t.overdue, t.due_at, t.number));
        Ok(out)
    }

    async fn save(
        &self,
        tenant: &Tenant,
        t: &mut Ticket,
        now: DateTime<Utc>,
    ) -> StaffResult<TicketSummary> {
        t.updated_at = now;
        self.store.update_ticket(t).await?;
        Ok(self.summary(tenant, t, now))
    }

    /// The citizen's verified phone, opened with the tenant's keys.
    fn open_phone(
        &self,
        p: &Principal,
        protected: &motcua_domain::Protected,
    ) -> StaffResult<motcua_domain::PhoneNumber> {
        let keys = self.tenancy.keys(&p.tenant).ok_or_else(|| {
            StaffError::Unavailable(format!("no PII keys for tenant {}", p.tenant))
        })?;
        keys.open_phone(protected)
            .map_err(|e| StaffError::Unavailable(format!("phone cannot be opened: {e}")))
    }

    /// A ticket this staff member may see, or `NotFound`.
    async fn visible(
        &self,
        p: &Principal,
        number: u64,
    ) -> StaffResult<(Ticket, Vec<TicketMessage>)> {
        match self.store.get_ticket(&p.tenant, number).await? {
            Some((t, messages)) if p.sees(&t) => Ok((t, messages)),
            Some(_) => Err(StaffError::NotYours),
            None => Err(StaffError::NotFound),
        }
    }

    pub async fn ticket(
        &self,
        p: &Principal,
        number: u64,
        reveal: bool,
    ) -> StaffResult<TicketDetail> {
        let result = self.ticket_inner(p, number, reveal).await;
        let action = if reveal {
            "ticket.reveal"
        } else {
            "ticket.view"
        };
        self.audited(p, action, &format!("ticket:{number}"), result)
            .await
    }

    async fn ticket_inner(
        &self,
        p: &Principal,
        number: u64,
        reveal: bool,
    ) -> StaffResult<TicketDetail> {
        let tenant = self.tenant(p)?;
        let (t, messages) = self.visible(p, number).await?;
        let now = self.clock.now();
        let user = self.store.get_zalo_user(&p.tenant, &t.user_id).await?;
        let phone = match user.as_ref().and_then(|u| u.phone.as_ref()) {
            None => None,
            Some(protected) => {
                let phone = self.open_phone(p, protected)?;
                Some(if reveal {
                    phone.national()
                } else {
                    phone.masked()
                })
            }
        };
        let last = user.as_ref().and_then(|u| u.last_interaction_at);
        let shown = |text: Option<String>| {
            if reveal {
                text
            } else {
                text.map(|t| mask_digit_runs(&t))
            }
        };
        Ok(TicketDetail {
            ticket: self.summary(tenant, &t, now),
            citizen: Citizen {
                user_id: if reveal {
                    t.user_id.clone()
                } else {
                    mask_digit_runs(&t.user_id)
                },
                phone,
                following: user.as_ref().is_some_and(|u| u.following),
                last_interaction_at: last,
                within_window: within_window(last, now),
            },
            messages: messages
                .into_iter()
                .map(|m| {
                    let (author, staff_name) = match m.author {
                        Author::Citizen => ("citizen", None),
                        Author::Staff { name } => ("staff", Some(name)),
                        Author::OaTool => ("oa_tool", None),
                        Author::Guide => ("guide", None),
                    };
                    MessageView {
                        at: m.at,
                        author,
                        staff_name,
                        // staff texts are the agency's own words: never masked
                        text: if author == "citizen" {
                            shown(m.text)
                        } else {
                            m.text
                        },
                        attachments: m.attachments,
                        delivery: m.delivery,
                        delivered_in_chat_at: m.delivered_in_chat_at,
                    }
                })
                .collect(),
            revealed: reveal,
            fallback: tenant.tickets.outside_window,
        })
    }

    /// Hands a ticket to an agency (tenant admins only).
    pub async fn assign(
        &self,
        p: &Principal,
        number: u64,
        agency: &str,
    ) -> StaffResult<TicketSummary> {
        let result = self.assign_inner(p, number, agency).await;
        self.audited(p, "ticket.assign", &format!("ticket:{number}"), result)
            .await
    }

    async fn assign_inner(
        &self,
        p: &Principal,
        number: u64,
        agency: &str,
    ) -> StaffResult<TicketSummary> {
        let tenant = self.tenant(p)?;
        let (mut t, _) = self.visible(p, number).await?;
        if !p.is_admin() {
            return Err(StaffError::Forbidden("only a tenant admin assigns tickets"));
        }
        if !tenant.agencies.is_empty() && !tenant.agencies.contains_key(agency) {
            return Err(StaffError::Invalid(format!(
                "Đơn vị \"{agency}\" không có trong danh sách đơn vị của tỉnh."
            )));
        }
        let now = self.clock.now();
        t.agency = Some(agency.to_string());
        if t.status == TicketStatus::New {
            t.status = TicketStatus::InProgress;
        }
        self.save(tenant, &mut t, now).await
    }

    /// Changes a ticket's status and/or category (a new category moves the due time to its
    /// own promise).
    pub async fn update(
        &self,
        p: &Principal,
        number: u64,
        status: Option<TicketStatus>,
        category: Option<TicketCategory>,
    ) -> StaffResult<TicketSummary> {
        let result = self.update_inner(p, number, status, category).await;
        let detail = format!(
            "status={} category={}",
            status.map_or("-", TicketStatus::as_str),
            category.map_or("-", TicketCategory::as_str)
        );
        let result = self
            .audited(p, "ticket.update", &format!("ticket:{number}"), result)
            .await;
        if result.is_ok() {
            tracing::info!(ticket = number, %detail, "ticket updated");
        }
        result
    }

    async fn update_inner(
        &self,
        p: &Principal,
        number: u64,
        status: Option<TicketStatus>,
        category: Option<TicketCategory>,
    ) -> StaffResult<TicketSummary> {
        let tenant = self.tenant(p)?;
        let (mut t, _) = self.visible(p, number).await?;
        let now = self.clock.now();
        if let Some(category) = category
            && category != t.category
        {
            t.category = category;
            t.due_at = t.opened_at
                + chrono::Duration::hours(i64::from(tenant.answer_hours(category.as_str())));
        }
        if let Some(status) = status {
            if status == TicketStatus::Answered && t.answered_at.is_none() {
                return Err(StaffError::Invalid(
                    "Phiếu chưa có câu trả lời nào: hãy gửi câu trả lời.".into(),
                ));
            }
            t.status = status;
        }
        self.save(tenant, &mut t, now).await
    }
}

pub fn within_window(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    motcua_domain::CsWindow::at(last, now).is_open()
}
