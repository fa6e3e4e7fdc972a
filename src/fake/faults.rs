//! Fault injection, gateway throttling and request recording, for users' own tests of how their
//! code copes.
//!
//! Every request to a service operation goes through, in this order: recording (secrets
//! redacted), the latency, the gateway's rate limit (a throttled request goes no further), the
//! operation's queued faults (first-in first-out, one per request), then the random faults (the
//! operation's own setting, else the shared one). Only a request that none of them answered
//! reaches the operation, so a refused request never changes state.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
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
    /// Answer with this status (normally a 5xx) and the operation's service's error body,
    /// `{"error_code": "DLS.0500", "error_msg": "Internal Server Error"}` for DataArts (`PM.` for
    /// ProjectMan, the status in four digits): a failure inside the service, so its code is never
    /// a gateway (`APIGW.`) code that would tell a client the request was refused unseen.
    ServerError(u16),
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

/// The API gateway's rate limit, as [`super::FakeServer::set_rate_limit`] applies it: at most
/// `calls` requests per `window`, counted over every operation of both services together (like
/// the gateway's per-user policy, which counts a user's calls whatever the API).
///
/// Windows are fixed: one starts with the first request after the previous one ended, and every
/// request inside it counts (also those then answered by a fault or refused by the service).
/// Request `calls + 1` and later ones in the window are answered as the gateway does: `429` with
/// `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached: policy
/// user over ratelimit,limit:N,time:1 minute"}` (the time names the window: `1 second`,
/// `5 minute`, `500 millisecond`), JSON, with an `X-Request-Id` and no `Retry-After` unless
/// [`RateLimit::with_retry_after`] asks for one. A throttled request never reaches the operation
/// and does not count against the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    calls: u32,
    window: Duration,
    retry_after: bool,
}

impl RateLimit {
    /// At most `calls` requests per `window` (windows of 1 s, 1 min and 5 min exist at Huawei's
    /// gateway); a zero window is refused by [`super::FakeServer::set_rate_limit`].
    pub fn new(calls: u32, window: Duration) -> Self {
        RateLimit {
            calls,
            window,
            retry_after: false,
        }
    }

    /// Adds a `Retry-After` header to throttled answers: the whole seconds until the window
    /// ends, at least 1. The real gateway sends none; this is for testing a client's use of it.
    pub fn with_retry_after(self) -> Self {
        RateLimit {
            retry_after: true,
            ..self
        }
    }

    /// The number of calls per window.
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// The window's length.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The window as the gateway's message writes it, e.g. `1 minute`.
    fn window_text(&self) -> String {
        let ms = self.window.as_millis();
        if ms > 0 && ms.is_multiple_of(60_000) {
            format!("{} minute", ms / 60_000)
        } else if ms > 0 && ms.is_multiple_of(1_000) {
            format!("{} second", ms / 1_000)
        } else {
            format!("{ms} millisecond")
        }
    }
}

/// A share of requests answered with an error instead of the operation, drawn from a random
/// number generator seeded by the test, so that a run repeats exactly (as long as requests
/// arrive in the same order). See [`super::FakeServer::set_random_faults`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomFaults {
    share: f64,
    status: u16,
    seed: u64,
}

impl RandomFaults {
    /// Answers about `share` (0.0 to 1.0, e.g. 0.05 for 5 %) of the requests with a `500` and the
    /// service's error body (see [`Fault::ServerError`]), drawing from a generator seeded with
    /// `seed`.
    pub fn new(share: f64, seed: u64) -> Self {
        RandomFaults {
            share,
            status: 500,
            seed,
        }
    }

    /// Answers with `status` (400 to 599) instead of 500, e.g. 503.
    pub fn status(self, status: u16) -> Self {
        RandomFaults { status, ..self }
    }

    /// Refuses a share outside 0..=1 or a status that is not an error, naming the field.
    pub(super) fn check(&self) -> Result<(), crate::Error> {
        if !(self.share.is_finite() && (0.0..=1.0).contains(&self.share)) {
            return Err(crate::Error::InvalidRequest(format!(
                "random faults: share must be within 0.0..=1.0, not {}",
                self.share
            )));
        }
        if !(400..=599).contains(&self.status) {
            return Err(crate::Error::InvalidRequest(format!(
                "random faults: status must be within 400..=599, not {}",
                self.status
            )));
        }
        Ok(())
    }
}

