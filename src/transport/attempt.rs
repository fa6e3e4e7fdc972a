//! The attempt loop: send, classify the outcome, wait, try again while the policy and the
//! deadline allow.

use std::{
    sync::Mutex,
    time::{Duration, Instant, SystemTime},
};

use progenitor_client::OperationInfo;
use reqwest::{header::USER_AGENT, StatusCode};
use tracing::Instrument;

use super::{authorize, body, project, Settings, Transport};
use crate::{
    auth::Credentials,
    call,
    operation::OperationSpec,
    retry::{self, Failure, RetryPolicy},
    Error, ServiceError,
};

/// How one attempt ended, as the loop sees it.
enum Attempt {
    /// A complete answer (any status but a redirect).
    Answer(body::Buffered),
    /// A failure; `retry` says how the retry policy should see it, `None` when it must not be
    /// retried at all.
    Failed {
        error: Error,
        retry: Option<Failure>,
    },
}

impl Transport {
    /// Sends one call: every attempt, with a tracing span around them.
    pub(super) async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        info: &OperationInfo,
        operation: Option<&OperationSpec>,
    ) -> Result<reqwest::Response, Error> {
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
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        let answer = result?;
        answer.into_response(operation)
    }

    async fn attempts(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        span: &tracing::Span,
        started: Instant,
    ) -> Result<body::Buffered, Error> {
        let settings = &*self.0;
        prepare(settings, &mut request);
        let deadline = settings.total_timeout.map(|t| started + t);
        let method = request.method().clone();
        // Credentials and the project ID come within the call's deadline too.
        let first = authorize::current(settings, deadline, started).await?;
        let project =
            project::fill(settings, &mut request, first.as_ref(), deadline, started).await?;
        let mut credentials = first;
        let original = request;
        // `attempt` counts what the retry policy's `max_attempts` sees; the one retry after a
        // 401 with fresh credentials is extra, and throttled attempts count in `throttled`.
        let (mut attempt, mut sent, mut fresh_after_401) = (0u32, 0u32, false);
        let mut throttled = Throttled::default();
        // Retry-budget tokens this call took, paid back if it succeeds.
        let mut spent = 0u32;
        // The outcome a retry was started after: when the retry runs into the call's deadline,
        // that earlier answer tells the caller more than "timed out".
        let mut previous: Option<Attempt> = None;
        loop {
            attempt += 1;
            sent += 1;
            call::attempted();
            span.record("attempt", sent);
            let this = next_copy(&original)?;
            if let Some(limiter) = &settings.rate_limiter {
                let until = deadline.map(tokio::time::Instant::from_std);
                if let Err(wait) = limiter.acquire(until).await {
                    tracing::debug!(?wait, "the rate limit's next slot is past the deadline");
                    return Err(Error::Timeout {
                        elapsed: Some(started.elapsed()),
                        status: None,
                        request_id: None,
                        source: None,
                    });
                }
            }
            let sent_at = tokio::time::Instant::now();
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let timeout = match (settings.attempt_timeout, remaining) {
                (Some(a), Some(r)) => Some(a.min(r)),
                (a, r) => a.or(r),
            };
            let used = match credentials.take() {
                Some(c) => Some(c),
                None => authorize::current(settings, deadline, started).await?,
            };
            let used = with_project(used, project.as_deref());
            let outcome =
                one_attempt(settings, client, this, used.as_ref(), timeout, started).await;
            let out_of_time = deadline.is_some_and(|d| Instant::now() >= d);
            if let (
                true,
                Attempt::Failed {
                    error: Error::Timeout { .. },
                    ..
                },
                Some(earlier),
            ) = (out_of_time, &outcome, previous.take())
            {
                return finish(earlier);
            }
            let (failure, asked_wait) = match &outcome {
                Attempt::Answer(answer) => {
                    span.record("status", answer.status.as_u16());
                    if let Some(id) = &answer.request_id {
                        span.record("request_id", id.as_str());
                    }
                    if answer.status == StatusCode::UNAUTHORIZED
                        && !fresh_after_401
                        && refused(settings, used.as_ref())
                    {
                        tracing::debug!(
                            "401 with credentials that can be refreshed: one retry with fresh ones"
                        );
                        fresh_after_401 = true;
                        attempt -= 1;
                        continue;
                    }
                    let code = (!answer.status.is_success())
                        .then(|| ServiceError::code_of(&answer.body))
                        .flatten();
                    let failure = retry::classify(answer.status, code.as_deref());
                    if let Some(limiter) = &settings.rate_limiter {
                        match failure {
                            Some(Failure::Throttled { .. }) => limiter.throttled(sent_at),
                            _ => limiter.succeeded(),
                        }
                    }
                    let Some(failure) = failure else {
                        if let Some(budget) = &settings.retry_budget {
                            budget.deposit(spent);
                        }
                        return finish(outcome);
                    };
                    match settings
                        .retry
                        .retry_after(&answer.headers, SystemTime::now())
                    {
                        Ok(wait) => (failure, wait),
                        // The server wants a longer pause than we are willing to take.
                        Err(()) => return finish(outcome),
                    }
                }
                Attempt::Failed {
                    retry: Some(failure),
                    ..
                } => (*failure, None),
                Attempt::Failed { retry: None, .. } => return finish(outcome),
            };
            if !settings.retry.should_retry(attempt, &method, failure) {
                return finish(outcome);
            }
            let wait = match failure {
                Failure::Throttled { .. } => {
                    let Some(wait) = throttled.next_wait(&settings.retry, asked_wait) else {
                        return finish(outcome);
                    };
                    attempt -= 1;
                    wait
                }
                _ => asked_wait.unwrap_or_else(|| settings.retry.backoff(attempt)),
            };
            // A wait that ends after the deadline is not worth starting: the answer we have now
            // is the best there will be.
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                return finish(outcome);
            }
            if let Some(budget) = &settings.retry_budget {
                match budget.withdraw(failure) {
                    Some(cost) => spent += cost,
                    None => {
                        tracing::debug!(?failure, "retry budget exhausted");
                        return Err(Error::RetryBudgetExhausted {
                            last: Box::new(error_of(outcome)),
                        });
                    }
                }
            }
            tracing::debug!(?failure, ?wait, attempt, "retrying");
            tokio::time::sleep(wait).await;
            previous = Some(outcome);
        }
    }
}

