//! Every table operation as a typed method, `client.api().create_application(...)`.
//!
//! The methods are generated from [`crate::operations::OPERATIONS`] by
//! `scripts/gen-operations.py` into `operations_typed.rs`: each one is a
//! [`Client::call`] whose answer is decoded as the operation's model, so
//! adding an operation to the table adds its typed method.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::call::{CallArgs, QueryValue, RequestOptions};
use crate::client::Client;
use crate::error::{Error, Result};

/// The typed operations of a [`Client`]; see [`Client::api`].
#[derive(Clone, Copy, Debug)]
pub struct Api<'a> {
    client: &'a Client,
}

impl Client {
    /// Every operation of the table as a typed method: path values, the body
    /// (anything that serialises to the operation's JSON), query values, and
    /// the answer decoded as the operation's model (`Application`, `Vec<Tag>`,
    /// JSON for the rest), unknown fields kept.
    pub fn api(&self) -> Api<'_> {
        Api { client: self }
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
