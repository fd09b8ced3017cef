//! PHP arrays → Rust values, without losing a byte.
//!
//! PHP strings are bytes: signing input stays `&[u8]` (borrowed from the array, no copy for string values);
//! the store's input becomes a `serde_json::Value`, where a non-UTF-8 string is refused by name.

use std::borrow::Cow;

use ext_php_rs::convert::{FromZval, StubLiteral};
use ext_php_rs::exception::PhpResult;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::{Map, Number, Value};

use crate::errors::validation;

/// A PHP `string` argument, as the bytes PHP holds.
///
/// ext-php-rs's `String` and `&str` arguments throw a `TypeError` ("Invalid value given for argument") for a
/// string that is not UTF-8: a value of the declared type, so really a bad value, which the API refuses as a
/// `ValidationException` naming the parameter ([`PhpString::utf8`]). Its PHP type (reflection, stubs) is `string`.
#[derive(Clone, Copy)]
pub struct PhpString<'a>(pub &'a [u8]);

impl<'a> FromZval<'a> for PhpString<'a> {
    const TYPE: DataType = DataType::String;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        zval.zend_str().map(|s| PhpString(s.as_bytes()))
    }
}

/// For `#[php(defaults(…))]`.
impl From<&'static str> for PhpString<'_> {
    fn from(s: &'static str) -> Self {
        PhpString(s.as_bytes())
    }
}

impl StubLiteral for PhpString<'_> {
    fn stub_literal(&self) -> String {
        String::from_utf8_lossy(self.0).stub_literal()
    }
}

impl<'a> PhpString<'a> {
    /// The string as UTF-8, or a `ValidationException` naming `field`.
    pub fn utf8(self, field: &str) -> PhpResult<&'a str> {
        std::str::from_utf8(self.0).map_err(|_| validation(field, "is not valid UTF-8"))
    }
}

/// Deepest nesting accepted in store input (orders nest 3 levels); also stops self-referencing arrays.
const MAX_DEPTH: usize = 16;

/// An array key: PHP arrays have integer or (byte) string keys.
#[derive(Clone, Copy)]
pub enum Key<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Key<'a> {
    /// The key as PHP prints it (integers in decimal).
    pub fn bytes(self) -> Cow<'a, [u8]> {
        match self {
            Key::Str(s) => Cow::Borrowed(s),
            Key::Int(i) => Cow::Owned(i.to_string().into_bytes()),
        }
    }
}

/// `HASH_FLAG_PACKED` (Zend/zend_hash.h): the array is a list stored as plain zvals (`arPacked`, PHP >= 8.2).
const HASH_FLAG_PACKED: u32 = 1 << 2;
/// `IS_UNDEF`: a deleted slot.
const IS_UNDEF: u32 = 0;

/// Every `(key, value)` of `ht` in order, as `ZEND_HASH_FOREACH_KEY_VAL` walks them: straight over the bucket
/// array, borrowing keys and values (no refcount traffic, no call into the engine per element, which is most
/// of the cost of verifying a 40-field notification).
pub fn entries(ht: &ZendHashTable) -> Vec<(Key<'_>, &Zval)> {
    let used = ht.nNumUsed as usize;
    let mut out = Vec::with_capacity(used);
    // SAFETY: `ht` is a live array borrowed for the duration of the call (PHP passes arguments by value, no PHP
    // code runs while we read it). Its first `nNumUsed` slots are initialised; deleted ones are IS_UNDEF. The
    // layout (arPacked for packed arrays, Bucket {val, h, key} otherwise) is that of PHP 8.2+, the API this
    // extension is built for.
    unsafe {
        if ht.u.flags & HASH_FLAG_PACKED != 0 {
            let base = ht.__bindgen_anon_1.arPacked.cast_const();
            for i in 0..used {
                let zv: &Zval = &*base.add(i);
                if zv.u1.type_info & 0xff != IS_UNDEF {
                    out.push((Key::Int(i as i64), zv));
                }
            }
        } else {
            let base = ht.__bindgen_anon_1.arData.cast_const();
            for i in 0..used {
                let b = &*base.add(i);
                if b.val.u1.type_info & 0xff == IS_UNDEF {
                    continue;
                }
                let key = match b.key.as_ref() {
                    Some(k) => Key::Str(k.as_bytes()),
                    None => Key::Int(b.h as i64),
                };
                out.push((key, &b.val));
            }
        }
    }
    out
}