/// Throttled attempts of one call, and the time spent waiting them out.
#[derive(Default)]
struct Throttled {
    retries: u32,
    waited: Duration,
}

impl Throttled {
    /// The wait before the next retry of a throttled request: the server's `Retry-After` (never
    /// less than half the policy's throttle base delay, so a `0` cannot make a tight loop), else
    /// the policy's throttle backoff; `None` once the call has waited out throttling for as long
    /// as the policy allows.
    fn next_wait(&mut self, policy: &RetryPolicy, asked: Option<Duration>) -> Option<Duration> {
        self.retries += 1;
        let wait = match asked {
            Some(asked) => asked.max(policy.throttle_base_delay / 2),
            None => policy.throttle_backoff(self.retries),
        };
        let waited = self.waited + wait;
        if waited > policy.max_throttle_wait {
            return None;
        }
        self.waited = waited;
        Some(wait)
    }
}

/// The error an outcome stands for: an error answer becomes the [`Error::Service`] the caller
/// would have seen.
fn error_of(outcome: Attempt) -> Error {
    match outcome {
        Attempt::Answer(answer) => ServiceError::from_parts(
            answer.status,
            answer.request_id.clone(),
            answer.body.clone(),
        )
        .with_headers(answer.headers)
        .into(),
        Attempt::Failed { error, .. } => error,
    }
}

/// Tells the provider its credentials were refused; true when a retry with fresh ones can help.
fn refused(settings: &Settings, used: Option<&Credentials>) -> bool {
    match (&settings.credentials, used) {
        (Some(provider), Some(used)) => provider.invalidate(used),
        _ => false,
    }
}

/// Credentials that carry the looked-up project ID, for `X-Project-Id`.
fn with_project(credentials: Option<Credentials>, project: Option<&str>) -> Option<Credentials> {
    match (credentials, project) {
        (Some(c), Some(p)) if c.project_id().is_none() => Some(c.with_project_id(p)),
        (c, _) => c,
    }
}

