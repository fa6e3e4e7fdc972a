//! Auth, retries, timeouts and failure handling against loopback servers.
//!
//! The generic rules are read through DataArts' member list when that service is built, else
//! through ProjectMan's, else through IAM's project list (writes: DataArts' batch create, else
//! ProjectMan's batch add): every client shares one transport. The header and signature tests run
//! the operations of the services built (with neither, IAM's project list).
// What only one service's tests use goes unused without it; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

#[cfg(feature = "dataarts")]
use common::dataarts;
#[cfg(feature = "projectman")]
use common::projectman;
use common::{fast_retries, AK, CODEARTS_PROJECT, PROJECT, PSET, SK, TOKEN, USER, WORKSPACE};
use huaweicloud_openapi::{
    auth::{signer, Credentials},
    retry::RetryPolicy,
    Error, Execute, IamClient,
};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{dataarts::types, DataArtsClient};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{DataArtsClient as Reader, DataArtsClientBuilder as ReaderBuilder};
#[cfg(not(any(feature = "dataarts", feature = "projectman")))]
use huaweicloud_openapi::{IamClient as Reader, IamClientBuilder as ReaderBuilder};
#[cfg(all(feature = "projectman", not(feature = "dataarts")))]
use huaweicloud_openapi::{ProjectManClient as Reader, ProjectManClientBuilder as ReaderBuilder};
use wiremock::{
    matchers::{method, path_regex},
    Mock, MockServer, Request, ResponseTemplate,
};

#[cfg(feature = "dataarts")]
fn member() -> types::PermissionSetMemberCreate {
    types::PermissionSetMemberCreate {
        member_id: Some("b43927a45a514e93ba70524b28923500".parse().unwrap()),
        member_name: Some("common_user".parse().unwrap()),
        member_type: Some(types::MemberType::User),
        workspace: None,
    }
}

/// The field of the read's answer that lists its items.
const ITEMS: &str = if cfg!(feature = "dataarts") {
    "permission_set_members"
} else if cfg!(feature = "projectman") {
    "members"
} else {
    "projects"
};

/// A list answer of the read with these item IDs (and a total where the read has one).
fn list_body(ids: &[&str]) -> serde_json::Value {
    let key = if cfg!(feature = "dataarts") {
        "id"
    } else if cfg!(feature = "projectman") {
        "user_id"
    } else {
        "id"
    };
    let items: Vec<_> = ids
        .iter()
        .map(|id| serde_json::json!({ key: id }))
        .collect();
    serde_json::json!({"total": ids.len(), ITEMS: items})
}

/// The builder of the client the generic tests read through (see the module docs).
fn reader(uri: &str, credentials: Credentials) -> ReaderBuilder {
    let builder = Reader::builder().endpoint(uri).credentials(credentials);
    #[cfg(feature = "dataarts")]
    let builder = builder.project_id(PROJECT).workspace(WORKSPACE);
    builder
}

/// One read: how many items it listed, and its request ID.
async fn read(client: &Reader) -> Result<(usize, Option<String>), Error> {
    #[cfg(feature = "dataarts")]
    let call = client
        .list_security_permission_set_members()
        .permission_set_id(PSET);
    #[cfg(all(feature = "projectman", not(feature = "dataarts")))]
    let call = client
        .list_project_members_v4()
        .project_id(CODEARTS_PROJECT);
    #[cfg(not(any(feature = "dataarts", feature = "projectman")))]
    let call = client.keystone_list_projects();
    let answer = call.execute().await?;
    let request_id = answer.request_id().map(str::to_owned);
    #[cfg(feature = "dataarts")]
    let items = &answer.permission_set_members;
    #[cfg(all(feature = "projectman", not(feature = "dataarts")))]
    let items = &answer.members;
    #[cfg(not(any(feature = "dataarts", feature = "projectman")))]
    let items = &answer.projects;
    Ok((items.as_ref().map_or(0, Vec::len), request_id))
}

