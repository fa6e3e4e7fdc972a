//! DataArts Studio (DataArts Security permission sets): the client generated from
//! `openapi/dataarts-security.yaml`, the glue `build.rs` derives from the same spec, and the
//! service client that pre-fills the IAM project ID and the default workspace.

#[allow(missing_docs, clippy::all, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/dataarts.rs"));
}
pub use generated::*;

use crate::{config::ClientBuilder, endpoint::Service};
use types::{IamProjectId, WorkspaceId};

include!(concat!(env!("OUT_DIR"), "/dataarts_glue.rs"));

crate::transport::transport_hooks!(Client, OPERATIONS);

impl From<types::error::ConversionError> for crate::Error {
    fn from(e: types::error::ConversionError) -> Self {
        crate::Error::InvalidRequest(e.to_string())
    }
}

/// DataArts settings of the client builder: see [`DataArtsClientBuilder`].
#[derive(Debug, Clone, Default)]
pub struct DataArts {
    project_id: Option<String>,
    workspace: Option<String>,
}

/// Builder of [`DataArtsClient`].
pub type DataArtsClientBuilder = ClientBuilder<DataArts>;

impl ClientBuilder<DataArts> {
    /// The IAM project ID put in every path (default: the credentials' project ID).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.service.project_id = Some(project_id.into());
        self
    }

    /// The default `workspace` header; each call can still set its own.
    pub fn workspace(mut self, workspace: impl Into<String>) -> Self {
        self.service.workspace = Some(workspace.into());
        self
    }

    /// Checks the configuration and builds the client. Without a project ID (here or on fixed
    /// credentials), the client finds it at its first request: from a token scoped to a
    /// project, else through IAM (`GET /v3/projects?name=<region>`, see
    /// [`crate::iam::ProjectIdLookup`]), once per identity (access key, or the token's owner) and region.
    pub fn build(mut self) -> Result<DataArtsClient, crate::Error> {
        let project = self
            .service
            .project_id
            .clone()
            .or_else(|| self.auth.fixed()?.project_id().map(str::to_owned));
        let project_id = match &project {
            Some(p) => Some(
                IamProjectId::try_from(p.as_str())
                    .map_err(|e| crate::Error::Config(format!("project ID: {e}")))?,
            ),
            None => {
                self.project_resolver = Some(std::sync::Arc::new(
                    crate::iam::ProjectIdLookup::for_client(&self)?,
                ));
                None
            }
        };
        let workspace = self
            .service
            .workspace
            .as_deref()
            .map(WorkspaceId::try_from)
            .transpose()
            .map_err(|e| crate::Error::Config(format!("workspace: {e}")))?;
        let (base, http, transport) = self.parts(Service::DataArts)?;
        let path_project = match &project_id {
            Some(p) => p.clone(),
            None => IamProjectId::try_from(crate::transport::PROJECT_ID_PLACEHOLDER)
                .map_err(|e| crate::Error::Config(format!("project ID: {e}")))?,
        };
        Ok(DataArtsClient {
            generated: Client::new_with_client(&base, http, transport),
            project_id: path_project,
            configured_project_id: project_id,
            workspace,
        })
    }
}

/// DataArts Studio (DataArts Security) client. Its methods return the generated request
/// builders with the project ID and default workspace filled in; finish with
/// [`crate::Execute::execute`].
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
    generated: Client,
    /// What the glue puts in paths: the configured ID, or the placeholder the transport replaces.
    project_id: IamProjectId,
    configured_project_id: Option<IamProjectId>,
    workspace: Option<WorkspaceId>,
}

impl DataArtsClient {
    /// Starts configuring a client.
    pub fn builder() -> DataArtsClientBuilder {
        ClientBuilder::default()
    }

    /// The generated client, for calls with nothing pre-filled.
    pub fn generated(&self) -> &Client {
        &self.generated
    }

    /// The IAM project ID used in paths, when configured (`None`: looked up at the first
    /// request).
    pub fn project_id(&self) -> Option<&IamProjectId> {
        self.configured_project_id.as_ref()
    }
}
