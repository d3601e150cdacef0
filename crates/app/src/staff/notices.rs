//! Staff on the delivery ledger: a dossier's notices, the worklist of deadline-bearing notices
//! that did not reach the citizen, and the follow-up ("called the citizen", "sent an SMS"),
//! which is audited and takes the notice off the worklist.

use motcua_domain::DossierCode;
use motcua_domain::delivery::{
    Delivery, DeliveryState, FollowUp, FollowUpHow, Subject, Transition,
};
use motcua_domain::event::EventKind;
use serde::Serialize;

use super::{Principal, StaffDesk, StaffError, StaffResult};

/// Rows of the not-reached worklist per page.
pub const NOT_REACHED_PAGE: usize = 200;

/// A notice as the console shows it (the recipient's digest stays in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    pub code: String,
    pub event_id: String,
    pub kind: Option<EventKind>,
    pub channel: String,
    pub state: DeliveryState,
    /// Why it failed, for a failed notice.
    pub reason: Option<String>,
    pub history: Vec<Transition>,
    pub needs_follow_up: bool,
    pub follow_up: Option<FollowUp>,
}

/// Only dossier notices are rows: the stores list nothing else for a dossier or the worklist.
impl From<&Delivery> for NoticeRow {
    fn from(d: &Delivery) -> Self {
        let (code, event_id) = d
            .dossier()
            .map_or_else(Default::default, |(c, e)| (c.to_string(), e.to_string()));
        NoticeRow {
            code,
            event_id,
            kind: d.kind,
            channel: d.channel.clone(),
            state: d.state(),
            reason: d.history.iter().rev().find_map(|t| t.reason.clone()),
            history: d.history.clone(),
            needs_follow_up: d.needs_follow_up(),
            follow_up: d.follow_up.clone(),
        }
    }
}

fn parse_code(code: &str) -> StaffResult<DossierCode> {
    DossierCode::parse(code).map_err(|_| StaffError::Invalid("Mã hồ sơ không hợp lệ.".into()))
}

impl StaffDesk {
    /// The notices of one of the tenant's dossiers, oldest first; another tenant's dossier is
    /// not found.
    pub async fn dossier_notices(&self, p: &Principal, code: &str) -> StaffResult<Vec<NoticeRow>> {
        self.tenant(p)?;
        let code = parse_code(code)?;
        if self.store.load_dossier(&p.tenant, &code).await?.is_none() {
            return Err(StaffError::NotFound);
        }
        let all = self.store.deliveries_of(&p.tenant, &code).await?;
        Ok(all.iter().map(NoticeRow::from).collect())
    }

    /// The tenant's deadline-bearing notices that failed or expired, oldest first.
    pub async fn not_reached(&self, p: &Principal) -> StaffResult<Vec<NoticeRow>> {
        self.tenant(p)?;
        let all = self.store.not_reached(&p.tenant, NOT_REACHED_PAGE).await?;
        Ok(all.iter().map(NoticeRow::from).collect())
    }

    /// Staff reached the citizen another way; audited as `notice.follow_up`.
    pub async fn follow_up(
        &self,
        p: &Principal,
        code: &str,
        event_id: &str,
        how: FollowUpHow,
    ) -> StaffResult<NoticeRow> {
        let result = self.follow_up_inner(p, code, event_id, how).await;
        let target = format!("dossier:{code}#notice:{event_id}");
        self.audited(p, "notice.follow_up", &target, result).await
    }

    async fn follow_up_inner(
        &self,
        p: &Principal,
        code: &str,
        event_id: &str,
        how: FollowUpHow,
    ) -> StaffResult<NoticeRow> {
        self.tenant(p)?;
        let subject = Subject::Dossier {
            code: parse_code(code)?,
            event_id: event_id.to_string(),
        };
        for _ in 0..3 {
            let Some(mut d) = self.store.get_delivery(&p.tenant, &subject).await? else {
                return Err(StaffError::NotFound);
            };
            let expected = d.revision();
            let done = FollowUp {
                how,
                by: p.username.clone(),
                at: self.clock.now(),
            };
            if !d.follow_up(done) {
                return Err(StaffError::Conflict(
                    "Thông báo này đã đến được công dân hoặc đã được liên hệ lại.".into(),
                ));
            }
            if self.store.put_delivery(&d, Some(expected)).await? {
                return Ok(NoticeRow::from(&d));
            }
        }
        Err(StaffError::Conflict(
            "Thông báo vừa thay đổi, vui lòng tải lại trang.".into(),
        ))
    }
}
