//! Service clients: configuration in one builder per service, calls through the generated
//! builders, results through [`Execute`].

use std::{marker::PhantomData, ops::Deref, time::Duration};

use reqwest::{header::HeaderMap, StatusCode};

use crate::{
    auth::Credentials,
    call::{self, CallRecord},
    dataarts::{self, types::IamProjectId, types::WorkspaceId},
    endpoint::{self, Service},
    projectman,
    retry::RetryPolicy,
    transport::{Settings, Transport, REQUEST_ID_HEADER},
    Error, ServiceError,
};

/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time one attempt may take, from sending to the last byte of the answer.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time a whole call may take, retries and backoff included.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(180);
/// Default cap on a response body kept in memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Marker for the DataArts Studio client builder.
#[derive(Debug, Clone, Copy)]
pub enum DataArts {}
/// Marker for the CodeArts ProjectMan client builder.
#[derive(Debug, Clone, Copy)]
pub enum ProjectMan {}

/// Builder of [`DataArtsClient`].
pub type DataArtsClientBuilder = ClientBuilder<DataArts>;
/// Builder of [`ProjectManClient`].
pub type ProjectManClientBuilder = ClientBuilder<ProjectMan>;

/// Configuration shared by both service clients. Start from [`DataArtsClient::builder`] or
/// [`ProjectManClient::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder<S> {
    region: Option<String>,
    endpoint: Option<String>,
    credentials: Option<Credentials>,
    retry: RetryPolicy,
    connect_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    max_response_bytes: usize,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    allow_insecure_http: bool,
    project_id: Option<String>,
    workspace: Option<String>,
    service: PhantomData<S>,
}

