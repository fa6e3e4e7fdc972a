//! One error type for every way a call can fail.
//!
//! Service errors keep what Huawei Cloud's official SDKs expose (status, request ID, error code,
//! message) plus the raw body, because gateways answer in three different JSON shapes and
//! sometimes not in JSON at all.

use std::{fmt, sync::Arc, time::Duration};

use bytes::Bytes;
use reqwest::StatusCode;

/// Everything that can go wrong when building or running a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was rejected before anything was sent: a missing or malformed parameter,
    /// named in the message.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client could not be configured (bad endpoint, region or credentials).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The credentials could not be used for this request (a value that cannot be sent in a
    /// header, a request for another origin than the configured endpoint). Nothing was sent.
    #[error("cannot authenticate the request: {0}")]
    Credentials(String),
    /// The call could not get credentials (or its IAM project ID) in time: the provider's fetch
    /// (an IAM token, the instance metadata service, the project-ID lookup) failed, or the call's
    /// total timeout ran out while waiting for it. Nothing was sent to the service, so this tells
    /// an IAM or metadata outage from a failure of the service itself. `source` is what the
    /// fetch ran into (IAM's error answer, a timeout, a broken connection, ...); it is shared by
    /// every call that waited for the same fetch, and by the calls that came during the short
    /// pause after it failed. [`Error::status`], [`Error::request_id`] and
    /// [`Error::is_retryable`] answer for that source (IAM's status and request ID).
    #[error("cannot get credentials: {}", cause_chain(&**.source))]
    CredentialsUnavailable {
        /// Why the fetch failed.
        #[source]
        source: Arc<Error>,
    },
    /// No credentials were configured, and none of the default chain's sources (environment,
    /// profile file, instance metadata) yielded any. Each entry says what was tried and why it
    /// gave nothing. To send requests without authentication, say so on the builder.
    #[error("no credentials: {}", .tried.join("; "))]
    NoCredentials {
        /// Each source tried, with why it gave nothing.
        tried: Vec<String>,
    },
    /// The IAM project ID of the region could not be found.
    #[error(transparent)]
    ProjectId(ProjectIdError),
    /// The service answered with an error status, or with a success status whose body is one of
    /// Huawei Cloud's error shapes.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// The server answered with a redirect. Huawei Cloud's APIs never redirect, so the answer is
    /// not followed (that would send the credentials to whatever host it names) nor retried.
    #[error("{}{}", redirect_message(*.status, .location, *.followed), request_id_suffix(.request_id))]
    Redirect {
        /// The 3xx status, or the status at the end of a redirect a caller-supplied client
        /// followed.
        status: StatusCode,
        /// The `Location` header (or the URL a followed redirect ended at), when printable.
        location: Option<String>,
        /// A caller-supplied `reqwest::Client` followed the redirect before this crate saw it:
        /// turn its redirects off (`redirect::Policy::none()`).
        followed: bool,
        /// `X-Request-Id` of the response, when present.
        request_id: Option<String>,
    },
    /// No complete answer within the configured time (an attempt's timeout or the overall
    /// deadline), including a body that stalled after the headers arrived.
    #[error("the request timed out{}{}{}", after(.elapsed), response_suffix(.status, .request_id), cause_suffix(.source))]
    Timeout {
        /// How long the call ran before giving up, when known.
        elapsed: Option<Duration>,
        /// Status of a response whose body did not arrive in time.
        status: Option<StatusCode>,
        /// `X-Request-Id` of that response.
        request_id: Option<String>,
        /// The underlying error, when the HTTP client reported one.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The connection failed or broke before a complete answer arrived. The message includes
    /// the whole cause chain (connection refused, reset, body ended early, ...).
    #[error("transport error{}: {}", response_suffix(.status, .request_id), cause_chain(.source))]
    Transport {
        /// Status of a response whose body broke off, when the headers had arrived.
        status: Option<StatusCode>,
        /// `X-Request-Id` of that response.
        request_id: Option<String>,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A paginated listing stopped because the service's pages do not add up (see
    /// [`crate::paginate`]), or because it reached the paginator's page or item cap.
    #[error("pagination stopped at offset {offset}{}: {message}", request_id_suffix(.request_id))]
    Pagination {
        /// What did not add up.
        message: String,
        /// Offset of the page that showed it.
        offset: u64,
        /// `X-Request-Id` of that page's response, when known.
        request_id: Option<String>,
    },
    /// The call's last attempt failed with `last`, and a retry was due, but the client's retry
    /// budget ([`crate::retry::RetryBudget`]) is spent: many calls of this client failed
    /// recently, so this one stopped retrying instead of adding to the load. `status()`,
    /// `request_id()` and the `is_*` helpers answer for `last`.
    #[error("retry budget exhausted (many calls of this client are failing); last error: {last}")]
    RetryBudgetExhausted {
        /// The error of the last attempt.
        last: Box<Error>,
    },
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

fn redirect_message(status: StatusCode, location: &Option<String>, followed: bool) -> String {
    let target = location.as_deref().unwrap_or("nowhere");
    if followed {
        format!(
            "the HTTP client followed a redirect to {target} (answered {status}); \
             a caller-supplied reqwest::Client must not follow redirects"
        )
    } else {
        format!("the server answered {status}, redirecting to {target}; redirects are not followed")
    }
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

fn response_suffix(status: &Option<StatusCode>, request_id: &Option<String>) -> String {
    match (status, request_id) {
        (None, None) => String::new(),
        (Some(s), id) => format!(" reading the {s} response{}", request_id_suffix(id)),
        (None, id) => request_id_suffix(id),
    }
}

fn cause_suffix(source: &Option<reqwest::Error>) -> String {
    source
        .as_ref()
        .map(|e| format!(": {}", cause_chain(e)))
        .unwrap_or_default()
}

/// An error's message followed by each of its causes, so that "error sending request" comes
/// with the "connection refused" that explains it.
pub(crate) fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

impl Error {
    /// HTTP status of the response that caused the error, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::RetryBudgetExhausted { last } => last.status(),
            Error::Service(e) => Some(e.status),
            Error::Decode { status, .. } | Error::Redirect { status, .. } => Some(*status),
            Error::Transport { status, .. } | Error::Timeout { status, .. } => *status,
            Error::CredentialsUnavailable { source } => source.status(),
            _ => None,
        }
    }

    /// `X-Request-Id` of the response that caused the error: quote it to Huawei Cloud support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::RetryBudgetExhausted { last } => last.request_id(),
            Error::Service(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. }
            | Error::Redirect { request_id, .. }
            | Error::Transport { request_id, .. }
            | Error::Timeout { request_id, .. }
            | Error::Pagination { request_id, .. } => request_id.as_deref(),
            Error::CredentialsUnavailable { source } => source.request_id(),
            _ => None,
        }
    }

    /// The service error details, when the service answered with an error.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            Error::RetryBudgetExhausted { last } => last.as_service(),
            _ => None,
        }
    }

    /// True when the same call may succeed if made again later: throttling, temporary
    /// unavailability, timeouts and broken connections. The client's own retries have already
    /// been spent on it when you see it; this tells whether a later, outer retry makes sense.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => e.is_retryable(),
            Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::RetryBudgetExhausted { .. } => true,
            Error::CredentialsUnavailable { source } => source.is_retryable(),
            _ => false,
        }
    }

    /// True when the service (or its API gateway) throttled the call: 429, or a throttling
    /// error code such as `APIGW.0308` in any of the error shapes. Slow down: see
    /// [`crate::ratelimit::RateLimiter`].
    pub fn is_throttling(&self) -> bool {
        match self {
            Error::CredentialsUnavailable { source } => source.is_throttling(),
            _ => self.as_service().is_some_and(ServiceError::is_throttling),
        }
    }

    /// True when the service says the resource does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.as_service().is_some_and(ServiceError::is_not_found)
    }

    /// True when the credentials were refused or may not do this: 401, 403, or one of the API
    /// gateway's authentication codes (`APIGW.0301` to `APIGW.0307`); also when IAM refused to
    /// tell the project ID.
    pub fn is_auth(&self) -> bool {
        match self {
            Error::ProjectId(ProjectIdError::Forbidden { .. }) => true,
            Error::CredentialsUnavailable { source } => source.is_auth(),
            _ => self.as_service().is_some_and(ServiceError::is_auth),
        }
    }

    /// `error` as a failure to get credentials: wrapped in [`Error::CredentialsUnavailable`]
    /// unless it already says it is about credentials (that variant, or
    /// [`Error::NoCredentials`]). A lookup's answer ([`Error::ProjectId`]) is kept as it is.
    pub(crate) fn credentials_unavailable(error: Arc<Error>) -> Error {
        match &*error {
            Error::CredentialsUnavailable { source } => Error::CredentialsUnavailable {
                source: source.clone(),
            },
            Error::NoCredentials { tried } => Error::NoCredentials {
                tried: tried.clone(),
            },
            Error::ProjectId(answer) => Error::ProjectId(answer.clone()),
            _ => Error::CredentialsUnavailable { source: error },
        }
    }
}

