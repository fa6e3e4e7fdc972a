//! What happens to a request between the generated code and the network.
//!
//! The generated clients carry a [`Transport`] as their inner value and call the
//! `progenitor_client::ClientHooks` implemented here: `pre` rejects what the documents forbid
//! before anything is sent, `exec` authenticates and signs each attempt afresh, retries, applies
//! timeouts, traces, and buffers the response body under a size limit. What `exec` learns about
//! the call (request ID, raw error body, timeouts) is left in a task-local record that
//! [`crate::Execute`] turns into a typed [`crate::Error`].

use std::{
    cell::RefCell,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{
    header::{HeaderValue, USER_AGENT},
    StatusCode,
};
use tracing::Instrument;

use crate::{
    auth::Credentials,
    retry::{is_retryable_status, Failure, RetryPolicy},
    Error,
};

/// Response header carrying the service's request ID.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Shared, immutable per-client settings for the hooks. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Transport(Arc<Settings>);

#[derive(Debug)]
pub(crate) struct Settings {
    pub credentials: Option<Credentials>,
    pub retry: RetryPolicy,
    pub attempt_timeout: Option<Duration>,
    pub total_timeout: Option<Duration>,
    pub max_response_bytes: usize,
    pub user_agent: HeaderValue,
}

impl Transport {
    pub(crate) fn new(settings: Settings) -> Self {
        Transport(Arc::new(settings))
    }

    /// The credentials requests are authenticated with, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.0.credentials.as_ref()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.0.retry
    }
}

/// What `exec` learned about the call, for error mapping and for successful responses.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    pub status: Option<StatusCode>,
    pub request_id: Option<String>,
    /// The body of the final response when its status was not a success.
    pub error_body: Option<Bytes>,
    /// The final body was cut at the configured limit.
    pub truncated: bool,
    pub attempts: u32,
    pub timed_out: bool,
    pub elapsed: Duration,
    /// An error that `exec` could not express as a `reqwest::Error`.
    pub failure: Option<Error>,
}

tokio::task_local! {
    pub(crate) static CALL: RefCell<CallRecord>;
}

fn record(f: impl FnOnce(&mut CallRecord)) {
    // Outside `Execute::execute` (a caller using the generated `send()` directly) there is no
    // record to fill, and nothing needs it.
    let _ = CALL.try_with(|c| f(&mut c.borrow_mut()));
}

/// Checks request constraints that the generated types cannot express (they map `offset` to a
/// plain `i32` and `limit` to a `NonZeroU32`).
fn validate(request: &reqwest::Request) -> Result<(), String> {
    for (key, value) in request.url().query_pairs() {
        let bound = match key.as_ref() {
            "offset" => Some((0i64, "0 or more")),
            "limit" => Some((1, "1 or more")),
            _ => None,
        };
        if let Some((min, what)) = bound {
            match value.parse::<i64>() {
                Ok(v) if v >= min && v <= i64::from(i32::MAX) => {}
                _ => {
                    return Err(format!(
                        "{key} must be {what} and fit in 32 bits, not {value}"
                    ))
                }
            }
        }
    }
    Ok(())
}

macro_rules! hooks_for {
    ($client:ty) => {
        impl ClientHooks<Transport> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                validate(request).map_err(progenitor_client::Error::InvalidRequest)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner().send(self.client(), request, info).await
            }
        }
    };
}

hooks_for!(crate::dataarts::Client);
hooks_for!(crate::projectman::Client);

