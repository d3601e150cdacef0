//! Every text a citizen reads, in one place: Vietnamese with full diacritics, NFC, at most
//! 2,000 characters (Zalo's limit for a text message). Review this file as a whole.

use unicode_normalization::UnicodeNormalization;

use std::collections::BTreeMap;

use crate::event::EventKind;
use crate::status::NationalStatus;

pub mod sms;
mod staff;
mod templates;
pub mod version;
pub use staff::canary_text;
pub use templates::{
    OTP, PHONE_RELINKED, TICKET_ANSWERED, TemplateParam, check_params, complete_params, otp_params,
    phone_relinked_params, template_parameters, ticket_answered_params,
};

/// Zalo's limit for one text message, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// A message to a citizen, with its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// The text had no receipt code in any form we accept.
    NoCodeFound,
    /// Unknown code and a code the asker may not see answer the same.
    DossierNotFound {
        code: String,
    },
    /// A code-only lookup: status and dates, nothing personal.
    StatusShort {
        code: String,
        status: NationalStatus,
        step: Option<String>,
        received: Option<String>,
        due: Option<String>,
        /// Past the appointment date now.
        overdue: bool,
        /// Late now or before (finished late, or re-appointed).
        late: bool,
    },
    /// The full card, for the verified owner or with the ID digits: the short status plus
    /// (masked) applicant, procedure and the latest steps.
    StatusFull {
        short: Box<Msg>,
        applicant: String,
        procedure: String,
        steps: Vec<String>,
    },
    /// The short card, and why the ID digits given with the code were not checked: too many
    /// wrong ones today for this dossier.
    IdDigitsLocked {
        short: Box<Msg>,
    },
    /// A one-time code went by ZNS to the shared phone (its last three digits shown).
    OtpSent {
        phone_tail: String,
    },
    /// A wrong one-time code; some tries are left.
    OtpWrong {
        tries_left: u8,
    },
    /// The code expired or was mistyped too often: the claim is dropped.
    OtpFailed,
    /// The day's codes for this user are used up.
    OtpDailyLimit,
    /// No one-time code can go to the shared phone (no OTP template, or ZNS refused the
    /// number): the receipt code is the proof asked for.
    ReceiptCodeAsked {
        phone_tail: String,
    },
    /// A phone number typed in chat is never searched.
    PhoneTypedInChat,
    /// Too many lookups in a short time.
    LookupRateLimited {
        retry_minutes: u32,
    },
    /// Something on our side failed; nothing the citizen did wrong.
    TemporaryFailure,
    /// A proactive message about the citizen's dossier.
    Notice(Notice),
    /// First message after `follow`, with the four menu buttons.
    Welcome {
        province: String,
    },
    /// How to use the OA.
    Guide,
    /// After the "Tra cứu hồ sơ" button.
    AskForCode,
    /// After the "Gửi câu hỏi/phản ánh" button.
    AskForQuestion,
    /// "Hồ sơ của tôi": one page of the verified citizen's dossiers.
    MyDossiers {
        lines: Vec<MyDossierLine>,
        page: usize,
        pages: usize,
        total: usize,
    },
    /// "Hồ sơ của tôi" for a verified citizen without a dossier in the last 12 months.
    MyDossiersNone,
    /// "Hồ sơ của tôi" before the phone is verified: the share card follows.
    MyDossiersUnverified,
    /// The citizen's verified phone is linked; their open dossiers (already masked).
    Linked {
        dossiers: Vec<String>,
    },
    /// The shared phone is not a Vietnamese mobile number.
    SharedPhoneUnusable,
    /// A question or complaint was received; outside office hours, when staff next read
    /// (`07:30 thứ Hai, 07/12/2026`).
    TicketOpened {
        number: u64,
        hours: u32,
        reads_at: Option<String>,
    },
    /// "Hỗ trợ": the hotline and office hours when the tenant gives them, then the guide.
    Support {
        hotline: Option<String>,
        hours: Option<String>,
    },
    /// A delivery choice was recorded.
    DeliveryChosen {
        code: String,
        postal: bool,
    },
    /// Only the applicant (verified phone) may choose how to receive the result.
    DeliveryNotAllowed,
    RatingThanks,
    /// `user_withdraw`: everything about this user is erased.
    DataErased,
    /// The procedure guide's answer to a question (recorded as ticket `number`, closed unless
    /// the citizen asks staff).
    GuideAnswer {
        number: u64,
        entries: Vec<GuideEntry>,
    },
    /// A staff member's answer to a question or complaint.
    TicketAnswer {
        number: u64,
        agency: Option<String>,
        text: String,
    },
    /// An announcement sent by consultation message.
    Announcement {
        title: String,
        body: String,
    },
}

/// Longest answer or announcement body staff may write (the rest of Zalo's 2,000 characters is
/// the heading).
pub const MAX_STAFF_TEXT: usize = 1_800;
/// Longest announcement title.
pub const MAX_TITLE: usize = 100;

/// Title of the link button under an announcement.
pub const ANNOUNCEMENT_LINK_TITLE: &str = "Xem chi tiết";

/// The payload of "Hồ sơ của tôi"; `#ho_so_cua_toi:<page>` for the next pages.
pub const MY_DOSSIERS: &str = "#ho_so_cua_toi";
/// Title of the button to the next page of "Hồ sơ của tôi".
pub const MY_DOSSIERS_NEXT: &str = "Trang sau";

/// One dossier in "Hồ sơ của tôi" (only what its verified owner may read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyDossierLine {
    pub code: String,
    pub procedure: String,
    /// The national status in Vietnamese, or the late label.
    pub status: String,
    pub step: Option<String>,
    /// `15/02/2023`
    pub due: Option<String>,
}