/// The value as PHP's `(string)` cast gives it, for signing: strings as they are, integers in decimal,
/// `true` → "1", `false`/`null` → "", floats as PHP prints them. Arrays and objects are refused naming the key.
fn scalar_bytes<'a>(key: &[u8], value: &'a Zval) -> PhpResult<Cow<'a, [u8]>> {
    let value = value.dereference();
    if let Some(s) = value.zend_str() {
        return Ok(Cow::Borrowed(s.as_bytes()));
    }
    if (value.is_long() || value.is_bool() || value.is_null() || value.is_double())
        && let Some(s) = value.coerce_to_string()
    {
        return Ok(Cow::Owned(s.into_bytes()));
    }
    Err(validation(&join("", &String::from_utf8_lossy(key)), format!("must be a string or a scalar, not {}", kind(value))))
}

fn kind(value: &Zval) -> &'static str {
    if value.is_array() {
        "an array"
    } else if value.is_object() {
        "an object"
    } else {
        "a resource"
    }
}

/// A signing field: name and value bytes, borrowed from the PHP array when they are strings.
pub type Field<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Signing input: the entries whose name starts with `prefix` (empty: all) as `(name, value)` bytes.
pub fn signing_fields<'a>(entries: &[(Key<'a>, &'a Zval)], prefix: &[u8]) -> PhpResult<Vec<Field<'a>>> {
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let name = k.bytes();
        if name.starts_with(prefix) {
            let value = scalar_bytes(&name, v)?;
            out.push((name, value));
        }
    }
    Ok(out)
}

/// `$fields[$name]` as signing bytes, when present and scalar.
pub fn scalar_field<'a>(ht: &'a ZendHashTable, name: &str) -> Option<Cow<'a, [u8]>> {
    scalar_bytes(name.as_bytes(), ht.get(name)?).ok()
}

/// A PHP array as JSON: lists (keys 0..n-1 in order) → arrays, other arrays → objects, int → integer,
/// float → number (finite only), string → string (UTF-8 only), bool, null. Refusals name the path
/// (`lines[2].sku`).
pub fn to_json(ht: &ZendHashTable) -> PhpResult<Value> {
    array_to_json(ht, "", 0)
}

/// The key's name and its path under `parent`.
fn child(parent: &str, key: Key) -> PhpResult<(String, String)> {
    let name = match key {
        Key::Str(s) => match std::str::from_utf8(s) {
            Ok(s) => s.to_owned(),
            Err(_) => {
                let lossy = String::from_utf8_lossy(s).into_owned();
                return Err(validation(&join(parent, &lossy), "key is not valid UTF-8"));
            }
        },
        Key::Int(i) => i.to_string(),
    };
    let path = join(parent, &name);
    Ok((name, path))
}

/// The path of key `name` under `parent`; an empty key is shown as `[""]` (a refusal always names a field).
fn join(parent: &str, name: &str) -> String {
    match (parent.is_empty(), name.is_empty()) {
        (_, true) => format!("{parent}[\"\"]"),
        (true, false) => name.to_owned(),
        (false, false) => format!("{parent}.{name}"),
    }
}

fn is_list(entries: &[(Key, &Zval)]) -> bool {
    entries.iter().enumerate().all(|(i, (k, _))| matches!(k, Key::Int(n) if *n == i as i64))
}

