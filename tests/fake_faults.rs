//! The fake's fault injection and request recording, as a user's own tests would use them.
#![cfg(feature = "fake")]

use std::time::{Duration, Instant};

use huaweicloud_openapi::{
    auth::Credentials,
    fake::{self, FakeServer, Fault},
    projectman::types::BatchAddMemberRequestV4,
    retry::RetryPolicy,
    DataArtsClient, Error, Execute, ProjectManClient,
};

const TOKEN: &str = "fake-token-do-not-print";
const SK: &str = "fake-sk-do-not-print";
const CODEARTS_PROJECT: &str = "526cefde62004de2b62b5e8dd2c2b3af";
const USER: &str = "665b542eb4c14b53a15ead449f28b0ba";

fn dataarts(fake: &FakeServer, credentials: Credentials) -> DataArtsClient {
    DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(credentials)
        .project_id(fake::PROJECT_ID)
        .workspace("ws")
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        })
        .attempt_timeout(Some(Duration::from_millis(500)))
        .build()
        .unwrap()
}

fn projectman(fake: &FakeServer) -> ProjectManClient {
    ProjectManClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token(TOKEN).unwrap())
        .build()
        .unwrap()
}

async fn list(client: &DataArtsClient) -> Result<(), Error> {
    client
        .list_security_permission_set_members()
        .permission_set_id(fake::PERMISSION_SET_ID)
        .execute()
        .await
        .map(|_| ())
}

async fn add(client: &ProjectManClient) -> Result<(), Error> {
    client
        .batch_add_members_v4()
        .project_id(CODEARTS_PROJECT)
        .body_map(|b| {
            b.users(vec![BatchAddMemberRequestV4 {
                role_id: None,
                user_id: USER.parse().unwrap(),
            }])
        })
        .execute()
        .await
        .map(|_| ())
}

#[tokio::test]
async fn queued_faults_are_served_in_order_then_the_operation_runs() {
    let fake = FakeServer::start().await.unwrap();
    let client = dataarts(&fake, Credentials::token(TOKEN).unwrap());
    let op = "ListSecurityPermissionSetMembers";
    fake.inject_fault(op, Fault::error(503, "DLS.503", "busy"))
        .unwrap();
    fake.inject_fault(op, Fault::error(400, "DLS.1234", "no"))
        .unwrap();
    // The 503 is retried; the 400 is the answer.
    let error = list(&client).await.unwrap_err();
    let service = error.as_service().expect("a service error");
    assert_eq!(service.error_code.as_deref(), Some("DLS.1234"));
    assert!(service.request_id.is_some(), "faults get request IDs too");
    // The queue is empty now: the real operation answers.
    list(&client).await.unwrap();
    let recorded = fake.recorded_requests();
    assert_eq!(recorded.len(), 3);
    assert!(recorded.iter().all(|r| r.operation.as_deref() == Some(op)));
}