/// A random-fault setting with its generator.
#[derive(Debug)]
struct Dice {
    faults: RandomFaults,
    rng: fastrand::Rng,
}

impl Dice {
    fn new(faults: RandomFaults) -> Self {
        Dice {
            faults,
            rng: fastrand::Rng::with_seed(faults.seed),
        }
    }

    fn roll(&mut self) -> Option<Fault> {
        (self.rng.f64() < self.faults.share).then_some(Fault::ServerError(self.faults.status))
    }
}

/// The current fixed window of the rate limit.
#[derive(Debug)]
struct Window {
    limit: RateLimit,
    started: Option<Instant>,
    used: u32,
}

/// Queued faults, random faults, the rate limit, recorded requests and latency: the fake's
/// test-facing state.
#[derive(Debug)]
pub(super) struct Faults {
    queued: HashMap<String, VecDeque<Fault>>,
    pub recorded: VecDeque<RecordedRequest>,
    /// How many requests `recorded` keeps; 0 records nothing.
    pub capacity: usize,
    pub latency: Duration,
    rate: Option<Window>,
    random: Option<Dice>,
    random_per_operation: HashMap<String, Dice>,
    /// Requests answered 429 by the rate limit.
    pub throttled: usize,
    /// Requests answered by a queued or random fault.
    pub faulted: usize,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            queued: HashMap::new(),
            recorded: VecDeque::new(),
            capacity: RECORDED_REQUESTS,
            latency: Duration::ZERO,
            rate: None,
            random: None,
            random_per_operation: HashMap::new(),
            throttled: 0,
            faulted: 0,
        }
    }
}

/// What the fault layer decided for one request.
enum Decision {
    Throttle(Response),
    Fault(Fault),
    Run,
}

impl Faults {
    /// Sets (or with `None` removes) the rate limit; a new limit starts a new window.
    pub fn set_rate_limit(&mut self, limit: Option<RateLimit>) {
        self.rate = limit.map(|limit| Window {
            limit,
            started: None,
            used: 0,
        });
    }

    /// Sets (or removes) random faults, for one operation or, with `None`, for all.
    pub fn set_random(&mut self, operation: Option<&str>, faults: Option<RandomFaults>) {
        match operation {
            None => self.random = faults.map(Dice::new),
            Some(op) => match faults {
                Some(f) => {
                    self.random_per_operation
                        .insert(op.to_owned(), Dice::new(f));
                }
                None => {
                    self.random_per_operation.remove(op);
                }
            },
        }
    }

    /// The gateway's answer when `now` is over the limit; otherwise counts the request.
    fn throttle(&mut self, now: Instant) -> Option<Response> {
        let window = self.rate.as_mut()?;
        let length = window.limit.window;
        match window.started {
            Some(start) if now.duration_since(start) < length => {}
            _ => {
                window.started = Some(now);
                window.used = 0;
            }
        }
        if window.used < window.limit.calls {
            window.used += 1;
            return None;
        }
        self.throttled += 1;
        let body = serde_json::json!({
            "error_code": "APIGW.0308",
            "error_msg": format!(
                "The throttling threshold has been reached: policy user over ratelimit,limit:{},time:{}",
                window.limit.calls,
                window.limit.window_text()
            ),
        });
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        if window.limit.retry_after {
            let left = window
                .started
                .map(|start| length.saturating_sub(now.duration_since(start)))
                .unwrap_or(length);
            let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert("retry-after", v);
            }
        }
        Some(response)
    }

    /// Throttling first (the gateway), then the operation's queued fault, then a random one.
    fn decide(&mut self, operation: Option<&str>, now: Instant) -> Decision {
        if let Some(answer) = self.throttle(now) {
            return Decision::Throttle(answer);
        }
        let Some(op) = operation else {
            return Decision::Run;
        };
        let fault = self
            .next(op)
            .or_else(|| match self.random_per_operation.get_mut(op) {
                Some(dice) => dice.roll(),
                None => self.random.as_mut().and_then(Dice::roll),
            });
        match fault {
            Some(fault) => {
                self.faulted += 1;
                Decision::Fault(fault)
            }
            None => Decision::Run,
        }
    }

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

