//! What happens to a request between the generated code and the network.
//!
//! The generated clients carry a [`Transport`] as their inner value; each service's
//! `ClientHooks` impl hands every request to it together with the operation's
//! [`OperationSpec`]. Before sending, the request is checked against the spec's bounds, and a
//! project ID left to look up is filled in (`project.rs`). Then each attempt is authorized
//! afresh with the provider's current credentials (`authorize.rs`: credentials only for the
//! configured endpoint's origin; a 401 to refreshable credentials gets one retry with fresh
//! ones), sent without following redirects, and its body buffered under a size limit
//! and the attempt's timeout (`body.rs`); the loop in `attempt.rs` decides about retries. What the
//! transport learns (status, request ID, a typed failure) goes to the per-call record in
//! `call.rs`, where [`crate::Execute`] picks it up.

mod attempt;
mod authorize;
mod body;
mod project;

pub(crate) use project::PROJECT_ID_PLACEHOLDER;

use std::{sync::Arc, time::Duration};

use progenitor_client::OperationInfo;
use reqwest::{header::HeaderValue, Url};

use crate::{
    auth::{SharedProjectResolver, SharedProvider},
    call,
    operation::OperationSpec,
    ratelimit::RateLimiter,
    retry::{RetryBudget, RetryPolicy},
    Error,
};

/// Response header carrying the service's request ID.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Shared, immutable per-client settings for the hooks. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Transport(Arc<Settings>);

#[derive(Debug)]
pub(crate) struct Settings {
    /// Where each attempt's credentials come from; `None` sends requests unauthenticated (an
    /// explicit choice on the builder).
    pub credentials: Option<SharedProvider>,
    /// Finds the IAM project ID when the service client left a placeholder in the path.
    pub project: Option<SharedProjectResolver>,
    /// The configured endpoint: credentials go to its origin and nowhere else.
    pub endpoint: Url,
    pub retry: RetryPolicy,
    /// Shared by every clone of the client: retries spend it, successes refill it.
    pub retry_budget: Option<RetryBudget>,
    /// Paces every attempt, shared by every clone of the client.
    pub rate_limiter: Option<RateLimiter>,
    pub attempt_timeout: Option<Duration>,
    pub total_timeout: Option<Duration>,
    pub max_response_bytes: usize,
    pub user_agent: HeaderValue,
}

impl Transport {
    pub(crate) fn new(settings: Settings) -> Self {
        Transport(Arc::new(settings))
    }

    /// The provider of the credentials requests are authenticated with, if any.
    pub fn credentials_provider(&self) -> Option<&SharedProvider> {
        self.0.credentials.as_ref()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.0.retry
    }

    /// The retry budget the client's calls share, if any.
    pub fn retry_budget(&self) -> Option<&RetryBudget> {
        self.0.retry_budget.as_ref()
    }

    /// The rate limiter pacing the client's calls, if any.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.0.rate_limiter.as_ref()
    }

    /// The `pre` hook: rejects what the operation's spec forbids before anything is sent (path
    /// segments that are empty or dots, lengths, header characters, item counts, bounds; see
    /// [`OperationSpec`]). The message names the parameter and is bounded in length.
    pub(crate) fn check(
        &self,
        request: &reqwest::Request,
        operation: Option<&OperationSpec>,
    ) -> Result<(), String> {
        let Some(op) = operation else {
            return Ok(());
        };
        op.validate(request, self.0.endpoint.path())
            .map_err(|e| match e {
                Error::InvalidRequest(message) => message,
                other => other.to_string(),
            })
            .map_err(|message| bounded(&message))
    }

    /// The `exec` hook: sends the request and returns the answer for the generated code, or a
    /// stand-in carrying a failure (see [`crate::call`]).
    pub(crate) async fn exec(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        info: &OperationInfo,
        operation: Option<&OperationSpec>,
    ) -> reqwest::Result<reqwest::Response> {
        match self.send(client, request, info, operation).await {
            Ok(response) => Ok(response),
            Err(error) => Ok(call::fail(error)),
        }
    }

    /// The `post` hook: a stand-in response becomes progenitor's `Error::Custom`, so that a
    /// caller of the generated `send()` sees the true failure too.
    #[allow(clippy::result_large_err)] // progenitor's hook signature
    pub(crate) fn post<E>(
        result: &reqwest::Result<reqwest::Response>,
    ) -> Result<(), progenitor_client::Error<E>> {
        match call::failure_of(result) {
            Some(message) => Err(progenitor_client::Error::Custom(message)),
            None => Ok(()),
        }
    }
}

/// Longest message the request check returns: its messages quote values cut short already; this
/// keeps one that quotes something unforeseen from growing with the input.
const MAX_MESSAGE_CHARS: usize = 400;

fn bounded(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let head: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{head}…")
}

/// Implements progenitor's hooks for a generated client by handing every request to its
/// [`Transport`], with the operation's entry in `$table` (a `&[OperationSpec]`).
macro_rules! transport_hooks {
    ($client:ty, $table:expr) => {
        impl ::progenitor_client::ClientHooks<$crate::transport::Transport> for $client {
            async fn pre<E>(
                &self,
                request: &mut ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), ::progenitor_client::Error<E>> {
                let operation = $crate::operation::find($table, info.operation_id);
                ::progenitor_client::ClientInfo::inner(self)
                    .check(request, operation)
                    .map_err(::progenitor_client::Error::InvalidRequest)
            }

            async fn exec(
                &self,
                request: ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> ::reqwest::Result<::reqwest::Response> {
                let operation = $crate::operation::find($table, info.operation_id);
                ::progenitor_client::ClientInfo::inner(self)
                    .exec(
                        ::progenitor_client::ClientInfo::client(self),
                        request,
                        info,
                        operation,
                    )
                    .await
            }

            async fn post<E>(
                &self,
                result: &::reqwest::Result<::reqwest::Response>,
                _info: &::progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), ::progenitor_client::Error<E>> {
                $crate::transport::Transport::post(result)
            }
        }
    };
}
pub(crate) use transport_hooks;