impl MyDossierLine {
    fn render(&self, n: usize) -> String {
        let clip = |s: &str, max: usize| -> String {
            if s.chars().count() <= max {
                return s.to_string();
            }
            let mut out: String = s.chars().take(max - 1).collect();
            out.push('…');
            out
        };
        let mut line = format!(
            "{n}. {}\n{} – {}",
            self.code,
            clip(&self.procedure, 120),
            self.status
        );
        if let Some(step) = &self.step {
            line.push_str(&format!(" ({})", clip(step, 60)));
        }
        if let Some(due) = &self.due {
            line.push_str(&format!(", hẹn trả {due}"));
        }
        line
    }
}

/// The five menu buttons of the welcome message: (title, payload).
pub const MENU: [(&str, &str); 5] = [
    ("Tra cứu hồ sơ", "#tra_cuu"),
    ("Hồ sơ của tôi", MY_DOSSIERS),
    ("Nhận thông báo hồ sơ", "#nhan_thong_bao"),
    ("Gửi câu hỏi/phản ánh", "#hoi_dap"),
    ("Hỗ trợ", SUPPORT),
];

/// The payload of "Hỗ trợ" (the guide, the hotline and office hours). `#huong_dan`, the
/// button of earlier welcome messages, answers the same.
pub const SUPPORT: &str = "#ho_tro";
/// Under a guide answer: the citizen wants staff to answer instead (`#hoi_can_bo:{ticket}`).
pub const GUIDE_ASK_STAFF: &str = "Hỏi cán bộ";
pub const GUIDE_ASK_STAFF_PREFIX: &str = "#hoi_can_bo:";
/// Under a guide answer: the best procedure's page on the province's public-service portal.
pub const GUIDE_ONLINE: &str = "Nộp hồ sơ trực tuyến";
/// Title of the call button under "Hỗ trợ".
pub const SUPPORT_CALL: &str = "Gọi tổng đài";

/// `request_user_info` card: title ≤ 100, subtitle ≤ 500 characters.
pub const SHARE_INFO_TITLE: &str = "Nhận thông báo hồ sơ qua Zalo";
pub const SHARE_INFO_SUBTITLE: &str = "Chia sẻ số điện thoại Zalo đã xác thực để nhận tin nhắn khi hồ sơ của ông/bà được tiếp nhận, cần bổ sung hoặc có kết quả. Số điện thoại chỉ dùng để gửi thông báo hồ sơ.";

/// What a proactive dossier message says. Only what the verified recipient may read: the code,
/// the procedure name, status, dates, and the agency's reason; the name is never repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: EventKind,
    pub code: String,
    pub procedure: String,
    pub status: NationalStatus,
    pub step: Option<String>,
    /// The unit handling the step.
    pub unit: Option<String>,
    /// `15/02/2023`
    pub due: Option<String>,
    pub new_due: Option<String>,
    pub reason: Option<String>,
    pub missing_papers: Vec<String>,
    /// VND.
    pub fee_amount: Option<u64>,
}

/// The version of a notice's wording: a digest of its text rendered with placeholders in
/// every field (the template's source, as the catalogue holds it). It changes exactly when
/// the catalogue's words for `kind` change, so the delivery ledger can say which text went out.
pub fn text_version(kind: EventKind) -> String {
    use sha2::{Digest, Sha256};
    let placeholder = |name: &str| format!("{{{name}}}");
    let source = Notice {
        kind,
        code: placeholder("code"),
        procedure: placeholder("procedure"),
        status: NationalStatus::Processing,
        step: Some(placeholder("step")),
        unit: Some(placeholder("unit")),
        due: Some(placeholder("due")),
        new_due: Some(placeholder("new_due")),
        reason: Some(placeholder("reason")),
        missing_papers: vec![placeholder("missing_papers")],
        fee_amount: Some(0),
    };
    let mut h = Sha256::new();
    h.update(source.render().as_bytes());
    for (label, action) in source.buttons() {
        h.update([0]);
        h.update(label.as_bytes());
        h.update([0]);
        h.update(action.as_bytes());
    }
    hex::encode(&h.finalize()[..6])
}

/// How a timeline entry reads to a citizen; `None` for internal entries (notifications sent,
/// receipts, staff flags).
pub fn timeline_label(kind: &str, step: Option<&str>) -> Option<String> {
    let label = match kind {
        "submitted" => "Nộp hồ sơ trực tuyến",
        "received" => "Tiếp nhận hồ sơ",
        "step_changed" => {
            return Some(format!(
                "Đang giải quyết: {}",
                step.unwrap_or("xử lý hồ sơ")
            ));
        }
        "supplement_requested" => "Yêu cầu bổ sung, hoàn thiện hồ sơ",
        "fee_requested" => "Yêu cầu thực hiện nghĩa vụ tài chính",
        "rejected" => "Không tiếp nhận hồ sơ",
        "withdrawn" => "Rút hồ sơ theo đề nghị",
        "processing_stopped" => "Dừng xử lý",
        "overdue_apology" => "Xin lỗi và hẹn lại ngày trả kết quả",
        "result_ready" => "Có kết quả giải quyết",
        "result_returned" => "Đã trả kết quả",
        _ => return None,
    };
    Some(label.to_string())
}

/// How the result is returned, as a citizen reads it.
pub fn delivery_label(method: crate::dossier::DeliveryMethod) -> &'static str {
    match method {
        crate::dossier::DeliveryMethod::Counter => "Nhận tại Bộ phận Một cửa",
        crate::dossier::DeliveryMethod::Postal => "Qua bưu chính công ích",
        crate::dossier::DeliveryMethod::Online => "Trực tuyến",
    }
}