impl<S> Default for ClientBuilder<S> {
    fn default() -> Self {
        ClientBuilder {
            region: None,
            endpoint: None,
            credentials: None,
            retry: RetryPolicy::default(),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            attempt_timeout: Some(DEFAULT_ATTEMPT_TIMEOUT),
            total_timeout: Some(DEFAULT_TOTAL_TIMEOUT),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            user_agent: None,
            http_client: None,
            allow_insecure_http: false,
            project_id: None,
            workspace: None,
            service: PhantomData,
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

    /// How requests are authenticated. Without credentials, requests are sent unauthenticated.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The retry policy; [`RetryPolicy::disabled`] turns retries off.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
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
    /// [`Error::Decode`] (success statuses) or a truncated [`ServiceError::body`].
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

    fn parts(self, service: Service) -> Result<(String, reqwest::Client, Transport), Error> {
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
        let user_agent = self.user_agent.unwrap_or_else(|| {
            concat!("huaweicloud-openapi-rust/", env!("CARGO_PKG_VERSION")).into()
        });
        let user_agent = reqwest::header::HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::Config("the user agent cannot be sent in a header".into()))?;
        let http = match self.http_client {
            Some(c) => c,
            None => {
                // Never follow redirects: reqwest's default would re-send X-Auth-Token and
                // X-Security-Token to any host a `Location` names.
                let mut b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
                if let Some(t) = self.connect_timeout {
                    b = b.connect_timeout(t);
                }
                b.build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        let transport = Transport::new(Settings {
            credentials: self.credentials,
            endpoint,
            retry: self.retry,
            attempt_timeout: self.attempt_timeout,
            total_timeout: self.total_timeout,
            max_response_bytes: self.max_response_bytes,
            user_agent,
        });
        Ok((base, http, transport))
    }
}

impl ClientBuilder<DataArts> {
    /// The IAM project ID put in every path (default: the credentials' project ID).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// The default `workspace` header; each call can still set its own.
    pub fn workspace(mut self, workspace: impl Into<String>) -> Self {
        self.workspace = Some(workspace.into());
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<DataArtsClient, Error> {
        let project = self
            .project_id
            .clone()
            .or_else(|| self.credentials.as_ref()?.project_id().map(str::to_owned))
            .ok_or_else(|| {
                Error::Config(
                    "DataArts needs the IAM project ID: set it on the builder or the credentials"
                        .into(),
                )
            })?;
        let project_id = IamProjectId::try_from(project.as_str())
            .map_err(|e| Error::Config(format!("project ID: {e}")))?;
        let workspace = self
            .workspace
            .as_deref()
            .map(WorkspaceId::try_from)
            .transpose()
            .map_err(|e| Error::Config(format!("workspace: {e}")))?;
        let (base, http, transport) = self.parts(Service::DataArts)?;
        Ok(DataArtsClient {
            generated: dataarts::Client::new_with_client(&base, http, transport),
            project_id,
            workspace,
        })
    }
}

impl ClientBuilder<ProjectMan> {
    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<ProjectManClient, Error> {
        let (base, http, transport) = self.parts(Service::ProjectMan)?;
        Ok(ProjectManClient {
            generated: projectman::Client::new_with_client(&base, http, transport),
        })
    }
}

/// DataArts Studio (DataArts Security) client. Its methods return the generated request
/// builders with the project ID and default workspace filled in; finish with
/// [`Execute::execute`].
///
/// ```no_run
/// use huaweicloud_openapi::{auth::Credentials, DataArtsClient, Execute};
///
/// # async fn run() -> Result<(), huaweicloud_openapi::Error> {
/// let client = DataArtsClient::builder()
///     .region("cn-north-4")
///     .credentials(Credentials::ak_sk("AK", "SK")?.with_project_id("0833a5737480d53b2f25c010dc1a7b88"))
///     .workspace("dd97167b873d4a79b2aad54d4370a3bc")
///     .build()?;
/// let page = client
///     .list_security_permission_set_members()
///     .permission_set_id("fea96c90024711b8bf8d6886407b814b")
///     .limit(10u32)
///     .execute()
///     .await?;
/// println!("{} members, request {:?}", page.total.unwrap_or(0), page.request_id());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DataArtsClient {
    generated: dataarts::Client,
    project_id: IamProjectId,
    workspace: Option<WorkspaceId>,
}

/// Starts a generated DataArts builder with the client's project ID and default workspace.
macro_rules! prefilled {
    ($client:ident, $operation:ident) => {{
        let builder = $client
            .generated
            .$operation()
            .project_id($client.project_id.clone());
        match &$client.workspace {
            Some(w) => builder.workspace(w.clone()),
            None => builder,
        }
    }};
}

impl DataArtsClient {
    /// Starts configuring a client.
    pub fn builder() -> DataArtsClientBuilder {
        ClientBuilder::default()
    }

    /// The generated client, for anything this wrapper does not pre-fill.
    pub fn generated(&self) -> &dataarts::Client {
        &self.generated
    }

    /// The IAM project ID used in paths.
    pub fn project_id(&self) -> &IamProjectId {
        &self.project_id
    }

    /// Adds members to a permission set (`POST .../members/batch-create`).
    pub fn batch_create_security_permission_set_members(
        &self,
    ) -> dataarts::builder::BatchCreateSecurityPermissionSetMembers<'_> {
        prefilled!(self, batch_create_security_permission_set_members)
    }

    /// Lists a permission set's members, one page (`GET .../members`). See
    /// [`crate::paginate`] for streams over all pages.
    pub fn list_security_permission_set_members(
        &self,
    ) -> dataarts::builder::ListSecurityPermissionSetMembers<'_> {
        prefilled!(self, list_security_permission_set_members)
    }

    /// Updates a permission set (`PUT /v1/{project_id}/security/permission-sets/{id}`).
    pub fn update_security_permission_set(
        &self,
    ) -> dataarts::builder::UpdateSecurityPermissionSet<'_> {
        prefilled!(self, update_security_permission_set)
    }
}

/// CodeArts ProjectMan v4 client. Dereferences to the generated client, whose builders take the
/// 32-character CodeArts project ID; finish calls with [`Execute::execute`].
#[derive(Debug, Clone)]
pub struct ProjectManClient {
    generated: projectman::Client,
}

impl ProjectManClient {
    /// Starts configuring a client.
    pub fn builder() -> ProjectManClientBuilder {
        ClientBuilder::default()
    }
}

impl Deref for ProjectManClient {
    type Target = projectman::Client;
    fn deref(&self) -> &projectman::Client {
        &self.generated
    }
}

/// A successful answer: the decoded value plus what the service said about the call.
#[derive(Debug, Clone)]
pub struct Response<T> {
    value: T,
    status: StatusCode,
    headers: HeaderMap,
}

