//! The bridge as a library, so that integration tests drive the same code as the binary.

pub mod apns;
pub mod cli;
pub mod config;
pub mod destination;
pub mod dolibarr;
