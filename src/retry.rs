//! When to try a request again, and how long to wait first.
//!
//! The policy is data, so it can be inspected, tuned or turned off; the transport asks it two
//! questions after each attempt: "may I retry this?" and "how long do I wait?".

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use reqwest::{header::HeaderMap, Method, StatusCode};

/// Retry settings. The default retries connection failures, 408, 502, 503, 504 and (for
/// requests that may be repeated) 500 up to 3 attempts in all, with exponential backoff and full
/// jitter; throttling has a budget of its own ([`RetryPolicy::max_throttle_wait`]), because a
/// gateway's throttling window lasts seconds to minutes, far longer than a transient fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included, for failures other than throttling; 1 turns retries
    /// off (throttling included).
    pub max_attempts: u32,
    /// Backoff before the first retry, doubled for each further one (before jitter).
    pub base_delay: Duration,
    /// Upper bound of a single backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client will wait; a longer one ends the retries and the
    /// response is returned as it is.
    pub max_retry_after: Duration,
    /// Also retry non-idempotent requests (POST) after failures where the request may have
    /// reached the server (a timeout, a connection dropped mid-request, 408/429/502/503/504
    /// without a gateway throttling code). Off by default: without it a POST is retried only when
    /// the connection could not be made or the API gateway refused it (`APIGW.*` throttling).
    /// A 500 is never retried for a POST: the service may have acted on it.
    pub retry_non_idempotent: bool,
    /// First wait after a throttled answer without `Retry-After`, doubled for each further one
    /// (with jitter between half and all of it).
    pub throttle_base_delay: Duration,
    /// Upper bound of a single wait after a throttled answer.
    pub throttle_max_delay: Duration,
    /// The most time one call spends waiting out throttling, all its waits added up; within the
    /// call's total timeout in any case. The default (60 s) outlasts a 1-minute throttling window;
    /// raise it (and the total timeout) for a 5-minute one.
    pub max_throttle_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
            throttle_base_delay: Duration::from_secs(1),
            throttle_max_delay: Duration::from_secs(20),
            max_throttle_wait: Duration::from_secs(60),
        }
    }
}

/// What went wrong in one attempt, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be made: the request provably never reached the server.
    Connect,
    /// The attempt timed out or the connection broke after the request may have been sent.
    Ambiguous,
    /// Throttled: 429, or one of Huawei Cloud's throttling error codes ([`THROTTLING_CODES`]).
    Throttled {
        /// The API gateway refused the request (an `APIGW.*`/`APIG.*` code): it never reached
        /// the service, so sending it again is safe whatever the method.
        by_gateway: bool,
    },
    /// The server answered with this status (not throttling).
    Status(StatusCode),
}

/// Error codes with which Huawei Cloud says "too many requests", whatever the status: the shared
/// API gateway's (`APIGW.0308`) and the dedicated gateway's (`APIG.0308`).
pub const THROTTLING_CODES: &[&str] = &["APIGW.0308", "APIG.0308"];

/// Error codes of the API gateway's authentication checks (wrong or expired token, bad
/// signature, not authorised), beside plain 401 and 403.
pub const AUTH_CODES: &[&str] = &[
    "APIGW.0301",
    "APIGW.0302",
    "APIGW.0303",
    "APIGW.0304",
    "APIGW.0305",
    "APIGW.0306",
    "APIGW.0307",
    "APIG.0301",
    "APIG.0302",
    "APIG.0303",
    "APIG.0304",
    "APIG.0305",
    "APIG.0306",
    "APIG.0307",
];

/// True for an error code that Huawei Cloud's API gateway itself answered with (the request
/// never reached the service behind it).
pub fn is_gateway_code(code: &str) -> bool {
    code.starts_with("APIGW.") || code.starts_with("APIG.")
}

/// True when a status and error code say "throttled".
pub fn is_throttling(status: StatusCode, code: Option<&str>) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || code.is_some_and(|c| THROTTLING_CODES.contains(&c))
}

