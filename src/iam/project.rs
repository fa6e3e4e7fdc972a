//! The IAM project ID of a region, looked up once per identity and region.

use std::{
    collections::HashMap,
    fmt,
    sync::{Mutex, MutexGuard, OnceLock},
    time::Duration,
};

use futures::future::BoxFuture;

use super::{IamClient, TRACE_ID_HEADER};
use crate::{
    auth::{flight::SingleFlight, Credentials, ResolveProjectId, DEFAULT_RETRY_AFTER_FAILURE},
    config::ClientBuilder,
    endpoint::Service,
    Error, Execute, ProjectIdError,
};

/// Finds the IAM project ID of a region as the official SDKs do: `GET {iam}/v3/projects?name=
/// <region>` with the client's own credentials; exactly one project is the answer, cached for
/// the whole process per IAM endpoint, identity and region (every client of the same identity
/// and region shares one lookup, as with the official SDKs). The identity is what the
/// credentials prove ([`Credentials::identity`]): the access key, a token's user and account,
/// or a hash of a token whose owner is unknown; never a value two accounts could share.
/// Concurrent first calls make one lookup and share its result; a failed lookup is answered
/// again for a short pause (see [`ProjectIdLookup::retry_after_failure`]) rather than repeated
/// by every call.
///
/// Credentials that carry a project ID (a token scoped to a project) answer without a lookup.
/// IAM's answers are [`Error::ProjectId`]: no project, several (their IDs), or a 403 (the
/// credentials may not read IAM projects), each with IAM's trace ID. A lookup that could not
/// get an answer (IAM down, slow or unreachable) is [`Error::CredentialsUnavailable`].
pub struct ProjectIdLookup {
    region: Option<String>,
    endpoint: Option<String>,
    http: reqwest::Client,
    retry_after_failure: Duration,
}

/// (IAM endpoint, identity, region).
type Key = (String, String, String);

/// Project IDs found so far, and the lookup under way (or its recent failure) per key.
#[derive(Default)]
struct Lookups {
    found: HashMap<Key, String>,
    flights: HashMap<Key, SingleFlight<String>>,
}

fn lookups() -> MutexGuard<'static, Lookups> {
    static LOOKUPS: OnceLock<Mutex<Lookups>> = OnceLock::new();
    LOOKUPS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

impl ProjectIdLookup {
    /// A lookup for `region` at IAM's endpoint for it (or `endpoint` when given).
    pub fn new(region: Option<String>, endpoint: Option<String>) -> Result<Self, Error> {
        let http = crate::tls::http_client_builder()
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(ProjectIdLookup {
            region,
            endpoint: endpoint.or_else(crate::endpoint::iam_endpoint_from_env),
            http,
            retry_after_failure: DEFAULT_RETRY_AFTER_FAILURE,
        })
    }

    /// How long a failed lookup is answered again before IAM is asked anew (default
    /// [`DEFAULT_RETRY_AFTER_FAILURE`], give or take a fifth at random).
    pub fn retry_after_failure(mut self, pause: Duration) -> Self {
        self.retry_after_failure = pause;
        self
    }

    /// The lookup a service client builder needs: its region and IAM endpoint.
    pub(crate) fn for_client<S>(builder: &ClientBuilder<S>) -> Result<Self, Error> {
        if builder.region.is_none() && builder.auth.fixed().is_some() {
            return Err(Error::Config(
                "DataArts needs the IAM project ID: set it on the builder or the credentials, \
                 or set a region to look it up"
                    .into(),
            ));
        }
        Self::new(builder.region.clone(), builder.iam_endpoint.clone())
    }

    async fn lookup(&self, credentials: &Credentials) -> Result<String, Error> {
        if let Some(id) = credentials.project_id() {
            return Ok(id.to_owned());
        }
        let region = self
            .region
            .clone()
            .ok_or(Error::ProjectId(ProjectIdError::NoRegion))?;
        let key = (
            self.endpoint.clone().unwrap_or_default(),
            credentials.identity(),
            region.clone(),
        );
        let ask = Ask {
            http: self.http.clone(),
            endpoint: self.endpoint.clone(),
            region,
            credentials: credentials.clone(),
        };
        // Under the lock, so that a caller sees either the ID found or the lookup under way.
        let shared = {
            let mut all = lookups();
            if let Some(id) = all.found.get(&key) {
                return Ok(id.clone());
            }
            let flight = all.flights.entry(key.clone()).or_default();
            flight.run(self.retry_after_failure, move || {
                Box::pin(async move {
                    let id = ask.ask().await?;
                    let mut lookups = lookups();
                    lookups.found.insert(key.clone(), id.clone());
                    lookups.flights.remove(&key);
                    Ok(id)
                })
            })
        };
        shared.await.map_err(Error::credentials_unavailable)
    }

    /// The IAM endpoint asked, when it can be named.
    pub fn endpoint(&self) -> Option<String> {
        match (&self.endpoint, &self.region) {
            (Some(e), _) => Some(e.clone()),
            (None, Some(r)) => Service::Iam.regional_endpoint(r).ok(),
            (None, None) => None,
        }
    }
}

/// One lookup, with what it needs owned: it runs as its own task, shared by every caller.
struct Ask {
    http: reqwest::Client,
    endpoint: Option<String>,
    region: String,
    credentials: Credentials,
}

impl Ask {
    async fn ask(self) -> Result<String, Error> {
        let Ask {
            http,
            endpoint,
            region,
            credentials,
        } = self;
        let mut iam = IamClient::builder()
            .credentials(credentials)
            .http_client(http)
            .region(&region);
        if let Some(e) = &endpoint {
            iam = iam.endpoint(e);
        }
        let iam = iam.build()?;
        let answer = match iam
            .keystone_list_projects()
            .name(region.as_str())
            .execute()
            .await
        {
            Ok(answer) => answer,
            Err(e) if e.status() == Some(reqwest::StatusCode::FORBIDDEN) => {
                let trace_id = e
                    .as_service()
                    .and_then(|s| s.headers.get(TRACE_ID_HEADER))
                    .and_then(|v| v.to_str().ok())
                    .or_else(|| e.request_id())
                    .map(str::to_owned);
                return Err(Error::ProjectId(ProjectIdError::Forbidden {
                    region,
                    trace_id,
                }));
            }
            Err(e) => return Err(e),
        };
        let trace_id = answer
            .headers()
            .get(TRACE_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| answer.request_id().map(str::to_owned));
        let ids: Vec<String> = answer
            .into_inner()
            .projects
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.id)
            .collect();
        match ids.as_slice() {
            [id] => {
                tracing::debug!(region, "found the IAM project ID");
                Ok(id.clone())
            }
            [] => Err(Error::ProjectId(ProjectIdError::NotFound {
                region,
                trace_id,
            })),
            _ => Err(Error::ProjectId(ProjectIdError::Several {
                region,
                ids,
                trace_id,
            })),
        }
    }
}

impl ResolveProjectId for ProjectIdLookup {
    fn resolve<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(self.lookup(credentials))
    }
}

impl fmt::Debug for ProjectIdLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProjectIdLookup")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint())
            .field("retry_after_failure", &self.retry_after_failure)
            .finish()
    }
}
