//! Tenants (provinces) and which receipt codes each owns.
//!
//! After the 1 July 2025 mergers a province owns its own level-1 code and those of the provinces
//! merged into it (Bắc Ninh: H05 + H02), because old dossiers keep their old agency codes.
//! Ownership is configuration (`infra/tenants/*.toml`), never code.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::code::DossierCode;
use crate::event::EventKind;

/// A tenant's id: lower-case ASCII slug such as `tuyen-quang`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(s: &str) -> Result<Self, TenantError> {
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(TenantId(s.to_string()))
        } else {
            Err(TenantError::BadId(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TenantId {
    type Error = TenantError;
    fn try_from(s: String) -> Result<Self, TenantError> {
        Self::parse(&s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    #[error("tenant id {0:?} must be 1–40 lower-case letters, digits or dashes")]
    BadId(String),
    #[error("tenant {0} is configured twice")]
    DuplicateTenant(String),
    #[error("agency code {code} is claimed by both {first} and {second}")]
    DuplicateAgency {
        code: String,
        first: String,
        second: String,
    },
    #[error(
        "agency code {code:?} of tenant {tenant} is neither a level-1 code (H60) nor an agency identifier (000.00.04.H60)"
    )]
    BadAgency { tenant: String, code: String },
    #[error("Zalo OA {oa} is configured for both {first} and {second}")]
    DuplicateOa {
        oa: String,
        first: String,
        second: String,
    },
    #[error("tenant {tenant} owns no agency codes")]
    NoAgencies { tenant: String },
    #[error("tenant {tenant}: {error}")]
    BadRetention {
        tenant: String,
        error: crate::retention::BadRetention,
    },
    #[error("tenant {tenant}: {error}")]
    BadSupport {
        tenant: String,
        error: crate::support::BadSupport,
    },
    #[error("tenant {tenant}: {error}")]
    BadTrial { tenant: String, error: String },
    #[error("tenant {tenant}: {error}")]
    BadSms { tenant: String, error: String },
    #[error("tenant {tenant}: [tenant.canary] zalo_user {user:?} is not a Zalo user id (digits)")]
    BadCanary { tenant: String, user: String },
}

/// What the domain needs to know about a tenant. Secrets are referenced, never inlined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    pub id: TenantId,
    /// Shown to citizens: "Tuyên Quang".
    pub name: String,
    /// Level-1 codes (`H60`) or full agency identifiers (`000.00.04.H60`) this tenant owns,
    /// current and pre-2025.
    pub agency_codes: Vec<String>,
    /// The province's Zalo Official Account id, when connected.
    #[serde(default)]
    pub oa_id: Option<String>,
    /// Host of the public lookup page (`dichvucong.tuyenquang.gov.vn`), for QR links.
    #[serde(default)]
    pub public_host: Option<String>,
    /// Answer-time promise for questions and complaints, in working hours.
    #[serde(default = "default_ticket_answer_hours")]
    pub ticket_answer_hours: u32,
    /// How this tenant's OA is connected to Zalo.
    #[serde(default)]
    pub zalo: ZaloSettings,
    /// Which events notify citizens, and when template messages may go out.
    #[serde(default)]
    pub notify: NotifyPolicy,
    /// Agencies that answer questions and complaints: id → Vietnamese name
    /// (`so-tu-phap` → "Sở Tư pháp"). Staff accounts belong to one of them.
    #[serde(default)]
    pub agencies: std::collections::BTreeMap<String, String>,
    /// Answer-time promises per category and what to do when the citizen is out of reach.
    #[serde(default)]
    pub tickets: TicketPolicy,
    /// Prices for the money-saved statistics.
    #[serde(default)]
    pub prices: Prices,
    /// On AWS: the IAM roles (`arn:aws:iam::<account>:role/<name>`) that may mint this tenant's
    /// receipt QR codes. Another tenant's vendor, though allowed to call the QR route, gets 403.
    #[serde(default)]
    pub qr_invokers: Vec<String>,
    /// How long what is kept about citizens is kept (days).
    #[serde(default)]
    pub retention: crate::Retention,
    /// The hotline and office hours ("Hỗ trợ"); without it, no office-hours note.
    #[serde(default)]
    pub support: Option<crate::support::Support>,
    /// Onboarding in production: while set, notices reach only these staff testers, and every
    /// other notice is recorded as withheld ("would have sent").
    #[serde(default)]
    pub trial: Option<Trial>,
    /// The province's brandname SMS: while set, a notice that carries a deadline and that no
    /// Zalo channel delivered goes by SMS (the gateway's keys are in the tenant's secrets).
    #[serde(default)]
    pub sms: Option<SmsSettings>,
    /// A staff tester the hourly canary writes to (outside the quiet hours), to find a broken
    /// Zalo path before a citizen does.
    #[serde(default)]
    pub canary: Option<Canary>,
}

/// The tenant's canary recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canary {
    /// A staff tester's Zalo user id as this OA sees it. Zalo accepts a consultation message
    /// only within 7 days of the user's last message to the OA: the tester writes to the OA
    /// at least once a week, or the canary fails (and says so).
    pub zalo_user: String,
}

/// A tenant's brandname SMS (customer-care messages through its gateway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// The sender name registered with the carriers (`UBND-TQ`): at most 11 letters, digits,
    /// `-`, `.` or `_`.
    pub brandname: String,
    /// Send with Vietnamese diacritics (70 characters a segment) rather than without them
    /// (160 a segment, the carriers' usual customer-care form).
    #[serde(default)]
    pub unicode: bool,
}

