//! An in-memory fake of the services, for the quickstart and for users' own tests: all 25
//! operations of DataArts Security and CodeArts ProjectMan, plus IAM (tokens, project lookup,
//! temporary keys, see [`FakeIam`]) and the instance metadata service ([`FakeMetadata`]).
//!
//! It keeps real state (members added show up in lists, updates persist) and checks what the
//! real services check: an auth header (an IAM token, or a well-formed `SDK-HMAC-SHA256`
//! signature, verified for real when started with [`FakeServer::start_verifying`]), the
//! `workspace` header, path IDs, query parameters and bodies. Errors use the documented body
//! `{"error_code", "error_msg"}` with these codes:
//!
//! | code | status | when |
//! | --- | --- | --- |
//! | `APIGW.0301` | 401 | no token and no well-formed (or valid) signature |
//! | `DLS.1000` | 400 | the `workspace` header is missing or empty |
//! | `DLS.1001` | 400 | the body is not JSON or a field is invalid |
//! | `DLS.1002` | 400 | a query parameter is invalid |
//! | `DLS.1004` | 400 | the permission set does not exist |
//! | `PM.0001` | 400 | the ProjectMan body is invalid |
//! | `PM.0002` | 400 | the CodeArts project ID is not 32 letters and digits |
//! | `PM.00000004` | 400 | an add would give a project more than 1,000 members (the code is made up: the documents give none) |
//!
//! Where the documents leave behaviour open, the fake chooses: `limit` defaults to 10; without
//! `order_by` members come in the order they were added; with it the default is descending;
//! `member_name` matches substrings; a ProjectMan member without `role_id`, or with -1 (project
//! creator, which cannot be granted), gets role 7 (participant), as the document says for
//! roles that exceed the caller's permission; user IDs that are not 32 letters and digits are
//! skipped, as the document says for incorrect user IDs.
//!
//! # Bad days
//!
//! The fake can also behave like a region under stress, for tests of how code copes. Every
//! such answer comes before the operation runs, so a refused request never changes state:
//!
//! - **Throttling** ([`FakeServer::set_rate_limit`], [`RateLimit`]): N calls per fixed window,
//!   shared by every operation of both services like the gateway's per-user policy; the rest
//!   are answered as the gateway answers them, `429` with
//!   `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached: policy
//!   user over ratelimit,limit:N,time:1 minute"}`, no `Retry-After` unless asked for.
//!   [`FakeServer::throttled_count`] says how many were.
//! - **Bursts of server errors** ([`FakeServer::fail_next`]): the next N calls of one operation
//!   answered `500` with the service's error body ([`Fault::ServerError`]); any other answer can
//!   be queued with [`FakeServer::inject_fault`].
//! - **Random transient faults** ([`FakeServer::set_random_faults`],
//!   [`FakeServer::set_operation_random_faults`], [`RandomFaults`]): a share of all requests, or
//!   of one operation's, answered `500` (or another status) from a seeded generator, so a test
//!   repeats exactly.
//! - **A slow or failing IAM**: [`FakeIam::set_delay`], [`FakeIam::fail_token_requests`] (the
//!   next N) and [`FakeIam::fail_all_token_requests`] (until told otherwise), with IAM's error
//!   body; [`FakeIam::token_requests`] and [`FakeIam::project_requests`] count what IAM saw.
//! - Latency on every answer ([`FakeServer::set_latency`]), and delays, dropped connections
//!   and redirects per operation ([`Fault`]).
//!
//! The order is: latency, rate limit, the operation's queued faults, random faults, then the
//! operation.
//!
//! ```no_run
//! # #[cfg(feature = "dataarts")]
//! use huaweicloud_openapi::{auth::Credentials, fake::{self, FakeServer}, DataArtsClient, Execute};
//!
//! # #[cfg(feature = "dataarts")]
//! # async fn test() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakeServer::start().await?;
//! let client = DataArtsClient::builder()
//!     .endpoint(fake.endpoint())
//!     .credentials(Credentials::token("any-token")?)
//!     .project_id(fake::PROJECT_ID)
//!     .workspace("my-workspace")
//!     .build()?;
//! let page = client
//!     .list_security_permission_set_members()
//!     .permission_set_id(fake::PERMISSION_SET_ID)
//!     .execute()
//!     .await?;
//! assert_eq!(page.total, Some(0));
//! # Ok(()) }
//! ```

