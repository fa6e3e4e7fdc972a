//! What the transport needs to know about an operation, derived from the specs by `build.rs`.
//!
//! Each service module holds a generated table of [`OperationSpec`]s, one per operation in its
//! spec, keyed by progenitor's operation ID. The transport reads the table through the hooks, so
//! it enforces each operation's own bounds and knows each operation's success body without
//! naming any generated type.

use std::fmt::Write as _;

use crate::Error;

/// Facts about one operation, from its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// progenitor's operation ID (the spec's `operationId` in snake case).
    pub id: &'static str,
    /// The spec's `operationId`, as the official SDKs spell it.
    pub name: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template, with `{name}` placeholders.
    pub path: &'static str,
    /// The documented success answer has no body (204).
    pub no_content: bool,
    /// Top-level fields of the success body; a 2xx body with an error code and none of these is
    /// an error in disguise.
    pub success_fields: &'static [&'static str],
    /// Bounds of integer query parameters.
    pub query_bounds: &'static [QueryBound],
    /// Bounds of arrays in the JSON request body.
    pub body_arrays: &'static [ArrayBound],
    /// `offset` must be a multiple of `limit` (from the spec's `x-pagination`).
    pub offset_multiple_of_limit: bool,
}

/// The range an integer query parameter must lie in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryBound {
    /// Parameter name.
    pub name: &'static str,
    /// Smallest allowed value.
    pub minimum: Option<i64>,
    /// Largest allowed value.
    pub maximum: Option<i64>,
}

/// How many items an array in the request body may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayBound {
    /// Where the array is, as a JSON pointer (`/users`).
    pub pointer: &'static str,
    /// Fewest items allowed.
    pub min_items: Option<u64>,
    /// Most items allowed.
    pub max_items: Option<u64>,
}

/// One operation and the glue `build.rs` derived for it. Each function only exists if the glue
/// does (it names the `Execute` impl, the client method, the `OffsetPaged` impl), so a test that
/// holds this table against the spec proves every operation has its glue.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Glued {
    /// The spec's `operationId`.
    pub name: &'static str,
    /// Names the operation's `Execute` impl.
    pub execute: fn(),
    /// Names the service client's method for the operation.
    pub client_method: fn(),
    /// Names the `OffsetPaged` impl of a list operation.
    pub paginated: Option<fn()>,
}

#[doc(hidden)]
pub fn implements_execute<T: crate::Execute>() {}

#[doc(hidden)]
pub fn implements_paged<T: crate::paginate::OffsetPaged>() {}

/// What an example call returns: the decoded answer, serialized back to JSON.
#[cfg(feature = "spec-examples")]
#[doc(hidden)]
pub type ExampleFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<serde_json::Value, Error>> + Send + 'a>,
>;

/// Sends one operation with the spec's example values.
#[cfg(feature = "spec-examples")]
#[doc(hidden)]
pub type ExampleCall<C> = for<'a> fn(&'a C) -> ExampleFuture<'a>;

/// The operation with this progenitor ID in `table`.
pub fn find<'t>(table: &'t [OperationSpec], id: &str) -> Option<&'t OperationSpec> {
    table.iter().find(|op| op.id == id)
}

impl OperationSpec {
    /// Checks the request against the spec's bounds; the error names the parameter.
    pub(crate) fn validate(&self, request: &reqwest::Request) -> Result<(), Error> {
        let mut limit = None;
        let mut offset = None;
        for (key, value) in request.url().query_pairs() {
            let Some(bound) = self.query_bounds.iter().find(|b| b.name == key) else {
                continue;
            };
            let number: i64 = value.parse().map_err(|_| {
                Error::InvalidRequest(format!("{key} must be an integer, not {value:?}"))
            })?;
            bound.check(number)?;
            match bound.name {
                "limit" => limit = Some(number),
                "offset" => offset = Some(number),
                _ => {}
            }
        }
        if self.offset_multiple_of_limit {
            if let (Some(offset), Some(limit)) = (offset, limit) {
                if limit > 0 && offset % limit != 0 {
                    return Err(Error::InvalidRequest(format!(
                        "offset must be a multiple of limit ({limit}), not {offset}"
                    )));
                }
            }
        }
        if !self.body_arrays.is_empty() {
            self.validate_body(request)?;
        }
        Ok(())
    }