/// The document that goes with a notice of this kind, and its button title.
pub fn document_for(kind: EventKind) -> Option<(crate::dossier::DocumentKind, &'static str)> {
    use crate::dossier::DocumentKind::*;
    match kind {
        EventKind::Received => Some((ReceiptSlip, "Xem giấy tiếp nhận")),
        EventKind::SupplementRequested => Some((SupplementForm, "Xem phiếu yêu cầu bổ sung")),
        EventKind::OverdueApology => Some((ApologySlip, "Xem phiếu xin lỗi")),
        // The returned notice's five rating buttons fill Zalo's limit: the result's link went
        // with the result-ready notice.
        EventKind::ResultReady => Some((Result, "Xem kết quả")),
        _ => None,
    }
}

/// Why ID digits were not checked (chat and lookup page): too many wrong ones today.
pub const ID_DIGITS_LOCKED: &str = "Hồ sơ này đã bị nhập sai 4 số cuối CCCD nhiều lần trong \
    hôm nay, nên tạm thời không xem được đầy đủ bằng 4 số CCCD đến hết ngày.";

/// How the receipt code proves a phone, told with the one-time code.
pub const RECEIPT_CODE_HINT: &str = "Ông/bà cũng có thể nhập mã liên kết 8 chữ số hiển thị trên \
    trang tra cứu khi quét mã QR trên Giấy tiếp nhận hồ sơ.";

/// The lookup page opened from the receipt's QR, above the receipt code.
pub const RECEIPT_CODE_ON_PAGE: &str = "Nhận thông báo hồ sơ này qua Zalo: trong Zalo OA, chọn \
    \"Nhận thông báo hồ sơ\", chia sẻ số điện thoại ghi trên hồ sơ, rồi nhập mã liên kết dưới \
    đây (dùng được đến hết ngày mai):";

/// Button payloads the result-ready message carries; the webhook recognises them.
pub const DELIVERY_POSTAL_PREFIX: &str = "#nhan_kq:buu_chinh:";
pub const DELIVERY_COUNTER_PREFIX: &str = "#nhan_kq:mot_cua:";
/// Rating buttons after the result is returned: `#danh_gia:<code>:<1-5>`.
pub const RATING_PREFIX: &str = "#danh_gia:";

/// How a late dossier's state reads ("Hoàn thành trễ hạn" once finished, "Đang trễ hạn" before).
pub fn late_label(status: NationalStatus) -> &'static str {
    match status {
        NationalStatus::Completed | NationalStatus::Returned => "Hoàn thành trễ hạn",
        _ => "Đang trễ hạn",
    }
}

/// `1250000` → `1.250.000`
pub fn vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

impl Notice {
    fn render(&self) -> String {
        let code = &self.code;
        let due = self
            .due
            .as_ref()
            .map(|d| format!(" Ngày hẹn trả kết quả: {d}."))
            .unwrap_or_default();
        let reason = self
            .reason
            .as_ref()
            .map(|r| format!(" Lý do: {r}."))
            .unwrap_or_default();
        let head = format!("Hồ sơ {code} ({})", self.procedure);
        match self.kind {
            EventKind::Submitted => format!(
                "{head} đã được nộp trực tuyến và đang chờ Bộ phận Một cửa tiếp nhận. Ông/bà sẽ nhận thông báo khi hồ sơ được tiếp nhận."
            ),
            EventKind::Received => format!(
                "{head} đã được tiếp nhận.{due} Để xem tiến độ, gửi mã hồ sơ vào cuộc trò chuyện này."
            ),
            EventKind::StepChanged => {
                let step = self.step.as_deref().unwrap_or(self.status.name_vi());
                let unit = self
                    .unit
                    .as_ref()
                    .map(|u| format!(" tại {u}"))
                    .unwrap_or_default();
                format!("{head} đang được giải quyết, bước hiện tại: {step}{unit}.{due}")
            }
            EventKind::SupplementRequested => {
                let papers = if self.missing_papers.is_empty() {
                    String::new()
                } else {
                    format!(" Giấy tờ cần bổ sung: {}.", self.missing_papers.join("; "))
                };
                format!(
                    "{head} cần bổ sung, hoàn thiện.{papers}{reason} Ông/bà vui lòng bổ sung để hồ sơ được tiếp tục giải quyết."
                )
            }
            EventKind::FeeRequested => {
                let fee = self
                    .fee_amount
                    .map(|a| format!(" Số tiền: {} đồng.", vnd(a)))
                    .unwrap_or_default();
                format!("{head}: đề nghị ông/bà thực hiện nghĩa vụ tài chính.{fee}")
            }
            EventKind::Rejected => format!("{head} không được tiếp nhận.{reason}"),
            EventKind::Withdrawn => {
                format!("{head} đã được rút theo đề nghị của ông/bà.")
            }
            EventKind::ProcessingStopped => format!("{head} đã dừng xử lý.{reason}"),
            EventKind::OverdueApology => {
                let new_due = self
                    .new_due
                    .as_ref()
                    .map(|d| format!(" Ngày hẹn trả kết quả mới: {d}."))
                    .unwrap_or_default();
                format!(
                    "Cơ quan giải quyết thành thật xin lỗi ông/bà: {head} chưa có kết quả đúng hẹn.{reason}{new_due}"
                )
            }
            EventKind::ResultReady => format!(
                "{head} đã có kết quả. Ông/bà chọn cách nhận kết quả: qua bưu chính công ích (phát tận nơi) hoặc trực tiếp tại Bộ phận Một cửa."
            ),
            EventKind::ResultReturned => format!(
                "{head} đã được trả kết quả. Cảm ơn ông/bà đã sử dụng dịch vụ công. Mời ông/bà đánh giá mức độ hài lòng (1 = rất không hài lòng, 5 = rất hài lòng)."
            ),
        }
    }