/// How the retry policy sees an answer with `status` and the error code of its body (if any);
/// `None` for an answer that is final (a success, or an error that will not change).
pub fn classify(status: StatusCode, code: Option<&str>) -> Option<Failure> {
    if status.is_success() {
        return None;
    }
    if is_throttling(status, code) {
        return Some(Failure::Throttled {
            by_gateway: code.is_some_and(is_gateway_code),
        });
    }
    Some(Failure::Status(status))
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Whether a failure of this kind may be retried at all for `method`, attempts and time
    /// aside.
    pub fn may_retry(&self, method: &Method, failure: Failure) -> bool {
        if self.max_attempts <= 1 {
            return false;
        }
        let idempotent = is_idempotent(method);
        match failure {
            // The request provably never reached the server, or the gateway refused it.
            Failure::Connect | Failure::Throttled { by_gateway: true } => true,
            // The server saw the request: a POST is retried only when the caller opted in,
            // since this client cannot prove the gateway did not pass it on.
            Failure::Throttled { by_gateway: false } | Failure::Ambiguous => {
                idempotent || self.retry_non_idempotent
            }
            // A 500 may mean the service acted and then failed: only for requests that may be
            // repeated, opt-in or not.
            Failure::Status(StatusCode::INTERNAL_SERVER_ERROR) => idempotent,
            Failure::Status(s) if is_retryable_status(s) => idempotent || self.retry_non_idempotent,
            Failure::Status(_) => false,
        }
    }

    /// Whether attempt number `attempt` (1-based, throttled attempts not counted) that failed
    /// this way may be retried. Throttling is bounded by [`RetryPolicy::max_throttle_wait`]
    /// instead, which the transport checks.
    pub fn should_retry(&self, attempt: u32, method: &Method, failure: Failure) -> bool {
        let throttled = matches!(failure, Failure::Throttled { .. });
        (throttled || attempt < self.max_attempts) && self.may_retry(method, failure)
    }

    /// The wait before retry number `retry` (1 for the first retry): full jitter, uniformly
    /// random in `0..=min(max_delay, base_delay * 2^(retry-1))`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let cap = exponential(self.base_delay, self.max_delay, retry);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }

    /// The wait before the `retry`-th retry of a throttled request (1 for the first): between
    /// half and all of `min(throttle_max_delay, throttle_base_delay * 2^(retry-1))`, so that
    /// every wait lets the throttling window move on while callers still spread out.
    pub fn throttle_backoff(&self, retry: u32) -> Duration {
        let cap = exponential(self.throttle_base_delay, self.throttle_max_delay, retry);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(nanos / 2 + fastrand::u64(0..=nanos - nanos / 2))
    }

    /// The wait the server asked for with `Retry-After` (seconds or an HTTP date), if any.
    /// `Err(())` when it asks for longer than `max_retry_after`: do not retry.
    #[allow(clippy::result_unit_err)]
    pub fn retry_after(
        &self,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<Option<Duration>, ()> {
        let Some(value) = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
        else {
            return Ok(None);
        };
        let wait = if let Ok(secs) = value.parse::<u64>() {
            Duration::from_secs(secs)
        } else if let Ok(when) = httpdate::parse_http_date(value) {
            when.duration_since(now).unwrap_or(Duration::ZERO)
        } else {
            return Ok(None);
        };
        if wait > self.max_retry_after {
            Err(())
        } else {
            Ok(Some(wait))
        }
    }
}

/// A retry quota shared by every clone of a client (and by any clients given the same budget):
/// each retry spends tokens and each success pays some back, so when a region fails, the tasks
/// of a process stop retrying together instead of multiplying the load, as the AWS SDKs'
/// standard retry mode does. An empty budget ends retries early; the call then fails with
/// [`crate::Error::RetryBudgetExhausted`] around its last error.
///
/// Defaults: 500 tokens; a retry costs 5, a retry after a timeout 10; a success after retries
/// pays back what its retries cost, a first-time success pays back 1.
#[derive(Clone)]
pub struct RetryBudget {
    shared: Arc<BudgetState>,
}

struct BudgetState {
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
    tokens: Mutex<u32>,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new(500, 5, 10)
    }
}

impl RetryBudget {
    /// A full budget of `capacity` tokens; a retry costs `retry_cost`, one after a timeout
    /// `timeout_cost`.
    pub fn new(capacity: u32, retry_cost: u32, timeout_cost: u32) -> Self {
        RetryBudget {
            shared: Arc::new(BudgetState {
                capacity,
                retry_cost,
                timeout_cost,
                tokens: Mutex::new(capacity),
            }),
        }
    }

    /// Tokens left now.
    pub fn available(&self) -> u32 {
        *self.lock()
    }

    /// Takes the cost of one retry after `failure`; `None` when the budget cannot pay it (the
    /// retry must not happen), else the tokens taken.
    pub(crate) fn withdraw(&self, failure: Failure) -> Option<u32> {
        let cost = match failure {
            Failure::Ambiguous => self.shared.timeout_cost,
            _ => self.shared.retry_cost,
        };
        let mut tokens = self.lock();
        let left = tokens.checked_sub(cost)?;
        *tokens = left;
        Some(cost)
    }

