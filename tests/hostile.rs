//! Hostile answers: redirects, errors dressed as successes, bodies that lie, break, drip or
//! stall, pagination that does not add up. Every operation, both credential kinds: no panic, no
//! hang, no false success, and no secret in any output or on any other host.
//!
//! With a service left out, the tests run the operations of the services built; with neither,
//! IAM's project list stands in, since every client shares one transport.
// What only one service's tests use goes unused without it; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

mod common;

use std::time::{Duration, Instant};

use common::{
    hostile::{head, response, Hostile, Reply},
    CODEARTS_PROJECT, PROJECT, PSET, SK, TOKEN, USER, WORKSPACE,
};
use futures::{StreamExt, TryStreamExt};
#[cfg(feature = "projectman")]
use huaweicloud_openapi::ProjectManClient;
use huaweicloud_openapi::{
    auth::Credentials, paginate::Paginate, retry::RetryPolicy, Error, Execute, IamClient,
};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{dataarts::types, DataArtsClient};

const SECURITY_TOKEN: &str = "security-token-do-not-print";
const SECRETS: [&str; 3] = [TOKEN, SK, SECURITY_TOKEN];

fn credential_kinds() -> Vec<(&'static str, Credentials)> {
    vec![
        ("token", Credentials::token(TOKEN).unwrap()),
        (
            "ak/sk",
            Credentials::ak_sk("AKHOSTILE", SK)
                .unwrap()
                .with_security_token(SECURITY_TOKEN)
                .unwrap()
                .with_project_id(PROJECT),
        ),
    ]
}

struct Clients {
    #[cfg(feature = "dataarts")]
    da: DataArtsClient,
    #[cfg(feature = "projectman")]
    pm: ProjectManClient,
    iam: IamClient,
}

fn clients(url: &str, credentials: Credentials, retry: RetryPolicy, attempt: Duration) -> Clients {
    #[cfg(feature = "dataarts")]
    let da = DataArtsClient::builder()
        .endpoint(url)
        .credentials(credentials.clone())
        .project_id(PROJECT)
        .workspace(WORKSPACE)
        .retry_policy(retry.clone())
        .attempt_timeout(Some(attempt))
        .build()
        .unwrap();
    #[cfg(feature = "projectman")]
    let pm = ProjectManClient::builder()
        .endpoint(url)
        .credentials(credentials.clone())
        .retry_policy(retry.clone())
        .attempt_timeout(Some(attempt))
        .build()
        .unwrap();
    let iam = IamClient::builder()
        .endpoint(url)
        .credentials(credentials)
        .retry_policy(retry)
        .attempt_timeout(Some(attempt))
        .build()
        .unwrap();
    Clients {
        #[cfg(feature = "dataarts")]
        da,
        #[cfg(feature = "projectman")]
        pm,
        iam,
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        throttle_base_delay: Duration::from_millis(200),
        throttle_max_delay: Duration::from_millis(400),
        ..RetryPolicy::default()
    }
}

/// The operations the tests run on every answer: DataArts' three and ProjectMan's one, those of
/// the services built; with neither, IAM's project list.
const OPERATIONS: &[&str] = &[
    #[cfg(feature = "dataarts")]
    "batch-create",
    #[cfg(feature = "dataarts")]
    "list",
    #[cfg(feature = "dataarts")]
    "update",
    #[cfg(feature = "projectman")]
    "batch-add",
    #[cfg(not(any(feature = "dataarts", feature = "projectman")))]
    "projects",
];

/// The read the tests of one answer call: DataArts' list; without DataArts, ProjectMan's member
/// list; with neither, IAM's project list.
const READ: &str = if cfg!(feature = "dataarts") {
    "list"
} else if cfg!(feature = "projectman") {
    "members"
} else {
    "projects"
};

