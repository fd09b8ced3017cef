//! PHP-free logic shared by the `ocpizza` PHP extension and the `ocpizza-bridge` service.
//!
//! Everything here is plain Rust, unit-tested with `cargo test`: the extension crate only converts PHP values
//! to these types and errors to PHP exceptions.

pub mod cancel_or_refund;
pub mod codes;
pub mod events;
pub mod status;
pub mod money;
pub mod notification;
pub mod rest_notification;
pub mod sogecommerce;
pub mod webhooks;
