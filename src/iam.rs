//! IAM v3 (tokens, projects, temporary access keys): the client generated from
//! `openapi/iam-v3.yaml`, the glue `build.rs` derives from the same spec, and the service client.
//!
//! Most users never call IAM themselves: [`PasswordTokenProvider`] gets and renews IAM user
//! tokens, and the DataArts client looks up its IAM project ID through [`ProjectIdLookup`] when
//! none is configured.

#[allow(missing_docs, clippy::all, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/iam.rs"));
}
pub use generated::*;

mod project;
mod token;

pub use project::ProjectIdLookup;
pub use token::{PasswordTokenProvider, PasswordTokenProviderBuilder, TotpSource};

use crate::{config::ClientBuilder, endpoint::Service};

include!(concat!(env!("OUT_DIR"), "/iam_glue.rs"));

crate::transport::transport_hooks!(Client, OPERATIONS);

impl From<types::error::ConversionError> for crate::Error {
    fn from(e: types::error::ConversionError) -> Self {
        crate::Error::InvalidRequest(e.to_string())
    }
}

/// The response header that carries a new token.
pub const SUBJECT_TOKEN_HEADER: &str = "x-subject-token";
/// The response header IAM identifies a call with; quoted in project-ID lookup errors.
pub const TRACE_ID_HEADER: &str = "x-iam-trace-id";

/// IAM settings of the client builder: none beyond the shared ones.
#[derive(Debug, Clone, Default)]
pub struct Iam {}

/// Builder of [`IamClient`].
pub type IamClientBuilder = ClientBuilder<Iam>;

impl ClientBuilder<Iam> {
    /// Checks the configuration and builds the client. The endpoint is
    /// `HUAWEICLOUD_SDK_IAM_ENDPOINT` when set, else built from the region (see
    /// [`Service::Iam`]); an explicit [`ClientBuilder::endpoint`] wins over both.
    pub fn build(mut self) -> Result<IamClient, crate::Error> {
        if self.endpoint.is_none() {
            self.endpoint = crate::endpoint::iam_endpoint_from_env();
        }
        let (base, http, transport) = self.parts(Service::Iam)?;
        Ok(IamClient {
            generated: Client::new_with_client(&base, http, transport),
        })
    }
}

/// IAM v3 client: user tokens by password, project lookup, temporary access keys. Its methods
/// return the generated request builders; finish with [`crate::Execute::execute`].
///
/// ```no_run
/// use huaweicloud_openapi::{auth::Credentials, iam::IamClient, Execute};
///
/// # async fn run() -> Result<(), huaweicloud_openapi::Error> {
/// let iam = IamClient::builder()
///     .region("cn-north-4")
///     .credentials(Credentials::ak_sk("AK", "SK")?)
///     .build()?;
/// let projects = iam.keystone_list_projects().name("cn-north-4").execute().await?;
/// println!("{:?}", projects.projects);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct IamClient {
    generated: Client,
}

impl IamClient {
    /// Starts configuring a client.
    pub fn builder() -> IamClientBuilder {
        ClientBuilder::default()
    }

    /// The generated client, for calls with nothing pre-filled.
    pub fn generated(&self) -> &Client {
        &self.generated
    }
}