/// Runs operation `op` (one of [`OPERATIONS`] or [`READ`]).
async fn run(c: &Clients, op: &str) -> Result<(), Error> {
    match op {
        #[cfg(feature = "dataarts")]
        "batch-create" => {
            c.da.batch_create_security_permission_set_members()
                .permission_set_id(PSET)
                .body_map(|b| {
                    b.members(vec![types::PermissionSetMemberCreate {
                        member_id: Some(USER.parse().unwrap()),
                        member_name: Some("u".parse().unwrap()),
                        member_type: Some(types::MemberType::User),
                        workspace: None,
                    }])
                })
                .execute()
                .await
                .map(|_| ())
        }
        #[cfg(feature = "dataarts")]
        "list" => {
            c.da.list_security_permission_set_members()
                .permission_set_id(PSET)
                .execute()
                .await
                .map(|_| ())
        }
        #[cfg(feature = "dataarts")]
        "update" => {
            c.da.update_security_permission_set()
                .permission_set_id(PSET)
                .body_map(|b| {
                    b.name(types::UpdatePermissionSetRequestBodyName::try_from("renamed").unwrap())
                })
                .execute()
                .await
                .map(|_| ())
        }
        #[cfg(feature = "projectman")]
        "batch-add" => {
            c.pm.batch_add_members_v4()
                .project_id(CODEARTS_PROJECT)
                .body_map(|b| {
                    b.users(vec![
                        huaweicloud_openapi::projectman::types::BatchAddMemberRequestV4 {
                            role_id: None,
                            user_id: USER.parse().unwrap(),
                        },
                    ])
                })
                .execute()
                .await
                .map(|_| ())
        }
        #[cfg(feature = "projectman")]
        "members" => {
            c.pm.list_project_members_v4()
                .project_id(CODEARTS_PROJECT)
                .execute()
                .await
                .map(|_| ())
        }
        "projects" => c.iam.keystone_list_projects().execute().await.map(|_| ()),
        other => unreachable!("no operation {other}"),
    }
}

fn no_secret_in(error: &Error) {
    let shown = format!("{error} / {error:?}");
    for secret in SECRETS {
        assert!(!shown.contains(secret), "secret in {shown}");
    }
}

#[tokio::test]
async fn redirects_are_never_followed_retried_or_sent_anywhere_else() {
    let elsewhere = Hostile::start("127.0.0.2", |_, _| response(200, "", b"{}")).await;
    let location = format!("{}/steal", elsewhere.url());
    for code in [301, 302, 303, 307, 308] {
        let location = location.clone();
        let server = Hostile::start("127.0.0.1", move |_, _| {
            response(code, &format!("location: {location}\r\n"), b"")
        })
        .await;
        for (kind, credentials) in credential_kinds() {
            let c = clients(
                &server.url(),
                credentials,
                fast_retries(),
                Duration::from_secs(5),
            );
            for name in OPERATIONS {
                let before = server.received().len();
                let error = run(&c, name)
                    .await
                    .expect_err("a redirect is not a success");
                match &error {
                    Error::Redirect {
                        status,
                        location: Some(to),
                        followed: false,
                        request_id: Some(id),
                    } => {
                        assert_eq!(status.as_u16(), code);
                        assert!(to.contains("127.0.0.2"), "{to}");
                        assert_eq!(id, &format!("rid-{code}"));
                    }
                    other => panic!("{code} {kind} {name}: {other:?}"),
                }
                assert!(!error.is_retryable());
                assert!(error.to_string().contains("127.0.0.2"), "{error}");
                no_secret_in(&error);
                assert_eq!(
                    server.received().len() - before,
                    1,
                    "{code} {kind} {name}: sent once"
                );
            }
        }
    }
    assert!(
        elsewhere.received().is_empty(),
        "the other host received nothing"
    );
}

