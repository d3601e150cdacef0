//! Staff on the procedure guide's answers: marking one wrong reopens the question for a staff
//! answer and counts in the statistics (`guide.wrong`).

use motcua_domain::ticket::TicketStatus;
use motcua_domain::time;

use super::{Principal, StaffDesk, StaffError, StaffResult, TicketSummary};

impl StaffDesk {
    pub async fn mark_guide_wrong(&self, p: &Principal, number: u64) -> StaffResult<TicketSummary> {
        let result = self.mark_guide_wrong_inner(p, number).await;
        self.audited(p, "ticket.guide_wrong", &format!("ticket:{number}"), result)
            .await
    }

    async fn mark_guide_wrong_inner(
        &self,
        p: &Principal,
        number: u64,
    ) -> StaffResult<TicketSummary> {
        let tenant = self.tenant(p)?;
        let (mut t, _) = self.visible(p, number).await?;
        let now = self.clock.now();
        let Some(guide) = t.guide.as_mut() else {
            return Err(StaffError::Invalid(
                "Phiếu này không do hướng dẫn thủ tục tự động trả lời.".into(),
            ));
        };
        if guide.marked_wrong {
            return Ok(self.summary(tenant, &t, now));
        }
        guide.marked_wrong = true;
        if t.status == TicketStatus::Closed {
            // the citizen still deserves a right answer: staff give it
            t.status = TicketStatus::New;
            t.due_at =
                now + chrono::Duration::hours(i64::from(tenant.answer_hours(t.category.as_str())));
        }
        self.store
            .incr(&p.tenant, "guide.wrong", time::to_vn(now).date_naive(), 1)
            .await?;
        self.save(tenant, &mut t, now).await
    }
}