impl Transport {
    async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::info_span!(
            "huaweicloud.request",
            operation = info.operation_id,
            method = %request.method(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .attempts(client, request, &span, started)
            .instrument(span.clone())
            .await;
        let elapsed = started.elapsed();
        span.record("duration_ms", elapsed.as_millis() as u64);
        record(|c| c.elapsed = elapsed);
        result
    }

    async fn attempts(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        span: &tracing::Span,
        started: Instant,
    ) -> reqwest::Result<reqwest::Response> {
        let settings = &*self.0;
        // progenitor adds `api-version: <info.version>` to every request. Huawei Cloud does not
        // define such a header; dropping it keeps the wire (and the signature) identical to
        // what the official SDKs send.
        request.headers_mut().remove("api-version");
        if !request.headers().contains_key(USER_AGENT) {
            request
                .headers_mut()
                .insert(USER_AGENT, settings.user_agent.clone());
        }
        let deadline = settings.total_timeout.map(|t| started + t);
        let method = request.method().clone();
        let mut request = Some(request);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            record(|c| c.attempts = attempt);
            // Each attempt is signed afresh from the unsigned original, so a retry carries a new
            // X-Sdk-Date. The last possible attempt takes the original instead of a copy. The
            // generated code only builds in-memory bodies, which always clone.
            let last = attempt >= settings.retry.max_attempts;
            let copy = match (&mut request, last) {
                (slot @ Some(_), true) => slot.take(),
                (Some(original), false) => original.try_clone(),
                (None, _) => None,
            };
            let Some(mut this) = copy else {
                let e = Error::InvalidRequest("streaming request bodies are not supported".into());
                return fail(client, e).await;
            };
            if let Some(creds) = &settings.credentials {
                if let Err(e) = creds.authorize(&mut this, SystemTime::now()) {
                    return fail(client, e).await;
                }
            }
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let timeout = match (settings.attempt_timeout, remaining) {
                (Some(a), Some(r)) => Some(a.min(r)),
                (a, r) => a.or(r),
            };
            if let Some(t) = timeout {
                *this.timeout_mut() = Some(t);
            }
            let outcome = match client.execute(this).await {
                Ok(response) => read_response(response, settings.max_response_bytes).await,
                Err(e) => Err(e),
            };
            let (failure, asked_wait) = match &outcome {
                Ok(response) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    if let Some(id) = request_id(response.headers()) {
                        span.record("request_id", id);
                    }
                    if !is_retryable_status(status) {
                        return finish(outcome);
                    }
                    match settings
                        .retry
                        .retry_after(response.headers(), SystemTime::now())
                    {
                        Ok(wait) => (Failure::Status(status), wait),
                        // The server wants a longer pause than we are willing to take.
                        Err(()) => return finish(outcome),
                    }
                }
                Err(e) if e.is_connect() => (Failure::Connect, None),
                Err(_) => (Failure::Ambiguous, None),
            };
            let wait = asked_wait.unwrap_or_else(|| settings.retry.backoff(attempt));
            let fits = deadline.is_none_or(|d| Instant::now() + wait < d);
            if !(fits && settings.retry.should_retry(attempt, &method, failure)) {
                return finish(outcome);
            }
            tracing::debug!(?failure, ?wait, attempt, "retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

/// Returns the final outcome, noting a timeout in the call record.
fn finish(outcome: reqwest::Result<reqwest::Response>) -> reqwest::Result<reqwest::Response> {
    if let Err(e) = &outcome {
        let timed_out = e.is_timeout();
        record(|c| c.timed_out = timed_out);
    }
    outcome
}

/// Puts `error` in the call record and returns some `reqwest::Error` for `exec` to return
/// (`reqwest::Error` has no public constructor: a relative URL yields one without any I/O).
async fn fail(client: &reqwest::Client, error: Error) -> reqwest::Result<reqwest::Response> {
    record(|c| c.failure = Some(error));
    let request = client.get("relative-url").build()?;
    // Not reached: a relative URL never builds.
    client.execute(request).await
}

fn request_id(headers: &reqwest::header::HeaderMap) -> Option<&str> {
    headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok())
}

/// Reads the whole body (at most `limit` bytes) so that a broken or endless body fails inside the
/// retry loop, and hands the generated code an equivalent in-memory response.
async fn read_response(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    // Taken, not cloned: the body is read from the response without its headers.
    let headers = std::mem::take(response.headers_mut());
    let mut body = BytesMut::new();
    let mut truncated = response
        .content_length()
        .is_some_and(|len| len > limit as u64);
    if !truncated {
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                body.extend_from_slice(&chunk[..limit - body.len()]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
    }
    let body = body.freeze();
    record(|c| {
        c.status = Some(status);
        c.request_id = request_id(&headers).map(str::to_owned);
        c.truncated = truncated;
        c.error_body = (!status.is_success()).then(|| body.clone());
    });
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}