#[cfg(feature = "dataarts")]
mod dataarts;
mod faults;
mod gate;
mod iam;
mod metadata;
#[cfg(feature = "projectman")]
mod projectman;
mod state;

pub use faults::{Fault, RandomFaults, RateLimit, RecordedRequest, RECORDED_REQUESTS};
pub use iam::{FakeIam, IAM_ACCOUNT, IAM_PASSWORD, IAM_REGION, IAM_USER};
pub use metadata::FakeMetadata;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use axum::{middleware, Router};

#[cfg(feature = "dataarts")]
use crate::dataarts::types::{PermissionSet, PermissionSetMember, PermissionSetPermission};
use crate::{operation::OperationSpec, Error};

/// The operations the fake serves, by service (those the crate was built with).
const OPERATION_TABLES: &[&[OperationSpec]] = &[
    #[cfg(feature = "dataarts")]
    crate::dataarts::OPERATIONS,
    #[cfg(feature = "projectman")]
    crate::projectman::OPERATIONS,
];
use state::State;

/// The user ID the fake takes every caller for: the creator of every CodeArts project.
pub const CALLER_USER_ID: &str = state::FAKE_USER_ID;

/// Both services' routes, behind the shared layers: request IDs outermost, then faults (which
/// may answer instead), then authentication.
fn router(state: state::AppState) -> Router {
    let services = Router::new();
    #[cfg(feature = "dataarts")]
    let services = services.merge(dataarts::router());
    #[cfg(feature = "projectman")]
    let services = services.merge(projectman::router());
    services
        .layer(middleware::from_fn_with_state(
            state.clone(),
            gate::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            gate::count_and_tag,
        ))
        .with_state(state)
}

/// IAM project ID of the pre-seeded permission set (the documents' example).
pub const PROJECT_ID: &str = "0833a5737480d53b2f25c010dc1a7b88";
/// ID of the pre-seeded permission set (the documents' example).
pub const PERMISSION_SET_ID: &str = "fea96c90024711b8bf8d6886407b814b";

