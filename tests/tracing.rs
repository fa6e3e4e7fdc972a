//! Tracing: one span per call with operation, status and request ID, and never a secret.
//!
//! Alone in its own test binary: tracing caches per-callsite interest process-wide, so a
//! thread-local subscriber can miss events that tests on other threads registered first.
//!
//! The call traced is DataArts' member list when that service is built, else ProjectMan's.
#![cfg(any(feature = "dataarts", feature = "projectman"))]

mod common;

use std::sync::Arc;

use common::{AK, PROJECT, PSET, SK};

#[cfg(feature = "dataarts")]
use huaweicloud_openapi::DataArtsClient as Service;
#[cfg(not(feature = "dataarts"))]
use huaweicloud_openapi::ProjectManClient as Service;
use huaweicloud_openapi::{auth::Credentials, retry::RetryPolicy, Execute};
#[cfg(feature = "dataarts")]
use wiremock::matchers::header;
use wiremock::{
    matchers::{header_exists, path},
    Mock, MockServer, ResponseTemplate,
};

#[tokio::test]
async fn secrets_never_reach_errors_or_traces() {
    use std::io::Write;
    #[derive(Clone, Default)]
    struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    #[cfg(feature = "dataarts")]
    let (operation, route) = (
        "list_security_permission_set_members",
        format!("/v1/{PROJECT}/security/permission-sets/{PSET}/members"),
    );
    #[cfg(not(feature = "dataarts"))]
    let (operation, route) = (
        "list_project_members_v4",
        format!("/v4/projects/{}/members", common::CODEARTS_PROJECT),
    );
    let server = MockServer::start().await;
    let mock = Mock::given(header_exists("authorization")).and(path(route));
    #[cfg(feature = "dataarts")]
    let mock = mock.and(header("x-project-id", PROJECT));
    mock.respond_with(
        ResponseTemplate::new(401)
            .insert_header("x-request-id", "req-traced")
            .set_body_json(
                serde_json::json!({"error_code": "APIGW.0301", "error_msg": "bad signature"}),
            ),
    )
    .mount(&server)
    .await;
    let creds = Credentials::ak_sk(AK, SK)
        .unwrap()
        .with_security_token("sts-secret-token")
        .unwrap()
        .with_project_id(PROJECT);
    #[cfg(feature = "dataarts")]
    let client = common::dataarts(&server.uri(), creds, RetryPolicy::disabled());
    #[cfg(not(feature = "dataarts"))]
    let client = common::projectman(&server.uri(), creds, RetryPolicy::disabled());
    let err = read(
        &client,
        if cfg!(feature = "dataarts") {
            PSET
        } else {
            common::CODEARTS_PROJECT
        },
    )
    .await
    .unwrap_err();
    let printed = format!("{err} {err:?} {client:?}");
    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains(operation), "{logs}");
    assert!(logs.contains("req-traced"), "{logs}");
    assert!(logs.contains("status=401"), "{logs}");
    for secret in [SK, "sts-secret-token"] {
        assert!(!printed.contains(secret), "{printed}");
        assert!(!logs.contains(secret), "{logs}");
    }
    assert_eq!(
        err.as_service().unwrap().error_code.as_deref(),
        Some("APIGW.0301")
    );

    // The providers that fetch: an IAM token by password (revoked once, so the 401 path runs)
    // and instance-metadata keys, with everything they print.
    #[cfg(feature = "fake")]
    {
        use huaweicloud_openapi::{
            auth::{MetadataProvider, ProvideCredentials},
            fake::{self, FakeServer},
            iam::PasswordTokenProvider,
        };
        let fake = FakeServer::start().await.unwrap();
        let token = PasswordTokenProvider::builder()
            .user(fake::IAM_USER)
            .password(fake::IAM_PASSWORD)
            .account(fake::IAM_ACCOUNT)
            .region(fake::IAM_REGION)
            .iam_endpoint(fake.endpoint())
            .build()
            .unwrap();
        let metadata = MetadataProvider::with_endpoint(&fake.endpoint())
            .unwrap()
            .cached();
        let mut printed = String::new();
        for provider in [
            Arc::new(token.clone()) as Arc<dyn ProvideCredentials>,
            Arc::new(metadata.clone()),
        ] {
            let builder = Service::builder()
                .region(fake::IAM_REGION)
                .endpoint(fake.endpoint());
            #[cfg(feature = "dataarts")]
            let builder = builder
                .workspace(common::WORKSPACE)
                .project_id(fake::PROJECT_ID);
            let client = builder
                .credentials_provider(provider.clone())
                .build()
                .unwrap();
            let call = || {
                read(
                    &client,
                    if cfg!(feature = "dataarts") {
                        fake::PERMISSION_SET_ID
                    } else {
                        common::CODEARTS_PROJECT
                    },
                )
            };
            call().await.unwrap();
            fake.iam().revoke_tokens();
            call().await.unwrap();
            let credentials = provider.provide().await.unwrap();
            printed += &format!("{client:?} {provider:?} {credentials:?} {credentials:#?}");
        }
        let wrong = PasswordTokenProvider::builder()
            .user(fake::IAM_USER)
            .password("wrong-password")
            .account(fake::IAM_ACCOUNT)
            .region(fake::IAM_REGION)
            .iam_endpoint(fake.endpoint())
            .build()
            .unwrap();
        let err = wrong.provide().await.unwrap_err();
        printed += &format!("{err} {err:?} {wrong:?}");
        let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        for secret in [
            fake::IAM_PASSWORD,
            "wrong-password",
            "fake-iam-token-",
            "fake-temporary-secret-",
            "fake-security-token-",
        ] {
            assert!(!printed.contains(secret), "{secret}: {printed}");
            assert!(!logs.contains(secret), "{secret}: {logs}");
        }
    }
}

/// One read: DataArts' members of permission set `id`, or ProjectMan's of project `id`.
async fn read(client: &Service, id: &str) -> Result<(), huaweicloud_openapi::Error> {
    #[cfg(feature = "dataarts")]
    let call = client
        .list_security_permission_set_members()
        .permission_set_id(id);
    #[cfg(not(feature = "dataarts"))]
    let call = client.list_project_members_v4().project_id(id);
    call.execute().await.map(|_| ())
}
