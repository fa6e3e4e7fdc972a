//! The client builder every service shares: where to send, how to authenticate, how long to
//! wait, how often to retry.

use std::time::Duration;

use std::sync::Arc;

use crate::{
    auth::{Credentials, DefaultChain, ProvideCredentials, SharedProjectResolver, SharedProvider},
    endpoint::{self, Service},
    ratelimit::RateLimiter,
    retry::{RetryBudget, RetryPolicy},
    transport::{Settings, Transport},
    Error,
};

/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time one attempt may take, from sending to the last byte of the answer.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time a whole call may take, retries and backoff included.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(180);
/// Default cap on a response body kept in memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Configuration shared by every service client; `S` is the service's marker type, which adds
/// the service's own settings (DataArts: [`crate::DataArtsClientBuilder::project_id`] and
/// [`crate::DataArtsClientBuilder::workspace`]). Start from [`crate::DataArtsClient::builder`] or
/// [`crate::ProjectManClient::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder<S> {
    pub(crate) region: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) auth: Auth,
    /// Where IAM answers, for the services that ask it (the DataArts project-ID lookup).
    pub(crate) iam_endpoint: Option<String>,
    /// Set by a service whose paths need an IAM project ID that was not configured.
    pub(crate) project_resolver: Option<SharedProjectResolver>,
    retry: RetryPolicy,
    retry_budget: Option<RetryBudget>,
    rate_limiter: Option<RateLimiter>,
    connect_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    max_response_bytes: usize,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    allow_insecure_http: bool,
    /// Settings only service `S` has.
    pub(crate) service: S,
}

impl<S: Default> Default for ClientBuilder<S> {
    fn default() -> Self {
        ClientBuilder {
            region: None,
            endpoint: None,
            auth: Auth::DefaultChain,
            iam_endpoint: None,
            project_resolver: None,
            retry: RetryPolicy::default(),
            retry_budget: Some(RetryBudget::default()),
            rate_limiter: None,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            attempt_timeout: Some(DEFAULT_ATTEMPT_TIMEOUT),
            total_timeout: Some(DEFAULT_TOTAL_TIMEOUT),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            user_agent: None,
            http_client: None,
            allow_insecure_http: false,
            service: S::default(),
        }
    }
}

