//! The bridge as a library, so that integration tests drive the same code as the binary.

pub mod apns;
pub mod app;
pub mod backfill;
pub mod cli;
pub mod config;
pub mod destination;
pub mod dolibarr;
pub mod http;
pub mod ingest;
pub mod queue;
pub mod reconcile;
pub mod relay;
pub mod retention;
pub mod prestashop;
pub mod sink;
pub mod staff;
pub mod telemetry;
