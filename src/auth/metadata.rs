//! Temporary credentials of an ECS or CCE instance, from its metadata service.

use std::{fmt, time::Duration};

use futures::future::BoxFuture;
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::{expiry::parse_expires_at, CachedProvider, Credentials, ProvideCredentials};
use crate::Error;

/// Where the metadata service answers on every ECS and CCE instance.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// Default refresh margin of metadata credentials (the official SDKs refresh when fewer than
/// 40 minutes remain); never more than half the credentials' lifetime.
pub const DEFAULT_METADATA_REFRESH_MARGIN: Duration = Duration::from_secs(40 * 60);
/// Timeout of each request to the metadata service (the official SDKs use 3 s).
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(3);

const SESSION_TOKEN_PATH: &str = "meta-data/latest/api/token";
const SECURITY_KEY_PATH: &str = "openstack/latest/securitykey";
const NO_AGENCY: &str = "Cloud Service Agency";

/// Fetches the temporary AK/SK and security token of the agency bound to this ECS or CCE
/// instance (`GET /openstack/latest/securitykey`, after an optional session token). Wrap it with
/// [`MetadataProvider::cached`] so that the credentials are refreshed before they expire.
///
/// ```no_run
/// # #[cfg(feature = "dataarts")]
/// use huaweicloud_openapi::{auth::MetadataProvider, DataArtsClient};
///
/// # #[cfg(feature = "dataarts")]
/// # fn run() -> Result<(), huaweicloud_openapi::Error> {
/// let client = DataArtsClient::builder()
///     .region("cn-north-4")
///     .credentials_provider(MetadataProvider::new()?.cached())
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MetadataProvider {
    endpoint: Url,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(alias = "credentials")]
    credential: KeyAnswer,
}

#[derive(Deserialize)]
struct KeyAnswer {
    access: String,
    secret: String,
    securitytoken: Option<String>,
    expires_at: Option<String>,
}

impl MetadataProvider {
    /// The metadata service at its usual address, [`DEFAULT_METADATA_ENDPOINT`].
    pub fn new() -> Result<Self, Error> {
        Self::with_endpoint(DEFAULT_METADATA_ENDPOINT)
    }

    /// The metadata service at another address (a fake in tests).
    pub fn with_endpoint(endpoint: &str) -> Result<Self, Error> {
        let endpoint = Url::parse(&crate::endpoint::normalize(endpoint)?)
            .map_err(|e| Error::Config(format!("metadata endpoint: {e}")))?;
        let http = crate::tls::http_client_builder()
            // Never through a proxy: the service is only reachable from the instance itself.
            .no_proxy()
            .connect_timeout(METADATA_TIMEOUT)
            .timeout(METADATA_TIMEOUT)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(MetadataProvider { endpoint, http })
    }

    /// The endpoint asked.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// This provider behind a cache that refreshes [`DEFAULT_METADATA_REFRESH_MARGIN`] (plus up
    /// to a minute of jitter) before expiry.
    pub fn cached(self) -> CachedProvider {
        CachedProvider::with_settings(
            self,
            DEFAULT_METADATA_REFRESH_MARGIN,
            super::cache::DEFAULT_REFRESH_JITTER,
            super::cache::DEFAULT_RETRY_AFTER_FAILURE,
        )
    }

    fn url(&self, path: &str) -> Result<Url, Error> {
        let base = format!("{}/{path}", self.endpoint.as_str().trim_end_matches('/'));
        Url::parse(&base).map_err(|e| Error::Config(format!("metadata URL: {e}")))
    }

    /// The optional session token. Absent on 404/405/503 (older services) and on CCE's 400; a
    /// failure to connect is an error (this is not an instance).
    async fn session_token(&self) -> Result<Option<String>, Error> {
        let answer = self
            .http
            .put(self.url(SESSION_TOKEN_PATH)?)
            .header("X-Metadata-Token-Ttl-Seconds", "21600")
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if answer.status() != StatusCode::OK {
            tracing::debug!(status = %answer.status(), "no metadata session token; going on without");
            return Ok(None);
        }
        let token = answer.text().await.map_err(|e| self.unreachable(e))?;
        Ok(Some(token.trim().to_owned()).filter(|t| !t.is_empty()))
    }

    async fn fetch(&self) -> Result<Credentials, Error> {
        let token = self.session_token().await?;
        let mut request = self.http.get(self.url(SECURITY_KEY_PATH)?);
        if let Some(token) = &token {
            request = request.header("X-Metadata-Token", token);
        }
        let answer = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = answer.status();
        let body = answer.bytes().await.map_err(|e| self.unreachable(e))?;
        if status == StatusCode::UNAUTHORIZED && String::from_utf8_lossy(&body).contains(NO_AGENCY)
        {
            return Err(Error::Credentials(
                "this instance has no agency bound, so its metadata service has no credentials: \
                 bind an agency to the ECS instance or CCE node (Cloud Service Agency)"
                    .into(),
            ));
        }
        if !status.is_success() {
            return Err(Error::Credentials(format!(
                "the metadata service at {} answered {status} for the security key",
                self.endpoint
            )));
        }
        // Never quote the body: it holds the secret key.
        let answer: Answer = serde_json::from_slice(&body).map_err(|e| {
            Error::Credentials(format!(
                "the metadata service's security key is not the documented JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let key = answer.credential;
        let mut credentials = Credentials::ak_sk(key.access, key.secret)?;
        if let Some(token) = key.securitytoken.filter(|t| !t.is_empty()) {
            credentials = credentials.with_security_token(token)?;
        }
        if let Some(expires) = key.expires_at {
            credentials = credentials.with_expiry(parse_expires_at(&expires)?);
        }
        Ok(credentials)
    }

    fn unreachable(&self, e: reqwest::Error) -> Error {
        Error::Credentials(format!(
            "the metadata service at {} cannot be reached (not an ECS or CCE instance?): {}",
            self.endpoint,
            crate::error::cause_chain(&e)
        ))
    }
}

impl ProvideCredentials for MetadataProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.fetch())
    }
}

impl fmt::Debug for MetadataProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataProvider")
            .field("endpoint", &self.endpoint.as_str())
            .finish()
    }
}