impl<S> ClientBuilder<S> {
    /// The region, e.g. `cn-north-4`; the endpoint is built from the service's pattern.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit endpoint, which wins over the region. Credentials are sent to this origin and
    /// nowhere else. Plain `http://` is accepted for loopback hosts (a local proxy, the embedded
    /// fake); for any other host it needs [`ClientBuilder::allow_insecure_http`].
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Authenticates every request with these fixed credentials. Without this or
    /// [`ClientBuilder::credentials_provider`], the client uses the [`DefaultChain`]
    /// (environment, profile file, instance metadata) at its first request.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.auth = Auth::Static(credentials);
        self
    }

    /// Authenticates every attempt with what `provider` answers then: an IAM token by password
    /// ([`crate::iam::PasswordTokenProvider`]), instance metadata
    /// ([`crate::auth::MetadataProvider::cached`]), a [`DefaultChain`] set up differently, or
    /// your own. A 401 answer to credentials the provider can refresh gets one retry with fresh
    /// ones.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials) -> Self {
        self.auth = Auth::Provider(Arc::new(provider));
        self
    }

    /// Sends every request without any authentication (a proxy that adds it, a test server).
    /// Never the default: a client without credentials uses the [`DefaultChain`].
    pub fn without_authentication(mut self) -> Self {
        self.auth = Auth::None;
        self
    }

    /// The IAM endpoint for the IAM calls a client makes on its own (the DataArts project-ID
    /// lookup). Default: `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else built from the region (see
    /// [`Service::Iam`]).
    pub fn iam_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.iam_endpoint = Some(endpoint.into());
        self
    }

    /// The retry policy; [`RetryPolicy::disabled`] turns retries off.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The retry budget every clone of the client draws on (default: a
    /// [`RetryBudget::default`] of its own); pass the same budget to several clients to share
    /// it, or `None` to let every call retry as its policy allows whatever the others see.
    pub fn retry_budget(mut self, budget: Option<RetryBudget>) -> Self {
        self.retry_budget = budget;
        self
    }

    /// Paces every attempt (retries, listing pages and reconcile batches included) through
    /// `limiter`, shared by every clone of the client and by any other client given a clone of
    /// the same limiter. Default: no pacing; throttled calls are still retried.
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }

    /// Time to establish a connection; `None` waits as long as the OS does. Ignored with
    /// [`ClientBuilder::http_client`], whose own settings apply.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time one attempt may take, from sending to the last byte of the answer.
    pub fn attempt_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Time a whole call may take, retries and their waits included.
    pub fn total_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// Largest response body kept in memory; a larger one fails the call with
    /// [`Error::Decode`] (success statuses) or a truncated [`crate::ServiceError::body`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Replaces the default `User-Agent` (`huaweicloud-openapi-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sends through this `reqwest::Client` (proxies, custom TLS roots, connection pools).
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: reqwest follows redirects by
    /// default and forwards `X-Auth-Token` and `X-Security-Token` to whatever host a redirect
    /// names. Huawei Cloud's APIs never redirect; this crate's own client never follows one. With
    /// a client that does, the crate can only tell afterwards: an answer from another URL than
    /// the one requested fails with [`Error::Redirect`] and is never retried.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Allows a plain `http://` endpoint on a host that is not loopback, where anyone on the
    /// network path can read the token or replay the signed request. Off by default: building
    /// such a client fails with [`Error::Config`].
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Checks the shared settings and builds what every generated client needs: the base URL,
    /// the HTTP client, and the transport.
    pub(crate) fn parts(
        &mut self,
        service: Service,
    ) -> Result<(String, reqwest::Client, Transport), Error> {
        let base = match (&self.endpoint, &self.region) {
            (Some(e), _) => endpoint::normalize(e)?,
            (None, Some(r)) => service.regional_endpoint(r)?,
            (None, None) => {
                return Err(Error::Config(
                    "set a region or an endpoint for the client".into(),
                ));
            }
        };
        let endpoint = reqwest::Url::parse(&base)
            .map_err(|e| Error::Config(format!("endpoint {base:?} is not a URL: {e}")))?;
        if endpoint.scheme() == "http"
            && !endpoint::is_loopback(&endpoint)
            && !self.allow_insecure_http
        {
            return Err(Error::Config(format!(
                "endpoint {base} is plain http:// to a host that is not this machine, where the \
                 credentials could be read on the way; use https://, or opt in with \
                 allow_insecure_http(true)"
            )));
        }
        let user_agent = self.user_agent.take().unwrap_or_else(|| {
            concat!("huaweicloud-openapi-rust/", env!("CARGO_PKG_VERSION")).into()
        });
        let user_agent = reqwest::header::HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::Config("the user agent cannot be sent in a header".into()))?;
        let http = match self.http_client.take() {
            Some(c) => c,
            None => {
                let mut b = crate::tls::http_client_builder();
                if let Some(t) = self.connect_timeout {
                    b = b.connect_timeout(t);
                }
                b.build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        let credentials: Option<SharedProvider> = match std::mem::take(&mut self.auth) {
            Auth::DefaultChain => Some(Arc::new(DefaultChain::new())),
            Auth::Static(c) => Some(Arc::new(c)),
            Auth::Provider(p) => Some(p),
            Auth::None => None,
        };
        let transport = Transport::new(Settings {
            credentials,
            project: self.project_resolver.take(),
            endpoint,
            retry: self.retry.clone(),
            retry_budget: self.retry_budget.clone(),
            rate_limiter: self.rate_limiter.clone(),
            attempt_timeout: self.attempt_timeout,
            total_timeout: self.total_timeout,
            max_response_bytes: self.max_response_bytes,
            user_agent,
        });
        Ok((base, http, transport))
    }
}

/// How a client authenticates.
#[derive(Clone, Debug, Default)]
pub(crate) enum Auth {
    /// Nothing said: the default chain.
    #[default]
    DefaultChain,
    Static(Credentials),
    Provider(SharedProvider),
    /// Explicitly none.
    None,
}

impl Auth {
    /// Fixed credentials, when that is what the client was given.
    pub(crate) fn fixed(&self) -> Option<&Credentials> {
        match self {
            Auth::Static(c) => Some(c),
            _ => None,
        }
    }
}
