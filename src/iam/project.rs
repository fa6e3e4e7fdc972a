//! The IAM project ID of a region, looked up once per access key and region.

use std::{
    collections::HashMap,
    fmt,
    sync::{Mutex, MutexGuard, OnceLock},
};

use futures::future::BoxFuture;

use super::{IamClient, TRACE_ID_HEADER};
use crate::{
    auth::{Credentials, ResolveProjectId},
    config::ClientBuilder,
    endpoint::Service,
    Error, Execute, ProjectIdError,
};

/// Finds the IAM project ID of a region as the official SDKs do: `GET {iam}/v3/projects?name=
/// <region>` with the client's own credentials; exactly one project is the answer, cached for
/// the whole process per IAM endpoint, access key and region (every client of the same account
/// and region shares one lookup, as with the official SDKs). Credentials that carry a project ID (a token scoped to a project)
/// answer without a lookup. Failures are [`Error::ProjectId`]: no project, several (their IDs),
/// or a 403 (the credentials may not read IAM projects), each with IAM's trace ID.
pub struct ProjectIdLookup {
    region: Option<String>,
    endpoint: Option<String>,
    http: reqwest::Client,
}

/// Project IDs found so far: (IAM endpoint, access key, region) -> project ID.
type Found = HashMap<(String, String, String), String>;

fn found() -> MutexGuard<'static, Found> {
    static FOUND: OnceLock<Mutex<Found>> = OnceLock::new();
    FOUND
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

impl ProjectIdLookup {
    /// A lookup for `region` at IAM's endpoint for it (or `endpoint` when given).
    pub fn new(region: Option<String>, endpoint: Option<String>) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(ProjectIdLookup {
            region,
            endpoint: endpoint.or_else(crate::endpoint::iam_endpoint_from_env),
            http,
        })
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
            credentials.access_key().unwrap_or("token").to_owned(),
            region.clone(),
        );
        if let Some(id) = found().get(&key) {
            return Ok(id.clone());
        }
        let mut iam = IamClient::builder()
            .credentials(credentials.clone())
            .http_client(self.http.clone())
            .region(&region);
        if let Some(e) = &self.endpoint {
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
                found().insert(key, id.clone());
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

    /// The IAM endpoint asked, when it can be named.
    pub fn endpoint(&self) -> Option<String> {
        match (&self.endpoint, &self.region) {
            (Some(e), _) => Some(e.clone()),
            (None, Some(r)) => Service::Iam.regional_endpoint(r).ok(),
            (None, None) => None,
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
            .finish()
    }
}
