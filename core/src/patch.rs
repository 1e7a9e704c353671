//! A caller's change to a JSON document as data, so that the collected-data
//! update can re-apply it identically after a conflict, in every language,
//! without calling back into user code: a JSON Merge Patch (RFC 7386, an
//! object) or a JSON Patch (RFC 6902, a list of operations).

use serde_json::{Map, Value};

use crate::args::Dialect;
use crate::error::{Error, Result};

/// Operations in one JSON Patch, at most.
pub const MAX_PATCH_OPS: usize = 1000;

/// One JSON Patch operation.
#[derive(Clone, Debug, PartialEq)]
pub enum PatchOp {
    Add {
        path: String,
        value: Value,
    },
    Remove {
        path: String,
    },
    Replace {
        path: String,
        value: Value,
    },
    Move {
        from: String,
        path: String,
    },
    Copy {
        from: String,
        path: String,
    },
    /// A precondition: the value at `path` equals `value`.
    Test {
        path: String,
        value: Value,
    },
}

impl PatchOp {
    pub fn name(&self) -> &'static str {
        match self {
            PatchOp::Add { .. } => "add",
            PatchOp::Remove { .. } => "remove",
            PatchOp::Replace { .. } => "replace",
            PatchOp::Move { .. } => "move",
            PatchOp::Copy { .. } => "copy",
            PatchOp::Test { .. } => "test",
        }
    }

    pub fn path(&self) -> &str {
        match self {
            PatchOp::Add { path, .. }
            | PatchOp::Remove { path }
            | PatchOp::Replace { path, .. }
            | PatchOp::Move { path, .. }
            | PatchOp::Copy { path, .. }
            | PatchOp::Test { path, .. } => path,
        }
    }
}

/// A change to a JSON document, applied the same way on every attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum DataChange {
    /// RFC 7386: fields of the object replace the document's, `null` removes one.
    Merge(Value),
    /// RFC 6902: operations applied in order, all or nothing.
    Patch(Vec<PatchOp>),
}

/// Why a change could not be applied to the document as it is.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchFailure {
    /// The operation's position in the patch.
    pub index: usize,
    pub op: &'static str,
    pub path: String,
    /// True for a `test` that did not hold (a precondition), false for an
    /// operation the document does not allow (a missing path, say).
    pub test_failed: bool,
    /// What went wrong; never a value from the document (personal data).
    pub reason: String,
}

impl DataChange {
    /// The change as a binding received it: an object is a merge patch, a
    /// list a JSON Patch. Checked completely before anything is sent.
    pub fn from_value(dialect: Dialect, value: Value) -> Result<Self> {
        let name = dialect.name("change", false);
        crate::args::check_json(&name, &value)?;
        match value {
            Value::Object(_) => Ok(DataChange::Merge(value)),
            Value::Array(ops) => {
                if ops.len() > MAX_PATCH_OPS {
                    return Err(Error::InvalidArgument(format!("{name} has {} operations, more than {MAX_PATCH_OPS}", ops.len())));
                }
                let ops = ops.into_iter().enumerate().map(|(index, op)| parse_op(&name, index, op)).collect::<Result<Vec<_>>>()?;
                Ok(DataChange::Patch(ops))
            }
            other => Err(Error::InvalidArgument(format!(
                "{name} must be a JSON Merge Patch (an object) or a JSON Patch (a list of operations), not {}",
                kind(&other)
            ))),
        }
    }

    /// True when applying the change twice gives what applying it once gives.
    pub fn is_idempotent(&self) -> bool {
        match self {
            DataChange::Merge(_) => true,
            DataChange::Patch(ops) => ops.iter().all(|op| match op {
                PatchOp::Add { path, .. } => !path.ends_with("/-"),
                PatchOp::Replace { .. } | PatchOp::Test { .. } => true,
                PatchOp::Remove { .. } | PatchOp::Move { .. } | PatchOp::Copy { .. } => false,
            }),
        }
    }

