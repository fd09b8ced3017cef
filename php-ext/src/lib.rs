//! The `ocpizza` PHP extension: thin glue between PHP values and the PHP-free crates.
//!
//! Logic lives in `ocpizza_core` (signatures, notifications, webhooks) and `ocpizza_db::store` (orders); this
//! crate converts PHP arrays to Rust values, Rust errors to the `OCPizza\*` exceptions, and never lets a panic
//! reach PHP as anything but an `OCPizza\Exception`.

mod errors;
mod gateway;
mod guard;
mod input;
mod signatures;
mod state;
mod store;

use ext_php_rs::prelude::*;

#[php_module]
pub fn module(module: ModuleBuilder) -> ModuleBuilder {
    let module = module.name("ocpizza").version(env!("CARGO_PKG_VERSION"));
    let module = errors::register(module);
    let module = signatures::register(module);
    #[cfg(debug_assertions)]
    let module = module.function(wrap_function!(ocpizza_debug_panic));
    store::register(module)
}

/// Debug builds only (the ones `make test` loads): `ocpizza_debug_panic(string $what)` panics inside the guard,
/// so that the tests prove a panic becomes an `OCPizza\Exception` and leaves the worker usable. Release builds,
/// the ones shipped, do not have it.
#[cfg(debug_assertions)]
#[php_function]
pub fn ocpizza_debug_panic(what: String) -> PhpResult<bool> {
    guard::guarded(|| panic!("{what}"))
}
