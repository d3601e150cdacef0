//! The scheduled jobs: the due-date watch (hourly, see `motcua_app::due`), the purge (daily,
//! see `motcua_app::retention`) and the delivery sweep (every 15 minutes, see
//! `motcua_app::delivery`), and the start of scheduled announcements (every 5 minutes, see
//! `motcua_app::announce::schedule`). The schedule's input names the job: `{"job": "purge"}`,
//! `{"job": "sweep"}`, `{"job": "announcements"}`; an input without `job` is the due watch.

pub use motcua_app::announce::ScheduledStart;
pub use motcua_app::delivery::{Sweep, Swept};
pub use motcua_app::due::{DueReport, DueSettings, DueWatch};
pub use motcua_app::retention::{Purge, PurgeReport, PurgeSettings};

/// One function, four schedules.
pub struct Scheduled {
    pub watch: DueWatch,
    pub purge: Purge,
    pub sweep: Sweep,
    pub announcements: ScheduledStart,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(
        "unknown job {0:?} in the schedule's input (expected \"due_watch\", \"purge\", \"sweep\" or \"announcements\")"
    )]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] motcua_app::StoreError),
    #[error(transparent)]
    Ledger(#[from] motcua_app::delivery::LedgerError),
}

impl Scheduled {
    /// Runs the job the input names and returns its report.
    pub async fn run(&self, input: &serde_json::Value) -> Result<serde_json::Value, JobError> {
        let report = match input.get("job").and_then(|j| j.as_str()) {
            None | Some("due_watch") => serde_json::to_value(self.watch.run().await?),
            Some("purge") => serde_json::to_value(self.purge.run().await?),
            Some("sweep") => serde_json::to_value(self.sweep.run().await?),
            Some("announcements") => serde_json::to_value(self.announcements.run().await?),
            Some(other) => return Err(JobError::Unknown(other.to_string())),
        };
        Ok(report.expect("reports serialise"))
    }
}