/// One write (a POST without an answer body): DataArts' batch create, else ProjectMan's batch add;
/// its request ID.
#[cfg(any(feature = "dataarts", feature = "projectman"))]
async fn write(
    uri: &str,
    credentials: Credentials,
    retry: RetryPolicy,
) -> Result<Option<String>, Error> {
    #[cfg(feature = "dataarts")]
    let call = dataarts(uri, credentials, retry)
        .batch_create_security_permission_set_members()
        .permission_set_id(PSET)
        .body_map(|b| b.members(vec![member()]))
        .execute()
        .await;
    #[cfg(all(feature = "projectman", not(feature = "dataarts")))]
    let call = projectman(uri, credentials, retry)
        .batch_add_members_v4()
        .project_id(CODEARTS_PROJECT)
        .body_map(|b| {
            b.users(vec![types_pm::BatchAddMemberRequestV4 {
                role_id: None,
                user_id: USER.parse().unwrap(),
            }])
        })
        .execute()
        .await;
    call.map(|done| done.request_id().map(str::to_owned))
}

/// How many operations [`run_all`] runs: DataArts' three and ProjectMan's one, those built;
/// with neither, IAM's project list.
const OPERATIONS: usize = if cfg!(feature = "dataarts") { 3 } else { 0 }
    + if cfg!(feature = "projectman") { 1 } else { 0 }
    + if cfg!(any(feature = "dataarts", feature = "projectman")) {
        0
    } else {
        1
    };

/// Runs the four operations, those of the services built, against `uri`; with neither, IAM's
/// project list.
async fn run_all(uri: &str, credentials: Credentials) -> Result<(), Error> {
    #[cfg(feature = "dataarts")]
    {
        let da = dataarts(uri, credentials.clone(), RetryPolicy::disabled());
        da.batch_create_security_permission_set_members()
            .permission_set_id(PSET)
            .body_map(|b| b.members(vec![member()]).auto_sync(false))
            .execute()
            .await?;
        da.list_security_permission_set_members()
            .permission_set_id(PSET)
            .limit(10u32)
            .offset(0)
            .member_name("common user+ü")
            .order_by_asc(true)
            .execute()
            .await?;
        da.update_security_permission_set()
            .permission_set_id(PSET)
            .body_map(|b| {
                b.name(types::UpdatePermissionSetRequestBodyName::try_from("renamed").unwrap())
                    .description(
                        types::UpdatePermissionSetRequestBodyDescription::try_from(
                            "with spaces & symbols",
                        )
                        .unwrap(),
                    )
            })
            .execute()
            .await?;
    }
    #[cfg(feature = "projectman")]
    projectman(uri, credentials, RetryPolicy::disabled())
        .batch_add_members_v4()
        .project_id(CODEARTS_PROJECT)
        .body_map(|b| {
            b.users(vec![types_pm::BatchAddMemberRequestV4 {
                role_id: Some(types_pm::RoleId::try_from(5).expect("documented role")),
                user_id: USER.parse().expect("valid user id"),
            }])
        })
        .execute()
        .await?;
    #[cfg(not(any(feature = "dataarts", feature = "projectman")))]
    reader(uri, credentials)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
        .keystone_list_projects()
        .execute()
        .await?;
    Ok(())
}

#[cfg(feature = "projectman")]
use huaweicloud_openapi::projectman::types as types_pm;

async fn ok_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-list")
                .set_body_json(list_body(&[])),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": PSET})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn token_header_on_all_four_operations() {
    let server = ok_server().await;
    run_all(&server.uri(), Credentials::token(TOKEN).unwrap())
        .await
        .expect("all four succeed");
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), OPERATIONS);
    for r in &received {
        assert_eq!(r.headers.get("x-auth-token").unwrap(), TOKEN, "{}", r.url);
        assert!(r.headers.get("authorization").is_none());
        assert!(
            r.headers.get("api-version").is_none(),
            "progenitor's header is dropped"
        );
        assert!(r
            .headers
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("huaweicloud-openapi-rust/"));
    }
}

