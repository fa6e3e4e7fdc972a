//! The fake's fault injection and request recording, as a user's own tests would use them.
#![cfg(feature = "fake")]
// With a service left out, what only its tests use goes unused; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

use std::time::{Duration, Instant};

#[cfg(feature = "dataarts")]
use huaweicloud_openapi::DataArtsClient;
use huaweicloud_openapi::{
    auth::Credentials,
    fake::{
        self, FakeServer, Fault, RandomFaults, RateLimit, IAM_ACCOUNT, IAM_PASSWORD, IAM_REGION,
        IAM_USER,
    },
    iam::PasswordTokenProvider,
    retry::RetryPolicy,
    Error, Execute,
};
#[cfg(feature = "projectman")]
use huaweicloud_openapi::{projectman::types::BatchAddMemberRequestV4, ProjectManClient};
use serde_json::{json, Value};

const TOKEN: &str = "fake-token-do-not-print";
const SK: &str = "fake-sk-do-not-print";
const CODEARTS_PROJECT: &str = "526cefde62004de2b62b5e8dd2c2b3af";
const USER: &str = "665b542eb4c14b53a15ead449f28b0ba";

#[cfg(feature = "dataarts")]
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

#[cfg(feature = "projectman")]
fn projectman(fake: &FakeServer) -> ProjectManClient {
    ProjectManClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token(TOKEN).unwrap())
        .build()
        .unwrap()
}

#[cfg(feature = "dataarts")]
async fn list(client: &DataArtsClient) -> Result<(), Error> {
    client
        .list_security_permission_set_members()
        .permission_set_id(fake::PERMISSION_SET_ID)
        .execute()
        .await
        .map(|_| ())
}

#[cfg(feature = "projectman")]
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

#[cfg(feature = "dataarts")]
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

#[cfg(all(feature = "dataarts", feature = "projectman"))]
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

#[cfg(feature = "dataarts")]
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

#[cfg(feature = "dataarts")]
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

#[cfg(feature = "dataarts")]
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

#[cfg(all(feature = "dataarts", feature = "projectman"))]
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

#[cfg(feature = "dataarts")]
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

// Bad days, seen through a raw HTTP client: the exact answers, not the crate's reading of them.

#[cfg(feature = "dataarts")]
const LIST: &str = "ListSecurityPermissionSetMembers";
#[cfg(feature = "projectman")]
const ADD: &str = "BatchAddMembersV4";

/// A 32-character user ID, distinct per `n`.
#[cfg(feature = "projectman")]
fn user(n: usize) -> String {
    format!("u{n:031}")
}

#[cfg(feature = "projectman")]
async fn raw_add(http: &reqwest::Client, fake: &FakeServer, user_id: &str) -> reqwest::Response {
    http.post(format!(
        "{}/v4/projects/{CODEARTS_PROJECT}/members",
        fake.endpoint()
    ))
    .header("x-auth-token", TOKEN)
    .json(&json!({"users": [{"user_id": user_id}]}))
    .send()
    .await
    .unwrap()
}

#[cfg(feature = "dataarts")]
async fn raw_list(http: &reqwest::Client, fake: &FakeServer) -> reqwest::Response {
    http.get(format!(
        "{}/v1/{}/security/permission-sets/{}/members",
        fake.endpoint(),
        fake::PROJECT_ID,
        fake::PERMISSION_SET_ID
    ))
    .header("x-auth-token", TOKEN)
    .header("workspace", "ws")
    .send()
    .await
    .unwrap()
}