#[tokio::test]
async fn a_get_that_redirects_to_itself_is_sent_once() {
    let server = Hostile::start("127.0.0.1", |_, head| {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        response(302, &format!("location: {path}\r\n"), b"")
    })
    .await;
    let c = clients(
        &server.url(),
        Credentials::token(TOKEN).unwrap(),
        fast_retries(),
        Duration::from_secs(5),
    );
    let error = run(&c, READ).await.unwrap_err();
    assert!(matches!(error, Error::Redirect { .. }), "{error:?}");
    assert_eq!(server.received().len(), 1);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_caller_client_that_follows_redirects_is_caught_and_not_retried() {
    let elsewhere = Hostile::start("127.0.0.2", |_, _| {
        response(200, "", br#"{"total":0,"permission_set_members":[]}"#)
    })
    .await;
    let location = format!("{}/followed", elsewhere.url());
    let server = Hostile::start("127.0.0.1", move |_, _| {
        response(307, &format!("location: {location}\r\n"), b"")
    })
    .await;
    let da = DataArtsClient::builder()
        .endpoint(server.url())
        .credentials(Credentials::token(TOKEN).unwrap())
        .project_id(PROJECT)
        .workspace(WORKSPACE)
        .http_client(reqwest::Client::new())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = da
        .list_security_permission_set_members()
        .permission_set_id(PSET)
        .execute()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Redirect { followed: true, location: Some(l), .. } if l.contains("/followed")),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("must not follow redirects"),
        "{error}"
    );
    assert_eq!(server.received().len(), 1, "not sent twice");
    assert_eq!(elsewhere.received().len(), 1, "not sent twice");
}