impl SmsSettings {
    pub fn validate(&self) -> Result<(), String> {
        let b = &self.brandname;
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        if b.is_empty() || b.len() > 11 || !b.chars().all(allowed) {
            return Err(format!(
                "[tenant.sms] brandname {b:?} is not a brandname (1 to 11 letters, digits, '-', '.', '_')"
            ));
        }
        Ok(())
    }
}

/// The staff testers of a tenant in trial mode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Testers' phones, as typed (`0906 591 985`, `+84906591985`).
    #[serde(default)]
    pub phones: Vec<String>,
    /// Testers' Zalo user ids (as this OA sees them).
    #[serde(default)]
    pub zalo_users: Vec<String>,
}

impl Trial {
    /// The testers' phones, parsed; the first that is not a Vietnamese phone number refuses.
    pub fn parsed_phones(&self) -> Result<Vec<crate::PhoneNumber>, String> {
        self.phones
            .iter()
            .map(|p| crate::PhoneNumber::parse(p).map_err(|e| format!("trial phone {p:?}: {e}")))
            .collect()
    }
}

/// Whether an IAM caller (`userArn` of API Gateway's IAM authorizer: a role session
/// `arn:aws:sts::<account>:assumed-role/<name>/<session>`, or the role or user itself) is one of
/// `roles` (`arn:aws:iam::<account>:role/[<path>/]<name>`): same account and role name.
pub fn iam_caller_is_one_of(user_arn: &str, roles: &[String]) -> bool {
    let caller = user_arn.split(':').collect::<Vec<_>>();
    let (account, name) = match caller.as_slice() {
        ["arn", _, "sts", "", account, resource] => {
            match resource.split('/').collect::<Vec<_>>()[..] {
                ["assumed-role", name, _session] => (*account, name),
                _ => return false,
            }
        }
        ["arn", _, "iam", "", account, resource] => match resource.rsplit_once('/') {
            Some((kind, name)) if kind.starts_with("role") => (*account, name),
            _ => return false,
        },
        _ => return false,
    };
    roles.iter().any(|role| {
        let parts = role.split(':').collect::<Vec<_>>();
        matches!(parts.as_slice(), ["arn", _, "iam", "", a, resource]
            if *a == account && resource.starts_with("role/") && resource.rsplit('/').next() == Some(name))
    })
}

impl Tenant {
    /// Hours promised for an answer in a ticket category (`question`, `complaint`,
    /// `suggestion`); `ticket_answer_hours` when the category has no promise of its own.
    pub fn answer_hours(&self, category: &str) -> u32 {
        self.tickets
            .answer_hours
            .get(category)
            .copied()
            .unwrap_or(self.ticket_answer_hours)
    }
}