/// Recomputes the signature of a received request with the crate's signer (whose output the
/// committed official-SDK vectors pin) and checks it matches the Authorization header.
fn assert_signed(r: &Request, ak: &str, sk: &str) {
    let auth = r
        .headers
        .get("authorization")
        .expect("signed")
        .to_str()
        .unwrap();
    let date = r
        .headers
        .get("x-sdk-date")
        .expect("dated")
        .to_str()
        .unwrap();
    let signed_list = auth
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .expect("SignedHeaders");
    let headers: Vec<(String, String)> = signed_list
        .split(';')
        .map(|name| {
            let value = r
                .headers
                .get(name)
                .unwrap_or_else(|| panic!("{name} was signed but not sent"));
            (name.to_string(), value.to_str().unwrap().to_string())
        })
        .collect();
    let host = r.headers.get("host").unwrap().to_str().unwrap().to_string();
    let query: Vec<(String, String)> = r
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let input = signer::SigningInput {
        method: r.method.as_str(),
        host: &host,
        path: r.url.path(),
        query: &query,
        headers: &headers,
        body: &r.body,
    };
    let expected = signer::sign(&input, ak, sk.as_bytes(), date);
    assert_eq!(
        auth, expected.authorization,
        "{}",
        expected.canonical_request
    );
    assert_eq!(
        r.url.query().unwrap_or(""),
        expected.canonical_query,
        "wire query is canonical"
    );
    assert!(auth.starts_with(&format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders=")));
    for must in ["host", "x-sdk-date", "x-project-id"] {
        assert!(
            signed_list.split(';').any(|h| h == must),
            "{must} signed: {signed_list}"
        );
    }
}

#[tokio::test]
async fn ak_sk_signature_on_all_four_operations() {
    let server = ok_server().await;
    let creds = Credentials::ak_sk(AK, SK)
        .unwrap()
        .with_security_token("temporary-security-token")
        .unwrap()
        .with_project_id(PROJECT);
    run_all(&server.uri(), creds)
        .await
        .expect("all four succeed");
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), OPERATIONS);
    for r in &received {
        assert_signed(r, AK, SK);
        assert_eq!(r.headers.get("x-project-id").unwrap(), PROJECT);
        assert_eq!(
            r.headers.get("x-security-token").unwrap(),
            "temporary-security-token"
        );
        assert!(r.headers.get("x-auth-token").is_none());
        let signed = r.headers.get("authorization").unwrap().to_str().unwrap();
        assert!(signed.contains("x-security-token"), "{signed}");
    }
}

#[tokio::test]
async fn throttling_then_success_is_retried_with_a_fresh_signature() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-ok")
                .set_body_json(list_body(&["m1"])),
        )
        .with_priority(3)
        .mount(&server)
        .await;
    let creds = Credentials::ak_sk(AK, SK).unwrap().with_project_id(PROJECT);
    let client = reader(&server.uri(), creds)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let started = Instant::now();
    let (items, request_id) = read(&client).await.expect("third attempt succeeds");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 honoured"
    );
    assert_eq!(items, 1);
    assert_eq!(request_id.as_deref(), Some("req-ok"));
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    for r in &received {
        assert_signed(r, AK, SK);
    }
    let first = received[0].headers.get("x-sdk-date").unwrap();
    let last = received[2].headers.get("x-sdk-date").unwrap();
    assert_ne!(first, last, "each attempt is signed afresh");
}