#[tokio::test]
async fn success_statuses_with_error_bodies_are_service_errors() {
    let shapes: [&[u8]; 4] = [
        br#"{"error_code":"DLS.4242","error_msg":"boom"}"#,
        br#"{"errorCode":"DLS.4242","errorMsg":"boom"}"#,
        br#"{"code":"DLS.4242","message":"boom"}"#,
        br#"{"error":{"code":"DLS.4242","message":"boom"}}"#,
    ];
    for (i, shape) in shapes.iter().enumerate() {
        let body = shape.to_vec();
        let status = if i % 2 == 0 { 200 } else { 201 };
        let server = Hostile::start("127.0.0.1", move |_, _| response(status, "", &body)).await;
        for (kind, credentials) in credential_kinds() {
            let c = clients(
                &server.url(),
                credentials,
                fast_retries(),
                Duration::from_secs(5),
            );
            for name in OPERATIONS {
                let error = run(&c, name)
                    .await
                    .expect_err("an error body is not a success");
                let service = error
                    .as_service()
                    .unwrap_or_else(|| panic!("{kind} {name} {i}: {error:?}"));
                assert_eq!(service.status.as_u16(), status);
                assert_eq!(service.error_code.as_deref(), Some("DLS.4242"));
                assert_eq!(service.error_msg.as_deref(), Some("boom"));
                assert_eq!(
                    service.request_id.as_deref(),
                    Some(&*format!("rid-{status}"))
                );
                no_secret_in(&error);
            }
        }
    }
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn success_bodies_that_share_an_error_key_are_still_successes() {
    // `code`/`message` beside the operation's own fields is data, not an error.
    let server = Hostile::start("127.0.0.1", |_, _| {
        response(
            200,
            "",
            br#"{"total":0,"permission_set_members":[],"code":"X","message":"fine"}"#,
        )
    })
    .await;
    let c = clients(
        &server.url(),
        Credentials::token(TOKEN).unwrap(),
        fast_retries(),
        Duration::from_secs(5),
    );
    run(&c, READ)
        .await
        .expect("a list with extra fields is a list");
}

#[tokio::test]
async fn html_truncated_and_mistyped_bodies_are_decode_errors() {
    let bodies: [&[u8]; 6] = [
        b"<html><body>Welcome to nginx</body></html>",
        br#"{"total": 3, "permission_set_members": ["#,
        // Mistyped for each read: DataArts' list and permission set, IAM's project list.
        br#"{"total":"many","permission_set_members":{},"id":7,"name":[],"projects":7}"#,
        b"{\"total\": 1, \"name\": \"\xff\xfe\"}",
        b"\xef\xbb\xbf\x00\x01garbage",
        b"not json at all",
    ];
    for (i, body) in bodies.iter().enumerate() {
        let body = body.to_vec();
        let server = Hostile::start("127.0.0.1", move |_, _| response(200, "", &body)).await;
        let c = clients(
            &server.url(),
            Credentials::token(TOKEN).unwrap(),
            fast_retries(),
            Duration::from_secs(5),
        );
        for name in OPERATIONS {
            // A JSON body (even a mistyped one) on a no-content operation is a success: the
            // documents promise no body there, and a gateway may add one.
            let json = serde_json::from_slice::<serde_json::Value>(bodies[i]).is_ok();
            let no_content = matches!(*name, "batch-create" | "batch-add");
            let result = run(&c, name).await;
            if json && no_content {
                assert!(result.is_ok(), "{name} {i}: {result:?}");
                continue;
            }
            match result {
                Err(Error::Decode {
                    status,
                    request_id: Some(id),
                    body,
                    ..
                }) => {
                    assert_eq!(status.as_u16(), 200);
                    assert_eq!(id, "rid-200");
                    assert_eq!(&body[..], bodies[i], "{name} {i}: the raw body is kept");
                }
                other => panic!("{name} {i}: {other:?}"),
            }
        }
    }
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn no_content_operations_take_empty_and_json_successes() {
    for body in [&b""[..], b"{}", b"  ", br#"{"result":"ok"}"#] {
        let body = body.to_vec();
        let server = Hostile::start("127.0.0.1", move |_, _| response(200, "", &body)).await;
        let c = clients(
            &server.url(),
            Credentials::token(TOKEN).unwrap(),
            fast_retries(),
            Duration::from_secs(5),
        );
        #[cfg(feature = "dataarts")]
        run(&c, "batch-create").await.unwrap();
        #[cfg(feature = "projectman")]
        run(&c, "batch-add").await.unwrap();
    }
}

#[tokio::test]
async fn deep_nesting_and_huge_or_lying_lengths_fail_cleanly() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let server = Hostile::start("127.0.0.1", move |_, _| response(200, "", &deep)).await;
    let c = clients(
        &server.url(),
        Credentials::token(TOKEN).unwrap(),
        fast_retries(),
        Duration::from_secs(5),
    );
    assert!(matches!(run(&c, READ).await, Err(Error::Decode { .. })));

    // Content-Length far beyond the body limit: refused without reading it.
    let server = Hostile::start("127.0.0.1", |_, _| {
        let mut bytes = head(200, Some(1 << 50));
        bytes.extend_from_slice(b"{}");
        Reply::Raw(bytes)
    })
    .await;
    let c = clients(
        &server.url(),
        Credentials::token(TOKEN).unwrap(),
        fast_retries(),
        Duration::from_secs(5),
    );
    let error = run(&c, READ).await.unwrap_err();
    assert!(
        matches!(&error, Error::Decode { message, .. } if message.contains("limit")),
        "{error:?}"
    );

    // Content-Length larger than what is sent before the connection closes.
    let server = Hostile::start("127.0.0.1", |_, _| {
        let mut bytes = head(200, Some(1000));
        bytes.extend_from_slice(br#"{"total": 1"#);
        Reply::Raw(bytes)
    })
    .await;
    let c = clients(
        &server.url(),
        Credentials::token(TOKEN).unwrap(),
        RetryPolicy::disabled(),
        Duration::from_secs(5),
    );
    let error = run(&c, READ).await.unwrap_err();
    match &error {
        Error::Transport {
            status: Some(s),
            request_id: Some(id),
            ..
        } => {
            assert_eq!(s.as_u16(), 200);
            assert_eq!(id, "rid-200");
        }
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains("rid-200") && text.contains(": "), "{text}");
    assert!(error.is_retryable());

    // A header line of a megabyte.
    let server = Hostile::start("127.0.0.1", |_, _| {
        let long = "a".repeat(1 << 20);
        response(200, &format!("x-long: {long}\r\n"), b"{}")
    })
    .await;
    let c = clients(
        &server.url(),
        Credentials::token(TOKEN).unwrap(),
        RetryPolicy::disabled(),
        Duration::from_secs(5),
    );
    assert!(matches!(run(&c, READ).await, Err(Error::Transport { .. })));
}

#[tokio::test]
async fn transport_errors_name_their_cause() {
    // Nothing listens here: bind, note the port, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = clients(
        &format!("http://127.0.0.1:{port}"),
        Credentials::token(TOKEN).unwrap(),
        RetryPolicy::disabled(),
        Duration::from_secs(5),
    );
    let error = run(&c, READ).await.unwrap_err();
    let text = error.to_string();
    assert!(text.to_lowercase().contains("connection refused"), "{text}");

    let server = Hostile::start("127.0.0.1", |_, _| Reply::Reset).await;
    let c = clients(
        &server.url(),
        Credentials::token(TOKEN).unwrap(),
        RetryPolicy::disabled(),
        Duration::from_secs(5),
    );
    let error = run(&c, READ).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(
        text.matches(": ").count() >= 2,
        "the cause chain is shown: {text}"
    );
    no_secret_in(&error);
}

#[tokio::test]
async fn dripping_stalled_and_silent_servers_time_out_within_the_attempt_timeout() {
    let cases: Vec<(&str, Reply)> = vec![
        (
            "drip",
            Reply::Drip {
                head: head(200, Some(1_000_000)),
                every: Duration::from_millis(50),
            },
        ),
        (
            "drip chunked",
            Reply::Drip {
                head: head(200, None),
                every: Duration::from_millis(50),
            },
        ),
        (
            "stall",
            Reply::Stall {
                head: head(200, Some(100)),
            },
        ),
        ("silent", Reply::Silent),
    ];
    for (name, reply) in cases {
        let server = Hostile::start("127.0.0.1", move |_, _| reply.clone()).await;
        for (kind, credentials) in credential_kinds() {
            let c = clients(
                &server.url(),
                credentials,
                RetryPolicy::disabled(),
                Duration::from_millis(300),
            );
            for op_name in OPERATIONS {
                let started = Instant::now();
                let error = run(&c, op_name).await.unwrap_err();
                let took = started.elapsed();
                assert!(
                    took < Duration::from_secs(2),
                    "{name} {kind} {op_name}: {took:?}"
                );
                match &error {
                    Error::Timeout {
                        status, request_id, ..
                    } => {
                        if name != "silent" {
                            assert_eq!(status.map(|s| s.as_u16()), Some(200), "{name}");
                            assert_eq!(request_id.as_deref(), Some("rid-200"), "{name}");
                        }
                    }
                    other => panic!("{name} {kind} {op_name}: {other:?}"),
                }
                assert!(error.is_retryable());
                no_secret_in(&error);
            }
        }
    }
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn retries_and_their_waits_stay_within_the_total_timeout() {
    let server = Hostile::start("127.0.0.1", |_, _| Reply::Stall {
        head: head(200, Some(10)),
    })
    .await;
    let da = DataArtsClient::builder()
        .endpoint(server.url())
        .credentials(Credentials::token(TOKEN).unwrap())
        .project_id(PROJECT)
        .workspace(WORKSPACE)
        .retry_policy(RetryPolicy {
            max_attempts: 10,
            ..fast_retries()
        })
        .attempt_timeout(Some(Duration::from_millis(200)))
        .total_timeout(Some(Duration::from_millis(500)))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = da
        .list_security_permission_set_members()
        .permission_set_id(PSET)
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1_000),
        "{:?}",
        started.elapsed()
    );
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn retry_after_of_every_kind_is_bounded() {
    let in_a_minute =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(60));
    let past = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(60));
    let values = [
        "30".to_string(),
        in_a_minute,
        past,
        "-1".into(),
        "0".into(),
        "soon".into(),
        "99999999999999999999999".into(),
        "1.5".into(),
    ];
    for status in [429, 503] {
        for value in &values {
            let header = format!("retry-after: {value}\r\n");
            let server = Hostile::start("127.0.0.1", move |_, _| {
                response(
                    status,
                    &header,
                    br#"{"error_code":"APIGW.0308","error_msg":"busy"}"#,
                )
            })
            .await;
            let da = DataArtsClient::builder()
                .endpoint(server.url())
                .credentials(Credentials::token(TOKEN).unwrap())
                .project_id(PROJECT)
                .workspace(WORKSPACE)
                .retry_policy(fast_retries())
                .total_timeout(Some(Duration::from_secs(1)))
                .build()
                .unwrap();
            let started = Instant::now();
            let error = da
                .list_security_permission_set_members()
                .permission_set_id(PSET)
                .execute()
                .await
                .unwrap_err();
            assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{value}");
            assert!(error.is_retryable());
            assert!(
                started.elapsed() < Duration::from_millis(1_500),
                "{status} {value}: {:?}",
                started.elapsed()
            );
            // The body's APIGW.0308 makes both statuses throttling, which has its own allowance:
            // waits of at least half the 200 ms throttle base (even after `Retry-After: 0` or a
            // past date) within the 1 s total, so at most 11 attempts.
            assert!(error.is_throttling());
            assert!(server.received().len() <= 11, "{status} {value}");
        }
    }
}

