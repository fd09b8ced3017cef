//! Reading untyped input (PHP arrays converted to JSON values) field by field, with errors that name the field by
//! its full path (`customer.email`, `lines[2].quantity`).
//!
//! Scalars are coerced like PHP's `(string)`: `2590` → `"2590"`, `true` → `"1"`, `false`/`null` → `""`. Nested
//! arrays are only accepted where a structure is expected.

use serde_json::{Map, Value};

use super::StoreError;

/// An input object (PHP associative array) and where it sits in the whole input.
#[derive(Clone)]
pub struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> StoreError {
    StoreError::Validation {
        field: field.into(),
        reason: reason.into(),
    }
}

fn as_obj(path: String, value: &Value) -> Result<Obj<'_>, StoreError> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match value {
        Value::Object(map) => Ok(Obj { path, map }),
        // An empty PHP array converts to an empty list.
        Value::Array(items) if items.is_empty() => Ok(Obj {
            path,
            map: EMPTY.get_or_init(Map::new),
        }),
        _ => Err(invalid(display(&path), "must be an array of named fields")),
    }
}

fn display(path: &str) -> String {
    if path.is_empty() {
        "input".to_owned()
    } else {
        path.to_owned()
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Array(_) | Value::Object(_) => "an array",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
    }
}

/// PHP `(string)` of a scalar; `None` for arrays.
pub fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("1".to_owned()),
        Value::Bool(false) | Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

impl<'a> Obj<'a> {
    pub fn top(value: &'a Value) -> Result<Obj<'a>, StoreError> {
        as_obj(String::new(), value)
    }

    /// The full path of a field of this object.
    pub fn path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{}", self.path, name)
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// An optional string; absent, `null` and `""` are all `None`.
    pub fn opt_str(&self, name: &str, max_chars: usize) -> Result<Option<String>, StoreError> {
        let Some(v) = self.get(name) else { return Ok(None) };
        let s = scalar_string(v)
            .ok_or_else(|| invalid(self.path(name), format!("must be a string, got {}", kind_of(v))))?;
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > max_chars {
            return Err(invalid(
                self.path(name),
                format!("is longer than {max_chars} characters"),
            ));
        }
        Ok(Some(s))
    }

    /// A required, non-blank string.
    pub fn req_str(&self, name: &str, max_chars: usize) -> Result<String, StoreError> {
        let s = self
            .opt_str(name, max_chars)?
            .ok_or_else(|| invalid(self.path(name), "is required"))?;
        if s.trim().is_empty() {
            return Err(invalid(self.path(name), "must not be blank"));
        }
        Ok(s)
    }

    /// An optional integer: a PHP int, or a string of decimal digits (form data arrives as strings).
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let Some(v) = self.get(name) else { return Ok(None) };
        let bad = || invalid(self.path(name), format!("must be an integer, got {}", kind_of(v)));
        match v {
            Value::Number(n) => n.as_i64().map(Some).ok_or_else(bad),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => {
                let t = s.trim();
                let digits = t.strip_prefix('-').unwrap_or(t);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(self.path(name), "must be an integer"));
                }
                t.parse::<i64>()
                    .map(Some)
                    .map_err(|_| invalid(self.path(name), "is out of range"))
            }
            _ => Err(bad()),
        }
    }

    pub fn req_int(&self, name: &str) -> Result<i64, StoreError> {
        self.opt_int(name)?
            .ok_or_else(|| invalid(self.path(name), "is required"))
    }

    /// A nested object, absent (`None`) or an array of named fields.
    pub fn opt_obj(&self, name: &str) -> Result<Option<Obj<'a>>, StoreError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => as_obj(self.path(name), v).map(Some),
        }
    }

    /// A list (PHP list, or an array whose keys are ignored, in its order).
    pub fn list(&self, name: &str) -> Result<Vec<&'a Value>, StoreError> {
        match self.get(name) {
            None => Err(invalid(self.path(name), "is required")),
            Some(Value::Array(items)) => Ok(items.iter().collect()),
            Some(Value::Object(map)) => Ok(map.values().collect()),
            Some(v) => Err(invalid(self.path(name), format!("must be a list, got {}", kind_of(v)))),
        }
    }
}

/// An element of a list, seen as an object at `path` (e.g. `lines[2]`).
pub fn item(path: String, value: &Value) -> Result<Obj<'_>, StoreError> {
    as_obj(path, value)
}
