//! The staff answer's policy, pure: where an answer goes when Zalo's CS window is closed, and
//! which counters an answer moves. The desk does the I/O around it.

use chrono::{DateTime, Utc};
use motcua_domain::{AnswerFallback, Tenant};

use super::{StaffError, StaffResult};
use crate::Ticket;
use motcua_domain::ticket::answer_bucket;

/// Where an answer goes when a consultation message cannot reach the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// Record the answer and flag the ticket for a phone call.
    CallCitizen,
    /// The tenant's "answer ready" ZNS template to the citizen's verified phone.
    Zns { template: &'a str },
}

/// `confirmed` is the fallback the staff member confirmed (`None`: not yet, so they are told
/// the window is closed and which fallback the tenant uses). A ZNS fallback needs the tenant
/// to use it, the `ticket_answered` template, and a phone the citizen shared.
pub fn outside_window_route(
    confirmed: Option<AnswerFallback>,
    tenant: &Tenant,
    last_interaction_at: Option<DateTime<Utc>>,
    phone_shared: bool,
) -> StaffResult<Route<'_>> {
    match confirmed {
        None => Err(StaffError::OutsideWindow {
            last_interaction_at,
            fallback: tenant.tickets.outside_window,
        }),
        Some(AnswerFallback::CallCitizen) => Ok(Route::CallCitizen),
        Some(AnswerFallback::Zns) => {
            if tenant.tickets.outside_window != AnswerFallback::Zns {
                return Err(StaffError::Invalid(
                    "Tỉnh chưa cấu hình gửi ZNS cho câu trả lời: hãy chọn gọi điện cho công dân."
                        .into(),
                ));
            }
            let template = tenant.zalo.zns_templates.get("ticket_answered").ok_or_else(|| {
                StaffError::Invalid(
                    "Chưa khai báo mẫu ZNS \"ticket_answered\" cho tỉnh: hãy chọn gọi điện cho công dân."
                        .into(),
                )
            })?;
            if !phone_shared {
                return Err(StaffError::Invalid(
                    "Công dân chưa chia sẻ số điện thoại: hãy chọn gọi điện hoặc chờ công dân nhắn lại."
                        .into(),
                ));
            }
            Ok(Route::Zns { template })
        }
    }
}

/// The counters an answer moves: its delivery always; on the ticket's first answer also the
/// answer time (total, bucket) and whether it came after the promised time.
pub fn answer_counters(ticket: &Ticket, delivery: &str, now: DateTime<Utc>) -> Vec<(String, i64)> {
    let mut counters = vec![(format!("tickets.answer.{delivery}"), 1)];
    if ticket.answered_at.is_none() {
        let minutes = (now - ticket.opened_at).num_minutes().max(0);
        counters.push(("tickets.answered".into(), 1));
        counters.push(("tickets.answer_minutes".into(), minutes));
        counters.push((format!("tickets.answer_le_{}h", answer_bucket(minutes)), 1));
        if now > ticket.due_at {
            counters.push(("tickets.answered_late".into(), 1));
        }
    }
    counters
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use motcua_domain::TenantId;

    use super::*;
    use crate::{TicketCategory, TicketStatus};

    fn now() -> DateTime<Utc> {
        "2026-11-24T03:00:00Z".parse().unwrap()
    }

    fn tenant(fallback: AnswerFallback, template: bool) -> Tenant {
        let mut toml = format!(
            "[[tenant]]\nid = \"tuyen-quang\"\nname = \"Tuyên Quang\"\nagency_codes = [\"H60\"]\n[tenant.tickets]\noutside_window = \"{}\"\n",
            match fallback {
                AnswerFallback::Zns => "zns",
                AnswerFallback::CallCitizen => "call_citizen",
            }
        );
        if template {
            toml.push_str("[tenant.zalo]\nzns_templates = { ticket_answered = \"400001\" }\n");
        }
        crate::TenantFile::parse(&toml).unwrap().tenant.remove(0)
    }

    fn ticket(answered: bool) -> Ticket {
        Ticket {
            tenant: TenantId::parse("tuyen-quang").unwrap(),
            number: 7,
            user_id: "u".into(),
            category: TicketCategory::Question,
            status: TicketStatus::New,
            agency: None,
            opened_at: now() - Duration::hours(30),
            updated_at: now(),
            due_at: now() - Duration::hours(6),
            answered_at: answered.then(|| now() - Duration::hours(1)),
            call_citizen: false,
            guide: None,
        }
    }

    #[test]
    fn without_a_confirmed_fallback_the_staff_member_is_told_which_one_applies() {
        let t = tenant(AnswerFallback::Zns, true);
        let err = outside_window_route(None, &t, None, true).unwrap_err();
        assert!(matches!(
            err,
            StaffError::OutsideWindow {
                fallback: AnswerFallback::Zns,
                ..
            }
        ));
    }

    #[test]
    fn zns_needs_the_policy_the_template_and_a_shared_phone() {
        let zns = Some(AnswerFallback::Zns);
        let ok = tenant(AnswerFallback::Zns, true);
        assert_eq!(
            outside_window_route(zns, &ok, None, true).unwrap(),
            Route::Zns { template: "400001" }
        );
        for (t, phone, says) in [
            (
                tenant(AnswerFallback::CallCitizen, true),
                true,
                "chưa cấu hình",
            ),
            (tenant(AnswerFallback::Zns, false), true, "ticket_answered"),
            (tenant(AnswerFallback::Zns, true), false, "số điện thoại"),
        ] {
            let err = outside_window_route(zns, &t, None, phone).unwrap_err();
            assert!(
                matches!(&err, StaffError::Invalid(m) if m.contains(says)),
                "{err:?}"
            );
        }
        let call = outside_window_route(Some(AnswerFallback::CallCitizen), &ok, None, false);
        assert_eq!(call.unwrap(), Route::CallCitizen);
    }

    #[test]
    fn the_first_answer_counts_its_time_and_lateness_later_ones_only_the_delivery() {
        let first = answer_counters(&ticket(false), "zalo_cs", now());
        let names: Vec<_> = first.iter().map(|(m, n)| (m.as_str(), *n)).collect();
        assert_eq!(
            names,
            [
                ("tickets.answer.zalo_cs", 1),
                ("tickets.answered", 1),
                ("tickets.answer_minutes", 30 * 60),
                ("tickets.answer_le_48h", 1),
                ("tickets.answered_late", 1),
            ]
        );
        let again = answer_counters(&ticket(true), "zns", now());
        assert_eq!(again, [("tickets.answer.zns".to_string(), 1)]);
    }
}
