//! The integration tests of `functions/notifier` in one binary: a file below is a module, where it was a
//! binary of its own (one link in every build instead of one per file, and one process whose
//! test threads run every file's tests side by side).

#[path = "../common/mod.rs"]
mod common;

mod delivery_time;
mod faults;
mod ledger;
mod moto;
mod notifier;
mod safe_sending;
mod sms;
