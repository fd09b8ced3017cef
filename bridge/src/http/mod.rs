//! The HTTP API, one module per concern (see `bridge/openapi.yaml`).

pub mod admin;
pub mod devices;
pub mod error;
pub mod ops;
pub mod orders;
pub mod orders_actions;
pub mod staff;
pub mod webhook;