#[cfg(feature = "projectman")]
fn members_of(fake: &FakeServer) -> Vec<String> {
    fake.project_members(CODEARTS_PROJECT)
        .into_iter()
        .map(|(u, _)| u)
        .filter(|u| u != fake::CALLER_USER_ID)
        .collect()
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn the_rate_limit_answers_like_the_gateway_and_changes_nothing() {
    let fake = FakeServer::start().await.unwrap();
    let http = reqwest::Client::new();
    fake.set_rate_limit(Some(RateLimit::new(5, Duration::from_secs(1))))
        .unwrap();
    let started = Instant::now();
    let mut statuses = Vec::new();
    let mut throttled = Vec::new();
    for n in 0..8 {
        let answer = raw_add(&http, &fake, &user(n)).await;
        statuses.push(answer.status().as_u16());
        if answer.status() == 429 {
            throttled.push(answer);
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the 8 calls must fall in one window for this test: {:?}",
        started.elapsed()
    );
    assert_eq!(statuses, [204, 204, 204, 204, 204, 429, 429, 429]);
    assert_eq!(fake.throttled_count(), 3);
    for answer in throttled {
        let headers = answer.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{headers:?}"
        );
        assert!(headers.contains_key("x-request-id"), "{headers:?}");
        assert!(!headers.contains_key("retry-after"), "{headers:?}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached: policy user over ratelimit,limit:5,time:1 second"})
        );
    }
    // Only the five answered calls added members.
    let expected: Vec<String> = (0..5).map(user).collect();
    assert_eq!(members_of(&fake), expected);
    // Once the window has passed, calls are answered again.
    tokio::time::sleep(Duration::from_millis(1100).saturating_sub(started.elapsed())).await;
    assert_eq!(raw_add(&http, &fake, &user(5)).await.status(), 204);
    assert!(members_of(&fake).contains(&user(5)));
    assert_eq!(fake.throttled_count(), 3);
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn throttling_is_shared_by_all_operations_and_skips_queued_faults() {
    let fake = FakeServer::start().await.unwrap();
    let http = reqwest::Client::new();
    fake.set_rate_limit(Some(RateLimit::new(2, Duration::from_secs(60))))
        .unwrap();
    fake.fail_next(LIST, 1).unwrap();
    assert_eq!(raw_add(&http, &fake, &user(1)).await.status(), 204);
    assert_eq!(raw_list(&http, &fake).await.status(), 500, "the burst");
    // Both services count against one limit: a third call of either is throttled, and the
    // throttled call does not use up the fault queued for it.
    fake.fail_next(LIST, 1).unwrap();
    let answer = raw_list(&http, &fake).await;
    assert_eq!(answer.status(), 429);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body["error_msg"],
        "The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 minute"
    );
    assert_eq!(raw_add(&http, &fake, &user(2)).await.status(), 429);
    assert_eq!(fake.throttled_count(), 2);
    fake.set_rate_limit(None).unwrap();
    assert_eq!(raw_list(&http, &fake).await.status(), 500, "still queued");
    assert_eq!(raw_list(&http, &fake).await.status(), 200);
    assert_eq!(members_of(&fake), [user(1)]);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn retry_after_is_sent_only_when_asked_and_the_crate_reads_the_code() {
    let fake = FakeServer::start().await.unwrap();
    let http = reqwest::Client::new();
    fake.set_rate_limit(Some(
        RateLimit::new(1, Duration::from_secs(5)).with_retry_after(),
    ))
    .unwrap();
    assert_eq!(raw_list(&http, &fake).await.status(), 200);
    let answer = raw_list(&http, &fake).await;
    assert_eq!(answer.status(), 429);
    let wait: u64 = answer.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&wait), "{wait}");
    let client = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token(TOKEN).unwrap())
        .project_id(fake::PROJECT_ID)
        .workspace("ws")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = list(&client).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    let service = error.as_service().expect("a service error");
    assert_eq!(service.error_code.as_deref(), Some("APIGW.0308"));
    assert!(service.request_id.is_some());
}

