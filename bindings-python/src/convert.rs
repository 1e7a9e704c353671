//! Conversions between JSON, Python objects and the `passfort` str enums.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyModule, PyString, PyTuple};
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

/// A Python object as JSON, faithfully or not at all: dicts with str keys,
/// lists and tuples, str, bool, None, ints that JSON numbers can carry
/// (i64/u64), finite floats. Anything else is a `TypeError`, an int out of
/// range or a non-finite float a `ValueError`, nesting deeper than the core's
/// limit a `ValueError`, all raised before any request and without
/// recursing deeper than that limit.
pub fn py_to_json(what: &str, object: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_json(what, object, passfort_core::args::limits::MAX_JSON_DEPTH)
}

fn to_json(what: &str, object: &Bound<'_, PyAny>, depth_left: usize) -> PyResult<Value> {
    if object.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = object.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if let Ok(int) = object.cast::<PyInt>() {
        if let Ok(value) = int.extract::<i64>() {
            return Ok(Value::from(value));
        }
        if let Ok(value) = int.extract::<u64>() {
            return Ok(Value::from(value));
        }
        return Err(invalid(format!("{what}: an integer outside the 64-bit range cannot be sent as JSON exactly")));
    }
    if let Ok(float) = object.cast::<PyFloat>() {
        let value = float.value();
        return serde_json::Number::from_f64(value)
            .map(Value::Number)
            .ok_or_else(|| invalid(format!("{what}: {value} is not a JSON number")));
    }
    if let Ok(text) = object.cast::<PyString>() {
        return Ok(Value::String(text.extract::<String>()?));
    }
    let nested = |items: &mut dyn Iterator<Item = Bound<'_, PyAny>>| -> PyResult<Value> {
        if depth_left == 0 {
            return Err(invalid(format!("{what} is nested deeper than {} levels", passfort_core::args::limits::MAX_JSON_DEPTH)));
        }
        Ok(Value::Array(items.map(|item| to_json(what, &item, depth_left - 1)).collect::<PyResult<_>>()?))
    };
    if let Ok(list) = object.cast::<PyList>() {
        return nested(&mut list.iter());
    }
    if let Ok(tuple) = object.cast::<PyTuple>() {
        return nested(&mut tuple.iter());
    }
    if let Ok(dict) = object.cast::<PyDict>() {
        if depth_left == 0 {
            return nested(&mut std::iter::empty());
        }
        let mut map = serde_json::Map::new();
        for (key, value) in dict.iter() {
            let key = key
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err(format!("{what}: JSON object keys are str, not {}", type_name(&key))))?
                .extract::<String>()?;
            map.insert(key, to_json(what, &value, depth_left - 1)?);
        }
        return Ok(Value::Object(map));
    }
    Err(PyTypeError::new_err(format!("{what}: a {} cannot be sent as JSON", type_name(object))))
}

fn type_name(object: &Bound<'_, PyAny>) -> String {
    object.get_type().name().map(|name| name.to_string()).unwrap_or_else(|_| "value".into())
}

/// A number argument as given: `None` when not given; a bool or a non-number
/// is a `TypeError`. Ints too large for a float become infinity, which the
/// core refuses with the argument's range.
pub fn py_number(what: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    let Some(value) = value.filter(|value| !value.is_none()) else { return Ok(None) };
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("{what} must be a number, not a bool")));
    }
    if let Ok(int) = value.cast::<PyInt>() {
        return Ok(Some(int.extract::<f64>().unwrap_or_else(
            |_| {
                if int.lt(0).unwrap_or(false) {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            },
        )));
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        return Ok(Some(float.value()));
    }
    Err(PyTypeError::new_err(format!("{what} must be a number, not {}", type_name(value))))
}