#[tokio::test]
async fn retries_give_up_with_the_last_service_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("x-request-id", "req-503")
                .set_body_string("<html>Service Unavailable</html>"),
        )
        .mount(&server)
        .await;
    let client = reader(&server.uri(), Credentials::token(TOKEN).unwrap())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err = read(&client).await.unwrap_err();
    let service = err.as_service().expect("service error");
    assert_eq!(service.status.as_u16(), 503);
    assert_eq!(service.request_id.as_deref(), Some("req-503"));
    assert_eq!(&service.body[..], b"<html>Service Unavailable</html>");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "default: 3 attempts"
    );
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn post_is_not_retried_after_the_server_saw_it_unless_opted_in() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let creds = Credentials::token(TOKEN).unwrap();
    let err = write(&server.uri(), creds.clone(), fast_retries())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let opted_in = RetryPolicy {
        retry_non_idempotent: true,
        ..fast_retries()
    };
    write(&server.uri(), creds, opted_in).await.unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 1 + 3);
}

#[tokio::test]
async fn a_hanging_server_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let client = reader(&server.uri(), Credentials::token(TOKEN).unwrap())
        .retry_policy(fast_retries())
        .attempt_timeout(Some(Duration::from_millis(200)))
        .total_timeout(Some(Duration::from_millis(700)))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = read(&client).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // GET is idempotent: timed-out attempts were retried within the overall deadline.
    assert!(server.received_requests().await.unwrap().len() >= 2);
}

/// A server that accepts connections and closes them at once, counting them.
async fn closing_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test]
async fn a_closed_connection_is_a_transport_error_and_get_is_retried() {
    let (uri, count) = closing_server().await;
    let client = reader(&uri, Credentials::token(TOKEN).unwrap())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err = read(&client).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 3);

    // IAM has no write to send.
    #[cfg(any(feature = "dataarts", feature = "projectman"))]
    {
        let (uri, count) = closing_server().await;
        let err = write(&uri, Credentials::token(TOKEN).unwrap(), fast_retries())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "the POST may have arrived: not retried"
        );
    }
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn refused_connections_are_retried_even_for_post() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = write(&uri, Credentials::token(TOKEN).unwrap(), fast_retries())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { ref source, .. } if source.is_connect()),
        "{err:?}"
    );
}

async fn answer(template: ResponseTemplate, limit: Option<usize>) -> Result<(), Error> {
    let server = MockServer::start().await;
    Mock::given(path_regex(".*"))
        .respond_with(template)
        .mount(&server)
        .await;
    let mut builder = reader(&server.uri(), Credentials::token(TOKEN).unwrap())
        .retry_policy(RetryPolicy::disabled());
    if let Some(limit) = limit {
        builder = builder.max_response_bytes(limit);
    }
    read(&builder.build().unwrap()).await.map(|_| ())
}

#[tokio::test]
async fn malformed_empty_huge_and_non_json_bodies_are_typed_errors() {
    let ok =
        |body: &str| ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json");
    let wrong_items = format!("{{\"{ITEMS}\": \"many\"}}");
    for body in [
        "{",
        "",
        "[1,2,3]",
        // IAM's project list has no total.
        #[cfg(any(feature = "dataarts", feature = "projectman"))]
        "{\"total\": \"many\"}",
        &wrong_items,
        "\u{0}\u{1}binary",
    ] {
        let err = answer(ok(body), None).await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{body:?}: {err:?}");
    }
    let huge = list_body(&[&"x".repeat(100_000)]).to_string();
    let err = answer(ok(&huge), Some(1024)).await.unwrap_err();
    match err {
        Error::Decode { message, body, .. } => {
            assert!(message.contains("limit"), "{message}");
            assert!(body.len() <= 1024);
        }
        other => panic!("{other:?}"),
    }
    let err = answer(
        ResponseTemplate::new(400)
            .insert_header("x-request-id", "r400")
            .set_body_raw("plain text failure", "text/plain"),
        None,
    )
    .await
    .unwrap_err();
    let service = err.as_service().expect("service error");
    assert_eq!(
        (service.status.as_u16(), service.error_code.as_deref()),
        (400, None)
    );
    assert_eq!(&service.body[..], b"plain text failure");
    assert_eq!(err.request_id(), Some("r400"));
    let err = answer(
        ResponseTemplate::new(403)
            .set_body_json(serde_json::json!({"errorCode": "IAM.0003", "errorMsg": "denied"})),
        None,
    )
    .await
    .unwrap_err();
    let service = err
        .as_service()
        .expect("undocumented status is still a service error");
    assert_eq!(service.error_code.as_deref(), Some("IAM.0003"));
    assert_eq!(service.error_msg.as_deref(), Some("denied"));
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn no_content_operations_accept_any_success_status() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "r200")
                .set_body_string("{}"),
        )
        .mount(&server)
        .await;
    let request_id = write(
        &server.uri(),
        Credentials::token(TOKEN).unwrap(),
        RetryPolicy::disabled(),
    )
    .await
    .expect("200 instead of 204 still means done");
    assert_eq!(request_id.as_deref(), Some("r200"));
}