impl<T> Response<T> {
    /// The decoded body (`()` for 204 answers).
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `X-Request-Id` the service gave this call.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
    }

    /// All response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl<T> Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Sends a generated request builder and returns this crate's [`Response`] or [`Error`]
/// (the generated `send()` returns progenitor's types instead).
pub trait Execute {
    /// The decoded success body.
    type Output;
    /// Sends the request, with the client's auth, retries and timeouts.
    fn execute(
        self,
    ) -> impl std::future::Future<Output = Result<Response<Self::Output>, Error>> + Send;
}

macro_rules! execute_for {
    ($($builder:ty => $out:ty, $run:ident;)*) => {$(
        impl Execute for $builder {
            type Output = $out;
            fn execute(self) -> impl std::future::Future<Output = Result<Response<$out>, Error>> + Send {
                $run(self.send())
            }
        }
    )*};
}

execute_for! {
    dataarts::builder::BatchCreateSecurityPermissionSetMembers<'_> => (), run_no_content;
    dataarts::builder::ListSecurityPermissionSetMembers<'_> => dataarts::types::PermissionSetMemberList, run;
    dataarts::builder::UpdateSecurityPermissionSet<'_> => dataarts::types::PermissionSet, run;
    projectman::builder::BatchAddMembersV4<'_> => (), run_no_content;
}

type Sent<T, E> = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>;

impl<T> From<progenitor_client::ResponseValue<T>> for Response<T> {
    fn from(value: progenitor_client::ResponseValue<T>) -> Self {
        let status = value.status();
        let headers = value.headers().clone();
        Response {
            value: value.into_inner(),
            status,
            headers,
        }
    }
}

async fn run<T, E>(
    send: impl std::future::Future<Output = Sent<T, E>>,
) -> Result<Response<T>, Error> {
    let (result, record) = call::scoped(send).await;
    result.map(Response::from).map_err(|e| map_error(e, record))
}

/// For operations documented as 204 No Content: any 2xx answer means success, so a gateway that
/// answers 200 does not turn a done change into an error. (The transport has already refused a
/// 2xx whose body is an error or not JSON.)
async fn run_no_content<E>(
    send: impl std::future::Future<Output = Sent<(), E>>,
) -> Result<Response<()>, Error> {
    let (result, record) = call::scoped(send).await;
    match result {
        Ok(value) => Ok(value.into()),
        Err(progenitor_client::Error::UnexpectedResponse(r)) if r.status().is_success() => {
            Ok(Response {
                value: (),
                status: r.status(),
                headers: r.headers().clone(),
            })
        }
        Err(e) => Err(map_error(e, record)),
    }
}

/// Turns progenitor's error plus what the transport saw into this crate's error.
fn map_error<E>(error: progenitor_client::Error<E>, mut call: CallRecord) -> Error {
    use progenitor_client::Error as P;
    if let Some(failure) = call.failure.take() {
        return failure;
    }
    let facts = call.response.take().unwrap_or_default();
    let service_error = |status: StatusCode, body: Option<bytes::Bytes>| {
        Error::from(ServiceError::from_parts(
            status,
            facts.request_id.clone(),
            body.unwrap_or_default(),
        ))
    };
    match error {
        P::InvalidRequest(msg) => Error::InvalidRequest(msg),
        // Only the transport makes `Custom`, and it always leaves its typed failure first.
        P::Custom(msg) => Error::InvalidRequest(msg),
        P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => {
            Error::Transport {
                status: facts.status,
                request_id: facts.request_id,
                source: e,
            }
        }
        P::ErrorResponse(rv) => service_error(rv.status(), call.error_body),
        P::UnexpectedResponse(response) if !response.status().is_success() => {
            service_error(response.status(), call.error_body)
        }
        P::UnexpectedResponse(response) => Error::Decode {
            status: response.status(),
            request_id: facts.request_id,
            message: "the API does not describe this success status for the operation".into(),
            body: Default::default(),
        },
        P::InvalidResponsePayload(body, e) => match facts.status {
            Some(status) if !status.is_success() => service_error(status, call.error_body),
            status => Error::Decode {
                status: status.unwrap_or(StatusCode::OK),
                request_id: facts.request_id,
                message: e.to_string(),
                body,
            },
        },
    }
}