#[tokio::test]
async fn faults_only_hit_their_operation_and_unknown_operations_are_refused() {
    let fake = FakeServer::start().await.unwrap();
    fake.inject_fault(
        "BatchAddMembersV4",
        Fault::error(409, "PM.02170001", "busy"),
    )
    .unwrap();
    let da = dataarts(&fake, Credentials::token(TOKEN).unwrap());
    list(&da).await.unwrap();
    let error = add(&projectman(&fake)).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(409));
    assert!(matches!(
        fake.inject_fault("NoSuchOperation", Fault::DropConnection),
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn delays_drops_and_redirects_reach_the_client_as_typed_errors() {
    let fake = FakeServer::start().await.unwrap();
    let client = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token(TOKEN).unwrap())
        .project_id(fake::PROJECT_ID)
        .workspace("ws")
        .retry_policy(RetryPolicy::disabled())
        .attempt_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let op = "ListSecurityPermissionSetMembers";
    fake.inject_fault(op, Fault::Delay(Duration::from_secs(2)))
        .unwrap();
    assert!(matches!(list(&client).await, Err(Error::Timeout { .. })));
    fake.inject_fault(op, Fault::DropConnection).unwrap();
    let error = list(&client).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    fake.inject_fault(
        op,
        Fault::Redirect {
            status: 302,
            location: "http://127.0.0.2:1/elsewhere".into(),
        },
    )
    .unwrap();
    let error = list(&client).await.unwrap_err();
    assert!(matches!(error, Error::Redirect { .. }), "{error:?}");
    fake.inject_fault(op, Fault::Delay(Duration::from_millis(20)))
        .unwrap();
    list(&client).await.expect("a short delay only delays");
}

#[tokio::test]
async fn the_generated_send_reports_true_failures_too() {
    let fake = FakeServer::start().await.unwrap();
    let client = dataarts(&fake, Credentials::token(TOKEN).unwrap());
    fake.inject_fault(
        "ListSecurityPermissionSetMembers",
        Fault::Redirect {
            status: 301,
            location: "https://elsewhere.example/".into(),
        },
    )
    .unwrap();
    let error = client
        .generated()
        .list_security_permission_set_members()
        .project_id(fake::PROJECT_ID)
        .workspace("ws")
        .permission_set_id(fake::PERMISSION_SET_ID)
        .send()
        .await
        .unwrap_err();
    match error {
        progenitor_client::Error::Custom(message) => {
            assert!(
                message.contains("redirecting to https://elsewhere.example/"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn recorded_requests_keep_what_matters_and_redact_secrets() {
    let fake = FakeServer::start().await.unwrap();
    list(&dataarts(&fake, Credentials::token(TOKEN).unwrap()))
        .await
        .unwrap();
    let signed = Credentials::ak_sk("AKRECORD", SK)
        .unwrap()
        .with_security_token("st-do-not-print")
        .unwrap();
    list(&dataarts(&fake, signed)).await.unwrap();
    let recorded = fake.recorded_requests();
    assert_eq!(recorded.len(), 2);
    let shown = format!("{recorded:?}");
    for secret in [TOKEN, SK, "st-do-not-print"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let header = |i: usize, name: &str| {
        recorded[i]
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header(0, "x-auth-token").as_deref(), Some("[REDACTED]"));
    assert_eq!(header(0, "workspace").as_deref(), Some("ws"));
    let authorization = header(1, "authorization").unwrap();
    assert!(
        authorization.starts_with("SDK-HMAC-SHA256 Access=AKRECORD"),
        "{authorization}"
    );
    assert!(
        authorization.ends_with("Signature=[REDACTED]"),
        "{authorization}"
    );
    assert_eq!(header(1, "x-security-token").as_deref(), Some("[REDACTED]"));
    assert_eq!(recorded[0].method, "GET");
    assert!(
        recorded[0].path.ends_with("/members"),
        "{}",
        recorded[0].path
    );
}

#[tokio::test]
async fn latency_applies_to_every_answer() {
    let fake = FakeServer::start().await.unwrap();
    fake.set_latency(Duration::from_millis(60));
    let client = dataarts(&fake, Credentials::token(TOKEN).unwrap());
    let started = Instant::now();
    list(&client).await.unwrap();
    add(&projectman(&fake)).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(120),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn recording_keeps_only_the_most_recent_requests_and_can_be_turned_off() {
    let fake = FakeServer::start().await.unwrap();
    let client = dataarts(&fake, Credentials::token(TOKEN).unwrap());
    fake.record_requests(2);
    for _ in 0..3 {
        list(&client).await.unwrap();
    }
    assert_eq!(fake.recorded_requests().len(), 2);
    fake.record_requests(0);
    assert!(fake.recorded_requests().is_empty());
    list(&client).await.unwrap();
    assert!(fake.recorded_requests().is_empty());
    assert_eq!(fake.request_count(), 4, "answered all the same");
}
