//! Credentials that get and renew themselves, against the fake's IAM and metadata service.
#![cfg(feature = "fake")]
// The tests that need a service call DataArts when it is built (two exercise its project-ID
// lookup), else ProjectMan: credentials work alike for both. What a feature set leaves unused
// is allowed there; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

mod common;

use std::{sync::Arc, time::Duration};

#[cfg(all(feature = "projectman", not(feature = "dataarts")))]
use huaweicloud_openapi::ProjectManClient as Service;
use huaweicloud_openapi::{
    auth::{
        CachedProvider, Credentials, DefaultChain, EnvironmentProvider, MetadataProvider,
        ProvideCredentials,
    },
    fake::{self, FakeServer, IAM_ACCOUNT, IAM_PASSWORD, IAM_REGION, IAM_USER},
    iam::PasswordTokenProvider,
    Error, Execute, ProjectIdError,
};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{DataArtsClient, DataArtsClient as Service};

fn token_provider(fake: &FakeServer, margin: Duration) -> PasswordTokenProvider {
    PasswordTokenProvider::builder()
        .user(IAM_USER)
        .password(IAM_PASSWORD)
        .account(IAM_ACCOUNT)
        .region(IAM_REGION)
        .iam_endpoint(fake.endpoint())
        .refresh_margin(margin, Duration::ZERO)
        .retry_after_failure(Duration::from_millis(50))
        .build()
        .unwrap()
}

/// A service client from a region and a credentials provider only: for DataArts, the project ID
/// comes from the token's scope.
#[cfg(any(feature = "dataarts", feature = "projectman"))]
fn client(fake: &FakeServer, provider: impl ProvideCredentials) -> Service {
    let builder = Service::builder()
        .region(IAM_REGION)
        .endpoint(fake.endpoint())
        .credentials_provider(provider);
    #[cfg(feature = "dataarts")]
    let builder = builder.workspace(common::WORKSPACE);
    builder
        .retry_policy(common::fast_retries())
        .build()
        .unwrap()
}

/// One read: DataArts' member list, or ProjectMan's.
#[cfg(any(feature = "dataarts", feature = "projectman"))]
async fn list(client: &Service) -> Result<(), Error> {
    #[cfg(feature = "dataarts")]
    let call = client
        .list_security_permission_set_members()
        .permission_set_id(fake::PERMISSION_SET_ID);
    #[cfg(not(feature = "dataarts"))]
    let call = client
        .list_project_members_v4()
        .project_id(common::CODEARTS_PROJECT);
    call.execute().await.map(|_| ())
}