    /// Pays back after a call that succeeded: what its retries took, or 1 for a first-time
    /// success.
    pub(crate) fn deposit(&self, spent: u32) {
        let mut tokens = self.lock();
        *tokens = tokens
            .saturating_add(spent.max(1))
            .min(self.shared.capacity);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u32> {
        self.shared.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("available", &self.available())
            .field("capacity", &self.shared.capacity)
            .field("retry_cost", &self.shared.retry_cost)
            .field("timeout_cost", &self.shared.timeout_cost)
            .finish()
    }
}

fn exponential(base: Duration, max: Duration, retry: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
        .min(max)
}

/// Statuses that say "try again later": 408, 429, 502, 503, 504.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::REQUEST_TIMEOUT
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retries_only_what_is_safe() {
        let p = RetryPolicy::default();
        let s = |c: u16| Failure::Status(StatusCode::from_u16(c).unwrap());
        assert!(p.should_retry(1, &Method::GET, s(503)));
        assert!(p.should_retry(1, &Method::GET, Failure::Ambiguous));
        assert!(p.should_retry(1, &Method::POST, Failure::Connect));
        assert!(p.should_retry(1, &Method::PUT, s(429)));
        assert!(!p.should_retry(1, &Method::POST, s(429)));
        assert!(!p.should_retry(1, &Method::POST, s(503)));
        assert!(!p.should_retry(1, &Method::POST, Failure::Ambiguous));
        assert!(!p.should_retry(1, &Method::GET, s(400)));
        // A 500 is retried for requests that may be repeated, never for a POST.
        assert!(p.should_retry(1, &Method::GET, s(500)));
        assert!(p.should_retry(1, &Method::DELETE, s(500)));
        assert!(!p.should_retry(1, &Method::POST, s(500)));
        assert!(
            !p.should_retry(3, &Method::GET, s(503)),
            "attempts exhausted"
        );
        let opt_in = RetryPolicy {
            retry_non_idempotent: true,
            ..p
        };
        assert!(opt_in.should_retry(1, &Method::POST, Failure::Ambiguous));
        assert!(opt_in.should_retry(1, &Method::POST, s(429)));
        assert!(!opt_in.should_retry(1, &Method::POST, s(500)));
        assert!(!RetryPolicy::disabled().should_retry(1, &Method::GET, Failure::Connect));
    }

    #[test]
    fn throttling_is_told_by_status_or_code_and_the_gateway_makes_a_post_safe() {
        let p = RetryPolicy::default();
        let ok = StatusCode::OK;
        let too_many = StatusCode::TOO_MANY_REQUESTS;
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(classify(ok, Some("APIGW.0308")), None);
        let gateway = classify(too_many, Some("APIGW.0308")).unwrap();
        assert_eq!(gateway, Failure::Throttled { by_gateway: true });
        // The code alone says "throttled", whatever the status the gateway chose.
        assert_eq!(
            classify(bad, Some("APIG.0308")),
            Some(Failure::Throttled { by_gateway: true })
        );
        let bare = classify(too_many, None).unwrap();
        assert_eq!(bare, Failure::Throttled { by_gateway: false });
        assert_eq!(
            classify(too_many, Some("DLS.1000")),
            Some(Failure::Throttled { by_gateway: false })
        );
        assert_eq!(
            classify(bad, Some("APIGW.0301")),
            Some(Failure::Status(bad))
        );
        // The gateway refused it: a POST is safe to send again, beyond max_attempts.
        assert!(p.should_retry(1, &Method::POST, gateway));
        assert!(p.should_retry(10, &Method::POST, gateway));
        // A 429 without the gateway's code keeps the POST rules.
        assert!(!p.should_retry(1, &Method::POST, bare));
        assert!(p.should_retry(1, &Method::GET, bare));
        assert!(!RetryPolicy::disabled().should_retry(1, &Method::GET, gateway));
    }

    #[test]
    fn the_budget_runs_out_and_successes_refill_it() {
        let budget = RetryBudget::new(12, 5, 10);
        let clone = budget.clone();
        let status = Failure::Status(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(budget.withdraw(status), Some(5));
        assert_eq!(clone.withdraw(status), Some(5), "clones share one budget");
        assert_eq!(budget.withdraw(status), None, "2 left, a retry costs 5");
        assert_eq!(budget.available(), 2);
        assert_eq!(budget.withdraw(Failure::Ambiguous), None);
        clone.deposit(0);
        assert_eq!(budget.available(), 3, "a first-time success pays back 1");
        budget.deposit(10);
        assert_eq!(budget.available(), 12, "never above the capacity");
        assert_eq!(budget.withdraw(Failure::Ambiguous), Some(10));
    }

    #[test]
    fn throttle_backoff_lies_between_half_and_all_of_its_cap() {
        let p = RetryPolicy {
            throttle_base_delay: Duration::from_millis(100),
            throttle_max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            let first = p.throttle_backoff(1);
            assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&first));
            let later = p.throttle_backoff(9);
            assert!((Duration::from_millis(175)..=Duration::from_millis(350)).contains(&later));
        }
    }

    #[test]
    fn backoff_is_bounded_full_jitter() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(p.backoff(1) <= Duration::from_millis(100));
            assert!(p.backoff(2) <= Duration::from_millis(200));
            assert!(p.backoff(3) <= Duration::from_millis(350));
            assert!(p.backoff(40) <= Duration::from_millis(350));
        }
        let distinct: std::collections::HashSet<_> = (0..50).map(|_| p.backoff(3)).collect();
        assert!(distinct.len() > 1, "jitter varies the delay");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let p = RetryPolicy::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        assert_eq!(p.retry_after(&h, now), Ok(None));
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(p.retry_after(&h, now), Ok(Some(Duration::from_secs(2))));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(5));
        h.insert("retry-after", HeaderValue::from_str(&date).unwrap());
        assert_eq!(p.retry_after(&h, now), Ok(Some(Duration::from_secs(5))));
        h.insert("retry-after", HeaderValue::from_static("3600"));
        assert_eq!(p.retry_after(&h, now), Err(()));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(p.retry_after(&h, now), Ok(None));
    }
}