#[tokio::test]
async fn bad_settings_are_refused_naming_what_is_wrong() {
    let fake = FakeServer::start().await.unwrap();
    let message = |r: Result<(), Error>| match r {
        Err(Error::InvalidRequest(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(
        message(fake.set_rate_limit(Some(RateLimit::new(5, Duration::ZERO)))).contains("window")
    );
    assert!(message(fake.set_random_faults(Some(RandomFaults::new(1.5, 1)))).contains("share"));
    assert!(
        message(fake.set_random_faults(Some(RandomFaults::new(f64::NAN, 1)))).contains("share")
    );
    assert!(
        message(fake.set_random_faults(Some(RandomFaults::new(0.5, 1).status(200))))
            .contains("status")
    );
    assert!(message(fake.fail_next("NoSuchOperation", 1)).contains("NoSuchOperation"));
    assert!(
        message(fake.set_operation_random_faults("NoSuchOperation", None))
            .contains("NoSuchOperation")
    );
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn a_burst_of_500s_then_success_and_the_failed_writes_change_nothing() {
    let fake = FakeServer::start().await.unwrap();
    let http = reqwest::Client::new();
    fake.fail_next(ADD, 3).unwrap();
    fake.fail_next(LIST, 2).unwrap();
    for n in 0..3 {
        let answer = raw_add(&http, &fake, &user(n)).await;
        assert_eq!(answer.status(), 500);
        assert!(answer.headers().contains_key("x-request-id"));
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error_code": "PM.0500", "error_msg": "Internal Server Error"})
        );
    }
    assert!(members_of(&fake).is_empty(), "{:?}", members_of(&fake));
    assert_eq!(raw_add(&http, &fake, &user(3)).await.status(), 204);
    assert_eq!(members_of(&fake), [user(3)]);
    let body: Value = raw_list(&http, &fake).await.json().await.unwrap();
    assert_eq!(body["error_code"], "DLS.0500");
    assert_eq!(raw_list(&http, &fake).await.status(), 500);
    assert_eq!(raw_list(&http, &fake).await.status(), 200);
    assert_eq!(fake.fault_count(), 5);
    assert_eq!(fake.throttled_count(), 0);
}

/// The statuses of `calls` sequential list calls.
#[cfg(feature = "dataarts")]
async fn list_statuses(fake: &FakeServer, calls: usize) -> Vec<u16> {
    let http = reqwest::Client::new();
    let mut statuses = Vec::with_capacity(calls);
    for _ in 0..calls {
        statuses.push(raw_list(&http, fake).await.status().as_u16());
    }
    statuses
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn random_faults_hit_their_share_and_repeat_with_the_seed() {
    const CALLS: usize = 1000;
    let fake = FakeServer::start().await.unwrap();
    fake.set_random_faults(Some(RandomFaults::new(0.05, 42)))
        .unwrap();
    let statuses = list_statuses(&fake, CALLS).await;
    let failed = statuses.iter().filter(|s| **s == 500).count();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 500),
        "{statuses:?}"
    );
    // 5 % of 1,000 is 50; three standard deviations (about 7 each) either side.
    assert!((30..=70).contains(&failed), "{failed} of {CALLS} failed");
    assert_eq!(fake.fault_count(), failed);
    // The same seed fails the same calls.
    let again = FakeServer::start().await.unwrap();
    again
        .set_random_faults(Some(RandomFaults::new(0.05, 42)))
        .unwrap();
    assert_eq!(list_statuses(&again, CALLS).await, statuses);
    // Another seed fails other calls; turned off, none fail.
    again
        .set_random_faults(Some(RandomFaults::new(0.05, 7)))
        .unwrap();
    assert_ne!(list_statuses(&again, CALLS).await, statuses);
    again.set_random_faults(None).unwrap();
    assert!(list_statuses(&again, 50).await.iter().all(|s| *s == 200));
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn random_faults_of_one_operation_leave_the_others_alone() {
    let fake = FakeServer::start().await.unwrap();
    let http = reqwest::Client::new();
    fake.set_operation_random_faults(ADD, Some(RandomFaults::new(0.5, 3).status(503)))
        .unwrap();
    let mut failed = 0;
    for n in 0..200 {
        match raw_add(&http, &fake, &user(n)).await.status().as_u16() {
            204 => {}
            503 => failed += 1,
            other => panic!("{other}"),
        }
    }
    assert!((70..=130).contains(&failed), "{failed} of 200 failed");
    assert_eq!(
        members_of(&fake).len(),
        200 - failed,
        "failed adds added no one"
    );
    assert!(list_statuses(&fake, 100).await.iter().all(|s| *s == 200));
    // The operation's own setting wins over the shared one; removing it restores the shared one.
    fake.set_random_faults(Some(RandomFaults::new(1.0, 1)))
        .unwrap();
    fake.set_operation_random_faults(ADD, Some(RandomFaults::new(0.0, 1)))
        .unwrap();
    assert_eq!(raw_add(&http, &fake, &user(500)).await.status(), 204);
    assert_eq!(raw_list(&http, &fake).await.status(), 500);
    fake.set_operation_random_faults(ADD, None).unwrap();
    assert_eq!(raw_add(&http, &fake, &user(501)).await.status(), 500);
}

fn token_body() -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": IAM_USER, "password": IAM_PASSWORD, "domain": {"name": IAM_ACCOUNT}}}},
        "scope": {"project": {"name": IAM_REGION}},
    }})
}

