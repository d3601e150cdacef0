//! The embedded adapter: one redb file holds every store port and the durable queues, with the
//! same semantics as DynamoDB and SQS (checked by the shared contract suites). Used by the local
//! server and by provinces that keep data on their own machines.
//!
//! redb is synchronous and serialises writers; every call runs on tokio's blocking pool, and
//! each port operation is one transaction, so conditional writes are atomic.

mod db;
mod queue;
pub mod seal;
mod store;

pub use db::{EmbeddedDb, OpenError};
pub use queue::{EmbeddedQueue, QueueSettings};
pub use store::EmbeddedStore;
