//! OCPizza_DB: connecting in strict mode, the migrations embedded from `migrations/`, the fictitious seed data.

pub mod connect;
pub mod error;
pub mod migrate;
pub mod seed;
pub mod store;
#[cfg(feature = "test-support")]
pub mod testing;

pub use connect::connect;
pub use error::DbError;
