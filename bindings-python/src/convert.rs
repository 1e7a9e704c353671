//! Conversions between JSON, Python objects and the `passfort` str enums.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyModule};
use pyo3::IntoPyObjectExt;
use serde_json::Value;

/// A JSON value as plain Python objects (dict, list, str, int, float, bool, None).
pub fn json_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(flag) => flag.into_py_any(py)?,
        Value::Number(number) => match (number.as_i64(), number.as_u64()) {
            (Some(int), _) => int.into_py_any(py)?,
            (None, Some(int)) => int.into_py_any(py)?,
            _ => number.as_f64().unwrap_or(f64::NAN).into_py_any(py)?,
        },
        Value::String(text) => text.into_py_any(py)?,
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, json_to_py(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// A Python object as JSON, through the standard `json` module: anything it
/// cannot encode is a TypeError, raised before any request.
pub fn py_to_json(py: Python<'_>, object: &Bound<'_, PyAny>) -> PyResult<Value> {
    let text: String = py.import("json")?.call_method1("dumps", (object,))?.extract()?;
    serde_json::from_str(&text).map_err(|error| PyTypeError::new_err(format!("not JSON-compatible: {error}")))
}

/// The member of a `passfort` str enum for `value`, or the plain string when
/// this version does not know the value.
pub fn py_enum(py: Python<'_>, class: &str, value: &str) -> PyResult<Py<PyAny>> {
    static TYPES: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let types = TYPES.get_or_try_init(py, || py.import("passfort._types").map(Bound::unbind))?;
    let members = types.bind(py).getattr(class)?.getattr("_value2member_map_")?;
    match members.cast::<PyDict>()?.get_item(value)? {
        Some(member) => Ok(member.unbind()),
        None => value.into_py_any(py),
    }
}

pub fn py_enum_opt(py: Python<'_>, class: &str, value: Option<&str>) -> PyResult<Py<PyAny>> {
    match value {
        Some(value) => py_enum(py, class, value),
        None => Ok(py.None()),
    }
}

/// `repr()` of a string, Python style.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `repr()` of an optional string, Python style.
pub fn repr_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "None".to_owned(), quote)
}

/// Jupyter's rich display of a resource: a table drawn by `passfort._display`.
pub fn repr_html(resource: &Bound<'_, PyAny>) -> PyResult<String> {
    resource.py().import("passfort._display")?.call_method1("resource_html", (resource,))?.extract()
}