    fn validate_body(&self, request: &reqwest::Request) -> Result<(), Error> {
        let Some(bytes) = request.body().and_then(|b| b.as_bytes()) else {
            return Ok(());
        };
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return Ok(());
        };
        for bound in self.body_arrays {
            if let Some(items) = body.pointer(bound.pointer).and_then(|v| v.as_array()) {
                bound.check(items.len() as u64)?;
            }
        }
        Ok(())
    }
}

impl QueryBound {
    fn check(&self, value: i64) -> Result<(), Error> {
        let below = self.minimum.is_some_and(|min| value < min);
        let above = self.maximum.is_some_and(|max| value > max);
        if below || above {
            return Err(Error::InvalidRequest(format!(
                "{} must be {}, not {value}",
                self.name,
                range(self.minimum, self.maximum)
            )));
        }
        Ok(())
    }
}

impl ArrayBound {
    fn check(&self, len: u64) -> Result<(), Error> {
        let min = self.min_items.map(|m| m as i64);
        let max = self.max_items.map(|m| m as i64);
        if min.is_some_and(|m| (len as i64) < m) || max.is_some_and(|m| (len as i64) > m) {
            return Err(Error::InvalidRequest(format!(
                "{} must hold {} items, not {len}",
                self.pointer.trim_start_matches('/').replace('/', "."),
                range(min, max)
            )));
        }
        Ok(())
    }
}

fn range(min: Option<i64>, max: Option<i64>) -> String {
    let mut text = String::new();
    let _ = match (min, max) {
        (Some(a), Some(b)) => write!(text, "between {a} and {b}"),
        (Some(a), None) => write!(text, "at least {a}"),
        (None, Some(b)) => write!(text, "at most {b}"),
        (None, None) => write!(text, "any number of"),
    };
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: OperationSpec = OperationSpec {
        id: "list",
        name: "List",
        method: "GET",
        path: "/x",
        no_content: false,
        success_fields: &["items", "total"],
        query_bounds: &[
            QueryBound {
                name: "limit",
                minimum: Some(1),
                maximum: Some(100),
            },
            QueryBound {
                name: "offset",
                minimum: Some(0),
                maximum: None,
            },
        ],
        body_arrays: &[ArrayBound {
            pointer: "/users",
            min_items: Some(1),
            max_items: Some(2),
        }],
        offset_multiple_of_limit: true,
    };

    fn request(query: &str, body: Option<&str>) -> reqwest::Request {
        let client = reqwest::Client::new();
        let mut b = client.post(format!("http://127.0.0.1/x?{query}"));
        if let Some(body) = body {
            b = b.body(body.to_owned());
        }
        b.build().unwrap()
    }

    fn message(query: &str, body: Option<&str>) -> Option<String> {
        LIST.validate(&request(query, body))
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn query_bounds_name_the_parameter() {
        assert_eq!(message("limit=100&offset=200", None), None);
        let m = message("limit=101", None).unwrap();
        assert!(
            m.contains("limit must be between 1 and 100, not 101"),
            "{m}"
        );
        let m = message("limit=0", None).unwrap();
        assert!(m.contains("limit"), "{m}");
        let m = message("offset=-1", None).unwrap();
        assert!(m.contains("offset must be at least 0"), "{m}");
        let m = message("limit=x", None).unwrap();
        assert!(m.contains("limit must be an integer"), "{m}");
        assert_eq!(message("other=-5", None), None);
    }

    #[test]
    fn offset_must_be_a_multiple_of_limit_when_the_spec_says_so() {
        let m = message("limit=10&offset=15", None).unwrap();
        assert!(m.contains("multiple of limit"), "{m}");
        assert_eq!(message("limit=10&offset=20", None), None);
    }

    #[test]
    fn body_arrays_are_counted() {
        assert_eq!(message("", Some(r#"{"users":[1,2]}"#)), None);
        let m = message("", Some(r#"{"users":[1,2,3]}"#)).unwrap();
        assert!(
            m.contains("users must hold between 1 and 2 items, not 3"),
            "{m}"
        );
        let m = message("", Some(r#"{"users":[]}"#)).unwrap();
        assert!(m.contains("not 0"), "{m}");
        assert_eq!(message("", Some(r#"{"other":[]}"#)), None);
    }
}
