//! sea-orm entities, one per table. They stay inside `storage`: the rest of the server sees
//! domain types and the storage functions' own records.

pub mod account;
pub mod admin_area;
pub mod api_token;
pub mod assessment_sadd;
pub mod assessment_version;
pub mod audit_log;
pub mod audit_seal;
pub mod change_log;
pub mod distribution;
pub mod distribution_line;
pub mod item;
pub mod kit;
pub mod kit_item;
pub mod openrosa_attachment;
pub mod openrosa_submission;
pub mod organisation;
pub mod round;
pub mod site;
pub mod site_assessment;
pub mod stock_movement;
pub mod warehouse;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
