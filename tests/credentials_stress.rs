//! Credentials on IAM's bad days, against a raw loopback IAM (and metadata service) written here
//! from the documents, not from the crate's fake: a slow IAM, a failing IAM, many concurrent
//! first calls, and two accounts' tokens in one process. The times are scaled down (a 300 ms
//! total timeout against a 2 s IAM) to keep the tests fast.
//!
//! The calls are DataArts' member list when that service is built, else ProjectMan's: the
//! credentials are the transport's, the call only a vehicle. The project-ID lookup is DataArts'
//! (ProjectMan's paths need none), so its tests need that service. With neither built there is
//! no vehicle: IAM's project list is the very path the lookup uses.
#![cfg(any(feature = "dataarts", feature = "projectman"))]
// What only DataArts' tests use goes unused without it; all features are linted in full.
#![cfg_attr(not(feature = "dataarts"), allow(dead_code, unused_imports))]

mod common;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use huaweicloud_openapi::{
    auth::{CachedProvider, Credentials, MetadataProvider, ProvideCredentials},
    iam::PasswordTokenProvider,
    retry::RetryPolicy,
    Error, Execute, ProjectIdError,
};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{DataArtsClient as Client, DataArtsClientBuilder as Builder};
#[cfg(not(feature = "dataarts"))]
use huaweicloud_openapi::{ProjectManClient as Client, ProjectManClientBuilder as Builder};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
};

const REGION: &str = "cn-north-4";
const TOTAL: Duration = Duration::from_millis(300);
/// How late a failed call may come after its deadline: scheduling on a loaded machine. Far
/// below `SLOW`, so a call that waited for IAM cannot pass.
const SLACK: Duration = Duration::from_millis(500);
const SLOW: Duration = Duration::from_secs(2);

/// How the raw server behaves; changed by the tests while it runs.
#[derive(Clone)]
struct Behaviour {
    /// How long `POST /v3/auth/tokens` and the metadata security key take to answer.
    token_delay: Duration,
    /// The token answer's status: 201 issues a token, anything else is Keystone's error shape.
    token_status: u16,
    /// Lifetime of the tokens (and temporary keys) issued.
    token_lifetime: Duration,
    /// How long `GET /v3/projects` takes, and its status (200 answers from `projects`).
    project_delay: Duration,
    project_status: u16,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            token_delay: Duration::ZERO,
            token_status: 201,
            token_lifetime: Duration::from_secs(3600),
            project_delay: Duration::ZERO,
            project_status: 200,
        }
    }
}

#[derive(Default)]
struct State {
    behaviour: Mutex<Behaviour>,
    token_requests: AtomicUsize,
    key_requests: AtomicUsize,
    project_requests: AtomicUsize,
    issued: AtomicUsize,
    /// Who a token or an access key belongs to (an account name), by the token or the key.
    owners: Mutex<HashMap<String, String>>,
    /// The project ID of each account in `REGION`.
    projects: Mutex<HashMap<String, String>>,
    /// Paths of the service calls (anything not IAM or metadata).
    service_paths: Mutex<Vec<String>>,
}

/// One loopback server playing IAM, the metadata service and DataArts or ProjectMan at once:
/// requests are routed by path, as the real services' paths never overlap.
struct Raw {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Raw {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Raw {
    async fn start() -> Raw {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Raw { addr, state, task }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.state.behaviour.lock().unwrap());
    }

    /// `account`'s project in `REGION`; `credential` (a token or an access key) belongs to it.
    fn account(&self, account: &str, project: &str, credentials: &[&str]) {
        self.state
            .projects
            .lock()
            .unwrap()
            .insert(account.into(), project.into());
        let mut owners = self.state.owners.lock().unwrap();
        for c in credentials {
            owners.insert(c.to_string(), account.into());
        }
    }

