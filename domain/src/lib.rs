//! camptrack's model and its rules, pure: types, code lists, validation and the arithmetic
//! that defines the numbers. No web, GraphQL, database or async runtime here.
//!
//! Everything a client can get wrong has a newtype with a fallible constructor, and every
//! validation reports all that is wrong at once, each with the path of the field, so an
//! enumerator can fix a form in one go.

pub mod access;
pub mod assessment;
pub mod code_list;
pub mod codes;
pub mod error;
pub mod insight;
pub mod latest;
pub mod pcode;
pub mod sadd;
pub mod site;
pub mod stock;

pub use code_list::CodeList;
pub use error::{FieldError, Invalid};

#[cfg(test)]
mod hostile_tests;
