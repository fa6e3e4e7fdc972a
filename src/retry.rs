//! When to try a request again, and how long to wait first.
//!
//! The policy is data, so it can be inspected, tuned or turned off; the transport asks it two
//! questions after each attempt: "may I retry this?" and "how long do I wait?".

use std::time::{Duration, SystemTime};

use reqwest::{header::HeaderMap, Method, StatusCode};

/// Retry settings. The default retries throttling (429), 502, 503, 504 and connection failures
/// up to 3 attempts in all, with exponential backoff and full jitter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 turns retries off.
    pub max_attempts: u32,
    /// Backoff before the first retry, doubled for each further one (before jitter).
    pub base_delay: Duration,
    /// Upper bound of a single backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client will wait; a longer one ends the retries and the
    /// response is returned as it is.
    pub max_retry_after: Duration,
    /// Also retry non-idempotent requests (POST) after failures where the request may have
    /// reached the server (a timeout, a connection dropped mid-request, 429/502/503/504). Off by
    /// default: without it a POST is retried only when the connection could not be made.
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
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
    /// The server answered with this status.
    Status(StatusCode),
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Whether attempt number `attempt` (1-based) that failed this way may be retried.
    pub fn should_retry(&self, attempt: u32, method: &Method, failure: Failure) -> bool {
        if attempt >= self.max_attempts {
            return false;
        }
        let idempotent = matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        match failure {
            // The request provably never reached the server.
            Failure::Connect => true,
            // The server saw the request: a POST is retried only when the caller opted in,
            // even for 429, since this client cannot prove the gateway did not pass it on.
            Failure::Status(s) if is_retryable_status(s) => idempotent || self.retry_non_idempotent,
            Failure::Status(_) => false,
            Failure::Ambiguous => idempotent || self.retry_non_idempotent,
        }
    }

    /// The wait before retry number `retry` (1 for the first retry): full jitter, uniformly
    /// random in `0..=min(max_delay, base_delay * 2^(retry-1))`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let cap = exp.min(self.max_delay);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
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
        assert!(!p.should_retry(1, &Method::GET, s(500)));
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
        assert!(!RetryPolicy::disabled().should_retry(1, &Method::GET, Failure::Connect));
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
