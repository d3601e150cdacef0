//! The scheduled due-date watch (hourly): see `motcua_app::due`.

pub use motcua_app::due::{DueReport, DueSettings, DueWatch};