/// Why the IAM project ID of a region could not be found (`GET /v3/projects?name=<region>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectIdError {
    /// The account has no project of that name.
    #[error("no IAM project named {region:?}{}: check the region, or set the project ID", trace_suffix(.trace_id))]
    NotFound {
        /// The region looked up.
        region: String,
        /// `X-IAM-Trace-Id` of IAM's answer.
        trace_id: Option<String>,
    },
    /// Several projects have that name.
    #[error("several IAM projects named {region:?} ({}){}: set the project ID", .ids.join(", "), trace_suffix(.trace_id))]
    Several {
        /// The region looked up.
        region: String,
        /// Their IDs.
        ids: Vec<String>,
        /// `X-IAM-Trace-Id` of IAM's answer.
        trace_id: Option<String>,
    },
    /// IAM answered 403: these credentials may not list IAM projects.
    #[error("IAM refused to list the projects of {region:?} (403){}: grant the credentials IAM read permission, or set the project ID", trace_suffix(.trace_id))]
    Forbidden {
        /// The region looked up.
        region: String,
        /// `X-IAM-Trace-Id` (or `X-Request-Id`) of IAM's answer.
        trace_id: Option<String>,
    },
    /// The client has no region to look up (it was built from an endpoint alone).
    #[error("no IAM project ID is configured and there is no region to look it up: set the project ID or the region")]
    NoRegion,
}