/// The error-code prefix of the service that serves `operation`.
fn service_prefix(operation: Option<&str>) -> &'static str {
    #[cfg(feature = "projectman")]
    let projectman =
        operation.is_some_and(|op| crate::projectman::OPERATIONS.iter().any(|o| o.name == op));
    #[cfg(not(feature = "projectman"))]
    let projectman = {
        let _ = operation;
        false
    };
    if projectman {
        "PM"
    } else {
        "DLS"
    }
}

/// Middleware (added per route, so the matched path is known): records the request, applies the
/// latency, the rate limit and the operation's next fault, then lets the operation run unless
/// one of them answered.
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
    let (recording, latency) = {
        let s = lock(&state);
        (s.faults.recording(), s.faults.latency)
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
    let decision = lock(&state).faults.decide(operation, Instant::now());
    let fault = match decision {
        Decision::Throttle(answer) => return answer,
        Decision::Run => return next.run(request).await,
        Decision::Fault(fault) => fault,
    };
    match fault {
        Fault::Delay(wait) => {
            tokio::time::sleep(wait).await;
            next.run(request).await
        }
        Fault::ServerError(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = serde_json::json!({
                "error_code": format!("{}.{:04}", service_prefix(operation), status.as_u16()),
                "error_msg": status.canonical_reason().unwrap_or("Server error"),
            });
            (status, axum::Json(body)).into_response()
        }
        Fault::Respond {
            status,
            body,
            headers,
        } => {
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
        Fault::Redirect { status, location } => {
            let mut response = StatusCode::from_u16(status)
                .unwrap_or(StatusCode::FOUND)
                .into_response();
            if let Ok(v) = HeaderValue::try_from(location) {
                response.headers_mut().insert("location", v);
            }
            response
        }
        Fault::DropConnection => {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after(answer: &Response) -> Option<&str> {
        answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
    }

    #[test]
    fn windows_are_fixed_and_start_with_the_first_request_after_the_last_one() {
        let mut faults = Faults::default();
        faults.set_rate_limit(Some(
            RateLimit::new(2, Duration::from_secs(10)).with_retry_after(),
        ));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert!(faults.throttle(at(0)).is_none());
        assert!(faults.throttle(at(4_000)).is_none());
        let answer = faults
            .throttle(at(5_500))
            .expect("third call in the window");
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&answer), Some("5"), "4.5 s left, rounded up");
        assert_eq!(
            retry_after(&faults.throttle(at(9_999)).unwrap()),
            Some("1"),
            "never 0"
        );
        // The window ends 10 s after its first call, not after the last one.
        assert!(faults.throttle(at(10_000)).is_none());
        assert!(faults.throttle(at(19_000)).is_none());
        assert!(faults.throttle(at(19_500)).is_some());
        assert_eq!(faults.throttled, 3);
        faults.set_rate_limit(None);
        assert!(faults.throttle(at(19_600)).is_none());
    }

    #[test]
    fn the_message_names_the_window_as_the_gateway_does() {
        let text = |window| RateLimit::new(1, window).window_text();
        assert_eq!(text(Duration::from_secs(1)), "1 second");
        assert_eq!(text(Duration::from_secs(60)), "1 minute");
        assert_eq!(text(Duration::from_secs(300)), "5 minute");
        assert_eq!(text(Duration::from_secs(90)), "90 second");
        assert_eq!(text(Duration::from_millis(250)), "250 millisecond");
    }

    #[test]
    fn a_zero_limit_throttles_everything_and_full_share_fails_everything() {
        let mut faults = Faults::default();
        faults.set_rate_limit(Some(RateLimit::new(0, Duration::from_secs(1))));
        assert!(faults.throttle(Instant::now()).is_some());
        let mut dice = Dice::new(RandomFaults::new(1.0, 9).status(502));
        assert_eq!(dice.roll(), Some(Fault::ServerError(502)));
        let mut never = Dice::new(RandomFaults::new(0.0, 9));
        assert!((0..1000).all(|_| never.roll().is_none()));
    }
}
