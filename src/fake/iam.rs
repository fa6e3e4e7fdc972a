//! The fake's IAM: user tokens by password with a configurable lifetime, project lookup, and
//! temporary access keys; plus the check that makes the whole fake refuse the tokens and keys it
//! issued once they expire or are revoked (any other token or key is accepted as before).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, SystemTime},
};

use axum::{
    body::Bytes,
    extract::{Query, Request, State},
    http::{HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

/// The IAM user name the fake accepts.
pub const IAM_USER: &str = "fake-iam-user";
/// That user's password.
pub const IAM_PASSWORD: &str = "fake-iam-password";
/// That user's account (domain) name.
pub const IAM_ACCOUNT: &str = "fake-account";
/// The region whose project the fake knows from the start (its ID is [`super::PROJECT_ID`]).
pub const IAM_REGION: &str = "cn-north-4";

const TOKEN_PREFIX: &str = "fake-iam-token-";
const KEY_PREFIX: &str = "FAKETEMPAK";

/// Handle on the fake's IAM state: see [`super::FakeServer::iam`].
#[derive(Clone)]
pub struct FakeIam(Arc<Mutex<IamState>>);

pub(super) struct IamState {
    token_lifetime: Duration,
    tokens: HashMap<String, (SystemTime, bool)>,
    /// Temporary access keys issued here or by the metadata service: AK -> expiry.
    pub(super) keys: HashMap<String, SystemTime>,
    projects: Vec<(String, String)>,
    /// IAM users: name -> user ID (several with one name make a name lookup ambiguous).
    users: Vec<(String, String)>,
    token_requests: usize,
    project_requests: usize,
    failing_token_requests: usize,
    /// Every token request fails while set.
    all_tokens_failing: bool,
    /// How long IAM takes before it answers anything.
    delay: Duration,
    forbid_projects: bool,
    issued: u64,
}

impl FakeIam {
    pub(super) fn new() -> Self {
        FakeIam(Arc::new(Mutex::new(IamState {
            token_lifetime: Duration::from_secs(24 * 3600),
            tokens: HashMap::new(),
            keys: HashMap::new(),
            projects: vec![(IAM_REGION.into(), super::PROJECT_ID.into())],
            users: Vec::new(),
            token_requests: 0,
            project_requests: 0,
            failing_token_requests: 0,
            all_tokens_failing: false,
            delay: Duration::ZERO,
            forbid_projects: false,
            issued: 0,
        })))
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, IamState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long new tokens live (default 24 hours).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.lock().token_lifetime = lifetime;
    }

    /// How many token requests (`POST /v3/auth/tokens`) the fake has received (counted on
    /// arrival, before any [`FakeIam::set_delay`]).
    pub fn token_requests(&self) -> usize {
        self.lock().token_requests
    }

    /// How many project listings (`GET /v3/projects`) the fake has received (counted on
    /// arrival, before any [`FakeIam::set_delay`]).
    pub fn project_requests(&self) -> usize {
        self.lock().project_requests
    }

    /// Revokes every token issued so far: services answer 401 to them, as after a password change.
    pub fn revoke_tokens(&self) {
        for (_, revoked) in self.lock().tokens.values_mut() {
            *revoked = true;
        }
    }

    /// The next `count` token requests fail with 503 and IAM's error body.
    pub fn fail_token_requests(&self, count: usize) {
        self.lock().failing_token_requests = count;
    }

    /// While `failing`, every token request fails with 503 and IAM's error body
    /// (`{"error": {"code": 503, "message": "Service unavailable", "title": "Service
    /// Unavailable"}}`), as during an IAM outage; `false` ends the outage (a count left by
    /// [`FakeIam::fail_token_requests`] still applies).
    pub fn fail_all_token_requests(&self, failing: bool) {
        self.lock().all_tokens_failing = failing;
    }

    /// IAM waits `delay` before it answers each request (tokens, project listings, temporary
    /// keys), as a slow or overloaded IAM does; requests wait side by side, not one after
    /// another, and are counted when they arrive. `Duration::ZERO` (the default) answers at once.
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// Adds an IAM project (several with one name make the project-ID lookup ambiguous).
    pub fn add_project(&self, name: &str, id: &str) {
        self.lock().projects.push((name.into(), id.into()));
    }

    /// Adds an IAM user that `GET /v3/users?name=` finds (several with one name make the name
    /// ambiguous, which the real IAM never answers but callers must still refuse).
    pub fn add_user(&self, name: &str, id: &str) {
        self.lock().users.push((name.into(), id.into()));
    }

    /// Project listing answers 403 while set.
    pub fn forbid_project_listing(&self, forbid: bool) {
        self.lock().forbid_projects = forbid;
    }
}

impl IamState {
    pub(super) fn next_id(&mut self) -> u64 {
        self.issued += 1;
        self.issued
    }
}

/// UTC with six fractional digits, as IAM writes `expires_at`.
pub(super) fn timestamp(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

pub(super) fn router(iam: FakeIam) -> Router {
    Router::new()
        .route("/v3/auth/tokens", post(create_token))
        .route("/v3/projects", get(list_projects))
        .route("/v3/users", get(list_users))
        .route("/v3.0/OS-CREDENTIAL/securitytokens", post(temporary_key))
        .with_state(iam)
}

fn keystone_error(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    (
        status,
        Json(json!({"error": {"code": status.as_u16(), "message": message, "title": title}})),
    )
        .into_response()
}

/// IAM answers with its own trace ID beside the gateway's request ID; the two differ, so tests can
/// tell which one an error quotes.
fn with_trace(mut response: Response, id: u64) -> Response {
    for (name, value) in [
        ("x-iam-trace-id", format!("fake-iam-trace-{id:08}")),
        ("x-request-id", format!("fake-iam-request-{id:08}")),
    ] {
        if let Ok(v) = value.parse() {
            response.headers_mut().insert(name, v);
        }
    }
    response
}

/// Waits for IAM's configured delay, without holding the lock meanwhile.
async fn slow_down(iam: &FakeIam) {
    let delay = iam.lock().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

async fn create_token(State(iam): State<FakeIam>, body: Bytes) -> Response {
    iam.lock().token_requests += 1;
    slow_down(&iam).await;
    let mut s = iam.lock();
    let id = s.next_id();
    if s.all_tokens_failing || s.failing_token_requests > 0 {
        if !s.all_tokens_failing {
            s.failing_token_requests -= 1;
        }
        return with_trace(
            keystone_error(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable"),
            id,
        );
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return with_trace(
            keystone_error(StatusCode::BAD_REQUEST, "The request body is invalid"),
            id,
        );
    };
    let identity = &body["auth"]["identity"];
    let user = &identity["password"]["user"];
    let methods = identity["methods"].as_array().cloned().unwrap_or_default();
    let totp_ok = !methods.iter().any(|m| m == "totp")
        || identity["totp"]["user"]["passcode"]
            .as_str()
            .is_some_and(|p| !p.is_empty());
    if user["name"] != IAM_USER
        || user["password"] != IAM_PASSWORD
        || user["domain"]["name"] != IAM_ACCOUNT
        || !methods.iter().any(|m| m == "password")
        || !totp_ok
    {
        return with_trace(
            keystone_error(
                StatusCode::UNAUTHORIZED,
                "The username or password is wrong.",
            ),
            id,
        );
    }
    let scope = &body["auth"]["scope"];
    let project = if scope["project"].is_object() {
        let by_name = scope["project"]["name"].as_str();
        let by_id = scope["project"]["id"].as_str();
        let found = s
            .projects
            .iter()
            .find(|(n, i)| Some(n.as_str()) == by_name || Some(i.as_str()) == by_id)
            .cloned();
        match found {
            Some(p) => Some(p),
            None => {
                return with_trace(
                    keystone_error(StatusCode::BAD_REQUEST, "The project does not exist"),
                    id,
                )
            }
        }
    } else {
        None
    };
    let now = SystemTime::now();
    let expires = now + s.token_lifetime;
    let token = format!("{TOKEN_PREFIX}{id:08}");
    s.tokens.insert(token.clone(), (expires, false));
    let domain = json!({"id": "d78cbac186b744899480f25bd022f468", "name": IAM_ACCOUNT});
    let mut answer = json!({"token": {
        "catalog": [],
        "expires_at": timestamp(expires),
        "issued_at": timestamp(now),
        "methods": methods,
        "roles": [{"id": "0", "name": "te_admin"}],
        "user": {"domain": domain, "id": "7116d09f88fa41908676fdd4b039e95b", "name": IAM_USER, "password_expires_at": ""},
    }});
    match project {
        Some((name, pid)) => {
            answer["token"]["project"] = json!({"domain": domain, "id": pid, "name": name})
        }
        None => answer["token"]["domain"] = domain,
    }
    let mut response = (StatusCode::CREATED, Json(answer)).into_response();
    if let Ok(v) = token.parse() {
        response.headers_mut().insert("x-subject-token", v);
    }
    with_trace(response, id)
}

async fn list_projects(
    State(iam): State<FakeIam>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    iam.lock().project_requests += 1;
    slow_down(&iam).await;
    let mut s = iam.lock();
    let id = s.next_id();
    if !headers.contains_key("x-auth-token") && !headers.contains_key("authorization") {
        return with_trace(
            keystone_error(
                StatusCode::UNAUTHORIZED,
                "The request you have made requires authentication.",
            ),
            id,
        );
    }
    if s.forbid_projects {
        return with_trace(
            keystone_error(
                StatusCode::FORBIDDEN,
                "You are not authorized to perform the requested action.",
            ),
            id,
        );
    }
    let projects: Vec<Value> = s
        .projects
        .iter()
        .filter(|(name, _)| query.get("name").is_none_or(|n| n == name))
        .map(|(name, pid)| {
            json!({"description": "", "domain_id": "d78cbac186b744899480f25bd022f468", "enabled": true,
                   "id": pid, "is_domain": false, "name": name,
                   "parent_id": "d78cbac186b744899480f25bd022f468"})
        })
        .collect();
    let answer = json!({"links": {"next": null, "previous": null, "self": "http://fake/v3/projects"}, "projects": projects});
    with_trace((StatusCode::OK, Json(answer)).into_response(), id)
}

async fn list_users(
    State(iam): State<FakeIam>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut s = iam.lock();
    let id = s.next_id();
    if !headers.contains_key("x-auth-token") && !headers.contains_key("authorization") {
        let message = "The request you have made requires authentication.";
        return with_trace(keystone_error(StatusCode::UNAUTHORIZED, message), id);
    }
    let users: Vec<Value> = s
        .users
        .iter()
        .filter(|(name, _)| query.get("name").is_none_or(|n| n == name))
        .map(|(name, uid)| {
            json!({"domain_id": "d78cbac186b744899480f25bd022f468", "enabled": true,
                   "id": uid, "name": name, "password_expires_at": null})
        })
        .collect();
    let answer = json!({"links": {"next": null, "previous": null, "self": "http://fake/v3/users"}, "users": users});
    with_trace((StatusCode::OK, Json(answer)).into_response(), id)
}

async fn temporary_key(State(iam): State<FakeIam>, headers: HeaderMap, body: Bytes) -> Response {
    slow_down(&iam).await;
    let mut s = iam.lock();
    let id = s.next_id();
    if !headers.contains_key("x-auth-token") && !headers.contains_key("authorization") {
        return with_trace(
            keystone_error(
                StatusCode::UNAUTHORIZED,
                "The request you have made requires authentication.",
            ),
            id,
        );
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let seconds = body["auth"]["identity"]["token"]["duration_seconds"]
        .as_u64()
        .unwrap_or(900);
    let answer = issue_key(&mut s, Duration::from_secs(seconds));
    with_trace((StatusCode::CREATED, Json(answer)).into_response(), id)
}

/// Issues a temporary AK/SK with a security token, `{"credential": {...}}`.
pub(super) fn issue_key(s: &mut IamState, lifetime: Duration) -> Value {
    let n = s.next_id();
    let expires = SystemTime::now() + lifetime;
    let access = format!("{KEY_PREFIX}{n:010}");
    s.keys.insert(access.clone(), expires);
    json!({"credential": {
        "access": access,
        "secret": format!("fake-temporary-secret-{n:08}"),
        "securitytoken": format!("fake-security-token-{n:08}"),
        "expires_at": timestamp(expires),
    }})
}

/// Refuses (401) the tokens and temporary keys this fake issued once expired or revoked.
pub(super) async fn check_issued(
    State(iam): State<FakeIam>,
    request: Request,
    next: Next,
) -> Response {
    if refuses(&iam, request.headers()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information: the token or access key has expired or was revoked"})),
        )
            .into_response();
    }
    next.run(request).await
}

fn refuses(iam: &FakeIam, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = SystemTime::now();
    let s = iam.lock();
    let token_dead = header("x-auth-token")
        .filter(|t| t.starts_with(TOKEN_PREFIX))
        .is_some_and(|t| {
            s.tokens
                .get(t)
                .is_none_or(|(exp, revoked)| *revoked || now >= *exp)
        });
    let key_dead = header("authorization")
        .and_then(|a| a.strip_prefix("SDK-HMAC-SHA256 Access="))
        .and_then(|rest| rest.split(',').next())
        .map(str::trim)
        .filter(|ak| ak.starts_with(KEY_PREFIX))
        .is_some_and(|ak| s.keys.get(ak).is_none_or(|exp| now >= *exp));
    token_dead || key_dead
}