fn trace_suffix(trace_id: &Option<String>) -> String {
    trace_id
        .as_deref()
        .map(|id| format!(" (X-IAM-Trace-Id {id})"))
        .unwrap_or_default()
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
    /// The response headers, when the answer got that far intact (`Retry-After`, IAM's
    /// `X-IAM-Trace-Id`, ...).
    pub headers: reqwest::header::HeaderMap,
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
            headers: Default::default(),
        }
    }

    /// The same error, with the response headers it came with.
    pub fn with_headers(mut self, headers: reqwest::header::HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// A success answer whose body is really an error: a JSON object with an error code and a
    /// message in one of Huawei Cloud's shapes (top level or one level down) and none of the
    /// fields the operation's success body defines (`own_fields`).
    pub(crate) fn hidden_in_success(
        status: StatusCode,
        request_id: Option<String>,
        body: &Bytes,
        own_fields: &[&str],
    ) -> Option<Self> {
        // Every error shape has a key ending in `ode"` (`"error_code"`, `"errorCode"`,
        // `"code"`); a body without one is not an error, and most success bodies are spared a
        // second parse.
        memchr::memmem::find(body, b"ode\"")?;
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let object = json.as_object()?;
        if own_fields.iter().any(|f| object.contains_key(*f)) {
            return None;
        }
        let (code, msg) = code_and_message(&json);
        (code.is_some() && msg.is_some())
            .then(|| ServiceError::from_parts(status, request_id, body.clone()))
    }

    /// True when retrying later may succeed: throttling and temporary unavailability.
    pub fn is_retryable(&self) -> bool {
        crate::retry::is_retryable_status(self.status) || self.is_throttling()
    }

    /// True for throttling: 429, or a throttling error code whatever the status.
    pub fn is_throttling(&self) -> bool {
        crate::retry::is_throttling(self.status, self.error_code.as_deref())
    }

    /// True for 404.
    pub fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }

    /// True for 401, 403, or an API gateway authentication code.
    pub fn is_auth(&self) -> bool {
        matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) || self
            .error_code
            .as_deref()
            .is_some_and(|c| crate::retry::AUTH_CODES.contains(&c))
    }

    /// The error code of a response body in any of Huawei Cloud's error shapes.
    pub(crate) fn code_of(body: &[u8]) -> Option<String> {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        code_and_message(&json).0
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
    fn classification_helpers_answer_across_shapes_and_wrapping() {
        let service = |status: u16, body: &'static str| -> Error {
            ServiceError::from_parts(
                StatusCode::from_u16(status).unwrap(),
                Some("r".into()),
                Bytes::from_static(body.as_bytes()),
            )
            .into()
        };
        let throttled = service(
            400,
            r#"{"error":{"code":"APIGW.0308","message":"throttled"}}"#,
        );
        assert!(throttled.is_throttling() && throttled.is_retryable());
        assert!(service(429, "<html>").is_throttling());
        assert!(!service(400, r#"{"error_code":"DLS.1","error_msg":"x"}"#).is_throttling());
        assert!(service(404, "").is_not_found());
        assert!(!service(400, "").is_not_found());
        assert!(service(403, "").is_auth());
        assert!(service(400, r#"{"errorCode":"APIGW.0301","errorMsg":"bad token"}"#).is_auth());
        assert!(!service(500, "").is_auth());
        let wrapped = Error::RetryBudgetExhausted {
            last: Box::new(throttled),
        };
        assert!(wrapped.is_throttling());
        assert_eq!(wrapped.status(), Some(StatusCode::BAD_REQUEST));
        assert_eq!(wrapped.request_id(), Some("r"));
        assert!(wrapped.to_string().starts_with("retry budget exhausted"));
        assert!(Error::ProjectId(ProjectIdError::Forbidden {
            region: "r".into(),
            trace_id: None
        })
        .is_auth());
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

    #[test]
    fn credential_failures_say_so_once_and_answer_for_their_source() {
        let iam = Arc::new(Error::from(ServiceError::from_parts(
            StatusCode::SERVICE_UNAVAILABLE,
            Some("iam-rid".into()),
            Bytes::from_static(br#"{"error":{"code":503,"message":"busy"}}"#),
        )));
        let e = Error::credentials_unavailable(iam.clone());
        assert!(e.to_string().starts_with("cannot get credentials: "), "{e}");
        assert_eq!(e.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(e.request_id(), Some("iam-rid"));
        assert!(e.is_retryable());
        assert!(std::error::Error::source(&e).is_some());
        // Wrapping again does not nest; lookups' answers and "no credentials" stay as they are.
        let again = Error::credentials_unavailable(Arc::new(e));
        let Error::CredentialsUnavailable { source } = &again else {
            panic!("{again:?}")
        };
        assert!(Arc::ptr_eq(source, &iam));
        let answer = Error::ProjectId(ProjectIdError::NoRegion);
        assert!(matches!(
            Error::credentials_unavailable(Arc::new(answer)),
            Error::ProjectId(ProjectIdError::NoRegion)
        ));
        let none = Error::NoCredentials {
            tried: vec!["x".into()],
        };
        assert!(matches!(
            Error::credentials_unavailable(Arc::new(none)),
            Error::NoCredentials { .. }
        ));
    }
}
