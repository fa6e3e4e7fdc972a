//! CodeArts ProjectMan v4 (project members): the client generated from
//! `openapi/projectman-v4.yaml`, the glue `build.rs` derives from the same spec, and the service
//! client.

#[allow(missing_docs, clippy::all, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/projectman.rs"));
}
pub use generated::*;

use crate::{config::ClientBuilder, endpoint::Service};

include!(concat!(env!("OUT_DIR"), "/projectman_glue.rs"));

crate::transport::transport_hooks!(Client, OPERATIONS);

impl From<types::error::ConversionError> for crate::Error {
    fn from(e: types::error::ConversionError) -> Self {
        crate::Error::InvalidRequest(e.to_string())
    }
}

impl Role {
    /// The role's name in snake case (`project_manager` for [`Role::ProjectManager`]): how
    /// desired-state files, saved plans and messages spell it, one spelling everywhere.
    pub fn snake_case_name(self) -> String {
        let mut out = String::new();
        for (i, c) in format!("{self:?}").chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }
}

/// ProjectMan settings of the client builder: none beyond the shared ones.
#[derive(Debug, Clone, Default)]
pub struct ProjectMan {}

/// Builder of [`ProjectManClient`].
pub type ProjectManClientBuilder = ClientBuilder<ProjectMan>;

impl ClientBuilder<ProjectMan> {
    /// Checks the configuration and builds the client.
    pub fn build(mut self) -> Result<ProjectManClient, crate::Error> {
        let (base, http, transport) = self.parts(Service::ProjectMan)?;
        Ok(ProjectManClient {
            generated: Client::new_with_client(&base, http, transport),
        })
    }
}

/// CodeArts ProjectMan v4 client. Its methods return the generated request builders, which take
/// the 32-character CodeArts project ID; finish with [`crate::Execute::execute`].
///
/// ```no_run
/// use huaweicloud_openapi::{auth::Credentials, ProjectManClient, Execute};
///
/// # async fn run() -> Result<(), huaweicloud_openapi::Error> {
/// let client = ProjectManClient::builder()
///     .region("cn-north-4")
///     .credentials(Credentials::token("an IAM token")?)
///     .build()?;
/// client
///     .batch_add_members_v4()
///     .project_id("526cefde62004de2b62b5e8dd2c2b3af")
///     .body_map(|body| body.users(vec![]))
///     .execute()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ProjectManClient {
    generated: Client,
}

impl ProjectManClient {
    /// Starts configuring a client.
    pub fn builder() -> ProjectManClientBuilder {
        ClientBuilder::default()
    }

    /// The generated client, for calls with nothing pre-filled.
    pub fn generated(&self) -> &Client {
        &self.generated
    }
}
