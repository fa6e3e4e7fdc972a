//! Per-attempt authorization: the provider's current credentials, sent only to the configured
//! endpoint's origin.

use std::{
    future::Future,
    sync::Arc,
    time::{Instant, SystemTime},
};

use reqwest::Url;

use super::Settings;
use crate::{auth::Credentials, Error};

/// The credentials for the next attempt: cheap when the provider has fresh ones cached. A
/// fetch gets what is left of the call's time (`deadline`), no more; its failures are
/// [`Error::CredentialsUnavailable`].
pub(super) async fn current(
    settings: &Settings,
    deadline: Option<Instant>,
    started: Instant,
) -> Result<Option<Credentials>, Error> {
    match &settings.credentials {
        Some(provider) => within(deadline, started, provider.provide())
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// Waits for a credential fetch (or a project-ID lookup) until the call's deadline. A fetch that
/// fails, or that is still running when the deadline comes, fails the call with
/// [`Error::CredentialsUnavailable`] (its source a [`Error::Timeout`] in the second case); the
/// fetch itself goes on for the callers that share it.
pub(super) async fn within<T>(
    deadline: Option<Instant>,
    started: Instant,
    fetch: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let result = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline.into(), fetch)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Timeout {
                    elapsed: Some(started.elapsed()),
                    status: None,
                    request_id: None,
                    source: None,
                })
            }),
        None => fetch.await,
    };
    result.map_err(|e| Error::credentials_unavailable(Arc::new(e)))
}

/// Adds the credentials' headers (and the signature) to one attempt. A request for any origin
/// other than the configured endpoint's is refused before anything is attached or sent.
pub(super) fn authorize(
    settings: &Settings,
    request: &mut reqwest::Request,
    credentials: Option<&Credentials>,
    now: SystemTime,
) -> Result<(), Error> {
    if !same_origin(request.url(), &settings.endpoint) {
        return Err(Error::Credentials(format!(
            "refusing to send a request for {} with the credentials of the configured endpoint {}",
            origin(request.url()),
            origin(&settings.endpoint)
        )));
    }
    match credentials {
        Some(credentials) => credentials.authorize(request, now),
        None => Ok(()),
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::header::HeaderValue;

    use super::*;
    use crate::{auth::Credentials, retry::RetryPolicy};

    fn credentials() -> Credentials {
        Credentials::ak_sk("AK", "SK")
            .unwrap()
            .with_security_token("ST")
            .unwrap()
            .with_project_id("p")
    }

    fn settings(endpoint: &str) -> Settings {
        Settings {
            credentials: Some(std::sync::Arc::new(credentials())),
            project: None,
            endpoint: Url::parse(endpoint).unwrap(),
            retry: RetryPolicy::default(),
            retry_budget: None,
            rate_limiter: None,
            attempt_timeout: Some(Duration::from_secs(1)),
            total_timeout: None,
            max_response_bytes: 1,
            user_agent: HeaderValue::from_static("t"),
        }
    }

    fn attempt(endpoint: &str, url: &str) -> (Result<(), Error>, reqwest::Request) {
        let mut request = reqwest::Client::new().get(url).build().unwrap();
        let result = authorize(
            &settings(endpoint),
            &mut request,
            Some(&credentials()),
            SystemTime::now(),
        );
        (result, request)
    }

    #[test]
    fn credentials_go_to_the_configured_origin_only() {
        let (ok, signed) = attempt(
            "https://dayu.cn-north-4.myhuaweicloud.com/stem",
            "https://dayu.cn-north-4.myhuaweicloud.com:443/v1/x",
        );
        assert!(ok.is_ok());
        assert!(signed.headers().contains_key("authorization"));
        for other in [
            "https://evil.example/v1/x",
            "http://dayu.cn-north-4.myhuaweicloud.com/v1/x",
            "https://dayu.cn-north-4.myhuaweicloud.com:8443/v1/x",
        ] {
            let (refused, request) = attempt("https://dayu.cn-north-4.myhuaweicloud.com", other);
            assert!(matches!(refused, Err(Error::Credentials(_))), "{other}");
            for header in [
                "authorization",
                "x-security-token",
                "x-project-id",
                "x-auth-token",
            ] {
                assert!(!request.headers().contains_key(header), "{other}: {header}");
            }
        }
    }
}
