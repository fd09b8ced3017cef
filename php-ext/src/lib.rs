//! The `ocpizza` PHP extension: thin glue between PHP values and the PHP-free crates.

use ext_php_rs::prelude::*;

#[php_module]
pub fn module(module: ModuleBuilder) -> ModuleBuilder {
    module.name("ocpizza").version(env!("CARGO_PKG_VERSION"))
}
