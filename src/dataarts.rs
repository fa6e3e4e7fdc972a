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

    /// Checks the configuration and builds the client.
    pub fn build(mut self) -> Result<DataArtsClient, crate::Error> {
        let project = self
            .service
            .project_id
            .clone()
            .or_else(|| self.credentials.as_ref()?.project_id().map(str::to_owned))
            .ok_or_else(|| {
                crate::Error::Config(
                    "DataArts needs the IAM project ID: set it on the builder or the credentials"
                        .into(),
                )
            })?;
        let project_id = IamProjectId::try_from(project.as_str())
            .map_err(|e| crate::Error::Config(format!("project ID: {e}")))?;
        let workspace = self
            .service
            .workspace
            .as_deref()
            .map(WorkspaceId::try_from)
            .transpose()
            .map_err(|e| crate::Error::Config(format!("workspace: {e}")))?;
        let (base, http, transport) = self.parts(Service::DataArts)?;
        Ok(DataArtsClient {
            generated: Client::new_with_client(&base, http, transport),
            project_id,
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
    project_id: IamProjectId,
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

    /// The IAM project ID used in paths.
    pub fn project_id(&self) -> &IamProjectId {
        &self.project_id
    }
}
