//! The exportable datasets, one module each.

mod assessments;
mod balances;
mod displacement;
mod distributions;
mod lookup;
mod movements;
mod sites;

pub use assessments::Assessments;
pub use balances::Balances;
pub use displacement::{ByAdmin, ByCell};
pub use distributions::Distributions;
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
];