fn array_to_json(ht: &ZendHashTable, path: &str, depth: usize) -> PhpResult<Value> {
    if depth > MAX_DEPTH {
        return Err(validation(if path.is_empty() { "input" } else { path }, "nests too deep"));
    }
    let entries = entries(ht);
    if is_list(&entries) {
        let mut out = Vec::with_capacity(entries.len());
        for (i, (_, v)) in entries.iter().enumerate() {
            out.push(value_to_json(v, &format!("{path}[{i}]"), depth)?);
        }
        return Ok(Value::Array(out));
    }
    let mut out = Map::with_capacity(entries.len());
    for (k, v) in &entries {
        let (name, p) = child(path, *k)?;
        let value = value_to_json(v, &p, depth)?;
        // Keys are unique in a PHP array (PHP itself folds "1" into 1), so nothing is overwritten.
        out.insert(name, value);
    }
    Ok(Value::Object(out))
}

fn value_to_json(v: &Zval, path: &str, depth: usize) -> PhpResult<Value> {
    let v = v.dereference();
    if let Some(s) = v.zend_str() {
        return match s.as_str() {
            Ok(s) => Ok(Value::String(s.to_owned())),
            Err(_) => Err(validation(path, "is not valid UTF-8")),
        };
    }
    if let Some(n) = v.long().filter(|_| v.is_long()) {
        return Ok(Value::from(n));
    }
    if v.is_double() {
        let d = v.double().unwrap_or(f64::NAN);
        return Number::from_f64(d).map(Value::Number).ok_or_else(|| validation(path, "must be a finite number"));
    }
    if v.is_bool() {
        return Ok(Value::Bool(v.is_true()));
    }
    if v.is_null() {
        return Ok(Value::Null);
    }
    if let Some(inner) = v.array() {
        return array_to_json(inner, path, depth + 1);
    }
    Err(validation(path, format!("must be a scalar or an array, not {}", kind(v))))
}

/// A JSON value as a PHP value (objects → associative arrays, arrays → lists).
pub fn json_to_zval(v: &Value) -> PhpResult<Zval> {
    let mut zv = Zval::new();
    match v {
        Value::Null => zv.set_null(),
        Value::Bool(b) => zv.set_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => zv.set_long(i),
            None => zv.set_double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => zv.set_string(s, false).map_err(|e| crate::guard::internal(&e.to_string()))?,
        Value::Array(items) => {
            let mut ht = ZendHashTable::with_capacity(items.len().try_into().unwrap_or(u32::MAX));
            for item in items {
                ht.push(json_to_zval(item)?).map_err(|e| crate::guard::internal(&e.to_string()))?;
            }
            zv.set_hashtable(ht);
        }
        Value::Object(map) => {
            let mut ht = ZendHashTable::with_capacity(map.len().try_into().unwrap_or(u32::MAX));
            for (k, item) in map {
                ht.insert(k.as_str(), json_to_zval(item)?).map_err(|e| crate::guard::internal(&e.to_string()))?;
            }
            zv.set_hashtable(ht);
        }
    }
    Ok(zv)
}

/// An associative PHP array with the keys in the given order (PHP arrays are ordered; `===` compares order).
pub fn assoc(entries: Vec<(&str, Value)>) -> PhpResult<Zval> {
    let entries = entries.into_iter().map(|(k, v)| Ok((k, json_to_zval(&v)?))).collect::<PhpResult<Vec<_>>>()?;
    assoc_zvals(entries)
}

/// [`assoc`] over PHP values.
pub fn assoc_zvals(entries: Vec<(&str, Zval)>) -> PhpResult<Zval> {
    let mut ht = ZendHashTable::with_capacity(entries.len().try_into().unwrap_or(u32::MAX));
    for (k, v) in entries {
        ht.insert(k, v).map_err(|e| crate::guard::internal(&e.to_string()))?;
    }
    let mut zv = Zval::new();
    zv.set_hashtable(ht);
    Ok(zv)
}