/// What staff may do when a citizen has not written to the OA for 7 days (Zalo then refuses
/// consultation messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerFallback {
    /// Send the "answer ready" ZNS template (`zns_templates.ticket_answered`) to the verified
    /// phone; the citizen reads the answer after writing to the OA.
    Zns,
    /// Record the answer and flag the ticket for a phone call.
    #[default]
    CallCitizen,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketPolicy {
    /// Hours per category (`question`, `complaint`, `suggestion`).
    #[serde(default)]
    pub answer_hours: std::collections::BTreeMap<String, u32>,
    #[serde(default)]
    pub outside_window: AnswerFallback,
}

/// VND per message, for "money saved compared with SMS".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// One SMS (short-code customer-care SMS: 350 VND).
    #[serde(default = "default_sms_price")]
    pub sms: u32,
    /// A consultation message 48 h – 7 days after the citizen's last interaction.
    #[serde(default = "default_template_price")]
    pub zalo_cs_paid: u32,
    /// A ZBS template by user id.
    #[serde(default = "default_template_price")]
    pub zbs_uid: u32,
    /// A ZNS template by phone (Loại 3, public administrative services: 150 VND).
    #[serde(default = "default_zns_price")]
    pub zns: u32,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            sms: default_sms_price(),
            zalo_cs_paid: default_template_price(),
            zbs_uid: default_template_price(),
            zns: default_zns_price(),
        }
    }
}

impl Prices {
    /// Price of one message on a channel label (`zalo_cs_free`, `zns`…); 0 for free channels.
    pub fn of_channel(&self, label: &str) -> u32 {
        match label {
            "zalo_cs_paid" => self.zalo_cs_paid,
            "zbs_uid" => self.zbs_uid,
            "zns" => self.zns,
            "sms" => self.sms,
            _ => 0,
        }
    }
}

fn default_sms_price() -> u32 {
    350
}

fn default_template_price() -> u32 {
    165
}

fn default_zns_price() -> u32 {
    150
}

/// A tenant's notification policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyPolicy {
    /// Event kinds that send a message; the others only update the dossier.
    #[serde(default = "all_kinds")]
    pub kinds: Vec<EventKind>,
    /// Template messages (ZBS/ZNS) are deferred, not dropped, between these Vietnam times
    /// (`"22:00"`–`"06:00"`). Free-form consultation messages are allowed at any hour.
    #[serde(default = "default_quiet_hours")]
    pub quiet_hours: Option<QuietHours>,
    /// The vendor's own status codes → national status 1–10, when its payloads do not carry
    /// DVCQG codes (e.g. Đà Nẵng's 0–19).
    #[serde(default)]
    pub vendor_status_map: std::collections::BTreeMap<String, u8>,
    /// Whom to notify when the payload says nothing of consent (`zalo_opt_in` absent, as in
    /// every DVCQG payload).
    #[serde(default)]
    pub without_consent: WithoutConsent,
    /// A template message (ZNS, ZBS) with no delivery receipt after this many hours is
    /// `expired` in the delivery ledger (the sweep counts it, and staff see it as not reached).
    #[serde(default = "default_template_receipt_hours")]
    pub template_receipt_hours: u32,
    /// The same for a consultation message in the chat.
    #[serde(default = "default_cs_receipt_hours")]
    pub cs_receipt_hours: u32,
    /// The most the tenant spends on ZNS notices in a Vietnam day (VND, at `[tenant.prices]
    /// zns`): an alarm past 80 %, no ZNS notice past 100 % (the notice falls to the next
    /// channel, or is undeliverable and on staff's worklist). Consultation messages in the
    /// chat are never stopped. Without it, no cap.
    #[serde(default)]
    pub zns_daily_cap_vnd: Option<u64>,
}

/// Notices for a dossier whose payload records no consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithoutConsent {
    /// Only to a citizen who proved the phone in the OA's chat (asking for notices there is
    /// the consent); no ZNS to a phone that never did. The default.
    #[default]
    LinkedOnly,
    /// To every phone on a dossier, ZNS included: the province records consent at the
    /// counter itself (RUNBOOK, "Consent").
    Notify,
}