/// A list server whose answers the test shapes from (offset, limit).
#[cfg(feature = "dataarts")]
async fn list_server(
    shape: impl Fn(usize, usize) -> serde_json::Value + Send + Sync + 'static,
) -> Hostile {
    Hostile::start("127.0.0.1", move |n, head| {
        let query = |name: &str| -> usize {
            head.split_whitespace()
                .nth(1)
                .and_then(|path| path.split_once('?'))
                .and_then(|(_, q)| {
                    q.split('&')
                        .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
                })
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let body = shape(query("offset"), query("limit")).to_string();
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\nx-request-id: page-{n}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        Reply::Raw(bytes)
    })
    .await
}

#[cfg(feature = "dataarts")]
fn members(from: usize, to: usize) -> Vec<serde_json::Value> {
    (from..to)
        .map(|i| serde_json::json!({"id": format!("m{i}")}))
        .collect()
}

#[cfg(feature = "dataarts")]
async fn walk(server: &Hostile, page: u32, concurrency: usize) -> (usize, Option<Error>) {
    let c = clients(
        &server.url(),
        Credentials::token(TOKEN).unwrap(),
        fast_retries(),
        Duration::from_secs(5),
    );
    let mut items = Box::pin(
        c.da.list_security_permission_set_members()
            .permission_set_id(PSET)
            .paginate(page)
            .concurrency(concurrency)
            .items(),
    );
    let mut seen = 0;
    while let Some(item) = items.next().await {
        match item {
            Ok(_) => seen += 1,
            Err(e) => return (seen, Some(e)),
        }
    }
    (seen, None)
}

#[cfg(feature = "dataarts")]
fn expect_pagination(result: (usize, Option<Error>), needle: &str, offset: u64) -> usize {
    match result.1 {
        Some(Error::Pagination {
            message,
            offset: at,
            request_id: Some(id),
        }) => {
            assert!(message.contains(needle), "{message}");
            assert_eq!(at, offset, "{message}");
            assert!(id.starts_with("page-"), "{id}");
        }
        other => panic!("expected a pagination error about {needle:?}, got {other:?}"),
    }
    result.0
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn pagination_totals_that_contradict_the_items_are_errors() {
    for concurrency in [1, 4] {
        let negative = list_server(|o, l| {
            serde_json::json!({"total": -5, "permission_set_members": members(o, (o + l).min(120))})
        })
        .await;
        expect_pagination(walk(&negative, 50, concurrency).await, "negative total", 0);

        let zero = list_server(|o, l| {
            serde_json::json!({"total": 0, "permission_set_members": members(o, (o + l).min(120))})
        })
        .await;
        expect_pagination(
            walk(&zero, 50, concurrency).await,
            "more than the reported total of 0",
            0,
        );

        let exceeded = list_server(
            |o, l| serde_json::json!({"total": 60, "permission_set_members": members(o, o + l)}),
        )
        .await;
        let seen = expect_pagination(
            walk(&exceeded, 50, concurrency).await,
            "more than the reported total of 60",
            50,
        );
        assert_eq!(seen, 50);

        let short = list_server(|o, l| {
            let end = if o == 50 { o + 40 } else { (o + l).min(120) };
            serde_json::json!({"total": 120, "permission_set_members": members(o, end)})
        })
        .await;
        let seen = expect_pagination(walk(&short, 50, concurrency).await, "short page", 50);
        assert_eq!(seen, 50);
    }
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn pagination_stops_at_its_caps_without_a_total_or_with_a_huge_one() {
    let endless =
        list_server(|o, l| serde_json::json!({"permission_set_members": members(o, o + l)})).await;
    let c = clients(
        &endless.url(),
        Credentials::token(TOKEN).unwrap(),
        fast_retries(),
        Duration::from_secs(5),
    );
    let list = || {
        c.da.list_security_permission_set_members()
            .permission_set_id(PSET)
    };
    let error = list()
        .paginate(10)
        .max_pages(30)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Pagination { message, .. } if message.contains("max_pages")),
        "{error:?}"
    );
    assert_eq!(endless.received().len(), 30);

    // The default caps end an endless walk too.
    let started = Instant::now();
    let error = list()
        .paginate(100)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Pagination { .. }), "{error:?}");
    assert!(
        endless.received().len() <= 30 + huaweicloud_openapi::paginate::DEFAULT_MAX_PAGES as usize
    );
    assert!(started.elapsed() < Duration::from_secs(60));

    let huge = list_server(
        |o, l| serde_json::json!({"total": i32::MAX, "permission_set_members": members(o, o + l)}),
    )
    .await;
    let c = clients(
        &huge.url(),
        Credentials::token(TOKEN).unwrap(),
        fast_retries(),
        Duration::from_secs(5),
    );
    for concurrency in [1, 8] {
        let before = huge.received().len();
        let error =
            c.da.list_security_permission_set_members()
                .permission_set_id(PSET)
                .paginate(100)
                .concurrency(concurrency)
                .max_items(1_000)
                .items()
                .try_collect::<Vec<_>>()
                .await
                .unwrap_err();
        assert!(
            matches!(&error, Error::Pagination { message, .. } if message.contains("max_items")),
            "{error:?}"
        );
        assert_eq!(
            huge.received().len() - before,
            10,
            "concurrency {concurrency}"
        );
    }
}