async fn raw_token(http: &reqwest::Client, fake: &FakeServer) -> reqwest::Response {
    http.post(format!("{}/v3/auth/tokens", fake.endpoint()))
        .json(&token_body())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_slow_iam_delays_tokens_and_projects_side_by_side() {
    const DELAY: Duration = Duration::from_millis(500);
    let fake = FakeServer::start().await.unwrap();
    let http = reqwest::Client::new();
    fake.iam().set_delay(DELAY);
    let started = Instant::now();
    let projects = async {
        let answer = http
            .get(format!("{}/v3/projects?name={IAM_REGION}", fake.endpoint()))
            .header("x-auth-token", TOKEN)
            .send()
            .await
            .unwrap();
        (answer.status().as_u16(), started.elapsed())
    };
    let token = async {
        let answer = raw_token(&http, &fake).await;
        (answer.status().as_u16(), started.elapsed())
    };
    let token2 = async {
        let answer = raw_token(&http, &fake).await;
        (answer.status().as_u16(), started.elapsed())
    };
    let ((p, p_took), (t, t_took), (t2, t2_took)) = tokio::join!(projects, token, token2);
    assert_eq!((p, t, t2), (200, 201, 201));
    for took in [p_took, t_took, t2_took] {
        assert!(took >= DELAY, "{took:?}");
    }
    // Waiting requests do not queue behind each other.
    assert!(started.elapsed() < DELAY * 2, "{:?}", started.elapsed());
    assert_eq!(fake.iam().token_requests(), 2);
    assert_eq!(fake.iam().project_requests(), 1);
    fake.iam().set_delay(Duration::ZERO);
    let quick = Instant::now();
    assert_eq!(raw_token(&http, &fake).await.status(), 201);
    assert!(quick.elapsed() < DELAY, "{:?}", quick.elapsed());
}

#[tokio::test]
async fn a_failing_iam_answers_errors_until_told_otherwise() {
    let fake = FakeServer::start().await.unwrap();
    let http = reqwest::Client::new();
    fake.iam().fail_all_token_requests(true);
    for _ in 0..5 {
        let answer = raw_token(&http, &fake).await;
        assert_eq!(answer.status(), 503);
        assert!(!answer.headers().contains_key("x-subject-token"));
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"]["code"], 503, "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
    }
    // Code that needs a token fails without reaching the service.
    #[cfg(feature = "dataarts")]
    let client = {
        let provider = PasswordTokenProvider::builder()
            .user(IAM_USER)
            .password(IAM_PASSWORD)
            .account(IAM_ACCOUNT)
            .region(IAM_REGION)
            .iam_endpoint(fake.endpoint())
            .retry_after_failure(Duration::from_millis(50))
            .build()
            .unwrap();
        DataArtsClient::builder()
            .region(IAM_REGION)
            .endpoint(fake.endpoint())
            .credentials_provider(provider)
            .workspace("ws")
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap()
    };
    #[cfg(feature = "dataarts")]
    {
        assert!(list(&client).await.is_err());
        assert_eq!(fake.request_count(), 0, "the service saw nothing");
        assert!(fake.iam().token_requests() > 5);
    }
    // The outage ends: tokens again, and the client recovers after its pause.
    fake.iam().fail_all_token_requests(false);
    assert_eq!(raw_token(&http, &fake).await.status(), 201);
    #[cfg(feature = "dataarts")]
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        list(&client).await.expect("IAM is back");
    }
    // A counted failure still applies after the outage, and is not used up during one.
    fake.iam().fail_token_requests(1);
    fake.iam().fail_all_token_requests(true);
    assert_eq!(raw_token(&http, &fake).await.status(), 503);
    fake.iam().fail_all_token_requests(false);
    assert_eq!(raw_token(&http, &fake).await.status(), 503);
    assert_eq!(raw_token(&http, &fake).await.status(), 201);
}
