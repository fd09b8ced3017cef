//! The `OCPizza\*` exceptions and the conversion of Rust errors into them.
//!
//! The classes are plain Zend classes registered at MINIT (not Rust-backed objects): they inherit
//! `\Exception`'s constructor and its file/line/trace set-up, so PHP code (and test doubles) can also
//! `new OCPizza\ValidationException('field: reason')` them. `ValidationException` declares a public `field`.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::args::ArgInfoTables;
use ext_php_rs::builders::{ClassBuilder, ClassProperty, ModuleBuilder};
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::flags::{DataType, PropertyFlags};
use ext_php_rs::types::{ZendObject, Zval};
use ext_php_rs::zend::{ClassEntry, ce};
use ocpizza_core::notification::NotificationError;
use ocpizza_db::DbError;
use ocpizza_db::store::StoreError;

/// The exception classes of the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `OCPizza\Exception`: the common parent; thrown itself for internal errors (caught panics).
    Base,
    Signature,
    Validation,
    Db,
    /// `OCPizza\GatewayException`: the payment gateway refused or could not be reached (`$errorCode`).
    Gateway,
}

static BASE: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
static SIGNATURE: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
static VALIDATION: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
static DB: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
static GATEWAY: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());

impl Kind {
    fn slot(self) -> &'static AtomicPtr<ClassEntry> {
        match self {
            Kind::Base => &BASE,
            Kind::Signature => &SIGNATURE,
            Kind::Validation => &VALIDATION,
            Kind::Db => &DB,
            Kind::Gateway => &GATEWAY,
        }
    }

    /// The registered class entry; `\Exception` if MINIT did not run (cannot happen once the module loaded).
    fn ce(self) -> &'static ClassEntry {
        let p = self.slot().load(Ordering::Acquire);
        // SAFETY: set once at MINIT from the engine's class table, which lives as long as the process.
        unsafe { p.as_ref() }.unwrap_or_else(ce::exception)
    }
}

fn base_ce() -> &'static ClassEntry {
    Kind::Base.ce()
}

fn keep_base(ce: &'static mut ClassEntry, _: ArgInfoTables) {
    BASE.store(ce, Ordering::Release);
}
fn keep_signature(ce: &'static mut ClassEntry, _: ArgInfoTables) {
    SIGNATURE.store(ce, Ordering::Release);
}
fn keep_validation(ce: &'static mut ClassEntry, _: ArgInfoTables) {
    VALIDATION.store(ce, Ordering::Release);
}
fn keep_db(ce: &'static mut ClassEntry, _: ArgInfoTables) {
    DB.store(ce, Ordering::Release);
}
fn keep_gateway(ce: &'static mut ClassEntry, _: ArgInfoTables) {
    GATEWAY.store(ce, Ordering::Release);
}

/// MINIT hook: registers the five classes, parent first.
extern "C" fn startup(_ty: i32, _module_number: i32) -> i32 {
    let field = ClassProperty {
        name: "field".into(),
        flags: PropertyFlags::Public,
        default: Some(Box::new(|| "".into_zval(true))),
        docs: &[],
        ty: Some(DataType::String),
        nullable: false,
        readonly: false,
        default_stub: Some("''".into()),
    };
    let result = ClassBuilder::new("OCPizza\\Exception")
        .extends((ce::exception, "\\Exception"))
        .registration(keep_base)
        .register()
        .and_then(|()| {
            ClassBuilder::new("OCPizza\\SignatureException")
                .extends((base_ce, "\\OCPizza\\Exception"))
                .registration(keep_signature)
                .register()
        })
        .and_then(|()| {
            ClassBuilder::new("OCPizza\\ValidationException")
                .extends((base_ce, "\\OCPizza\\Exception"))
                .property(field)
                .registration(keep_validation)
                .register()
        })
        .and_then(|()| {
            ClassBuilder::new("OCPizza\\DbException")
                .extends((base_ce, "\\OCPizza\\Exception"))
                .registration(keep_db)
                .register()
        })
        .and_then(|()| {
            let error_code = ClassProperty {
                name: "errorCode".into(),
                flags: PropertyFlags::Public,
                default: Some(Box::new(|| "".into_zval(true))),
                docs: &[],
                ty: Some(DataType::String),
                nullable: false,
                readonly: false,
                default_stub: Some("''".into()),
            };
            ClassBuilder::new("OCPizza\\GatewayException")
                .extends((base_ce, "\\OCPizza\\Exception"))
                .property(error_code)
                .registration(keep_gateway)
                .register()
        });
    // 0 = SUCCESS, -1 = FAILURE (PHP then refuses the module instead of running without its exceptions).
    if result.is_ok() { 0 } else { -1 }
}

pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.startup_function(startup)
}

/// An exception of `kind` with `message`, created through the class's constructor (so file, line and trace
/// point at the PHP caller); `field` fills `ValidationException::$field`.
pub fn exception(kind: Kind, message: &str, field: Option<&str>) -> PhpException {
    let build = || -> Option<Zval> {
        let mut obj = ZendObject::new(kind.ce());
        obj.try_call_method("__construct", vec![&message]).ok()?;
        if let Some(field) = field {
            obj.set_property("field", field).ok()?;
        }
        obj.into_zval(false).ok()
    };
    let fallback = PhpException::new(message.to_owned(), 0, kind.ce());
    match build() {
        Some(zv) => fallback.with_object(zv),
        None => fallback,
    }
}

/// `GatewayException(message)` with `$errorCode` set (the gateway's code, or HTTP_<status>, TIMEOUT, NETWORK,
/// INVALID_ANSWER).
pub fn gateway(code: &str, message: &str) -> PhpException {
    let build = || -> Option<Zval> {
        let mut obj = ZendObject::new(Kind::Gateway.ce());
        obj.try_call_method("__construct", vec![&message]).ok()?;
        obj.set_property("errorCode", code).ok()?;
        obj.into_zval(false).ok()
    };
    let fallback = PhpException::new(message.to_owned(), 0, Kind::Gateway.ce());
    match build() {
        Some(zv) => fallback.with_object(zv),
        None => fallback,
    }
}

/// `ValidationException("field: reason")` with `$field` set.
pub fn validation(field: &str, reason: impl std::fmt::Display) -> PhpException {
    exception(Kind::Validation, &format!("{field}: {reason}"), Some(field))
}

pub fn from_notification(e: NotificationError) -> PhpException {
    match &e {
        NotificationError::Signature(_) => exception(Kind::Signature, &e.to_string(), None),
        NotificationError::Invalid { field, .. } => exception(Kind::Validation, &e.to_string(), Some(field)),
    }
}

/// Store errors; `redact` holds secrets (database password, webhook secret, URLs) that must never appear in
/// a message, whatever the lower layers put in theirs.
pub fn from_store(e: StoreError, redact: &[&str]) -> PhpException {
    match e {
        StoreError::Validation { field, reason } => validation(&field, scrub(&reason, redact)),
        StoreError::Db(db) => from_db(db, redact),
    }
}

pub fn from_db(e: DbError, redact: &[&str]) -> PhpException {
    exception(Kind::Db, &scrub(&e.to_string(), redact), None)
}

/// Replaces every non-trivial secret in `text` by `***`.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn scrub_removes_every_secret_and_ignores_trivial_ones() {
        let out = scrub("cannot reach mysql://u:hunter2@h/db (hunter2)", &["mysql://u:hunter2@h/db", "hunter2", ""]);
        assert_eq!(out, "cannot reach *** (***)");
    }
}