    fn tokens(&self) -> usize {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    fn lookups(&self) -> usize {
        self.state.project_requests.load(Ordering::SeqCst)
    }

    fn service_paths(&self) -> Vec<String> {
        self.state.service_paths.lock().unwrap().clone()
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let behaviour = state.behaviour.lock().unwrap().clone();
    let path = request
        .path
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let reply = match (request.method.as_str(), path.as_str()) {
        ("POST", "/v3/auth/tokens") => {
            state.token_requests.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(behaviour.token_delay).await;
            issue_token(&state, &behaviour, &request.body)
        }
        ("GET", "/v3/projects") => {
            state.project_requests.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(behaviour.project_delay).await;
            list_projects(&state, &behaviour, &request)
        }
        ("PUT", "/meta-data/latest/api/token") => reply(404, "", "{}"),
        ("GET", "/openstack/latest/securitykey") => {
            state.key_requests.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(behaviour.token_delay).await;
            security_key(&state, &behaviour)
        }
        _ => {
            state
                .service_paths
                .lock()
                .unwrap()
                .push(request.path.clone());
            // An empty list of either service's members.
            reply(
                200,
                "",
                r#"{"total":0,"permission_set_members":[],"members":[]}"#,
            )
        }
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

fn reply(status: u16, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         x-iam-trace-id: trace-{status}\r\nconnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Keystone's error shape, as IAM answers a failure.
fn keystone_error(status: u16) -> Vec<u8> {
    reply(
        status,
        "",
        &format!(
            r#"{{"error":{{"code":{status},"message":"IAM is having a bad day","title":"Error"}}}}"#
        ),
    )
}

fn expiry(lifetime: Duration) -> String {
    let at = time::OffsetDateTime::now_utc() + lifetime;
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// `POST /v3/auth/tokens`: the token in `X-Subject-Token`, and an account-scoped description
/// naming the user and the account (no project: the client must look it up).
fn issue_token(state: &State, behaviour: &Behaviour, body: &[u8]) -> Vec<u8> {
    if behaviour.token_status != 201 {
        return keystone_error(behaviour.token_status);
    }
    let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let user = &body["auth"]["identity"]["password"]["user"];
    let (Some(name), Some(account)) = (user["name"].as_str(), user["domain"]["name"].as_str())
    else {
        return keystone_error(400);
    };
    let n = state.issued.fetch_add(1, Ordering::SeqCst);
    let token = format!("token-{name}-{n}");
    state
        .owners
        .lock()
        .unwrap()
        .insert(token.clone(), account.to_owned());
    let domain = serde_json::json!({"id": format!("dom-{account}"), "name": account});
    let description = serde_json::json!({"token": {
        "expires_at": expiry(behaviour.token_lifetime),
        "methods": ["password"],
        "domain": domain,
        "user": {"id": format!("uid-{name}"), "name": name, "domain": domain,
                 "password_expires_at": ""},
    }});
    reply(
        201,
        &format!("x-subject-token: {token}\r\n"),
        &description.to_string(),
    )
}

/// `GET /v3/projects?name=<region>`: the project of the account the caller's token or access
/// key belongs to.
fn list_projects(state: &State, behaviour: &Behaviour, request: &Request) -> Vec<u8> {
    if behaviour.project_status != 200 {
        return keystone_error(behaviour.project_status);
    }
    let who = match (
        request.headers.get("x-auth-token"),
        request.headers.get("authorization"),
    ) {
        (Some(token), _) => token.clone(),
        (None, Some(signed)) => signed
            .split("Access=")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_default()
            .to_owned(),
        (None, None) => return keystone_error(401),
    };
    let account = state.owners.lock().unwrap().get(&who).cloned();
    let Some(account) = account else {
        return keystone_error(401);
    };
    let projects: Vec<_> = state
        .projects
        .lock()
        .unwrap()
        .get(&account)
        .map(|id| {
            serde_json::json!({"id": id, "name": REGION, "domain_id": format!("dom-{account}"),
                               "enabled": true, "is_domain": false, "description": ""})
        })
        .into_iter()
        .collect();
    reply(
        200,
        "",
        &serde_json::json!({"projects": projects, "links": {"self": "x"}}).to_string(),
    )
}

/// `GET /openstack/latest/securitykey`: temporary AK/SK of the instance's agency.
fn security_key(state: &State, behaviour: &Behaviour) -> Vec<u8> {
    if behaviour.token_status != 201 {
        return reply(500, "", "{}");
    }
    let n = state.issued.fetch_add(1, Ordering::SeqCst);
    let answer = serde_json::json!({"credential": {
        "access": format!("TEMPAK{n}"), "secret": "temp-secret", "securitytoken": "st",
        "expires_at": expiry(behaviour.token_lifetime),
    }});
    reply(200, "", &answer.to_string())
}

/// One request, read by the shared loopback reader and split into its parts.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let text = common::hostile::read_request(stream).await?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Request {
        method,
        path,
        headers,
        body: body.as_bytes().to_vec(),
    })
}

fn password_token(raw: &Raw, user: &str, account: &str, pause: Duration) -> PasswordTokenProvider {
    PasswordTokenProvider::builder()
        .user(user)
        .password("a-password-do-not-print")
        .account(account)
        .region(REGION)
        .account_scope()
        .iam_endpoint(raw.url())
        .refresh_margin(Duration::from_millis(200), Duration::ZERO)
        .retry_after_failure(pause)
        .build()
        .unwrap()
}

/// A client on `raw` (see the module docs), with a 300 ms total timeout and no retries (so that
/// every IAM request counted is a credential fetch, not a retry); DataArts' `project` set, or
/// looked up at `raw` (ProjectMan needs none).
fn client_on(raw: &Raw, provider: impl ProvideCredentials, project: Option<&str>) -> Client {
    let builder: Builder = Client::builder()
        .region(REGION)
        .endpoint(raw.url())
        .iam_endpoint(raw.url())
        .credentials_provider(provider)
        .retry_policy(RetryPolicy::disabled())
        .total_timeout(Some(TOTAL));
    #[cfg(feature = "dataarts")]
    let builder = builder.workspace(common::WORKSPACE);
    #[cfg(feature = "dataarts")]
    let builder = match project {
        Some(p) => builder.project_id(p),
        None => builder,
    };
    #[cfg(not(feature = "dataarts"))]
    let _ = project;
    builder.build().unwrap()
}

/// One call: DataArts' member list, or ProjectMan's.
async fn list(client: &Client) -> Result<(), Error> {
    #[cfg(feature = "dataarts")]
    let call = client
        .list_security_permission_set_members()
        .permission_set_id(common::PSET);
    #[cfg(not(feature = "dataarts"))]
    let call = client
        .list_project_members_v4()
        .project_id(common::CODEARTS_PROJECT);
    call.execute().await.map(|_| ())
}

/// `n` concurrent calls: each one's result and how long it took.
async fn concurrently(client: &Client, n: usize) -> Vec<(Result<(), Error>, Duration)> {
    let calls = (0..n).map(|_| async {
        let started = Instant::now();
        let result = list(client).await;
        (result, started.elapsed())
    });
    futures::future::join_all(calls).await
}

/// The source of a failure to get credentials.
fn unavailable(error: &Error) -> &Error {
    match error {
        Error::CredentialsUnavailable { source } => source,
        other => panic!("not a credentials failure: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_iam_fails_4_and_40_callers_within_their_deadline_with_one_fetch() {
    let raw = Raw::start().await;
    raw.set(|b| b.token_delay = SLOW);
    let provider = password_token(&raw, "slow-user", "slow-account", Duration::from_secs(1));
    let client = client_on(&raw, provider.clone(), Some(common::PROJECT));
    for callers in [4, 40] {
        let started = Instant::now();
        let results = concurrently(&client, callers).await;
        for (result, took) in &results {
            assert!(
                *took < TOTAL + SLACK,
                "{callers} callers: one took {took:?}"
            );
            let error = result.as_ref().unwrap_err();
            assert!(
                matches!(unavailable(error), Error::Timeout { .. }),
                "{error:?}"
            );
            assert!(error.to_string().contains("credentials"), "{error}");
            assert!(std::error::Error::source(error).is_some());
            assert!(error.is_retryable());
        }
        assert!(started.elapsed() < TOTAL + SLACK);
        assert_eq!(
            raw.tokens(),
            1,
            "{callers} callers: the fetch under way is joined, not repeated"
        );
    }
    // The one fetch went on without its callers; once IAM answers, calls succeed with its token.
    tokio::time::sleep(SLOW).await;
    list(&client).await.expect("the shared fetch's token");
    assert_eq!(raw.tokens(), 1);
    assert_eq!(raw.service_paths().len(), 1, "nothing was sent before");
}

#[tokio::test]
async fn a_slow_and_failing_iam_is_asked_once_per_pause() {
    let raw = Raw::start().await;
    // IAM answers 503 after the callers' deadline: they time out, the fetch fails later, and
    // callers during the pause get that failure at once.
    raw.set(|b| {
        b.token_delay = Duration::from_millis(500);
        b.token_status = 503;
    });
    let pause = Duration::from_millis(800);
    let client = client_on(
        &raw,
        password_token(&raw, "u", "a", pause),
        Some(common::PROJECT),
    );
    for (result, took) in concurrently(&client, 4).await {
        assert!(took < TOTAL + SLACK, "{took:?}");
        assert!(matches!(
            unavailable(&result.unwrap_err()),
            Error::Timeout { .. }
        ));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The fetch has failed: the cached failure, with IAM's status, answered at once.
    let started = Instant::now();
    for (result, took) in concurrently(&client, 40).await {
        assert!(took < TOTAL + SLACK, "{took:?}");
        // IAM's 503, not a timeout: none of them waited for a fetch of its own.
        let error = result.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error:?}");
        assert!(unavailable(&error).as_service().is_some());
    }
    assert!(started.elapsed() < TOTAL + SLACK);
    assert_eq!(raw.tokens(), 1);
}

#[tokio::test]
async fn a_failing_iam_after_expiry_gets_a_bounded_number_of_token_requests() {
    let raw = Raw::start().await;
    raw.set(|b| b.token_lifetime = Duration::from_millis(600));
    let pause = Duration::from_millis(200);
    let provider = password_token(&raw, "u", "a", pause);
    let client = client_on(&raw, provider, Some(common::PROJECT));
    list(&client).await.expect("a token while IAM works");
    // IAM fails from now on; the token expires within 600 ms.
    raw.set(|b| b.token_status = 500);
    let before = raw.tokens();
    let run = Duration::from_millis(1500);
    let started = Instant::now();
    let callers = (0..5).map(|_| async {
        let (mut ok, mut failed) = (0usize, 0usize);
        while started.elapsed() < run {
            match list(&client).await {
                Ok(()) => ok += 1,
                Err(error) => {
                    assert!(
                        matches!(&error, Error::CredentialsUnavailable { .. }),
                        "{error:?}"
                    );
                    failed += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        (ok, failed)
    });
    let counts = futures::future::join_all(callers).await;
    let failed: usize = counts.iter().map(|(_, f)| f).sum();
    let ok: usize = counts.iter().map(|(o, _)| o).sum();
    let fetched = raw.tokens() - before;
    // One fetch per pause (200 ms, jittered down to 160 ms at worst) over 1.5 s, plus the
    // background refreshes before expiry: about 8, never one per call.
    let bound = (run.as_millis() / (pause.as_millis() * 4 / 5)) as usize + 3;
    assert!(
        (2..=bound).contains(&fetched),
        "{fetched} token requests for {failed} failed and {ok} good calls (bound {bound})"
    );
    assert!(
        failed > 5 * fetched,
        "{failed} failures from {fetched} fetches"
    );
    assert!(ok > 0, "the token was used while still valid");
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn two_accounts_tokens_get_their_own_project_ids() {
    let raw = Raw::start().await;
    let (pa, pb) = (
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    );
    // Static tokens without a project ID, and the owner unknown: keyed by their hash.
    raw.account("account-a", pa, &["static-token-of-a"]);
    raw.account("account-b", pb, &["static-token-of-b"]);
    let a = client_on(&raw, Credentials::token("static-token-of-a").unwrap(), None);
    let b = client_on(&raw, Credentials::token("static-token-of-b").unwrap(), None);
    list(&a).await.unwrap();
    list(&b).await.unwrap();
    list(&a).await.unwrap();
    let paths = raw.service_paths();
    assert!(paths[0].contains(pa) && paths[2].contains(pa), "{paths:?}");
    assert!(paths[1].contains(pb), "{paths:?}");
    assert_eq!(raw.lookups(), 2, "one lookup per token");

    // Account-scoped password tokens of two users of two accounts: keyed by user and account.
    let (pc, pd) = (
        "cccccccccccccccccccccccccccccccc",
        "dddddddddddddddddddddddddddddddd",
    );
    raw.account("account-c", pc, &[]);
    raw.account("account-d", pd, &[]);
    let pause = Duration::from_secs(1);
    let c = client_on(
        &raw,
        password_token(&raw, "user-c", "account-c", pause),
        None,
    );
    let d = client_on(
        &raw,
        password_token(&raw, "user-d", "account-d", pause),
        None,
    );
    list(&c).await.unwrap();
    list(&d).await.unwrap();
    let paths = raw.service_paths();
    assert!(paths[3].contains(pc), "{paths:?}");
    assert!(paths[4].contains(pd), "{paths:?}");
    assert_eq!(raw.lookups(), 4);
    // Another token of the same user (a second provider, a new token) shares the lookup.
    let c2 = client_on(
        &raw,
        password_token(&raw, "user-c", "account-c", pause),
        None,
    );
    list(&c2).await.unwrap();
    assert!(raw.service_paths()[5].contains(pc));
    assert_eq!(raw.tokens(), 3);
    assert_eq!(raw.lookups(), 4, "same user and account: no new lookup");
}

#[cfg(feature = "dataarts")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_first_calls_make_one_project_lookup_and_share_its_failure() {
    let raw = Raw::start().await;
    let project = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    raw.account(
        "account-e",
        project,
        &["STRESSAK1", "STRESSAK2", "STRESSAK3"],
    );
    raw.set(|b| b.project_delay = Duration::from_millis(100));
    let aksk = |ak: &str| Credentials::ak_sk(ak, common::SK).unwrap();
    let client = client_on(&raw, aksk("STRESSAK1"), None);
    for (result, _) in concurrently(&client, 40).await {
        result.expect("the shared lookup's project ID");
    }
    assert_eq!(raw.lookups(), 1);
    assert!(raw.service_paths().iter().all(|p| p.contains(project)));

    // A lookup IAM answers with an error: one request, every caller gets its error, which says
    // it is about credentials and keeps IAM's status.
    raw.set(|b| b.project_status = 400);
    let client = client_on(&raw, aksk("STRESSAK2"), None);
    for (result, _) in concurrently(&client, 40).await {
        let error = result.unwrap_err();
        assert!(unavailable(&error).as_service().is_some(), "{error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    }
    assert_eq!(raw.lookups(), 2);
    // IAM's answers about the projects themselves stay `ProjectId` errors, shared too.
    raw.set(|b| b.project_status = 403);
    let client = client_on(&raw, aksk("STRESSAK3"), None);
    for (result, _) in concurrently(&client, 40).await {
        let error = result.unwrap_err();
        assert!(
            matches!(error, Error::ProjectId(ProjectIdError::Forbidden { .. })),
            "{error:?}"
        );
    }
    assert_eq!(raw.lookups(), 3);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_slow_project_lookup_fails_its_callers_within_their_deadline() {
    let raw = Raw::start().await;
    raw.account(
        "account-f",
        "ffffffffffffffffffffffffffffffff",
        &["SLOWLOOKUPAK"],
    );
    raw.set(|b| b.project_delay = SLOW);
    let client = client_on(
        &raw,
        Credentials::ak_sk("SLOWLOOKUPAK", common::SK).unwrap(),
        None,
    );
    for (result, took) in concurrently(&client, 4).await {
        assert!(took < TOTAL + SLACK, "{took:?}");
        assert!(matches!(
            unavailable(&result.unwrap_err()),
            Error::Timeout { .. }
        ));
    }
    assert_eq!(raw.lookups(), 1);
    assert!(
        raw.service_paths().is_empty(),
        "nothing sent without the ID"
    );
}

#[tokio::test]
async fn a_slow_metadata_service_fails_its_callers_within_their_deadline() {
    let raw = Raw::start().await;
    raw.set(|b| b.token_delay = Duration::from_millis(1500));
    let provider = CachedProvider::with_settings(
        MetadataProvider::with_endpoint(&raw.url()).unwrap(),
        Duration::from_millis(100),
        Duration::ZERO,
        Duration::from_secs(1),
    );
    let client = client_on(&raw, provider, Some(common::PROJECT));
    for (result, took) in concurrently(&client, 4).await {
        assert!(took < TOTAL + SLACK, "{took:?}");
        assert!(matches!(
            unavailable(&result.unwrap_err()),
            Error::Timeout { .. }
        ));
    }
    assert_eq!(raw.state.key_requests.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    list(&client).await.expect("the shared fetch's keys");
    assert_eq!(raw.state.key_requests.load(Ordering::SeqCst), 1);
}

#[cfg(all(feature = "fake", feature = "dataarts"))]
#[tokio::test]
async fn forty_first_calls_make_one_lookup_on_the_fake_too() {
    use huaweicloud_openapi::fake::{FakeServer, IAM_REGION};
    let fake = FakeServer::start().await.unwrap();
    let client = Client::builder()
        .region(IAM_REGION)
        .endpoint(fake.endpoint())
        .iam_endpoint(fake.endpoint())
        .credentials(Credentials::ak_sk("FAKESTRESSAK", common::SK).unwrap())
        .workspace(common::WORKSPACE)
        .build()
        .unwrap();
    let calls = (0..40).map(|_| async {
        client
            .list_security_permission_set_members()
            .permission_set_id(huaweicloud_openapi::fake::PERMISSION_SET_ID)
            .execute()
            .await
    });
    for result in futures::future::join_all(calls).await {
        result.expect("the shared lookup's project ID");
    }
    assert_eq!(fake.iam().project_requests(), 1);
}