impl Default for NotifyPolicy {
    fn default() -> Self {
        NotifyPolicy {
            kinds: all_kinds(),
            quiet_hours: default_quiet_hours(),
            vendor_status_map: Default::default(),
            without_consent: WithoutConsent::default(),
            template_receipt_hours: default_template_receipt_hours(),
            cs_receipt_hours: default_cs_receipt_hours(),
            zns_daily_cap_vnd: None,
        }
    }
}

fn default_template_receipt_hours() -> u32 {
    72
}

fn default_cs_receipt_hours() -> u32 {
    7 * 24
}

fn all_kinds() -> Vec<EventKind> {
    EventKind::ALL.to_vec()
}

fn default_quiet_hours() -> Option<QuietHours> {
    Some(QuietHours {
        start: "22:00".into(),
        end: "06:00".into(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub start: String,
    pub end: String,
}

impl QuietHours {
    fn minutes(s: &str) -> Option<u32> {
        let (h, m) = s.split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    }

    /// If `now` (UTC) falls in the quiet window, how long until it ends.
    pub fn remaining(&self, now: chrono::DateTime<chrono::Utc>) -> Option<chrono::Duration> {
        use chrono::Timelike;
        let (start, end) = (Self::minutes(&self.start)?, Self::minutes(&self.end)?);
        let local = crate::time::to_vn(now);
        let at = local.hour() * 60 + local.minute();
        let quiet = if start <= end {
            (start..end).contains(&at)
        } else {
            at >= start || at < end
        };
        if !quiet {
            return None;
        }
        let until = (end + 24 * 60 - at) % (24 * 60);
        Some(
            chrono::Duration::minutes(i64::from(until))
                - chrono::Duration::seconds(i64::from(local.second())),
        )
    }
}

/// Non-secret Zalo settings of a tenant's OA. Secrets (OA secret key, app secret) are kept with
/// the other secrets, never here.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZaloSettings {
    /// The Zalo App the OA granted (the webhook's `app_id` and the token endpoint's `app_id`).
    #[serde(default)]
    pub app_id: Option<String>,
    /// Onboarding fallback: also accept webhook signatures made with the app secret.
    #[serde(default)]
    pub signature_accepts_app_secret: bool,
    /// Onboarding fallback: also accept webhook signatures whose first term is the OA id.
    #[serde(default)]
    pub signature_accepts_oa_id: bool,
    /// ZNS (ZBS by phone) template id per event kind (`received`, `result_ready`…).
    #[serde(default)]
    pub zns_templates: std::collections::BTreeMap<String, String>,
    /// ZBS template id by user id per event kind, for users 7 days past their last interaction.
    #[serde(default)]
    pub zbs_uid_templates: std::collections::BTreeMap<String, String>,
    /// Send ZNS in development mode (delivered to app/OA admins only).
    #[serde(default)]
    pub zns_development: bool,
}

fn default_ticket_answer_hours() -> u32 {
    24
}

/// All tenants served by one deployment, indexed for code and OA routing.
#[derive(Debug, Clone, Default)]
pub struct TenantDirectory {
    tenants: Vec<Tenant>,
    by_agency: HashMap<String, usize>,
    by_id: HashMap<TenantId, usize>,
    by_oa: HashMap<String, usize>,
}

impl TenantDirectory {
    pub fn new(tenants: Vec<Tenant>) -> Result<Self, TenantError> {
        let mut dir = TenantDirectory::default();
        for (i, t) in tenants.iter().enumerate() {
            if dir.by_id.insert(t.id.clone(), i).is_some() {
                return Err(TenantError::DuplicateTenant(t.id.to_string()));
            }
            t.retention
                .validate()
                .map_err(|error| TenantError::BadRetention {
                    tenant: t.id.to_string(),
                    error,
                })?;
            if let Some(support) = &t.support {
                support
                    .validate()
                    .map_err(|error| TenantError::BadSupport {
                        tenant: t.id.to_string(),
                        error,
                    })?;
            }
            if let Some(trial) = &t.trial {
                trial
                    .parsed_phones()
                    .map_err(|error| TenantError::BadTrial {
                        tenant: t.id.to_string(),
                        error,
                    })?;
            }
            if let Some(sms) = &t.sms {
                sms.validate().map_err(|error| TenantError::BadSms {
                    tenant: t.id.to_string(),
                    error,
                })?;
            }
            if let Some(c) = &t.canary
                && (c.zalo_user.is_empty() || !c.zalo_user.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(TenantError::BadCanary {
                    tenant: t.id.to_string(),
                    user: c.zalo_user.clone(),
                });
            }
            if t.agency_codes.is_empty() {
                return Err(TenantError::NoAgencies {
                    tenant: t.id.to_string(),
                });
            }
            for raw in &t.agency_codes {
                let code = raw.trim().to_ascii_uppercase();
                if !is_agency_code(&code) {
                    return Err(TenantError::BadAgency {
                        tenant: t.id.to_string(),
                        code: raw.clone(),
                    });
                }
                if let Some(prev) = dir.by_agency.insert(code.clone(), i) {
                    return Err(TenantError::DuplicateAgency {
                        code,
                        first: tenants[prev].id.to_string(),
                        second: t.id.to_string(),
                    });
                }
            }
            if let Some(oa) = &t.oa_id
                && let Some(prev) = dir.by_oa.insert(oa.clone(), i)
            {
                return Err(TenantError::DuplicateOa {
                    oa: oa.clone(),
                    first: tenants[prev].id.to_string(),
                    second: t.id.to_string(),
                });
            }
        }
        dir.tenants = tenants;
        Ok(dir)
    }

    /// The tenant that owns a receipt code: an exact agency identifier wins over its level-1 code.
    pub fn for_code(&self, code: &DossierCode) -> Option<&Tenant> {
        self.by_agency
            .get(code.agency())
            .or_else(|| self.by_agency.get(code.level1()))
            .map(|&i| &self.tenants[i])
    }

    pub fn get(&self, id: &TenantId) -> Option<&Tenant> {
        self.by_id.get(id).map(|&i| &self.tenants[i])
    }

    /// The tenant a dossier event belongs to: the owner of its code's agency. An event that
    /// names a tenant must name that owner, so that one province's feed can never write into
    /// (or send notices about) another province's dossiers. The error is operator English.
    pub fn owner_of(
        &self,
        named: Option<&TenantId>,
        code: &DossierCode,
    ) -> Result<&Tenant, String> {
        let owner = self.for_code(code);
        match (named, owner) {
            (Some(id), _) if self.get(id).is_none() => {
                Err(format!("tenant {id} is not configured"))
            }
            (Some(id), Some(owner)) if &owner.id != id => Err(format!(
                "the event names tenant {id}, but agency {} belongs to tenant {}",
                code.agency(),
                owner.id
            )),
            (Some(id), None) => Err(format!(
                "the event names tenant {id}, but no tenant owns agency {} (add it to the \
                 tenant's agencies)",
                code.agency()
            )),
            (_, Some(owner)) => Ok(owner),
            (None, None) => Err(format!("no tenant is configured for {}", code.agency())),
        }
    }

    pub fn for_oa(&self, oa_id: &str) -> Option<&Tenant> {
        self.by_oa.get(oa_id).map(|&i| &self.tenants[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tenant> {
        self.tenants.iter()
    }

    pub fn len(&self) -> usize {
        self.tenants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty()
    }
}

fn is_agency_code(code: &str) -> bool {
    DossierCode::parse(&format!("{code}-230101-0001")).is_ok_and(|c| c.agency() == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str, codes: &[&str], oa: Option<&str>) -> Tenant {
        Tenant {
            id: TenantId::parse(id).unwrap(),
            name: id.to_string(),
            agency_codes: codes.iter().map(|s| s.to_string()).collect(),
            oa_id: oa.map(str::to_string),
            public_host: None,
            ticket_answer_hours: 24,
            zalo: ZaloSettings::default(),
            notify: NotifyPolicy::default(),
            agencies: Default::default(),
            tickets: TicketPolicy::default(),
            prices: Prices::default(),
            qr_invokers: Vec::new(),
            retention: Default::default(),
            support: None,
            trial: None,
            sms: None,
            canary: None,
        }
    }

    #[test]
    fn a_trial_with_a_phone_that_is_not_one_is_refused() {
        let mut t = tenant("tq", &["H60"], None);
        t.trial = Some(Trial {
            phones: vec!["0906 591 985".into(), "12345".into()],
            zalo_users: vec![],
        });
        let err = TenantDirectory::new(vec![t.clone()]).unwrap_err();
        assert!(err.to_string().contains("trial phone \"12345\""), "{err}");
        t.trial.as_mut().unwrap().phones.pop();
        assert!(TenantDirectory::new(vec![t]).is_ok());
    }

    #[test]
    fn an_iam_caller_matches_only_its_own_role_in_its_own_account() {
        let roles = vec!["arn:aws:iam::123456789012:role/vendors/one-stop-vendor".to_string()];
        let yes = |arn: &str| iam_caller_is_one_of(arn, &roles);
        assert!(yes(
            "arn:aws:sts::123456789012:assumed-role/one-stop-vendor/printer"
        ));
        assert!(yes(
            "arn:aws:iam::123456789012:role/vendors/one-stop-vendor"
        ));
        assert!(!yes(
            "arn:aws:sts::123456789012:assumed-role/other-vendor/printer"
        ));
        assert!(!yes(
            "arn:aws:sts::999999999999:assumed-role/one-stop-vendor/printer"
        ));
        assert!(!yes("arn:aws:iam::123456789012:user/one-stop-vendor"));
        assert!(!yes("one-stop-vendor"));
        assert!(!iam_caller_is_one_of(
            "arn:aws:sts::123456789012:assumed-role/one-stop-vendor/printer",
            &[]
        ));
    }

    fn merged_provinces() -> TenantDirectory {
        TenantDirectory::new(vec![
            tenant("bac-ninh", &["H05", "H02"], Some("111")),
            tenant("tay-ninh", &["H53", "H39"], None),
            tenant("quang-tri", &["H50", "H46"], None),
            tenant("tuyen-quang", &["H60", "H22"], Some("222")),
            tenant("dak-lak", &["H16", "H45"], None),
            // a DVCQG-hosted unit routed to one province by its exact identifier
            tenant("tay-ninh-dvcqg", &["G22.99.08"], None),
        ])
        .unwrap()
    }

    #[test]
    fn an_event_may_only_name_the_tenant_that_owns_its_code() {
        let dir = merged_provinces();
        let code = DossierCode::parse("000.00.04.H60-230215-0028").unwrap();
        let id = |s: &str| TenantId::parse(s).unwrap();
        let owner = |named: Option<&str>| {
            dir.owner_of(named.map(id).as_ref(), &code)
                .map(|t| t.id.as_str().to_string())
        };
        assert_eq!(owner(None).as_deref(), Ok("tuyen-quang"));
        assert_eq!(owner(Some("tuyen-quang")).as_deref(), Ok("tuyen-quang"));
        // another province's feed naming itself cannot take a Tuyên Quang dossier
        let foreign = owner(Some("bac-ninh")).unwrap_err();
        assert!(
            foreign.contains("belongs to tenant tuyen-quang"),
            "{foreign}"
        );
        assert!(
            owner(Some("nowhere"))
                .unwrap_err()
                .contains("not configured")
        );
        let orphan = DossierCode::parse("000.00.04.H56-230215-0028").unwrap();
        assert!(
            dir.owner_of(Some(&id("bac-ninh")), &orphan)
                .unwrap_err()
                .contains("no tenant owns agency")
        );
        assert!(dir.owner_of(None, &orphan).is_err());
    }

    #[test]
    fn a_retention_of_zero_days_is_refused_with_the_tenant_and_field() {
        let mut t = tenant("tuyen-quang", &["H60"], None);
        t.retention.tickets_after_closing = 0;
        let err = TenantDirectory::new(vec![t]).err().unwrap();
        assert_eq!(
            err.to_string(),
            "tenant tuyen-quang: retention.tickets_after_closing must be at least 1 day (it is 0)"
        );
    }

    #[test]
    fn old_and_new_codes_resolve_to_the_merged_province() {
        let dir = merged_provinces();
        let owner = |c: &str| {
            dir.for_code(&DossierCode::parse(c).unwrap())
                .map(|t| t.id.as_str().to_string())
        };
        assert_eq!(
            owner("000.00.04.H02-230215-0028").as_deref(),
            Some("bac-ninh")
        );
        assert_eq!(
            owner("000.00.04.H05-250815-0001").as_deref(),
            Some("bac-ninh")
        );
        assert_eq!(
            owner("000.00.13.H39-200101-0001").as_deref(),
            Some("tay-ninh")
        );
        assert_eq!(
            owner("000.00.13.H46-200101-0001").as_deref(),
            Some("quang-tri")
        );
        assert_eq!(
            owner("000.00.04.H22-230215-0028").as_deref(),
            Some("tuyen-quang")
        );
        assert_eq!(owner("H45.129-250812-0035").as_deref(), Some("dak-lak"));
        assert_eq!(
            owner("G22.99.08-260921-896048").as_deref(),
            Some("tay-ninh-dvcqg")
        );
        assert_eq!(owner("G22.99.09-260921-896048"), None);
        assert_eq!(owner("000.00.04.H56-230215-0028"), None);
        assert_eq!(dir.for_oa("222").unwrap().id.as_str(), "tuyen-quang");
        assert!(dir.for_oa("999").is_none());
    }

    #[test]
    fn quiet_hours_span_midnight_in_vietnam_time() {
        let q = QuietHours {
            start: "22:00".into(),
            end: "06:00".into(),
        };
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        // 23:30 in Vietnam = 16:30 UTC: 6 h 30 min left
        assert_eq!(
            q.remaining(at("2026-11-24T16:30:00Z")),
            Some(chrono::Duration::minutes(390))
        );
        // 05:59:30 in Vietnam: 30 s left
        assert_eq!(
            q.remaining(at("2026-11-24T22:59:30Z")),
            Some(chrono::Duration::seconds(30))
        );
        assert_eq!(
            q.remaining(at("2026-11-24T23:00:00Z")),
            None,
            "06:00 is open"
        );
        assert_eq!(
            q.remaining(at("2026-11-24T08:00:00Z")),
            None,
            "15:00 is open"
        );
        let day = QuietHours {
            start: "12:00".into(),
            end: "13:30".into(),
        };
        assert_eq!(
            day.remaining(at("2026-11-24T05:15:00Z")),
            Some(chrono::Duration::minutes(75)),
            "12:15 in Vietnam"
        );
        let broken = QuietHours {
            start: "25:00".into(),
            end: "06:00".into(),
        };
        assert_eq!(broken.remaining(at("2026-11-24T16:30:00Z")), None);
    }

    #[test]
    fn conflicting_configuration_is_refused() {
        let err = TenantDirectory::new(vec![
            tenant("bac-ninh", &["H05", "H02"], None),
            tenant("bac-giang", &["h02"], None),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            TenantError::DuplicateAgency {
                code: "H02".into(),
                first: "bac-ninh".into(),
                second: "bac-giang".into()
            }
        );
        assert!(matches!(
            TenantDirectory::new(vec![
                tenant("a", &["H05"], None),
                tenant("a", &["H06"], None)
            ]),
            Err(TenantError::DuplicateTenant(_))
        ));
        assert!(matches!(
            TenantDirectory::new(vec![tenant("a", &["H5"], None)]),
            Err(TenantError::BadAgency { .. })
        ));
        assert!(matches!(
            TenantDirectory::new(vec![tenant("a", &[], None)]),
            Err(TenantError::NoAgencies { .. })
        ));
        assert!(matches!(
            TenantDirectory::new(vec![
                tenant("a", &["H05"], Some("1")),
                tenant("b", &["H06"], Some("1"))
            ]),
            Err(TenantError::DuplicateOa { .. })
        ));
        assert!(TenantId::parse("Bắc Ninh").is_err());
    }
}