/// Runs every operation of both services that has an example call against `url`, with both
/// credential kinds, and returns each one's result by name.
#[cfg(all(
    feature = "spec-examples",
    any(feature = "dataarts", feature = "projectman")
))]
async fn every_operation(url: &str) -> Vec<(String, Result<serde_json::Value, Error>)> {
    #[cfg(feature = "dataarts")]
    use huaweicloud_openapi::dataarts;
    #[cfg(feature = "projectman")]
    use huaweicloud_openapi::projectman;
    let mut results = Vec::new();
    for (kind, credentials) in credential_kinds() {
        let c = clients(url, credentials, fast_retries(), Duration::from_secs(5));
        #[cfg(feature = "dataarts")]
        for (name, call) in dataarts::EXAMPLE_CALLS {
            results.push((format!("{kind} {name}"), call(&c.da).await));
        }
        #[cfg(feature = "projectman")]
        for (name, call) in projectman::EXAMPLE_CALLS {
            results.push((format!("{kind} {name}"), call(&c.pm).await));
        }
    }
    // Each credential kind, each operation: DataArts' 18, ProjectMan's 7.
    let least = 2
        * (if cfg!(feature = "dataarts") { 18 } else { 0 }
            + if cfg!(feature = "projectman") { 7 } else { 0 });
    assert!(results.len() >= least, "{} calls", results.len());
    results
}

#[cfg(all(
    feature = "spec-examples",
    any(feature = "dataarts", feature = "projectman")
))]
#[tokio::test]
async fn no_operation_follows_a_redirect_or_takes_an_error_body_for_success() {
    let elsewhere = Hostile::start("127.0.0.2", |_, _| response(200, "", b"{}")).await;
    let location = format!("{}/steal", elsewhere.url());
    let redirecting = Hostile::start("127.0.0.1", move |_, _| {
        response(307, &format!("location: {location}\r\n"), b"")
    })
    .await;
    for (name, result) in every_operation(&redirecting.url()).await {
        match result {
            Err(Error::Redirect { status, .. }) => assert_eq!(status.as_u16(), 307, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(
        elsewhere.received().is_empty(),
        "the other host received nothing"
    );

    let disguised = Hostile::start("127.0.0.1", |_, _| {
        response(
            200,
            "",
            br#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
        )
    })
    .await;
    for (name, result) in every_operation(&disguised.url()).await {
        let error = result.expect_err(&name);
        assert_eq!(
            error.as_service().and_then(|s| s.error_code.as_deref()),
            Some("APIGW.0308"),
            "{name}: {error:?}"
        );
        no_secret_in(&error);
    }
}
