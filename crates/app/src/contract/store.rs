//! The store contract: every case runs against each adapter (`store_contract_tests!`).

mod counters;
mod deliveries;
mod dossiers;
mod idempotency;
mod messages;
mod procedures;
mod retention;
mod staff;
mod tickets;
mod tokens;
mod users;

pub use counters::*;
pub use deliveries::*;
pub use dossiers::*;
pub use idempotency::*;
pub use messages::*;
pub use procedures::*;
pub use retention::*;
pub use staff::*;
pub use tickets::*;
pub use tokens::*;
pub use users::*;

use super::*;

const C1: &str = "000.00.04.H60-230215-0028";
const C2: &str = "000.00.04.H60-230215-0029";
