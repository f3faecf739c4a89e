//! The exportable datasets, one module each.

mod activities;
mod assessments;
mod balances;
mod displacement;
mod distributions;
mod gaps;
mod lookup;
mod movements;
mod sites;

pub use activities::Activities;
pub use assessments::Assessments;
pub use balances::Balances;
pub use displacement::{ByAdmin, ByCell};
pub use distributions::Distributions;
pub use gaps::{Spikes, Stale, Undistributed};
pub use movements::Movements;
pub use sites::Sites;

/// Every dataset's name, for the 404 of an unknown one.
pub const NAMES: &[&str] = &[
    "sites",
    "assessments",
    "distributions",
    "stock-movements",
    "stock-balances",
    "displacement-by-cell",
    "displacement-by-admin",
    "activities",
    "sites-without-distribution",
    "stale-sites",
    "arrival-spikes",
];