    /// Buttons that go with the message: the delivery choice when the result is ready.
    pub fn buttons(&self) -> Vec<(String, String)> {
        match self.kind {
            EventKind::ResultReady => vec![
                (
                    "Nhận qua bưu chính".to_string(),
                    format!("{DELIVERY_POSTAL_PREFIX}{}", self.code),
                ),
                (
                    "Nhận tại Một cửa".to_string(),
                    format!("{DELIVERY_COUNTER_PREFIX}{}", self.code),
                ),
            ],
            EventKind::ResultReturned => (1..=5)
                .map(|n| {
                    (
                        format!("{n} ★"),
                        format!("{RATING_PREFIX}{}:{n}", self.code),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Parameters of the ZNS / ZBS template registered for this kind (infra/RUNBOOK.md, "ZNS
    /// templates"): every declared one, with its default when the event has no value.
    pub fn template_params(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("ma_ho_so".into(), self.code.clone());
        p.insert("ten_thu_tuc".into(), self.procedure.clone());
        let status = self.step.as_deref().unwrap_or(self.status.name_vi());
        p.insert("trang_thai".into(), status.to_string());
        if let Some(d) = self.new_due.as_ref().or(self.due.as_ref()) {
            p.insert("ngay_hen_tra".into(), d.clone());
        }
        if let Some(r) = &self.reason {
            p.insert("ly_do".into(), r.clone());
        }
        if let Some(a) = self.fee_amount {
            p.insert("so_tien".into(), vnd(a));
        }
        complete_params(self.kind.as_str(), p)
    }
}

impl Msg {
    pub fn render(&self) -> String {
        let text = match self {
            Msg::NoCodeFound => "Chưa nhận ra mã hồ sơ trong tin nhắn. Mã hồ sơ in trên Giấy tiếp \
                nhận và hẹn trả kết quả, có dạng 000.00.04.H60-230215-0028. Vui lòng gửi lại \
                mã hoặc quét mã QR trên giấy tiếp nhận."
                .to_string(),
            Msg::DossierNotFound { code } => format!(
                "Không tìm thấy hồ sơ có mã {code}. Vui lòng kiểm tra lại mã trên Giấy tiếp \
                 nhận; nếu hồ sơ vừa nộp, thông tin có thể cập nhật chậm vài phút."
            ),
            Msg::StatusShort {
                code,
                status,
                step,
                received,
                due,
                overdue,
                late,
            } => {
                let mut s = format!("Hồ sơ {code}\nTrạng thái: {}", status.name_vi());
                if let Some(step) = step {
                    s.push_str(&format!(" ({step})"));
                }
                if let Some(r) = received {
                    s.push_str(&format!("\nNgày tiếp nhận: {r}"));
                }
                if let Some(d) = due {
                    s.push_str(&format!("\nNgày hẹn trả kết quả: {d}"));
                }
                let finished = matches!(
                    status,
                    NationalStatus::Completed | NationalStatus::Returned
                );
                if *late && finished {
                    s.push_str(&format!("\n{}", late_label(*status)));
                } else if *overdue {
                    s.push_str(
                        "\nHồ sơ đang trễ hạn. Cơ quan giải quyết sẽ gửi thư xin lỗi \
                         và hẹn lại ngày trả kết quả.",
                    );
                } else if *late {
                    s.push_str("\nHồ sơ đã trễ hạn và được hẹn lại ngày trả kết quả.");
                }
                s
            }
            Msg::PhoneTypedInChat => "Vì an toàn thông tin cá nhân, hệ thống không tra cứu theo \
                số điện thoại gõ trong tin nhắn. Để xem các hồ sơ đứng tên số điện thoại của \
                mình, vui lòng chọn \"Nhận thông báo hồ sơ\" và đồng ý chia sẻ số điện thoại \
                Zalo đã xác thực."
                .to_string(),
            Msg::LookupRateLimited { retry_minutes } => format!(
                "Bạn đã tra cứu nhiều lần trong thời gian ngắn. Vui lòng thử lại sau \
                 {retry_minutes} phút. Xin cảm ơn!"
            ),
            Msg::TemporaryFailure => "Hệ thống đang bận, vui lòng thử lại sau ít phút. Xin lỗi \
                vì sự bất tiện này."
                .to_string(),
            Msg::Notice(n) => n.render(),
            Msg::OtpSent { phone_tail } => format!(
                "Mã xác minh gồm 6 chữ số đã được gửi qua Zalo tới số điện thoại đuôi \
                 {phone_tail}. Vui lòng nhập mã vào cuộc trò chuyện này trong vòng 5 phút để \
                 hoàn tất đăng ký nhận thông báo hồ sơ. {RECEIPT_CODE_HINT}"
            ),
            Msg::ReceiptCodeAsked { phone_tail } => format!(
                "Để xác minh số điện thoại đuôi {phone_tail}, vui lòng quét mã QR trên Giấy \
                 tiếp nhận của một hồ sơ ghi số điện thoại này, rồi nhập vào đây mã liên kết \
                 8 chữ số hiển thị trên trang tra cứu, trong vòng 30 phút."
            ),
            Msg::OtpWrong { tries_left } => format!(
                "Mã xác minh chưa đúng. Ông/bà còn {tries_left} lần nhập."
            ),
            Msg::OtpFailed => "Mã xác minh đã hết hạn hoặc đã nhập sai quá số lần cho phép. \
                Vui lòng chọn \"Nhận thông báo hồ sơ\" để nhận mã mới."
                .to_string(),
            Msg::OtpDailyLimit => "Hôm nay ông/bà đã yêu cầu đủ số mã xác minh cho phép. \
                Vui lòng thử lại vào ngày mai."
                .to_string(),
            Msg::IdDigitsLocked { short } => format!(
                "{}\n\n{ID_DIGITS_LOCKED} Ông/bà vẫn xem được đầy đủ bằng mã QR trên Giấy tiếp \
                 nhận, hoặc chọn \"Nhận thông báo hồ sơ\" để xác minh số điện thoại.",
                short.render()
            ),
            Msg::StatusFull { short, applicant, procedure, steps } => {
                let mut s = format!("{}\nNgười nộp: {applicant}\nThủ tục: {procedure}", short.render());
                if !steps.is_empty() {
                    s.push_str("\nQuá trình:");
                    for step in steps {
                        s.push_str(&format!("\n• {step}"));
                    }
                }
                s
            }
            Msg::Welcome { province } => format!(
                "Chào mừng ông/bà đến với kênh Zalo dịch vụ công của {province}. Tại đây ông/bà có thể tra cứu hồ sơ bằng mã trên Giấy tiếp nhận, nhận thông báo khi hồ sơ có tiến triển, và gửi câu hỏi, phản ánh đến cơ quan giải quyết."
            ),
            Msg::Guide => "Hướng dẫn: (1) Gửi mã hồ sơ in trên Giấy tiếp nhận (ví dụ 000.00.04.H60-230215-0028) để xem tình trạng; thêm 4 số cuối CCCD của người nộp để xem đầy đủ. (2) Chọn \"Nhận thông báo hồ sơ\" và chia sẻ số điện thoại để nhận tin nhắn tự động. (3) Sau khi xác minh số điện thoại, chọn \"Hồ sơ của tôi\" để xem các hồ sơ của mình. (4) Gửi câu hỏi, phản ánh bằng tin nhắn, ảnh hoặc tệp; cán bộ sẽ trả lời trong cuộc trò chuyện này.".to_string(),
            Msg::AskForCode => "Vui lòng gửi mã hồ sơ in trên Giấy tiếp nhận và hẹn trả kết quả (ví dụ 000.00.04.H60-230215-0028). Muốn xem đầy đủ thông tin, gửi kèm 4 số cuối CCCD của người nộp hồ sơ.".to_string(),
            Msg::AskForQuestion => "Vui lòng nhập câu hỏi, phản ánh hoặc góp ý của ông/bà; có thể gửi kèm ảnh hoặc tệp. Cán bộ sẽ trả lời trong cuộc trò chuyện này.".to_string(),
            Msg::MyDossiers { lines, page, pages, total } => {
                let mut s = format!("Hồ sơ của ông/bà trong 12 tháng qua: {total} hồ sơ");
                if *pages > 1 {
                    s.push_str(&format!(" (trang {page}/{pages})"));
                }
                s.push(':');
                let first = (page - 1) * crate::mine::PER_PAGE;
                for (i, line) in lines.iter().enumerate() {
                    s.push_str("\n\n");
                    s.push_str(&line.render(first + i + 1));
                }
                s.push_str("\n\nChọn mã hồ sơ bên dưới để xem chi tiết.");
                s
            }
            Msg::MyDossiersNone => "Trong 12 tháng qua chưa có hồ sơ nào đứng tên số điện thoại đã xác minh của ông/bà (người nộp hoặc người được ủy quyền).".to_string(),
            Msg::MyDossiersUnverified => "Để xem các hồ sơ của mình, ông/bà cần xác minh số điện thoại: chọn chia sẻ số điện thoại ở thẻ bên dưới rồi nhập mã xác minh. Hoặc gửi mã hồ sơ in trên Giấy tiếp nhận để tra cứu từng hồ sơ.".to_string(),
            Msg::Linked { dossiers } if dossiers.is_empty() => "Đã liên kết số điện thoại. Hiện chưa có hồ sơ đang giải quyết nào đứng tên số điện thoại này; ông/bà sẽ nhận thông báo khi có hồ sơ mới.".to_string(),
            Msg::Linked { dossiers } => format!(
                "Đã liên kết số điện thoại. Các hồ sơ đang giải quyết của ông/bà (sẽ nhận thông báo khi có tiến triển):\n{}",
                dossiers.iter().map(|d| format!("• {d}")).collect::<Vec<_>>().join("\n")
            ),
            Msg::SharedPhoneUnusable => "Số điện thoại được chia sẻ không phải số di động Việt Nam nên chưa thể nhận thông báo. Vui lòng cập nhật số điện thoại Zalo rồi chọn lại \"Nhận thông báo hồ sơ\".".to_string(),
            Msg::TicketOpened { number, hours, reads_at } => {
                let mut s = format!("Đã tiếp nhận câu hỏi/phản ánh số {number}. ");
                if let Some(at) = reads_at {
                    s.push_str(&format!("Hiện đang ngoài giờ làm việc; cán bộ sẽ đọc từ {at} và "));
                    s.push_str(&format!("trả lời trong vòng {hours} giờ làm việc."));
                } else {
                    s.push_str(&format!("Cán bộ sẽ trả lời trong vòng {hours} giờ làm việc."));
                }
                s.push_str(" Ông/bà có thể gửi thêm thông tin, ảnh hoặc tệp vào cuộc trò chuyện này.");
                s
            }
            Msg::Support { hotline, hours } => {
                let mut s = String::new();
                match (hotline, hours) {
                    (Some(h), Some(w)) => s.push_str(&format!("Tổng đài hỗ trợ: {h} (giờ làm việc {w}).\n\n")),
                    (Some(h), None) => s.push_str(&format!("Tổng đài hỗ trợ: {h}.\n\n")),
                    (None, Some(w)) => s.push_str(&format!("Giờ làm việc: {w}.\n\n")),
                    (None, None) => {}
                }
                s.push_str(&Msg::Guide.render());
                s
            }
            Msg::DeliveryChosen { code, postal: true } => format!(
                "Đã ghi nhận: kết quả hồ sơ {code} sẽ được gửi qua bưu chính công ích. Bưu điện sẽ liên hệ trước khi phát."
            ),
            Msg::DeliveryChosen { code, postal: false } => format!(
                "Đã ghi nhận: ông/bà sẽ nhận kết quả hồ sơ {code} trực tiếp tại Bộ phận Một cửa. Vui lòng mang theo Giấy tiếp nhận và giấy tờ tùy thân."
            ),
            Msg::DeliveryNotAllowed => "Chỉ người nộp hồ sơ (số điện thoại đã xác thực trùng với hồ sơ) mới chọn được cách nhận kết quả. Vui lòng chọn \"Nhận thông báo hồ sơ\" và chia sẻ số điện thoại trước.".to_string(),
            Msg::RatingThanks => "Cảm ơn ông/bà đã đánh giá mức độ hài lòng.".to_string(),
            Msg::DataErased => "Theo yêu cầu của ông/bà, liên kết số điện thoại và thông tin cá nhân trong các câu hỏi, phản ánh đã được xóa.".to_string(),
            Msg::TicketAnswer { number, agency, text } => match agency {
                Some(agency) => format!("{agency} trả lời câu hỏi/phản ánh số {number}:\n\n{text}"),
                None => format!("Trả lời câu hỏi/phản ánh số {number}:\n\n{text}"),
            },
            Msg::Announcement { title, body } => format!("{title}\n\n{body}"),
            Msg::GuideAnswer { number, entries } => render_guide(*number, entries),
        };
        text.nfc().collect()
    }

    /// One instance of every message, with the longest realistic variables, for review and tests.
    pub fn samples() -> Vec<Msg> {
        let mut out = vec![
            Msg::NoCodeFound,
            Msg::DossierNotFound {
                code: "000.00.04.H60-230215-0028".into(),
            },
            Msg::StatusShort {
                code: "000.00.04.H60-230215-0028".into(),
                status: NationalStatus::FeeRequested,
                step: Some("x".repeat(200)),
                received: Some("15/02/2023".into()),
                due: Some("01/03/2023".into()),
                overdue: true,
                late: true,
            },
            Msg::PhoneTypedInChat,
            Msg::LookupRateLimited { retry_minutes: 15 },
            Msg::TemporaryFailure,
            Msg::OtpSent {
                phone_tail: "985".into(),
            },
            Msg::OtpWrong { tries_left: 2 },
            Msg::OtpFailed,
            Msg::OtpDailyLimit,
            Msg::ReceiptCodeAsked {
                phone_tail: "985".into(),
            },
            Msg::IdDigitsLocked {
                short: Box::new(Msg::DossierNotFound {
                    code: "000.00.04.H60-230215-0028".into(),
                }),
            },
        ];
        out.extend([
            Msg::Welcome {
                province: "Tuyên Quang".into(),
            },
            Msg::StatusFull {
                short: Box::new(Msg::DossierNotFound {
                    code: "000.00.04.H60-230215-0028".into(),
                }),
                applicant: "N. T. T. M***".into(),
                procedure: "x".repeat(500),
                steps: vec!["y".repeat(120); 5],
            },
            Msg::Guide,
            Msg::AskForCode,
            Msg::AskForQuestion,
            Msg::MyDossiers {
                lines: vec![
                    MyDossierLine {
                        code: "000.00.04.H60-230215-0028".into(),
                        procedure: "x".repeat(500),
                        status: "Đang xử lý".into(),
                        step: Some("y".repeat(200)),
                        due: Some("01/03/2023".into()),
                    };
                    crate::mine::PER_PAGE
                ],
                page: 3,
                pages: 7,
                total: 25,
            },
            Msg::MyDossiersNone,
            Msg::MyDossiersUnverified,
            Msg::Linked { dossiers: vec![] },
            Msg::Linked {
                dossiers: vec!["x".repeat(150); 10],
            },
            Msg::SharedPhoneUnusable,
            Msg::TicketOpened {
                number: 12345,
                hours: 24,
                reads_at: None,
            },
            Msg::TicketOpened {
                number: 12345,
                hours: 120,
                reads_at: Some("07:30 thứ Hai, 07/12/2026".into()),
            },
            Msg::Support {
                hotline: Some("0207 3822 222".into()),
                hours: Some("07:30–11:30, 13:30–17:00, thứ Hai đến thứ Sáu".into()),
            },
            Msg::Support {
                hotline: None,
                hours: None,
            },
            Msg::DeliveryChosen {
                code: "000.00.04.H60-230215-0028".into(),
                postal: true,
            },
            Msg::DeliveryChosen {
                code: "000.00.04.H60-230215-0028".into(),
                postal: false,
            },
            Msg::DeliveryNotAllowed,
            Msg::RatingThanks,
            Msg::DataErased,
            Msg::TicketAnswer {
                number: 12345,
                agency: Some("x".repeat(100)),
                text: "y".repeat(MAX_STAFF_TEXT),
            },
            Msg::Announcement {
                title: "ư".repeat(MAX_TITLE),
                body: "y".repeat(MAX_STAFF_TEXT),
            },
            Msg::GuideAnswer {
                number: 12345,
                entries: vec![
                    GuideEntry {
                        name: "x".repeat(400),
                        agency: "a".repeat(400),
                        documents: vec!["d".repeat(300); 20],
                        fees: "f".repeat(600),
                        processing_time: "t".repeat(600),
                        online_url: Some(format!("https://{}", "u".repeat(200))),
                    };
                    crate::guide::MAX_ANSWERS
                ],
            },
            Msg::GuideAnswer {
                number: 1,
                entries: vec![GuideEntry {
                    name: "Đăng ký khai sinh".into(),
                    agency: "UBND cấp xã".into(),
                    documents: vec!["Tờ khai".into()],
                    fees: "Miễn lệ phí".into(),
                    processing_time: "Trong ngày".into(),
                    online_url: None,
                }],
            },
        ]);
        out.extend(EventKind::ALL.iter().map(|&kind| {
            Msg::Notice(Notice {
                kind,
                code: "G22.99.08-260921-896048".into(),
                procedure: "x".repeat(500),
                status: NationalStatus::Processing,
                step: Some("y".repeat(200)),
                unit: Some("u".repeat(200)),
                due: Some("01/03/2023".into()),
                new_due: Some("15/03/2023".into()),
                reason: Some("z".repeat(500)),
                missing_papers: vec!["w".repeat(100); 4],
                fee_amount: Some(1_250_000),
            })
        }));
        out
    }
}

/// One procedure in a guide answer, as the catalogue publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideEntry {
    pub name: String,
    pub agency: String,
    pub documents: Vec<String>,
    pub fees: String,
    pub processing_time: String,
    pub online_url: Option<String>,
}

impl GuideEntry {
    fn render(&self, n: usize, budget: usize) -> String {
        let mut s = format!("{n}. {}", self.name);
        if let Some(url) = &self.online_url {
            s.push_str(&format!("\n• Nộp trực tuyến: {url}"));
        }
        s.push_str(&format!(
            "\n• Nơi giải quyết: {}\n• Lệ phí: {}\n• Thời hạn: {}\n• Hồ sơ gồm: {}.",
            self.agency,
            self.fees,
            self.processing_time,
            self.documents.join("; ")
        ));
        clip(&s, budget)
    }
}

/// At most `max` characters, an ellipsis marking a cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn render_guide(number: u64, entries: &[GuideEntry]) -> String {
    let head = match entries.len() {
        1 => "Thông tin thủ tục ông/bà có thể cần (tự động, theo danh mục thủ tục hành chính của tỉnh):".to_string(),
        n => format!("{n} thủ tục ông/bà có thể cần (tự động, theo danh mục thủ tục hành chính của tỉnh):"),
    };
    let foot = format!(
        "Nếu chưa đúng điều ông/bà cần hỏi, chọn \"{GUIDE_ASK_STAFF}\" để cán bộ trả lời (câu hỏi số {number})."
    );
    let room =
        MAX_TEXT_CHARS - head.chars().count() - foot.chars().count() - 4 * (entries.len() + 1);
    let budget = room / entries.len().max(1);
    let body: Vec<String> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| e.render(i + 1, budget))
        .collect();
    format!("{head}\n\n{}\n\n{foot}", body.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_text_version() {
        let versions: std::collections::BTreeSet<String> =
            EventKind::ALL.into_iter().map(text_version).collect();
        assert_eq!(versions.len(), EventKind::ALL.len());
        assert!(
            versions
                .iter()
                .all(|v| v.len() == 12 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        assert_eq!(
            text_version(EventKind::Received),
            text_version(EventKind::Received)
        );
    }
    use unicode_normalization::is_nfc;

    #[test]
    fn every_message_is_nfc_vietnamese_and_fits_one_zalo_text() {
        for m in Msg::samples() {
            let t = m.render();
            assert!(is_nfc(&t), "{m:?}");
            assert!(t.chars().count() <= MAX_TEXT_CHARS, "{m:?}");
            assert!(!t.contains("  "), "double space in {m:?}: {t}");
            // Vietnamese with diacritics, not stripped ASCII.
            assert!(!t.is_ascii(), "{m:?}");
        }
    }

    fn notice(kind: EventKind) -> Notice {
        Notice {
            kind,
            code: "000.00.04.H60-261110-0028".into(),
            procedure: "Cấp giấy phép xây dựng".into(),
            status: NationalStatus::Processing,
            step: Some("Thẩm định".into()),
            unit: None,
            due: Some("01/12/2026".into()),
            new_due: None,
            reason: None,
            missing_papers: vec![],
            fee_amount: None,
        }
    }

    #[test]
    fn notices_say_what_happened_in_vietnamese() {
        let t = Msg::Notice(notice(EventKind::Received)).render();
        assert_eq!(
            t,
            "Hồ sơ 000.00.04.H60-261110-0028 (Cấp giấy phép xây dựng) đã được tiếp nhận. Ngày hẹn trả kết quả: 01/12/2026. Để xem tiến độ, gửi mã hồ sơ vào cuộc trò chuyện này."
        );
        let step = Msg::Notice(notice(EventKind::StepChanged)).render();
        assert!(step.contains("bước hiện tại: Thẩm định."), "{step}");
        let mut s = notice(EventKind::SupplementRequested);
        s.missing_papers = vec!["Trích lục bản đồ".into(), "Bản sao CCCD".into()];
        s.reason = Some("Thiếu giấy tờ".into());
        let t = Msg::Notice(s).render();
        assert!(
            t.contains(
                "Giấy tờ cần bổ sung: Trích lục bản đồ; Bản sao CCCD. Lý do: Thiếu giấy tờ."
            ),
            "{t}"
        );
        let mut f = notice(EventKind::FeeRequested);
        f.fee_amount = Some(1_250_000);
        assert!(
            Msg::Notice(f.clone())
                .render()
                .contains("Số tiền: 1.250.000 đồng.")
        );
        assert_eq!(f.template_params()["so_tien"], "1.250.000");
        let mut a = notice(EventKind::OverdueApology);
        a.new_due = Some("15/12/2026".into());
        let t = Msg::Notice(a.clone()).render();
        assert!(
            t.starts_with("Cơ quan giải quyết thành thật xin lỗi")
                && t.contains("Ngày hẹn trả kết quả mới: 15/12/2026."),
            "{t}"
        );
        assert_eq!(
            a.template_params()["ngay_hen_tra"],
            "15/12/2026",
            "the new date wins"
        );
        let ready = notice(EventKind::ResultReady);
        let buttons = ready.buttons();
        assert_eq!(buttons[0].1, "#nhan_kq:buu_chinh:000.00.04.H60-261110-0028");
        assert_eq!(buttons[1].1, "#nhan_kq:mot_cua:000.00.04.H60-261110-0028");
        assert!(
            buttons
                .iter()
                .all(|(t, p)| t.chars().count() <= 35 && p.len() <= 1000)
        );
        assert!(notice(EventKind::Received).buttons().is_empty());
    }

    #[test]
    fn template_params_are_cut_to_registered_lengths() {
        let mut n = notice(EventKind::Rejected);
        n.procedure = "Đ".repeat(300);
        n.reason = Some("l".repeat(300));
        let p = n.template_params();
        assert_eq!(p["ten_thu_tuc"].chars().count(), 100);
        assert!(p["ten_thu_tuc"].ends_with('…'));
        assert_eq!(p["ly_do"].chars().count(), 200);
        assert_eq!(p["ma_ho_so"], "000.00.04.H60-261110-0028");
        assert_eq!(vnd(0), "0");
        assert_eq!(vnd(999), "999");
        assert_eq!(vnd(1000), "1.000");
    }

    #[test]
    fn every_template_gets_every_declared_parameter() {
        for kind in EventKind::ALL {
            // an event with nothing optional: every parameter must still be sent
            let mut n = notice(kind);
            n.due = None;
            n.step = None;
            let p = n.template_params();
            check_params(kind.as_str(), &p).unwrap_or_else(|e| panic!("{e}"));
            let declared: Vec<_> = template_parameters(kind.as_str())
                .unwrap()
                .iter()
                .map(|p| p.name)
                .collect();
            assert_eq!(
                p.keys().map(String::as_str).collect::<Vec<_>>().len(),
                declared.len()
            );
            assert_eq!(p["ngay_hen_tra"], "Theo giấy hẹn", "{kind:?}");
        }
        let r = notice(EventKind::Rejected).template_params();
        assert_eq!(r["ly_do"], "Không có");
        assert_eq!(
            notice(EventKind::FeeRequested).template_params()["so_tien"],
            "Theo thông báo"
        );
        let t = ticket_answered_params(42, " ");
        assert_eq!(t["co_quan"], "Cơ quan giải quyết");
        check_params(TICKET_ANSWERED, &t).unwrap();
        let relinked =
            phone_relinked_params(&crate::time::vn_datetime(chrono::DateTime::UNIX_EPOCH), "");
        assert_eq!(relinked["co_quan"], "Cơ quan giải quyết");
        check_params(PHONE_RELINKED, &relinked).unwrap();
        // what Zalo would refuse is refused before the call
        let mut missing = r.clone();
        missing.remove("ly_do");
        assert!(
            check_params("rejected", &missing)
                .unwrap_err()
                .contains("ly_do is missing")
        );
        let mut long = r.clone();
        long.insert("ly_do".into(), "x".repeat(201));
        assert!(check_params("rejected", &long).is_err());
        let mut extra = r;
        extra.insert("ghi_chu".into(), "x".into());
        assert!(check_params("rejected", &extra).is_err());
        assert!(check_params("exploded", &BTreeMap::new()).is_err());
    }

    #[test]
    fn late_dossiers_say_so() {
        let short = |status, overdue, late| {
            Msg::StatusShort {
                code: "000.00.04.H60-230215-0028".into(),
                status,
                step: None,
                received: None,
                due: None,
                overdue,
                late,
            }
            .render()
        };
        assert!(short(NationalStatus::Returned, false, true).ends_with("Hoàn thành trễ hạn"));
        assert!(short(NationalStatus::Processing, true, false).contains("Hồ sơ đang trễ hạn."));
        assert!(short(NationalStatus::Processing, false, true).contains("đã trễ hạn"));
        assert!(!short(NationalStatus::Returned, false, false).contains("trễ"));
    }

    #[test]
    fn submitted_and_step_in_a_unit_read_naturally() {
        let t = Msg::Notice(notice(EventKind::Submitted)).render();
        assert!(
            t.contains("đã được nộp trực tuyến và đang chờ Bộ phận Một cửa tiếp nhận"),
            "{t}"
        );
        let mut n = notice(EventKind::StepChanged);
        n.unit = Some("Phòng Quản lý đô thị".into());
        let t = Msg::Notice(n).render();
        assert!(
            t.contains("bước hiện tại: Thẩm định tại Phòng Quản lý đô thị."),
            "{t}"
        );
    }

    #[test]
    fn short_status_shows_only_status_and_dates() {
        let t = Msg::StatusShort {
            code: "000.00.04.H60-230215-0028".into(),
            status: NationalStatus::Processing,
            step: Some("Thẩm định".into()),
            received: Some("15/02/2023".into()),
            due: None,
            overdue: false,
            late: false,
        }
        .render();
        assert_eq!(
            t,
            "Hồ sơ 000.00.04.H60-230215-0028\nTrạng thái: Đang xử lý (Thẩm định)\nNgày tiếp nhận: 15/02/2023"
        );
    }
}
