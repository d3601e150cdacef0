//! Citizen questions and complaints (phiếu hỏi đáp, phản ánh, góp ý) and their pure rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::TenantId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// mới
    New,
    /// đang xử lý
    InProgress,
    /// đã trả lời
    Answered,
    /// đã đóng
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 4] = [Self::New, Self::InProgress, Self::Answered, Self::Closed];

    /// The Vietnamese name staff see.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::New => "Mới",
            Self::InProgress => "Đang xử lý",
            Self::Answered => "Đã trả lời",
            Self::Closed => "Đã đóng",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::InProgress => "in_progress",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketCategory {
    /// hỏi đáp
    Question,
    /// phản ánh
    Complaint,
    /// góp ý
    Suggestion,
}

impl TicketCategory {
    pub const ALL: [TicketCategory; 3] = [Self::Question, Self::Complaint, Self::Suggestion];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Complaint => "complaint",
            Self::Suggestion => "suggestion",
        }
    }

    /// The Vietnamese name staff and citizens see.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Question => "Hỏi đáp",
            Self::Complaint => "Phản ánh",
            Self::Suggestion => "Góp ý",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub tenant: TenantId,
    /// Per-tenant sequence, shown to the citizen.
    pub number: u64,
    pub user_id: String,
    pub category: TicketCategory,
    pub status: TicketStatus,
    pub agency: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The first staff answer.
    #[serde(default)]
    pub answered_at: Option<DateTime<Utc>>,
    /// The answer could not reach the citizen by Zalo: staff must phone them.
    #[serde(default)]
    pub call_citizen: bool,
    /// Answered by the procedure guide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide: Option<GuideAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Author {
    Citizen,
    Staff {
        name: String,
    },
    /// Typed in Zalo's own OA tool (an `oa_send_*` echo).
    OaTool,
    /// The procedure guide's automatic answer.
    Guide,
}

/// A question the procedure guide answered: which procedures, from which catalogue version,
/// and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideAnswer {
    /// Procedure codes, best first.
    pub procedures: Vec<String>,
    pub catalogue_version: String,
    /// The citizen pressed "Hỏi cán bộ": staff answer it like any ticket.
    #[serde(default)]
    pub asked_staff: bool,
    /// A staff member marked the answer wrong (counted in the statistics).
    #[serde(default)]
    pub marked_wrong: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `image`, `file`, `location`, `sticker`…
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketMessage {
    /// Unique within the ticket (Zalo `msg_id` or a generated id).
    pub message_id: String,
    pub at: DateTime<Utc>,
    pub author: Author,
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    /// How a staff answer reached the citizen (`zalo_cs`, `zns`, `call_citizen`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
    /// When an answer that first went by `zns` or `call_citizen` was sent in the chat, at the
    /// citizen's next interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_in_chat_at: Option<DateTime<Utc>>,
}

/// A staff answer that did not reach the citizen in the chat (Zalo's 7-day window was closed):
/// it goes by consultation message at their next interaction, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAnswer {
    pub number: u64,
    /// The answer's message in the ticket, and when it was written (its key).
    pub message_id: String,
    pub at: DateTime<Utc>,
}

/// What is needed to open a ticket; the store assigns the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub tenant: TenantId,
    pub user_id: String,
    pub category: TicketCategory,
    pub agency: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

impl Ticket {
    /// A ticket just opened with the number the store assigned.
    pub fn opened(new: &NewTicket, number: u64) -> Ticket {
        Ticket {
            tenant: new.tenant.clone(),
            number,
            user_id: new.user_id.clone(),
            category: new.category,
            status: TicketStatus::New,
            agency: new.agency.clone(),
            opened_at: new.opened_at,
            updated_at: new.opened_at,
            due_at: new.due_at,
            answered_at: None,
            call_citizen: false,
            guide: None,
        }
    }
}

impl Ticket {
    /// Not answered, not closed, and past its due time.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.answered_at.is_none() && self.status != TicketStatus::Closed && self.due_at < now
    }
}

/// Answer-time buckets (upper bounds in hours) kept as counters for the median.
pub const ANSWER_BUCKETS: [u32; 10] = [1, 2, 4, 8, 12, 24, 48, 72, 120, 168];

/// The bucket (upper bound in hours, 0 = over a week) an answer time falls in.
pub fn answer_bucket(minutes: i64) -> u32 {
    ANSWER_BUCKETS
        .iter()
        .copied()
        .find(|h| minutes <= i64::from(*h) * 60)
        .unwrap_or(0)
}

/// A first guess at a ticket's category from the citizen's own words; staff correct it.
pub fn classify(text: &str) -> TicketCategory {
    let lower: String = text.nfc().collect::<String>().to_lowercase();
    if [
        "phản ánh",
        "khiếu nại",
        "tố cáo",
        "bức xúc",
        "chậm trễ",
        "gây khó khăn",
        "nhũng nhiễu",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        TicketCategory::Complaint
    } else if ["góp ý", "đề xuất", "kiến nghị", "đề nghị cải tiến"]
        .iter()
        .any(|w| lower.contains(w))
    {
        TicketCategory::Suggestion
    } else {
        TicketCategory::Question
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_the_citizens_words() {
        assert_eq!(
            classify("Tôi muốn phản ánh việc trả kết quả chậm"),
            TicketCategory::Complaint
        );
        assert_eq!(classify("KHIẾU NẠI về lệ phí"), TicketCategory::Complaint);
        // decomposed input is normalised first
        assert_eq!(
            classify("Go\u{301}p y\u{301} về giờ làm việc"),
            TicketCategory::Suggestion
        );
        assert_eq!(
            classify("Hồ sơ đất đai cần giấy tờ gì?"),
            TicketCategory::Question
        );
        assert_eq!(classify(""), TicketCategory::Question);
    }

    #[test]
    fn answer_times_fall_in_their_bucket() {
        assert_eq!(answer_bucket(0), 1);
        assert_eq!(answer_bucket(60), 1);
        assert_eq!(answer_bucket(61), 2);
        assert_eq!(answer_bucket(5 * 60), 8);
        assert_eq!(answer_bucket(168 * 60), 168);
        assert_eq!(answer_bucket(168 * 60 + 1), 0);
    }
}
