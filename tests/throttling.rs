//! The service's bad days, against a raw loopback server that answers as Huawei Cloud's API
//! gateway and services are documented to: throttling (429 `APIGW.0308`), transient 500s, a
//! region that keeps failing. Nothing here goes through the crate's fake.
//!
//! The generic rules (retries, budget, limiter) are read through DataArts' member list when that
//! service is built, else through IAM's project list: every client shares one transport.
// What only one service's tests use goes unused without it; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use common::{
    hostile::{response, Hostile, Reply},
    CODEARTS_PROJECT, PROJECT, PSET, TOKEN, USER, WORKSPACE,
};
use huaweicloud_openapi::{
    auth::Credentials,
    ratelimit::RateLimiter,
    retry::{RetryBudget, RetryPolicy},
    Error, Execute,
};
#[cfg(feature = "projectman")]
use huaweicloud_openapi::{projectman::types::BatchAddMemberRequestV4, ProjectManClient};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{
    DataArtsClient, DataArtsClient as Reader, DataArtsClientBuilder as ReaderBuilder,
};
#[cfg(not(feature = "dataarts"))]
use huaweicloud_openapi::{IamClient as Reader, IamClientBuilder as ReaderBuilder};

const THROTTLED: &[u8] =
    br#"{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:50,time:1 minute"}"#;
const LIST_BODY: &[u8] = br#"{"total":0,"permission_set_members":[]}"#;

fn policy() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        throttle_base_delay: Duration::from_millis(20),
        throttle_max_delay: Duration::from_millis(40),
        ..RetryPolicy::default()
    }
}

/// The builder of the client the generic tests read through (see the module docs).
fn reader(url: &str, retry: RetryPolicy) -> ReaderBuilder {
    let builder = Reader::builder()
        .endpoint(url)
        .credentials(Credentials::token(TOKEN).unwrap())
        .retry_policy(retry);
    #[cfg(feature = "dataarts")]
    let builder = builder.project_id(PROJECT).workspace(WORKSPACE);
    builder
}

