//! What anyone holding only a receipt code may see: status and dates, nothing personal.

use chrono::{DateTime, Utc};
use motcua_domain::{Dossier, NationalStatus};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicStatus {
    pub code: String,
    pub status: NationalStatus,
    pub status_name: &'static str,
    pub step_label: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

impl PublicStatus {
    pub fn of(d: &Dossier, now: DateTime<Utc>) -> Self {
        PublicStatus {
            code: d.code.to_string(),
            status: d.status,
            status_name: d.status.name_vi(),
            step_label: d.step_label.clone(),
            received_at: d.received_at,
            due_at: d.due_at,
            completed_at: d.completed_at,
            overdue: d.is_overdue(now),
        }
    }
}