/// A list of strings: a `str` (which would iterate as characters) or any
/// non-str item is a `TypeError`.
pub fn py_str_list(what: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    let Some(value) = value.filter(|value| !value.is_none()) else { return Ok(None) };
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!("{what} must be a list of str, not a single {}", type_name(value))));
    }
    let mut items = Vec::new();
    for item in value.try_iter().map_err(|_| PyTypeError::new_err(format!("{what} must be a list of str")))? {
        let item = item?;
        let text = item.cast::<PyString>().map_err(|_| PyTypeError::new_err(format!("{what} must hold str, not {}", type_name(&item))))?;
        items.push(text.extract::<String>()?);
        if items.len() > passfort_core::args::limits::MAX_TASK_IDS {
            return Err(invalid(format!("{what} holds more than {} items", passfort_core::args::limits::MAX_TASK_IDS)));
        }
    }
    Ok(Some(items))
}

/// The package's `InvalidArgumentError` (a `ValueError`), as the core raises it.
fn invalid(message: String) -> PyErr {
    crate::errors::to_py_err(passfort_core::Error::InvalidArgument(message))
}

/// A JSON value that becomes plain Python objects when delivered.
pub struct JsonValue(pub Value);

impl<'py> IntoPyObject<'py> for JsonValue {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Ok(json_to_py(py, &self.0)?.into_bound(py))
    }
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

/// Bytes as given: `bytes`, `bytearray` or `memoryview`; anything else
/// (a `str`, a path, None) is the package's `InvalidArgumentError`. The
/// core checks the content.
pub fn py_bytes(what: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(array) = value.cast::<pyo3::types::PyByteArray>() {
        return Ok(array.to_vec());
    }
    if value.is_instance_of::<pyo3::types::PyMemoryView>() {
        let bytes = value.py().get_type::<PyBytes>().call1((value,))?;
        return Ok(bytes.cast::<PyBytes>()?.as_bytes().to_vec());
    }
    Err(invalid(format!("{what} must be bytes, bytearray or memoryview, not {}", type_name(value))))
}

/// Query parameters as the core takes them: from a mapping or `(name, value)`
/// pairs, each value converted as it is (the core flattens and refuses).
pub fn py_query(query: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, passfort_core::QueryValue)>> {
    py_pairs("query", query)?.into_iter().map(|(name, value)| Ok((name, py_query_value(&value)))).collect()
}

/// Extra headers as the core takes them: from a mapping or `(name, value)` pairs of str.
pub fn py_headers(headers: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    py_pairs("extra_headers", headers)?
        .into_iter()
        .map(|(name, value)| {
            let value =
                value.extract::<String>().map_err(|_| PyTypeError::new_err(format!("extra_headers {name}: the value must be a str")))?;
            Ok((name, value))
        })
        .collect()
}

fn py_pairs<'py>(what: &str, given: Option<&Bound<'py, PyAny>>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let Some(given) = given.filter(|given| !given.is_none()) else { return Ok(Vec::new()) };
    let items = if given.cast::<PyDict>().is_ok() || given.hasattr("items")? { given.call_method0("items")? } else { given.clone() };
    let mut pairs = Vec::new();
    for item in items.try_iter().map_err(|_| PyTypeError::new_err(format!("{what} must be a mapping or (name, value) pairs")))? {
        let (name, value): (Bound<'py, PyAny>, Bound<'py, PyAny>) =
            item?.extract().map_err(|_| PyTypeError::new_err(format!("each of {what} is a (name, value) pair")))?;
        let name =
            name.extract::<String>().map_err(|_| PyTypeError::new_err(format!("{what}: names are str, not {}", type_name(&name))))?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn py_query_value(value: &Bound<'_, PyAny>) -> passfort_core::QueryValue {
    use passfort_core::QueryValue;
    if value.is_none() {
        return QueryValue::Null;
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return QueryValue::Bool(flag.is_true());
    }
    if let Ok(int) = value.cast::<PyInt>() {
        return match int.extract::<i64>() {
            Ok(number) => QueryValue::Int(number),
            Err(_) => int.str().map_or_else(|_| QueryValue::Unsupported("int".into()), |digits| QueryValue::Text(digits.to_string())),
        };
    }
    if let Ok(text) = value.cast::<PyString>() {
        return QueryValue::Text(text.to_string());
    }
    if let Ok(list) = value.cast::<PyList>() {
        return QueryValue::List(list.iter().map(|item| py_query_value(&item)).collect());
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return QueryValue::List(tuple.iter().map(|item| py_query_value(&item)).collect());
    }
    QueryValue::Unsupported(type_name(value))
}
