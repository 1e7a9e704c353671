//! Every table operation as a typed method under its resource, as in Python
//! and Node: `client.applications().create(profile_id, &body, &options)`.
//!
//! The resource namespaces and their methods are generated from
//! [`crate::operations::OPERATIONS`] by `scripts/gen-operations.py` into
//! the public module [`crate::resources`]: each method is a [`Client::call`] whose answer is
//! decoded as the operation's model, so adding an operation to the table adds
//! its typed method.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::call::{CallArgs, QueryValue, RequestOptions};
use crate::client::Client;
use crate::error::{Error, Result};

/// What every resource namespace sends through: path values, the body
/// (anything that serialises to the operation's JSON), query values, and the
/// answer decoded as the operation's model (`Application`, `Vec<Tag>`, JSON
/// for the rest), unknown fields kept.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Api<'a> {
    client: &'a Client,
}

impl<'a> Api<'a> {
    pub(crate) fn of(client: &'a Client) -> Self {
        Api { client }
    }
}

impl Api<'_> {
    /// Calls `name` and decodes its answer as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        name: &'static str,
        path: &[(&str, &str)],
        query: &[(&str, QueryValue)],
        body: Option<Value>,
        options: &RequestOptions,
    ) -> Result<T> {
        let args = CallArgs {
            path: path.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect(),
            query: query.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect(),
            body,
            if_match: None,
        };
        let response = self.client.call(name, args, options).await?;
        let decoded = if response.raw.is_empty() { serde_json::from_value(Value::Null) } else { serde_json::from_slice(&response.raw) };
        decoded.map_err(|error| {
            let operation = crate::operations::find(name).expect("generated methods name table operations");
            Error::Decode {
                method: operation.method.to_owned(),
                path: operation.path.to_owned(),
                status: response.status,
                message: crate::http::decode_failure(&error),
                body_bytes: response.raw.len(),
                snippet: None,
            }
        })
    }
}

/// A body as JSON; a value that does not serialise (a map with non-string
/// keys, say) is refused before anything is sent.
pub(crate) fn body_json<B: Serialize + ?Sized>(body: &B) -> Result<Value> {
    serde_json::to_value(body).map_err(|error| Error::InvalidArgument(format!("the body cannot be sent as JSON: {error}")))
}
