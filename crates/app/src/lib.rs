//! Use cases over ports. Adapters (DynamoDB, SQS, embedded store, Zalo) implement the ports;
//! functions wire them together.

pub mod announce;
pub mod canary;
pub mod client;
pub mod clock;
pub mod conversation;
pub mod dead_letter;
pub mod delivery;
pub mod due;
pub mod erasure;
pub mod guide;
pub mod ingest;
pub mod lookup;
pub mod messenger;
pub mod metrics;
pub mod notify;
pub mod oa_followers;
pub mod once;
pub mod pii;
pub mod ports;
pub mod qr;
pub mod retention;
pub mod sms;
pub mod staff;
pub mod stats;
pub mod tenancy;

#[cfg(feature = "contract-tests")]
pub mod contract;

pub use client::ClientIp;
pub use ports::*;
pub use tenancy::{ConfigError, Tenancy, TenantFile};
