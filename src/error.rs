//! One error type for every way a call can fail.
//!
//! Service errors keep what Huawei Cloud's official SDKs expose (status, request ID, error code,
//! message) plus the raw body, because gateways answer in three different JSON shapes and
//! sometimes not in JSON at all.

use std::{fmt, time::Duration};

use bytes::Bytes;
use reqwest::StatusCode;

/// Everything that can go wrong when building or running a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was rejected before anything was sent: a missing or malformed parameter.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client could not be configured (bad endpoint, region or credentials).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The service answered with an error status.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// No answer within the configured time (an attempt's timeout or the overall deadline).
    #[error("the request timed out{}", after(.elapsed))]
    Timeout {
        /// How long the call ran before giving up, when known.
        elapsed: Option<Duration>,
        /// The underlying error.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The connection failed or broke before a complete answer arrived.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// A paginated listing stopped because the service's pages did not add up (see
    /// [`crate::paginate`]): an empty page before the total, a changing total, a page longer
    /// than the limit, a repeated page.
    #[error("pagination stopped: {0}")]
    Pagination(String),
    /// The service answered with a success status, but the body is not what the API describes.
    #[error("cannot decode the {status} response{}: {message}", request_id_suffix(.request_id))]
    Decode {
        /// HTTP status of the response.
        status: StatusCode,
        /// `X-Request-Id` of the response, when present.
        request_id: Option<String>,
        /// What was wrong with the body.
        message: String,
        /// The body as received (possibly truncated at the configured limit).
        body: Bytes,
    },
}

fn after(elapsed: &Option<Duration>) -> String {
    elapsed.map(|d| format!(" after {d:?}")).unwrap_or_default()
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_deref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

impl Error {
    /// HTTP status of the response that caused the error, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            Error::Transport(e) => e.status(),
            _ => None,
        }
    }

    /// `X-Request-Id` of the response that caused the error: quote it to Huawei Cloud support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The service error details, when the service answered with an error status.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }
}

/// An error answer from the service.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: StatusCode,
    /// `X-Request-Id` response header (or a `request_id` field of the body when the header is
    /// missing).
    pub request_id: Option<String>,
    /// Service error code such as `APIGW.0301`, from whichever body shape the service used.
    pub error_code: Option<String>,
    /// Human-readable message, from whichever body shape the service used.
    pub error_msg: Option<String>,
    /// The body as received (possibly truncated at the configured limit).
    pub body: Bytes,
}

impl ServiceError {
    /// Reads the error code and message out of any of the body shapes Huawei Cloud uses:
    /// `{error_code, error_msg}`, `{errorCode, errorMsg}`, `{code, message}`, each possibly
    /// nested one level down (`{"error": {...}}`). A body that is not JSON leaves both empty.
    pub fn from_parts(status: StatusCode, request_id: Option<String>, body: Bytes) -> Self {
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let (error_code, error_msg) = json.as_ref().map(code_and_message).unwrap_or_default();
        let request_id = request_id.or_else(|| {
            json.as_ref()
                .and_then(|v| v.get("request_id"))
                .and_then(scalar_to_string)
        });
        ServiceError {
            status,
            request_id,
            error_code,
            error_msg,
            body,
        }
    }

    /// True when retrying later may succeed: throttling and temporary unavailability.
    pub fn is_retryable(&self) -> bool {
        crate::retry::is_retryable_status(self.status)
    }
}

const SHAPES: [(&str, &str); 3] = [
    ("error_code", "error_msg"),
    ("errorCode", "errorMsg"),
    ("code", "message"),
];

fn code_and_message(value: &serde_json::Value) -> (Option<String>, Option<String>) {
    let Some(object) = value.as_object() else {
        return (None, None);
    };
    for (code_key, msg_key) in SHAPES {
        let code = object.get(code_key).and_then(scalar_to_string);
        let msg = object.get(msg_key).and_then(scalar_to_string);
        if code.is_some() || msg.is_some() {
            return (code, msg);
        }
    }
    // One level down, e.g. {"error": {"code": "...", "message": "..."}}.
    object
        .values()
        .filter(|v| v.is_object())
        .map(code_and_message)
        .find(|(code, msg)| code.is_some() || msg.is_some())
        .unwrap_or_default()
}

fn scalar_to_string(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the service answered {}", self.status)?;
        if let Some(code) = &self.error_code {
            write!(f, " {code}")?;
        }
        if let Some(msg) = &self.error_msg {
            write!(f, ": {msg}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("error_code", &self.error_code)
            .field("error_msg", &self.error_msg)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl std::error::Error for ServiceError {}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

impl From<crate::dataarts::types::error::ConversionError> for Error {
    fn from(e: crate::dataarts::types::error::ConversionError) -> Self {
        Error::InvalidRequest(e.to_string())
    }
}

impl From<crate::projectman::types::error::ConversionError> for Error {
    fn from(e: crate::projectman::types::error::ConversionError) -> Self {
        Error::InvalidRequest(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> ServiceError {
        ServiceError::from_parts(StatusCode::BAD_REQUEST, None, Bytes::from(body.to_owned()))
    }

    #[test]
    fn reads_every_documented_shape() {
        for body in [
            r#"{"error_code":"DLS.1","error_msg":"bad"}"#,
            r#"{"errorCode":"DLS.1","errorMsg":"bad"}"#,
            r#"{"code":"DLS.1","message":"bad"}"#,
            r#"{"error":{"code":"DLS.1","message":"bad"}}"#,
            r#"{"error":{"error_code":"DLS.1","error_msg":"bad"}}"#,
        ] {
            let e = parse(body);
            assert_eq!(e.error_code.as_deref(), Some("DLS.1"), "{body}");
            assert_eq!(e.error_msg.as_deref(), Some("bad"), "{body}");
        }
    }

    #[test]
    fn numeric_codes_and_body_request_ids_are_kept() {
        let e = parse(r#"{"code":401,"message":"no","request_id":"abc"}"#);
        assert_eq!(e.error_code.as_deref(), Some("401"));
        assert_eq!(e.request_id.as_deref(), Some("abc"));
    }

    #[test]
    fn non_json_and_odd_json_bodies_leave_fields_empty() {
        for body in [
            "<html>502 Bad Gateway</html>",
            "",
            "[1,2]",
            "null",
            "\"x\"",
            "{",
        ] {
            let e = parse(body);
            assert_eq!((e.error_code, e.error_msg), (None, None), "{body}");
            assert_eq!(e.body, Bytes::from(body.to_owned()));
        }
    }

    #[test]
    fn header_request_id_wins_over_body() {
        let e = ServiceError::from_parts(
            StatusCode::BAD_REQUEST,
            Some("hdr".into()),
            Bytes::from_static(br#"{"request_id":"body"}"#),
        );
        assert_eq!(e.request_id.as_deref(), Some("hdr"));
    }

    #[test]
    fn display_names_status_code_message_and_request_id() {
        let e = ServiceError::from_parts(
            StatusCode::UNAUTHORIZED,
            Some("r1".into()),
            Bytes::from_static(br#"{"error_code":"APIGW.0301","error_msg":"bad token"}"#),
        );
        assert_eq!(
            e.to_string(),
            "the service answered 401 Unauthorized APIGW.0301: bad token (request id r1)"
        );
    }
}