// IAM's client stands for all: every client has the same builder.
#[test]
fn plain_http_off_this_machine_needs_an_explicit_opt_in() {
    for endpoint in [
        "http://dayu.example.com",
        "http://10.1.2.3:8080",
        "http://[2001:db8::1]",
    ] {
        let err = IamClient::builder().endpoint(endpoint).build().unwrap_err();
        assert!(
            matches!(err, Error::Config(ref m) if m.contains("allow_insecure_http")),
            "{endpoint}: {err}"
        );
        IamClient::builder()
            .endpoint(endpoint)
            .allow_insecure_http(true)
            .build()
            .expect("opted in");
    }
    for endpoint in [
        "http://127.0.0.1:1",
        "http://localhost:8080",
        "http://[::1]:9",
        "https://proxy.example",
    ] {
        IamClient::builder()
            .endpoint(endpoint)
            .build()
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
    }
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn configuration_errors_are_typed() {
    let err = DataArtsClient::builder()
        .project_id(PROJECT)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("region or an endpoint")),
        "{err}"
    );
    // Without a project ID, a client with a region looks it up at its first request...
    let client = DataArtsClient::builder()
        .region("cn-north-4")
        .build()
        .expect("the project ID is looked up later");
    assert!(client.project_id().is_none());
    // ...but fixed credentials without one and no region to look it up cannot work.
    let err = DataArtsClient::builder()
        .endpoint("http://127.0.0.1:9")
        .credentials(Credentials::token(TOKEN).unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("project ID")),
        "{err}"
    );
    let err = DataArtsClient::builder()
        .region("CN North")
        .project_id(PROJECT)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    let client = DataArtsClient::builder()
        .region("cn-north-4")
        .credentials(Credentials::token(TOKEN).unwrap().with_project_id(PROJECT))
        .build()
        .expect("project ID from the credentials");
    assert_eq!(client.project_id().map(|p| p.as_str()), Some(PROJECT));
    // No workspace configured: the call is rejected before anything is sent.
    let err = client
        .list_security_permission_set_members()
        .permission_set_id(PSET)
        .execute()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(ref m) if m.contains("workspace")),
        "{err}"
    );
}

#[tokio::test]
async fn a_caller_supplied_http_client_and_user_agent_are_used() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_body(&[])))
        .mount(&server)
        .await;
    let mut defaults = reqwest::header::HeaderMap::new();
    defaults.insert(
        "x-caller",
        reqwest::header::HeaderValue::from_static("mine"),
    );
    let http = reqwest::Client::builder()
        .default_headers(defaults)
        .build()
        .unwrap();
    let client = reader(&server.uri(), Credentials::token(TOKEN).unwrap())
        .http_client(http)
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    read(&client).await.unwrap();
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(received.headers["x-caller"], "mine");
    assert_eq!(received.headers["user-agent"], "my-app/1.0");
}
