//! Fault injection and request recording, for users' own tests of how their code copes.
//!
//! Faults are queued per operation (the spec's `operationId`, e.g.
//! `ListSecurityPermissionSetMembers`) and served first-in first-out, one per request, before
//! the operation runs; an operation with an empty queue behaves normally. Every request is
//! recorded with its secrets redacted.

use std::{
    collections::{HashMap, VecDeque},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{MatchedPath, Request, State as Shared},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::state::{lock, AppState};
use crate::operation::OperationSpec;

/// Something the fake does instead of (or before) answering an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status, body and headers (an `X-Request-Id` is added when missing).
    Respond {
        /// HTTP status.
        status: u16,
        /// Body bytes, sent as they are.
        body: Vec<u8>,
        /// Extra headers, e.g. `("retry-after", "1")`.
        headers: Vec<(String, String)>,
    },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Drop the connection without a complete answer.
    DropConnection,
    /// Answer with a redirect (`status` should be a 3xx) to `location`.
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The `Location` header.
        location: String,
    },
}

impl Fault {
    /// An answer with `status` and a JSON `{"error_code", "error_msg"}` body.
    pub fn error(status: u16, code: &str, message: &str) -> Fault {
        Fault::Respond {
            status,
            body: serde_json::json!({"error_code": code, "error_msg": message})
                .to_string()
                .into_bytes(),
            headers: vec![("content-type".into(), "application/json".into())],
        }
    }
}

/// A request as the fake received it, with `X-Auth-Token`, `X-Security-Token` and the
/// signature in `Authorization` replaced by `[REDACTED]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The operation's `operationId`, when the request matched one.
    pub operation: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path, percent-encoded as sent.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers, secrets redacted.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Bytes,
}

/// How many recorded requests the fake keeps (the most recent ones).
pub const RECORDED_REQUESTS: usize = 10_000;

/// Queued faults, recorded requests and latency: the fake's test-facing state.
#[derive(Debug)]
pub(super) struct Faults {
    queued: HashMap<String, VecDeque<Fault>>,
    pub recorded: VecDeque<RecordedRequest>,
    /// How many requests `recorded` keeps; 0 records nothing.
    pub capacity: usize,
    pub latency: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            queued: HashMap::new(),
            recorded: VecDeque::new(),
            capacity: RECORDED_REQUESTS,
            latency: Duration::ZERO,
        }
    }
}

impl Faults {
    pub fn push(&mut self, operation: &str, fault: Fault) {
        self.queued
            .entry(operation.to_owned())
            .or_default()
            .push_back(fault);
    }

    fn next(&mut self, operation: &str) -> Option<Fault> {
        self.queued.get_mut(operation)?.pop_front()
    }

    fn recording(&self) -> bool {
        self.capacity > 0
    }

    fn record(&mut self, request: RecordedRequest) {
        while self.recorded.len() >= self.capacity {
            if self.recorded.pop_front().is_none() {
                return;
            }
        }
        self.recorded.push_back(request);
    }
}

/// The operation a request matched, from the services' operation tables.
fn operation_of(
    method: &str,
    path: &str,
    operations: &[&'static [OperationSpec]],
) -> Option<&'static str> {
    operations
        .iter()
        .flat_map(|table| table.iter())
        .find(|op| op.method == method && op.path == path)
        .map(|op| op.name)
}

fn redact(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = match name.as_str() {
                "x-auth-token" | "x-security-token" => "[REDACTED]".to_owned(),
                "authorization" => {
                    let v = value.to_str().unwrap_or("");
                    match v.split_once("Signature=") {
                        Some((head, _)) => format!("{head}Signature=[REDACTED]"),
                        None => "[REDACTED]".to_owned(),
                    }
                }
                _ => String::from_utf8_lossy(value.as_bytes()).into_owned(),
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

/// Middleware (added per route, so the matched path is known): records the request, applies the
/// latency and the operation's next fault, then lets the operation run unless the fault answered.
pub(super) async fn inject(
    Shared(state): Shared<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_owned();
    let operation = matched
        .as_ref()
        .and_then(|m| operation_of(&method, m.as_str(), super::OPERATION_TABLES));
    let (recording, fault, latency) = {
        let mut s = lock(&state);
        let fault = operation.and_then(|op| s.faults.next(op));
        (s.faults.recording(), fault, s.faults.latency)
    };
    let request = if recording {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        lock(&state).faults.record(RecordedRequest {
            operation: operation.map(str::to_owned),
            method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: redact(&parts.headers),
            body: body.clone(),
        });
        Request::from_parts(parts, Body::from(body))
    } else {
        request
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        None => next.run(request).await,
        Some(Fault::Delay(wait)) => {
            tokio::time::sleep(wait).await;
            next.run(request).await
        }
        Some(Fault::Respond {
            status,
            body,
            headers,
        }) => {
            let mut response = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body,
            )
                .into_response();
            for (name, value) in headers {
                if let (Ok(n), Ok(v)) = (
                    HeaderName::try_from(name.as_str()),
                    HeaderValue::try_from(value.as_str()),
                ) {
                    response.headers_mut().insert(n, v);
                }
            }
            response
        }
        Some(Fault::Redirect { status, location }) => {
            let mut response = StatusCode::from_u16(status)
                .unwrap_or(StatusCode::FOUND)
                .into_response();
            if let Ok(v) = HeaderValue::try_from(location) {
                response.headers_mut().insert("location", v);
            }
            response
        }
        Some(Fault::DropConnection) => {
            // A body that fails at once makes the server abort the connection before the
            // answer is complete.
            let broken = futures::stream::once(async {
                Err::<Bytes, _>(std::io::Error::other(
                    "connection dropped by fault injection",
                ))
            });
            Response::new(Body::from_stream(broken))
        }
    }
}
