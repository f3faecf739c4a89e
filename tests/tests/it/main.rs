//! End-to-end tests of camptrack over HTTP, on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set. One binary, one module per feature.

mod access;
mod areas;
mod assessments;
mod audit;
mod audit_chain;
mod auth;
mod authorization;
mod backpressure;
mod batch;
mod batch_stock;
mod copy;
mod crash;
mod dashboard;
mod demo;
mod distributions;
mod exports;
mod faults;
mod hostile;
mod http;
mod insight;
mod limits;
mod metrics;
mod openrosa;
mod rollups;
mod schema;
mod security;
mod sites;
mod stock;
mod subscriptions;
mod sync;
mod webhooks;