    /// The document with the change applied; `document` is left as it was on failure.
    pub fn apply(&self, document: &Value) -> std::result::Result<Value, PatchFailure> {
        match self {
            DataChange::Merge(patch) => Ok(merge(document.clone(), patch)),
            DataChange::Patch(ops) => {
                let mut result = document.clone();
                for (index, op) in ops.iter().enumerate() {
                    apply_op(&mut result, op).map_err(|(test_failed, reason)| PatchFailure {
                        index,
                        op: op.name(),
                        path: op.path().to_owned(),
                        test_failed,
                        reason,
                    })?;
                }
                Ok(result)
            }
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn parse_op(name: &str, index: usize, op: Value) -> Result<PatchOp> {
    let bad = |what: String| Error::InvalidArgument(format!("{name}[{index}] {what}"));
    let Value::Object(mut op) = op else {
        return Err(bad(format!("must be an operation object, not {}", kind(&op))));
    };
    let pointer = |op: &mut Map<String, Value>, field: &str| -> Result<String> {
        match op.remove(field) {
            Some(Value::String(text)) => {
                tokens(&text).map_err(|reason| bad(format!("{field} {}: {reason}", crate::args::shown_text(&text))))?;
                Ok(text)
            }
            Some(other) => Err(bad(format!("{field} must be a JSON Pointer string, not {}", kind(&other)))),
            None => Err(bad(format!("needs a {field}"))),
        }
    };
    let operation = match op.get("op") {
        Some(Value::String(text)) => text.clone(),
        _ => return Err(bad("needs an op: add, remove, replace, move, copy or test".into())),
    };
    let path = pointer(&mut op, "path")?;
    let parsed = match operation.as_str() {
        "remove" => PatchOp::Remove { path },
        "move" | "copy" => {
            let from = pointer(&mut op, "from")?;
            if operation == "move" {
                if path.starts_with(&format!("{from}/")) {
                    return Err(bad("moves a value into itself".into()));
                }
                PatchOp::Move { from, path }
            } else {
                PatchOp::Copy { from, path }
            }
        }
        "add" | "replace" | "test" => {
            let value = op.remove("value").ok_or_else(|| bad("needs a value".into()))?;
            match operation.as_str() {
                "add" => PatchOp::Add { path, value },
                "replace" => PatchOp::Replace { path, value },
                _ => PatchOp::Test { path, value },
            }
        }
        other => return Err(bad(format!("has op {}: use add, remove, replace, move, copy or test", crate::args::shown_text(other)))),
    };
    Ok(parsed)
}

/// The reference tokens of a JSON Pointer (RFC 6901), unescaped.
fn tokens(pointer: &str) -> std::result::Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err("a JSON Pointer is empty or starts with /".into());
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::with_capacity(token.len());
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => out.push('~'),
                    Some('1') => out.push('/'),
                    _ => return Err("~ must be followed by 0 or 1".to_owned()),
                }
            }
            Ok(out)
        })
        .collect()
}

/// RFC 7386's MergePatch.
fn merge(target: Value, patch: &Value) -> Value {
    let Value::Object(patch) = patch else {
        return patch.clone();
    };
    let mut target = match target {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (name, value) in patch {
        if value.is_null() {
            target.remove(name);
        } else {
            let current = target.remove(name).unwrap_or(Value::Null);
            target.insert(name.clone(), merge(current, value));
        }
    }
    Value::Object(target)
}

type OpResult<T> = std::result::Result<T, (bool, String)>;

fn failed<T>(reason: impl Into<String>) -> OpResult<T> {
    Err((false, reason.into()))
}

fn array_index(token: &str, len: usize, allow_end: bool) -> OpResult<usize> {
    let plain = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && (token == "0" || !token.starts_with('0'));
    let index = plain.then(|| token.parse::<usize>().ok()).flatten();
    match index {
        Some(index) if index < len || (allow_end && index == len) => Ok(index),
        Some(_) => failed(format!("index {token} is past the end of a list of {len}")),
        None => failed(format!("{} is not a list index", crate::args::shown_text(token))),
    }
}

fn get<'a>(document: &'a Value, tokens: &[String]) -> OpResult<&'a Value> {
    let mut current = document;
    for token in tokens {
        current = match current {
            Value::Object(map) => map.get(token).ok_or((false, format!("no member {}", crate::args::shown_text(token))))?,
            Value::Array(items) => &items[array_index(token, items.len(), false)?],
            _ => return failed("the path goes through a value that is neither an object nor a list"),
        };
    }
    Ok(current)
}

/// The parent container of the pointer's target, and the last token.
fn parent<'a>(document: &'a mut Value, tokens: &'a [String]) -> OpResult<(&'a mut Value, &'a str)> {
    let (last, walk) = tokens.split_last().ok_or((false, "the path names the whole document".to_owned()))?;
    let mut current = document;
    for token in walk {
        current = match current {
            Value::Object(map) => map.get_mut(token).ok_or((false, format!("no member {}", crate::args::shown_text(token))))?,
            Value::Array(items) => {
                let index = array_index(token, items.len(), false)?;
                &mut items[index]
            }
            _ => return failed("the path goes through a value that is neither an object nor a list"),
        };
    }
    Ok((current, last))
}

fn add(document: &mut Value, path: &str, value: Value) -> OpResult<()> {
    let tokens = tokens(path).map_err(|reason| (false, reason))?;
    if tokens.is_empty() {
        *document = value;
        return Ok(());
    }
    match parent(document, &tokens)? {
        (Value::Object(map), last) => {
            map.insert(last.to_owned(), value);
        }
        (Value::Array(items), "-") => items.push(value),
        (Value::Array(items), last) => {
            let index = array_index(last, items.len(), true)?;
            items.insert(index, value);
        }
        _ => return failed("the parent of the path is neither an object nor a list"),
    }
    Ok(())
}

