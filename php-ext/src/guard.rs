//! Every PHP entry point runs inside [`guarded`]: a Rust panic becomes an `OCPizza\Exception`
//! ("internal error: …") that `catch (\OCPizza\Exception)` handles, never a crashed or confused PHP worker.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ext_php_rs::exception::{PhpException, PhpResult};

use crate::errors::{Kind, exception};

/// Longest panic text put in a message: enough to report the bug, bounded for logs.
const MAX_PANIC_TEXT: usize = 200;

pub fn guarded<T>(f: impl FnOnce() -> PhpResult<T>) -> PhpResult<T> {
    // AssertUnwindSafe: after a panic we only build an exception; shared state (the DB state mutex) recovers
    // from poisoning explicitly.
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            let text: String = text.chars().take(MAX_PANIC_TEXT).collect();
            Err(internal(&text))
        }
    }
}

/// `OCPizza\Exception("internal error: …")`.
pub fn internal(what: &str) -> PhpException {
    exception(Kind::Base, &format!("internal error: {what}"), None)
}