/// Drops what progenitor adds that Huawei Cloud does not define, and sets the user agent.
fn prepare(settings: &Settings, request: &mut reqwest::Request) {
    // progenitor adds `api-version: <info.version>` to every request. Huawei Cloud does not
    // define such a header; dropping it keeps the wire (and the signature) identical to what the
    // official SDKs send.
    request.headers_mut().remove("api-version");
    if !request.headers().contains_key(USER_AGENT) {
        request
            .headers_mut()
            .insert(USER_AGENT, settings.user_agent.clone());
    }
}

/// The request for the next attempt: a copy of the unsigned original. Always a copy, even for
/// what looks like the last attempt: a throttled answer allows retries beyond `max_attempts`.
/// The generated code only builds in-memory bodies, which always copy (a reference count).
fn next_copy(original: &reqwest::Request) -> Result<reqwest::Request, Error> {
    original
        .try_clone()
        .ok_or_else(|| Error::InvalidRequest("streaming request bodies are not supported".into()))
}

/// Authorizes, sends and reads one attempt within `timeout`.
async fn one_attempt(
    settings: &Settings,
    client: &reqwest::Client,
    mut request: reqwest::Request,
    credentials: Option<&Credentials>,
    timeout: Option<Duration>,
    started: Instant,
) -> Attempt {
    if let Err(error) = authorize::authorize(settings, &mut request, credentials, SystemTime::now())
    {
        return Attempt::Failed { error, retry: None };
    }
    // Status and request ID as soon as the headers arrive, so that a body that breaks or stalls
    // later still reports them.
    let seen = Mutex::new(call::ResponseFacts::default());
    // Boxed: the exchange holds reqwest's whole request future, and the timeout wrapper would
    // otherwise copy it around by value.
    let exchange = Box::pin(exchange(settings, client, request, &seen));
    let result = match timeout {
        Some(limit) => tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or(Err(None)),
        None => exchange.await,
    };
    let facts = seen.into_inner().unwrap_or_else(|p| p.into_inner());
    match result {
        Ok(answer) => Attempt::Answer(answer),
        Err(Some(Exchange::Redirect(error))) => Attempt::Failed { error, retry: None },
        Err(Some(Exchange::Http(source))) if !source.is_timeout() => Attempt::Failed {
            retry: Some(if source.is_connect() {
                Failure::Connect
            } else {
                Failure::Ambiguous
            }),
            error: Error::Transport {
                status: facts.status,
                request_id: facts.request_id,
                source,
            },
        },
        Err(timeout) => Attempt::Failed {
            retry: Some(Failure::Ambiguous),
            error: Error::Timeout {
                elapsed: Some(started.elapsed()),
                status: facts.status,
                request_id: facts.request_id,
                source: match timeout {
                    Some(Exchange::Http(source)) => Some(source),
                    _ => None,
                },
            },
        },
    }
}

/// Why an exchange ended without an answer.
enum Exchange {
    /// The server redirected (or a caller-supplied client followed a redirect).
    Redirect(Error),
    /// The HTTP client failed.
    Http(reqwest::Error),
}

/// Sends the request and reads the whole answer; `Err(None)` is left for the caller's timeout.
async fn exchange(
    settings: &Settings,
    client: &reqwest::Client,
    request: reqwest::Request,
    seen: &Mutex<call::ResponseFacts>,
) -> Result<body::Buffered, Option<Exchange>> {
    let url = request.url().clone();
    let response = client
        .execute(request)
        .await
        .map_err(|e| Some(Exchange::Http(e)))?;
    let facts = call::ResponseFacts {
        status: Some(response.status()),
        request_id: body::request_id(response.headers()),
    };
    call::note(|c| c.response = Some(facts.clone()));
    *seen.lock().unwrap_or_else(|p| p.into_inner()) = facts;
    if response.url() != &url || response.status().is_redirection() {
        return Err(Some(Exchange::Redirect(body::redirect(&response, &url))));
    }
    body::read(response, settings.max_response_bytes)
        .await
        .map_err(|e| Some(Exchange::Http(e)))
}

fn finish(outcome: Attempt) -> Result<body::Buffered, Error> {
    match outcome {
        Attempt::Answer(answer) => Ok(answer),
        Attempt::Failed { error, .. } => Err(error),
    }
}
