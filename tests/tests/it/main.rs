//! End-to-end tests of camptrack over HTTP, on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set. One binary, one module per feature.

mod access;
mod areas;
mod assessments;
mod audit;
mod auth;
mod batch;
mod batch_stock;
mod crash;
mod demo;
mod distributions;
mod http;
mod limits;
mod openrosa;
mod rollups;
mod schema;
mod sites;
mod stock;
mod sync;