#[cfg(feature = "projectman")]
fn projectman(url: &str, retry: RetryPolicy) -> ProjectManClient {
    ProjectManClient::builder()
        .endpoint(url)
        .credentials(Credentials::token(TOKEN).unwrap())
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// One read: DataArts' member list, or IAM's project list.
async fn read(client: &Reader) -> Result<(), Error> {
    #[cfg(feature = "dataarts")]
    let call = client
        .list_security_permission_set_members()
        .permission_set_id(PSET);
    #[cfg(not(feature = "dataarts"))]
    let call = client.keystone_list_projects();
    call.execute().await.map(|_| ())
}

#[cfg(feature = "projectman")]
async fn add_member(client: &ProjectManClient) -> Result<(), Error> {
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

#[cfg(feature = "projectman")]
fn no_content() -> Reply {
    Reply::Raw(
        b"HTTP/1.1 204 No Content\r\nx-request-id: done\r\nconnection: close\r\n\r\n".to_vec(),
    )
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn a_post_the_gateway_throttled_succeeds_on_the_third_attempt() {
    let server = Hostile::start("127.0.0.1", |n, _| match n {
        0 | 1 => response(429, "", THROTTLED),
        _ => no_content(),
    })
    .await;
    add_member(&projectman(&server.url(), policy()))
        .await
        .unwrap();
    let received = server.received();
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(|r| r.starts_with("POST ")));
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn throttling_outlasts_the_attempts_meant_for_transient_faults() {
    // Six throttled answers in a row: more than `max_attempts` (3), well within the time the
    // policy allows for throttling.
    let server = Hostile::start("127.0.0.1", |n, _| match n {
        0..=5 => response(429, "", THROTTLED),
        _ => no_content(),
    })
    .await;
    add_member(&projectman(&server.url(), policy()))
        .await
        .unwrap();
    assert_eq!(server.received().len(), 7);
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn throttling_ends_when_the_policy_has_waited_long_enough() {
    let server = Hostile::start("127.0.0.1", |_, _| response(429, "", THROTTLED)).await;
    let retry = RetryPolicy {
        max_throttle_wait: Duration::from_millis(150),
        ..policy()
    };
    let started = Instant::now();
    let error = add_member(&projectman(&server.url(), retry))
        .await
        .unwrap_err();
    assert!(error.is_throttling(), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(
        error.as_service().unwrap().error_code.as_deref(),
        Some("APIGW.0308")
    );
    // Waits of 10 to 40 ms add up to at most 150 ms: at least 4 attempts, at most 16.
    let sent = server.received().len();
    assert!((4..=16).contains(&sent), "{sent}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn a_429_without_the_gateway_code_is_not_resent_for_a_post() {
    let server = Hostile::start("127.0.0.1", |_, _| {
        response(429, "", br#"{"error_code":"PM.1","error_msg":"too many"}"#)
    })
    .await;
    let error = add_member(&projectman(&server.url(), policy()))
        .await
        .unwrap_err();
    assert!(error.is_throttling());
    assert_eq!(
        server.received().len(),
        1,
        "the service may have acted on it"
    );
}

/// One read against a server that answers `first`, then an empty listing: the read must succeed;
/// returns how many requests it took.
async fn requests_for_a_read_after(first: Reply) -> usize {
    let server = Hostile::start("127.0.0.1", move |n, _| match n {
        0 => first.clone(),
        _ => response(200, "", LIST_BODY),
    })
    .await;
    read(&reader(&server.url(), policy()).build().unwrap())
        .await
        .unwrap();
    server.received().len()
}

#[tokio::test]
async fn a_throttling_code_under_another_status_is_throttling() {
    let first = response(
        400,
        "",
        br#"{"error":{"code":"APIGW.0308","message":"throttled"}}"#,
    );
    assert_eq!(requests_for_a_read_after(first).await, 2);
}

#[tokio::test]
async fn a_500_on_a_read_is_retried_once_and_on_a_post_never() {
    let first = response(
        500,
        "",
        br#"{"error_code":"DLS.0001","error_msg":"internal"}"#,
    );
    assert_eq!(requests_for_a_read_after(first).await, 2);

    #[cfg(feature = "projectman")]
    {
        let server = Hostile::start("127.0.0.1", |_, _| {
            response(
                500,
                "",
                br#"{"error_code":"PM.0001","error_msg":"internal"}"#,
            )
        })
        .await;
        let error = add_member(&projectman(&server.url(), policy()))
            .await
            .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
        assert_eq!(server.received().len(), 1);
    }
}

#[tokio::test]
async fn the_retry_budget_runs_out_under_a_failing_server_and_recovers() {
    let failing = Arc::new(AtomicBool::new(true));
    let state = failing.clone();
    let server = Hostile::start("127.0.0.1", move |_, _| {
        if state.load(Ordering::SeqCst) {
            response(
                503,
                "",
                br#"{"error_code":"DLS.0503","error_msg":"unavailable"}"#,
            )
        } else {
            response(200, "", LIST_BODY)
        }
    })
    .await;
    // Room for 4 retries; every clone of the client draws on it.
    let budget = RetryBudget::new(20, 5, 10);
    let client = reader(&server.url(), policy())
        .retry_budget(Some(budget.clone()))
        .build()
        .unwrap();
    for _ in 0..2 {
        let error = read(&client.clone()).await.unwrap_err();
        assert!(matches!(error, Error::Service(_)), "{error:?}");
    }
    assert_eq!(server.received().len(), 6, "3 attempts each");
    assert_eq!(budget.available(), 0);
    let error = read(&client).await.unwrap_err();
    assert!(
        matches!(&error, Error::RetryBudgetExhausted { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("retry budget exhausted"),
        "{error}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.request_id(), Some("rid-503"));
    assert_eq!(server.received().len(), 7, "no retry without budget");

    // The region recovers: successes pay the budget back, and retries come back with it.
    failing.store(false, Ordering::SeqCst);
    for _ in 0..5 {
        read(&client).await.unwrap();
    }
    assert_eq!(budget.available(), 5);
    failing.store(true, Ordering::SeqCst);
    let before = server.received().len();
    let error = read(&client).await.unwrap_err();
    assert!(matches!(error, Error::RetryBudgetExhausted { .. }));
    assert_eq!(server.received().len() - before, 2, "one retry paid for");
}

#[tokio::test]
async fn the_limiter_holds_a_set_rate_within_ten_percent_over_ten_seconds() {
    let times = Arc::new(Mutex::new(Vec::new()));
    let seen = times.clone();
    let server = Hostile::start("127.0.0.1", move |_, _| {
        seen.lock().unwrap().push(Instant::now());
        response(200, "", LIST_BODY)
    })
    .await;
    let client = reader(&server.url(), policy())
        .rate_limiter(RateLimiter::fixed(20.0).unwrap())
        .build()
        .unwrap();
    // Eight tasks calling as fast as they can, through clones of one client.
    let started = Instant::now();
    let window = Duration::from_secs(10);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                while started.elapsed() < window {
                    read(&client).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let times = times.lock().unwrap();
    let in_window = times.iter().filter(|t| **t - started < window).count();
    let expected = 20.0 * window.as_secs_f64();
    let ratio = in_window as f64 / expected;
    assert!((0.9..=1.1).contains(&ratio), "{in_window} calls in 10 s");
}

#[tokio::test]
async fn the_adaptive_limiter_slows_down_when_throttled() {
    // The server allows 10 calls, then throttles for good.
    let server = Hostile::start("127.0.0.1", |n, _| {
        if n < 10 {
            response(200, "", LIST_BODY)
        } else {
            response(429, "", THROTTLED)
        }
    })
    .await;
    let limiter = RateLimiter::adaptive(200.0).unwrap();
    let retry = RetryPolicy {
        max_throttle_wait: Duration::from_millis(100),
        ..policy()
    };
    let client = reader(&server.url(), retry)
        .rate_limiter(limiter.clone())
        .build()
        .unwrap();
    for _ in 0..10 {
        read(&client).await.unwrap();
    }
    assert_eq!(limiter.rate(), 200.0, "no throttling, no change");
    let error = read(&client).await.unwrap_err();
    assert!(error.is_throttling());
    assert!(limiter.rate() <= 140.0, "{}", limiter.rate());
}

#[tokio::test]
async fn a_rate_limit_slot_past_the_deadline_is_a_timeout_and_nothing_is_sent() {
    let server = Hostile::start("127.0.0.1", |_, _| response(200, "", LIST_BODY)).await;
    let client = reader(&server.url(), policy())
        .rate_limiter(RateLimiter::fixed(0.5).unwrap())
        .total_timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    read(&client).await.unwrap();
    let started = Instant::now();
    let error = read(&client).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!(server.received().len(), 1);
}

/// The same rules against the crate's fake, whose gateway throttles like the real one: with a
/// limit of 5 calls a second, 12 writes from 4 tasks all land, the throttled ones retried.
#[cfg(all(feature = "fake", feature = "projectman"))]
#[tokio::test]
async fn writes_past_the_fakes_rate_limit_all_land() {
    use huaweicloud_openapi::fake::{FakeServer, RateLimit};
    let fake = FakeServer::start().await.unwrap();
    fake.set_rate_limit(Some(RateLimit::new(5, Duration::from_secs(1))))
        .unwrap();
    let client = ProjectManClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token(TOKEN).unwrap())
        .retry_policy(RetryPolicy {
            throttle_base_delay: Duration::from_millis(200),
            throttle_max_delay: Duration::from_millis(600),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                for i in 0..3 {
                    client
                        .batch_add_members_v4()
                        .project_id(CODEARTS_PROJECT)
                        .body_map(|b| {
                            b.users(vec![BatchAddMemberRequestV4 {
                                role_id: None,
                                user_id: format!("{:032x}", 0xab00 + t * 10 + i).parse().unwrap(),
                            }])
                        })
                        .execute()
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert!(fake.throttled_count() > 0, "the limit was reached");
    let members = fake.project_members(CODEARTS_PROJECT);
    assert_eq!(
        members
            .iter()
            .filter(|(id, _)| id.starts_with("0000"))
            .count(),
        12,
        "{members:?}"
    );
}

/// A burst of 500s on a listing from the fake: the read is retried, the write is not.
#[cfg(all(feature = "fake", feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn the_fakes_500_bursts_are_retried_for_reads_only() {
    use huaweicloud_openapi::fake::{self, FakeServer};
    let fake = FakeServer::start().await.unwrap();
    let client = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token(TOKEN).unwrap())
        .project_id(fake::PROJECT_ID)
        .workspace(WORKSPACE)
        .retry_policy(policy())
        .build()
        .unwrap();
    fake.fail_next("ListSecurityPermissionSetMembers", 1)
        .unwrap();
    client
        .list_security_permission_set_members()
        .permission_set_id(fake::PERMISSION_SET_ID)
        .execute()
        .await
        .unwrap();
    assert_eq!(fake.fault_count(), 1);
    let pm = projectman(&fake.endpoint(), policy());
    fake.fail_next("BatchAddMembersV4", 1).unwrap();
    let error = add_member(&pm).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(fake.fault_count(), 2);
    add_member(&pm).await.unwrap();
}

/// Credentials that can be refreshed: a 401 gets one retry with fresh ones.
#[derive(Debug)]
struct Refreshable;

impl huaweicloud_openapi::auth::ProvideCredentials for Refreshable {
    fn provide(&self) -> futures::future::BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(async { Credentials::token(TOKEN) })
    }

    fn invalidate(&self, _used: &Credentials) -> bool {
        true
    }
}

/// A 401 refreshed, two transient 503s (the last regular attempt), then the gateway's throttling:
/// the throttled request is sent again beyond `max_attempts`, and the call succeeds.
#[tokio::test]
async fn throttling_after_the_last_regular_attempt_is_still_retried() {
    let server = Hostile::start("127.0.0.1", |n, _| match n {
        0 => response(
            401,
            "",
            br#"{"error_code":"APIGW.0301","error_msg":"expired"}"#,
        ),
        1 | 2 => response(503, "", br#"{"error_code":"DLS.0503","error_msg":"busy"}"#),
        3 => response(429, "", THROTTLED),
        _ => response(200, "", LIST_BODY),
    })
    .await;
    let client = reader(&server.url(), policy())
        .credentials_provider(Refreshable)
        .build()
        .unwrap();
    read(&client).await.unwrap();
    assert_eq!(server.received().len(), 5);
}
