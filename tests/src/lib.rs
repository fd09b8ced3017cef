//! Test support for the end-to-end tests: local stand-ins of the services that cannot run here.
pub mod apns;
pub mod dolibarr;
pub mod harness;
pub mod prestashop_ws;
pub mod sogecommerce;
