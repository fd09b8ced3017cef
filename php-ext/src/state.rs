//! The per-process database state: one tokio current-thread runtime and one small pool per database URL.
//!
//! Created on the first `Store` call, never at MINIT (php-fpm forks its workers after MINIT), and keyed by PID:
//! a forked child leaks the state it inherited (dropping it would close sockets its parent still uses) and
//! builds its own. A current-thread runtime starts no thread, so a PHP worker stays single-threaded.

use std::collections::HashMap;
use std::future::Future;
use std::mem;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ocpizza_db::connect::{PoolSettings, connect_with};
use ocpizza_db::store::StoreError;
use sqlx::MySqlPool;
use tokio::runtime::{Builder, Runtime};

/// A PHP worker runs one request at a time; the second connection covers a connection still on its way back
/// to the pool (returned by a task that only runs at the next `block_on`).
const MAX_CONNECTIONS: u32 = 2;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

struct State {
    pid: u32,
    runtime: Runtime,
    pools: HashMap<String, MySqlPool>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot start the database runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs `f` with this process's pool for `url` (connecting on first use), on this process's runtime.
pub fn with_pool<T, F, Fut>(url: &str, f: F) -> Result<T, StateError>
where
    F: FnOnce(MySqlPool) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    // A panic while the lock was held (caught by the entry-point guard) leaves a usable state: recover it.
    let mut guard = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    if guard.as_ref().is_some_and(|s| s.pid != pid) {
        // Forked child: the inherited runtime and sockets belong to the parent.
        mem::forget(guard.take());
    }
    if guard.is_none() {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        *guard = Some(State { pid, runtime, pools: HashMap::new() });
    }
    let state = guard.as_mut().expect("state was just set");
    let pool = match state.pools.get(url) {
        Some(pool) => pool.clone(),
        None => {
            let settings = PoolSettings {
                max_connections: MAX_CONNECTIONS,
                acquire_timeout: ACQUIRE_TIMEOUT,
                // Between requests nothing runs the pool's idle reaper: keep the ping.
                test_before_acquire: true,
            };
            // A failed connection is not kept: the next call tries again.
            let pool = state.runtime.block_on(connect_with(url, settings)).map_err(StoreError::Db)?;
            state.pools.insert(url.to_owned(), pool.clone());
            pool
        }
    };
    Ok(state.runtime.block_on(f(pool))?)
}
