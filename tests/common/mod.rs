//! Scaffolding shared by the integration tests: the IDs every test uses, clients pointed at a
//! test server, the specs as data, and a hostile HTTP server. Each test binary compiles this
//! module on its own and uses only part of it.
#![allow(dead_code)]

pub mod hostile;
pub mod spec;

use std::time::Duration;

#[cfg(feature = "dataarts")]
use huaweicloud_openapi::DataArtsClient;
#[cfg(feature = "projectman")]
use huaweicloud_openapi::ProjectManClient;
use huaweicloud_openapi::{auth::Credentials, retry::RetryPolicy, IamClient};

/// The documents' example IAM project ID.
pub const PROJECT: &str = "0833a5737480d53b2f25c010dc1a7b88";
/// The documents' example permission set.
pub const PSET: &str = "fea96c90024711b8bf8d6886407b814b";
/// The documents' example DataArts workspace.
pub const WORKSPACE: &str = "dd97167b873d4a79b2aad54d4370a3bc";
/// The documents' example CodeArts project.
pub const CODEARTS_PROJECT: &str = "526cefde62004de2b62b5e8dd2c2b3af";
/// The documents' example user.
pub const USER: &str = "665b542eb4c14b53a15ead449f28b0ba";
/// Secrets that must never show up in any output.
pub const TOKEN: &str = "iam-token-do-not-print";
pub const AK: &str = "TESTAKID0123456789";
pub const SK: &str = "test-secret-key-do-not-print";

/// Retries that wait milliseconds, not seconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        throttle_base_delay: Duration::from_millis(5),
        throttle_max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

#[cfg(feature = "dataarts")]
/// A DataArts client for `uri` with the documents' project and workspace.
pub fn dataarts(uri: &str, credentials: Credentials, retry: RetryPolicy) -> DataArtsClient {
    DataArtsClient::builder()
        .endpoint(uri)
        .credentials(credentials)
        .project_id(PROJECT)
        .workspace(WORKSPACE)
        .retry_policy(retry)
        .build()
        .expect("valid configuration")
}

#[cfg(feature = "projectman")]
/// A ProjectMan client for `uri`.
pub fn projectman(uri: &str, credentials: Credentials, retry: RetryPolicy) -> ProjectManClient {
    ProjectManClient::builder()
        .endpoint(uri)
        .credentials(credentials)
        .retry_policy(retry)
        .build()
        .expect("valid configuration")
}

/// An IAM client for `uri`.
pub fn iam(uri: &str, credentials: Credentials, retry: RetryPolicy) -> IamClient {
    IamClient::builder()
        .endpoint(uri)
        .credentials(credentials)
        .retry_policy(retry)
        .build()
        .expect("valid configuration")
}

/// A fresh fake and a DataArts client on it, with the fake's seeded project and permission
/// set, a token, and no retries.
#[cfg(all(feature = "fake", feature = "dataarts"))]
pub async fn fake_dataarts() -> (huaweicloud_openapi::fake::FakeServer, DataArtsClient) {
    use huaweicloud_openapi::fake::{self, FakeServer};
    let fake = FakeServer::start().await.expect("the fake starts");
    let da = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token(TOKEN).expect("a token"))
        .project_id(fake::PROJECT_ID)
        .workspace(WORKSPACE)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("valid configuration");
    (fake, da)
}

/// A fresh fake and a ProjectMan client on it, with a token and no retries.
#[cfg(all(feature = "fake", feature = "projectman"))]
pub async fn fake_projectman() -> (huaweicloud_openapi::fake::FakeServer, ProjectManClient) {
    let fake = huaweicloud_openapi::fake::FakeServer::start()
        .await
        .expect("the fake starts");
    let token = Credentials::token(TOKEN).expect("a token");
    let pm = projectman(&fake.endpoint(), token, RetryPolicy::disabled());
    (fake, pm)
}

/// A fresh fake and clients for both services on it, as [`fake_dataarts`] and
/// [`fake_projectman`] make them.
#[cfg(all(feature = "fake", feature = "dataarts", feature = "projectman"))]
pub async fn fake_clients() -> (
    huaweicloud_openapi::fake::FakeServer,
    DataArtsClient,
    ProjectManClient,
) {
    let (fake, da) = fake_dataarts().await;
    let token = Credentials::token(TOKEN).expect("a token");
    let pm = projectman(&fake.endpoint(), token, RetryPolicy::disabled());
    (fake, da, pm)
}