fn remove(document: &mut Value, path: &str) -> OpResult<Value> {
    let tokens = tokens(path).map_err(|reason| (false, reason))?;
    match parent(document, &tokens)? {
        (Value::Object(map), last) => map.remove(last).ok_or((false, format!("no member {}", crate::args::shown_text(last)))),
        (Value::Array(items), last) => {
            let index = array_index(last, items.len(), false)?;
            Ok(items.remove(index))
        }
        _ => failed("the parent of the path is neither an object nor a list"),
    }
}

fn apply_op(document: &mut Value, op: &PatchOp) -> OpResult<()> {
    match op {
        PatchOp::Add { path, value } => add(document, path, value.clone()),
        PatchOp::Remove { path } => remove(document, path).map(drop),
        PatchOp::Replace { path, value } => {
            let tokens = tokens(path).map_err(|reason| (false, reason))?;
            get(document, &tokens)?;
            if tokens.is_empty() {
                *document = value.clone();
                return Ok(());
            }
            remove(document, path)?;
            add(document, path, value.clone())
        }
        PatchOp::Move { from, path } => {
            let value = remove(document, from)?;
            add(document, path, value)
        }
        PatchOp::Copy { from, path } => {
            let value = get(document, &tokens(from).map_err(|reason| (false, reason))?)?.clone();
            add(document, path, value)
        }
        PatchOp::Test { path, value } => {
            let tokens = tokens(path).map_err(|reason| (true, reason))?;
            match get(document, &tokens) {
                Ok(found) if found == value => Ok(()),
                Ok(_) => Err((true, "the value there is not the one the test gives".into())),
                Err((_, reason)) => Err((true, reason)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patch(ops: Value) -> DataChange {
        DataChange::from_value(Dialect::RUST, ops).unwrap()
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let change = patch(json!({ "a": "z", "c": { "f": null }, "n": [1] }));
        let out = change.apply(&json!({ "a": "b", "c": { "d": "e", "f": "g" }, "n": [0, 2] })).unwrap();
        assert_eq!(out, json!({ "a": "z", "c": { "d": "e" }, "n": [1] }));
        assert!(change.is_idempotent());
    }

    #[test]
    fn json_patch_follows_rfc_6902() {
        let doc = json!({ "foo": ["bar", "baz"], "a~b": 1, "x/y": { "k": 2 } });
        let change = patch(json!([
            { "op": "test", "path": "/a~0b", "value": 1 },
            { "op": "add", "path": "/foo/1", "value": "qux" },
            { "op": "add", "path": "/foo/-", "value": "end" },
            { "op": "remove", "path": "/foo/0" },
            { "op": "replace", "path": "/a~0b", "value": 3 },
            { "op": "copy", "from": "/x~1y/k", "path": "/k" },
            { "op": "move", "from": "/x~1y", "path": "/moved" },
        ]));
        let out = change.apply(&doc).unwrap();
        assert_eq!(out, json!({ "foo": ["qux", "baz", "end"], "a~b": 3, "k": 2, "moved": { "k": 2 } }));
        assert!(!change.is_idempotent());
        assert!(patch(json!([{ "op": "replace", "path": "/a~0b", "value": 1 }])).is_idempotent());
    }

    #[test]
    fn failures_name_the_operation_and_never_the_value() {
        let doc = json!({ "name": "Ada Secret" });
        let failure = patch(json!([{ "op": "test", "path": "/name", "value": "Bob" }])).apply(&doc).unwrap_err();
        assert!(failure.test_failed);
        assert_eq!((failure.index, failure.op, failure.path.as_str()), (0, "test", "/name"));
        assert!(!failure.reason.contains("Ada") && !failure.reason.contains("Bob"));
        let failure =
            patch(json!([{ "op": "add", "path": "/x", "value": 1 }, { "op": "remove", "path": "/missing" }])).apply(&doc).unwrap_err();
        assert!(!failure.test_failed);
        assert_eq!(failure.index, 1);
        assert!(patch(json!([{ "op": "add", "path": "/a/b", "value": 1 }])).apply(&doc).is_err());
        assert!(patch(json!([{ "op": "add", "path": "/list/01", "value": 1 }])).apply(&json!({ "list": [0, 1] })).is_err());
    }

    #[test]
    fn malformed_patches_are_refused_before_use() {
        for bad in [
            json!("text"),
            json!(3),
            json!(null),
            json!([1]),
            json!([{ "path": "/a" }]),
            json!([{ "op": "jump", "path": "/a" }]),
            json!([{ "op": "add", "path": "a", "value": 1 }]),
            json!([{ "op": "add", "path": "/a" }]),
            json!([{ "op": "move", "path": "/a" }]),
            json!([{ "op": "move", "from": "/a", "path": "/a/b" }]),
            json!([{ "op": "remove", "path": "/a~2" }]),
        ] {
            let error = DataChange::from_value(Dialect::RUST, bad.clone()).unwrap_err();
            assert!(matches!(error, Error::InvalidArgument(_)), "{bad}: {error}");
        }
    }
}