/// A running fake on 127.0.0.1 with a random port. Dropping it stops the server.
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    iam: FakeIam,
    metadata: FakeMetadata,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts a fake that accepts any token and any well-formed AK/SK signature.
    pub async fn start() -> std::io::Result<Self> {
        Self::launch(None).await
    }

    /// Starts a fake that verifies AK/SK signatures against this key pair (tokens are still
    /// accepted as they are).
    pub async fn start_verifying(ak: &str, sk: &str) -> std::io::Result<Self> {
        Self::launch(Some((ak.to_string(), sk.to_string()))).await
    }

    async fn launch(key: Option<(String, String)>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new(key)));
        #[cfg(feature = "dataarts")]
        state::lock(&state).seed_permission_set(
            PROJECT_ID,
            PERMISSION_SET_ID,
            "fake_permission_set",
        );
        let iam = FakeIam::new();
        let metadata = FakeMetadata::new(iam.clone());
        let app = router(state.clone())
            .merge(iam::router(iam.clone()))
            .merge(metadata::router(metadata.clone()))
            .layer(axum::middleware::from_fn_with_state(
                iam.clone(),
                iam::check_issued,
            ));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "fake server stopped");
            }
        });
        Ok(FakeServer {
            addr,
            state,
            iam,
            metadata,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Base URL for both services, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fake IAM (`/v3/auth/tokens`, `/v3/projects`, `/v3.0/OS-CREDENTIAL/securitytokens` on
    /// [`FakeServer::endpoint`]): it accepts [`IAM_USER`] / [`IAM_PASSWORD`] / [`IAM_ACCOUNT`],
    /// knows project [`PROJECT_ID`] as [`IAM_REGION`], and makes every service refuse (401) its
    /// tokens and temporary keys once expired or revoked.
    pub fn iam(&self) -> &FakeIam {
        &self.iam
    }

    /// The fake instance metadata service (`/openstack/latest/securitykey` on
    /// [`FakeServer::endpoint`]).
    pub fn metadata(&self) -> &FakeMetadata {
        &self.metadata
    }

    /// Adds (or renames) a permission set that later calls can use.
    #[cfg(feature = "dataarts")]
    pub fn add_permission_set(&self, project_id: &str, permission_set_id: &str, name: &str) {
        state::lock(&self.state).seed_permission_set(project_id, permission_set_id, name);
    }

    /// The permission set as the fake holds it now.
    #[cfg(feature = "dataarts")]
    pub fn permission_set(
        &self,
        project_id: &str,
        permission_set_id: &str,
    ) -> Option<PermissionSet> {
        state::lock(&self.state)
            .dataarts
            .set(project_id, permission_set_id)
            .map(|s| s.set.clone())
    }

    /// The permission set's members, in the order they were added.
    #[cfg(feature = "dataarts")]
    pub fn members(&self, project_id: &str, permission_set_id: &str) -> Vec<PermissionSetMember> {
        state::lock(&self.state)
            .dataarts
            .set(project_id, permission_set_id)
            .map(|s| s.members.clone())
            .unwrap_or_default()
    }

    /// A CodeArts project's members as `(user_id, role_id)`, sorted by user ID. A project the
    /// fake has seen has the caller, [`CALLER_USER_ID`], as its creator (role -1).
    #[cfg(feature = "projectman")]
    pub fn project_members(&self, project_id: &str) -> Vec<(String, i32)> {
        state::lock(&self.state)
            .projectman
            .projects
            .get(project_id)
            .map(|m| m.iter().map(|(u, r)| (u.clone(), *r)).collect())
            .unwrap_or_default()
    }

    /// The permission set's permissions, in the order they were added.
    #[cfg(feature = "dataarts")]
    pub fn permissions(
        &self,
        project_id: &str,
        permission_set_id: &str,
    ) -> Vec<PermissionSetPermission> {
        state::lock(&self.state)
            .dataarts
            .set(project_id, permission_set_id)
            .map(|s| s.permissions.clone())
            .unwrap_or_default()
    }

    /// How many requests the fake has answered, rejected ones included.
    pub fn request_count(&self) -> usize {
        state::lock(&self.state).requests
    }

    /// Queues `fault` for the next request to `operation` (the spec's `operationId`, e.g.
    /// `BatchAddMembersV4`). Faults for one operation are served in the order queued, one per
    /// request.
    ///
    /// ```no_run
    /// use huaweicloud_openapi::fake::{Fault, FakeServer};
    ///
    /// # async fn test() -> Result<(), Box<dyn std::error::Error>> {
    /// let fake = FakeServer::start().await?;
    /// fake.inject_fault("BatchAddMembersV4", Fault::error(429, "APIGW.0308", "throttled"))?;
    /// # Ok(()) }
    /// ```
    pub fn inject_fault(&self, operation: &str, fault: Fault) -> Result<(), Error> {
        check_operation(operation)?;
        state::lock(&self.state).faults.push(operation, fault);
        Ok(())
    }

    /// Delays every answer by `latency`, like a real service across a network.
    pub fn set_latency(&self, latency: std::time::Duration) {
        state::lock(&self.state).faults.latency = latency;
    }

    /// Keeps the last `capacity` requests for [`FakeServer::recorded_requests`] (default
    /// [`RECORDED_REQUESTS`]); 0 records nothing, for benchmarks that count memory.
    pub fn record_requests(&self, capacity: usize) {
        let mut s = state::lock(&self.state);
        s.faults.capacity = capacity;
        while s.faults.recorded.len() > capacity {
            s.faults.recorded.pop_front();
        }
    }

    /// The requests received so far (the last [`RECORDED_REQUESTS`] unless changed with
    /// [`FakeServer::record_requests`]), secrets redacted.
    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        state::lock(&self.state)
            .faults
            .recorded
            .iter()
            .cloned()
            .collect()
    }

    // Bad days: the gateway's rate limit, bursts of server errors, random transient faults.

    /// Throttles every operation of both services together as the API gateway does (see
    /// [`RateLimit`]: N calls per fixed window, then `429 APIGW.0308` without touching state);
    /// `None` removes the limit. Setting a limit starts a new window. A zero window is refused.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use huaweicloud_openapi::fake::{FakeServer, RateLimit};
    ///
    /// # async fn test() -> Result<(), Box<dyn std::error::Error>> {
    /// let fake = FakeServer::start().await?;
    /// fake.set_rate_limit(Some(RateLimit::new(50, Duration::from_secs(1))))?;
    /// // ... run the code under test ...
    /// println!("{} calls were throttled", fake.throttled_count());
    /// # Ok(()) }
    /// ```
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) -> Result<(), Error> {
        if limit.is_some_and(|l| l.window().is_zero()) {
            return Err(Error::InvalidRequest(
                "rate limit: window must be longer than zero".into(),
            ));
        }
        state::lock(&self.state).faults.set_rate_limit(limit);
        Ok(())
    }

    /// How many requests the rate limit has answered `429` so far.
    pub fn throttled_count(&self) -> usize {
        state::lock(&self.state).faults.throttled
    }

    /// How many requests were answered by an injected fault so far (queued with
    /// [`FakeServer::inject_fault`] or [`FakeServer::fail_next`], or drawn by random faults;
    /// a [`Fault::Delay`] counts too). Throttled requests are counted apart, by
    /// [`FakeServer::throttled_count`].
    pub fn fault_count(&self) -> usize {
        state::lock(&self.state).faults.faulted
    }

    /// A burst of server errors: the next `count` requests to `operation` are answered `500`
    /// with the service's error body ([`Fault::ServerError`]), before the operation runs, so
    /// they change nothing; later requests are served normally. Queued after any faults already
    /// queued for the operation.
    pub fn fail_next(&self, operation: &str, count: usize) -> Result<(), Error> {
        check_operation(operation)?;
        let mut s = state::lock(&self.state);
        for _ in 0..count {
            s.faults.push(operation, Fault::ServerError(500));
        }
        Ok(())
    }

    /// Random transient faults over every operation: about `faults`' share of requests is
    /// answered with its status (500 by default) instead of running, from a generator seeded
    /// by the test so runs repeat (when requests arrive in the same order). Queued faults are
    /// served first; an operation with its own setting
    /// ([`FakeServer::set_operation_random_faults`]) uses that instead. `None` turns them off.
    /// A share outside 0..=1 or a status outside 400..=599 is refused.
    ///
    /// ```no_run
    /// use huaweicloud_openapi::fake::{FakeServer, RandomFaults};
    ///
    /// # async fn test() -> Result<(), Box<dyn std::error::Error>> {
    /// let fake = FakeServer::start().await?;
    /// // 5 % of all requests fail with 503, the same ones on every run.
    /// fake.set_random_faults(Some(RandomFaults::new(0.05, 42).status(503)))?;
    /// # Ok(()) }
    /// ```
    pub fn set_random_faults(&self, faults: Option<RandomFaults>) -> Result<(), Error> {
        faults.as_ref().map(RandomFaults::check).transpose()?;
        state::lock(&self.state).faults.set_random(None, faults);
        Ok(())
    }

    /// Random transient faults for one operation only, replacing the shared setting of
    /// [`FakeServer::set_random_faults`] for it; `None` returns it to the shared setting.
    pub fn set_operation_random_faults(
        &self,
        operation: &str,
        faults: Option<RandomFaults>,
    ) -> Result<(), Error> {
        check_operation(operation)?;
        faults.as_ref().map(RandomFaults::check).transpose()?;
        state::lock(&self.state)
            .faults
            .set_random(Some(operation), faults);
        Ok(())
    }

    /// Stops the server and waits until it has.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Refuses an operation name the fake does not serve, naming it.
fn check_operation(operation: &str) -> Result<(), Error> {
    let known = OPERATION_TABLES
        .iter()
        .flat_map(|t| t.iter())
        .any(|op| op.name == operation);
    if known {
        Ok(())
    } else {
        Err(Error::InvalidRequest(format!(
            "the fake serves no operation {operation:?}"
        )))
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl std::fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .finish()
    }
}
