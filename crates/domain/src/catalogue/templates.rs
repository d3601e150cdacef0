//! The parameters of the templates a province registers with Zalo (ZNS, ZBS by UID): their
//! names, longest values and neutral defaults, checked before every call (RUNBOOK section 8).

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

use crate::event::EventKind;

/// Parameters of the "answer ready" ZNS template (`zns_templates.ticket_answered`), to be
/// registered with Zalo with exactly these names.
pub fn ticket_answered_params(number: u64, agency: &str) -> BTreeMap<String, String> {
    complete_params(
        TICKET_ANSWERED,
        BTreeMap::from([
            ("so_phieu".to_string(), number.to_string()),
            ("co_quan".to_string(), agency.to_string()),
        ]),
    )
}

/// The template key of the "answer ready" ZNS template.
pub const TICKET_ANSWERED: &str = "ticket_answered";

/// The template key of the notice a phone gets when a Zalo account proves it while another
/// account had it linked: the phone's owner learns of a link made elsewhere (a code read out
/// to a caller who asked for it, say) and can have it undone.
pub const PHONE_RELINKED: &str = "phone_relinked";

/// Parameters of `zns_templates.phone_relinked`: when the new link was made (`16:05
/// 23/11/2026`, Vietnam time) and by which office's OA.
pub fn phone_relinked_params(at_vn: &str, agency: &str) -> BTreeMap<String, String> {
    complete_params(
        PHONE_RELINKED,
        BTreeMap::from([
            ("thoi_gian".to_string(), at_vn.to_string()),
            ("co_quan".to_string(), agency.to_string()),
        ]),
    )
}

/// The template key of the one-time code that proves a shared phone (a ZNS OTP template).
pub const OTP: &str = "otp";

/// Parameters of the OTP template (`zns_templates.otp`): the six-digit code as `otp`.
pub fn otp_params(code: &str) -> BTreeMap<String, String> {
    complete_params(OTP, BTreeMap::from([("otp".to_string(), code.to_string())]))
}

/// One declared parameter of a registered template: its name, the longest value Zalo accepts
/// for it as we register it, and the neutral value sent when the event has none (Zalo refuses
/// a template call that leaves a declared parameter out: -1122).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateParam {
    pub name: &'static str,
    pub max_chars: usize,
    pub default: &'static str,
}

const fn param(name: &'static str, max_chars: usize, default: &'static str) -> TemplateParam {
    TemplateParam {
        name,
        max_chars,
        default,
    }
}

const MA_HO_SO: TemplateParam = param("ma_ho_so", 50, "Không có");
const TEN_THU_TUC: TemplateParam = param("ten_thu_tuc", 100, "Thủ tục hành chính");
const TRANG_THAI: TemplateParam = param("trang_thai", 50, "Đang giải quyết");
const NGAY_HEN_TRA: TemplateParam = param("ngay_hen_tra", 20, "Theo giấy hẹn");
const LY_DO: TemplateParam = param("ly_do", 200, "Không có");
const SO_TIEN: TemplateParam = param("so_tien", 20, "Theo thông báo");
const BASE: [TemplateParam; 4] = [MA_HO_SO, TEN_THU_TUC, TRANG_THAI, NGAY_HEN_TRA];
const WITH_REASON: [TemplateParam; 5] = [MA_HO_SO, TEN_THU_TUC, TRANG_THAI, NGAY_HEN_TRA, LY_DO];
const WITH_FEE: [TemplateParam; 5] = [MA_HO_SO, TEN_THU_TUC, TRANG_THAI, NGAY_HEN_TRA, SO_TIEN];
const ONE_TIME_CODE: [TemplateParam; 1] = [param("otp", 6, "000000")];
const RELINKED: [TemplateParam; 2] = [
    param("thoi_gian", 20, "Vừa xong"),
    param("co_quan", 100, "Cơ quan giải quyết"),
];
const TICKET: [TemplateParam; 2] = [
    param("so_phieu", 20, "Không có"),
    param("co_quan", 100, "Cơ quan giải quyết"),
];

/// The parameters a province registers for a template key (an event kind, `ticket_answered`,
/// `otp` or `phone_relinked`), in the order of infra/RUNBOOK.md's table; `None` for an unknown key.
pub fn template_parameters(key: &str) -> Option<&'static [TemplateParam]> {
    use EventKind::*;
    if key == TICKET_ANSWERED {
        return Some(&TICKET);
    }
    if key == OTP {
        return Some(&ONE_TIME_CODE);
    }
    if key == PHONE_RELINKED {
        return Some(&RELINKED);
    }
    let kind = EventKind::ALL.into_iter().find(|k| k.as_str() == key)?;
    Some(match kind {
        Submitted | Received | StepChanged | ResultReady | ResultReturned | Withdrawn => &BASE,
        SupplementRequested | Rejected | ProcessingStopped | OverdueApology => &WITH_REASON,
        FeeRequested => &WITH_FEE,
    })
}

/// Exactly the declared parameters of `key`: every missing or empty one gets its default,
/// every value is cut to its length (with "…") and NFC; undeclared ones are dropped.
pub fn complete_params(key: &str, mut given: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let declared = template_parameters(key).unwrap_or(&[]);
    declared
        .iter()
        .map(|p| {
            let value = given
                .remove(p.name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| p.default.to_string());
            (p.name.to_string(), cut(&value, p.max_chars).nfc().collect())
        })
        .collect()
}

/// What Zalo would refuse in a template call, checked before the call: an unknown key, a
/// declared parameter missing or empty (-1122), a value too long (-1121), an undeclared one.
pub fn check_params(key: &str, params: &BTreeMap<String, String>) -> Result<(), String> {
    let declared =
        template_parameters(key).ok_or_else(|| format!("no template parameters for {key}"))?;
    for p in declared {
        match params.get(p.name) {
            None => return Err(format!("{key}: parameter {} is missing", p.name)),
            Some(v) if v.trim().is_empty() => {
                return Err(format!("{key}: parameter {} is empty", p.name));
            }
            Some(v) if v.chars().count() > p.max_chars => {
                return Err(format!(
                    "{key}: parameter {} is longer than {}",
                    p.name, p.max_chars
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = params
        .keys()
        .find(|k| declared.iter().all(|p| p.name != *k))
    {
        return Err(format!("{key}: parameter {extra} is not declared"));
    }
    Ok(())
}

fn cut(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.pop();
        out.push('…');
    }
    out
}