fn token_of(c: &Credentials) -> String {
    // Debug never shows it; the fake's recorded requests do not either. Compare by expiry.
    format!("{:?}", c.expires_at())
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn a_client_outlives_its_token() {
    let fake = FakeServer::start().await.unwrap();
    fake.iam().set_token_lifetime(Duration::from_millis(600));
    let provider = token_provider(&fake, Duration::from_millis(200));
    let client = client(&fake, provider.clone());
    #[cfg(feature = "dataarts")]
    assert!(client.project_id().is_none());
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(2000) {
        list(&client).await.expect("every call succeeds");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fetched = fake.iam().token_requests();
    assert!(
        (3..=8).contains(&fetched),
        "the token was renewed a few times, not per call: {fetched}"
    );
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn fifty_concurrent_callers_share_one_refresh() {
    let fake = FakeServer::start().await.unwrap();
    fake.iam().set_token_lifetime(Duration::from_secs(3));
    let provider = token_provider(&fake, Duration::from_millis(1400));
    // Nothing cached: 50 callers, one fetch.
    let all = futures::future::join_all((0..50).map(|_| provider.provide())).await;
    assert!(all.iter().all(Result::is_ok));
    assert_eq!(fake.iam().token_requests(), 1);
    let first = token_of(&provider.cached().unwrap());
    // Within the margin: 50 callers get the still-valid token at once, one refresh runs.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let client = Arc::new(client(&fake, provider.clone()));
    let calls = (0..50).map(|_| {
        let client = client.clone();
        async move { list(&client).await }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fake.iam().token_requests(), 2, "exactly one refresh");
    assert_ne!(token_of(&provider.cached().unwrap()), first);
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn a_revoked_token_is_replaced_once_and_the_call_succeeds() {
    let fake = FakeServer::start().await.unwrap();
    let client = client(&fake, token_provider(&fake, Duration::from_secs(60)));
    list(&client).await.unwrap();
    assert_eq!(fake.iam().token_requests(), 1);
    fake.iam().revoke_tokens();
    list(&client).await.expect("one fresh token, one retry");
    assert_eq!(fake.iam().token_requests(), 2);
    // Static credentials that are refused are not retried: nothing fresher exists.
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let dead = Credentials::token("fake-iam-token-99999999").unwrap();
    #[cfg(feature = "dataarts")]
    let refused = common::dataarts(&server.uri(), dead, common::fast_retries());
    #[cfg(not(feature = "dataarts"))]
    let refused = common::projectman(&server.uri(), dead, common::fast_retries());
    let err = list(&refused).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn a_failed_refresh_keeps_the_valid_token() {
    let fake = FakeServer::start().await.unwrap();
    fake.iam().set_token_lifetime(Duration::from_secs(2));
    let provider = token_provider(&fake, Duration::from_millis(1000));
    let client = client(&fake, provider.clone());
    list(&client).await.unwrap();
    let first = token_of(&provider.cached().unwrap());
    fake.iam().fail_token_requests(1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    list(&client).await.expect("the old token is still valid");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fake.iam().token_requests(), 2, "the refresh was tried");
    assert_eq!(token_of(&provider.cached().unwrap()), first);
    // After the pause the next refresh succeeds.
    list(&client).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fake.iam().token_requests(), 3);
    assert_ne!(token_of(&provider.cached().unwrap()), first);
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn wrong_passwords_are_credential_errors_without_the_password() {
    let fake = FakeServer::start().await.unwrap();
    let provider = PasswordTokenProvider::builder()
        .user(IAM_USER)
        .password("wrong-password-do-not-print")
        .account(IAM_ACCOUNT)
        .region(IAM_REGION)
        .iam_endpoint(fake.endpoint())
        .build()
        .unwrap();
    let err = list(&client(&fake, provider.clone())).await.unwrap_err();
    // IAM refused the token, not the service: the variant says so, and keeps IAM's answer.
    let Error::CredentialsUnavailable { source } = &err else {
        panic!("{err:?}")
    };
    assert!(source.as_service().is_some(), "{source:?}");
    assert!(
        err.to_string().starts_with("cannot get credentials"),
        "{err}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let printed = format!("{err} {err:?} {provider:?}");
    assert!(
        !printed.contains("wrong-password-do-not-print"),
        "{printed}"
    );
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn metadata_credentials_rotate_before_expiry() {
    let fake = FakeServer::start().await.unwrap();
    fake.metadata().set_key_lifetime(Duration::from_millis(800));
    let provider = CachedProvider::with_settings(
        MetadataProvider::with_endpoint(&fake.endpoint()).unwrap(),
        Duration::from_millis(300),
        Duration::ZERO,
        Duration::from_millis(50),
    );
    let builder = Service::builder().endpoint(fake.endpoint());
    #[cfg(feature = "dataarts")]
    let builder = builder
        .project_id(fake::PROJECT_ID)
        .workspace(common::WORKSPACE);
    let client = builder
        .credentials_provider(provider.clone())
        .build()
        .unwrap();
    let mut keys = std::collections::BTreeSet::new();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(2000) {
        list(&client)
            .await
            .expect("signed with valid temporary keys");
        keys.insert(provider.cached().unwrap().access_key().unwrap().to_owned());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(keys.len() >= 3, "rotated: {keys:?}");
    let requests = fake.metadata().key_requests();
    assert!(requests <= keys.len() + 1, "{requests} fetches");
    // The signed requests carried the security token.
    let recorded = fake.recorded_requests();
    assert!(recorded
        .iter()
        .any(|r| r.headers.iter().any(|(n, _)| n == "x-security-token")));
}

#[tokio::test]
async fn metadata_tolerates_cce_and_explains_missing_agencies() {
    let fake = FakeServer::start().await.unwrap();
    let metadata = MetadataProvider::with_endpoint(&fake.endpoint()).unwrap();
    fake.metadata().set_session_token_status(400);
    let c = metadata.provide().await.expect("CCE's 400 is tolerated");
    assert!(c.access_key().is_some() && c.expires_at().is_some());
    fake.metadata().set_session_token_status(404);
    metadata.provide().await.expect("no session tokens");
    fake.metadata().set_no_agency(true);
    let err = metadata.provide().await.unwrap_err();
    assert!(
        matches!(&err, Error::Credentials(m) if m.contains("agency")),
        "{err}"
    );
}

fn env(vars: &'static [(&'static str, &'static str)]) -> EnvironmentProvider {
    EnvironmentProvider::with_lookup(move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

#[tokio::test]
async fn the_chain_tries_environment_then_profile_then_metadata() {
    let fake = FakeServer::start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("hwc-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("credentials");
    std::fs::write(&profile, "[basic]\nak = PROFILEAK\nsk = profile-sk\n").unwrap();
    let chain = |vars, profile: Option<std::path::PathBuf>, metadata: Option<String>| {
        DefaultChain::new()
            .environment(env(vars))
            .profile_file(profile)
            .metadata_endpoint(metadata)
    };
    const ENV: &[(&str, &str)] = &[
        ("HUAWEICLOUD_SDK_AK", "ENVAK"),
        ("HUAWEICLOUD_SDK_SK", "env-sk"),
    ];
    let c = chain(ENV, Some(profile.clone()), Some(fake.endpoint()))
        .provide()
        .await
        .unwrap();
    assert_eq!(c.access_key(), Some("ENVAK"));
    let c = chain(&[], Some(profile.clone()), Some(fake.endpoint()))
        .provide()
        .await
        .unwrap();
    assert_eq!(c.access_key(), Some("PROFILEAK"));
    assert_eq!(fake.metadata().key_requests(), 0);
    let c = chain(&[], Some(dir.join("missing")), Some(fake.endpoint()))
        .provide()
        .await
        .unwrap();
    assert!(c.access_key().unwrap().starts_with("FAKETEMPAK"));
    assert_eq!(fake.metadata().key_requests(), 1);
    // None yields: the error lists all three.
    fake.metadata().set_no_agency(true);
    let err = chain(&[], Some(dir.join("missing")), Some(fake.endpoint()))
        .provide()
        .await
        .unwrap_err();
    let Error::NoCredentials { tried } = &err else {
        panic!("{err}")
    };
    assert_eq!(tried.len(), 3, "{err}");
    for what in ["environment", "profile file", "instance metadata"] {
        assert!(err.to_string().contains(what), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_client_with_ak_sk_and_a_region_looks_up_its_project_id() {
    let fake = FakeServer::start().await.unwrap();
    let build = |ak: &str| {
        DataArtsClient::builder()
            .region(IAM_REGION)
            .endpoint(fake.endpoint())
            .iam_endpoint(fake.endpoint())
            .credentials(Credentials::ak_sk(ak, common::SK).unwrap())
            .workspace(common::WORKSPACE)
            .build()
            .unwrap()
    };
    let client = build("LOOKUPAK1");
    list(&client).await.expect("the project ID was found");
    list(&client).await.unwrap();
    // Another client of the same account and region shares the lookup.
    list(&build("LOOKUPAK1")).await.unwrap();
    assert_eq!(
        fake.iam().project_requests(),
        1,
        "cached per access key and region, for the whole process"
    );
    let listed = fake
        .recorded_requests()
        .into_iter()
        .any(|r| r.path.contains(fake::PROJECT_ID));
    assert!(listed);

    // 403, none, several.
    fake.iam().forbid_project_listing(true);
    let err = list(&build("LOOKUPAK2")).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::ProjectId(ProjectIdError::Forbidden {
                trace_id: Some(id),
                ..
            }) if id.starts_with("fake-iam-trace-")
        ),
        "the 403 quotes IAM's trace ID, not the request ID: {err}"
    );
    fake.iam().forbid_project_listing(false);
    let nowhere = DataArtsClient::builder()
        .region("xx-nowhere-1")
        .endpoint(fake.endpoint())
        .iam_endpoint(fake.endpoint())
        .credentials(Credentials::ak_sk("LOOKUPAK3", common::SK).unwrap())
        .workspace(common::WORKSPACE)
        .build()
        .unwrap();
    let err = list(&nowhere).await.unwrap_err();
    assert!(
        matches!(&err, Error::ProjectId(ProjectIdError::NotFound { .. })),
        "{err}"
    );
    fake.iam()
        .add_project(IAM_REGION, "11111111111111111111111111111111");
    let err = list(&build("LOOKUPAK4")).await.unwrap_err();
    match &err {
        Error::ProjectId(ProjectIdError::Several { ids, trace_id, .. }) => {
            assert_eq!(ids.len(), 2);
            assert!(trace_id.is_some());
            assert!(err.to_string().contains("11111111111111111111111111111111"));
        }
        other => panic!("{other}"),
    }
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_project_scoped_token_needs_no_lookup() {
    let fake = FakeServer::start().await.unwrap();
    let client = client(&fake, token_provider(&fake, Duration::from_secs(60)));
    list(&client).await.unwrap();
    assert_eq!(fake.iam().project_requests(), 0);
}

#[test]
fn no_secret_in_debug_of_the_new_types() {
    let provider = PasswordTokenProvider::builder()
        .user("u")
        .password("pw-do-not-print")
        .account("a")
        .region("cn-north-4")
        .totp("uid", || Ok("123456".to_string()));
    let printed = format!("{provider:?}");
    assert!(!printed.contains("pw-do-not-print"), "{printed}");
    let built = provider.build().unwrap();
    let printed = format!("{built:?} {built:#?}");
    assert!(!printed.contains("pw-do-not-print"), "{printed}");
    let c = Credentials::token("tok-do-not-print")
        .unwrap()
        .with_expiry(std::time::SystemTime::now());
    let cached = CachedProvider::new(c);
    let printed = format!("{cached:?}");
    assert!(!printed.contains("tok-do-not-print"), "{printed}");
    let printed = format!("{:?}", DefaultChain::new());
    assert!(!printed.contains("do-not-print"));
}
