//! The fake's ECS/CCE metadata service: `PUT /meta-data/latest/api/token` and
//! `GET /openstack/latest/securitykey`, issuing a new temporary key at every request.

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, put},
    Json, Router,
};

use super::iam::{issue_key, FakeIam};

const SESSION_TOKEN: &str = "fake-metadata-session-token";

/// Handle on the fake metadata service: see [`super::FakeServer::metadata`]. Point a
/// [`crate::auth::MetadataProvider`] at [`super::FakeServer::endpoint`].
#[derive(Clone)]
pub struct FakeMetadata(Arc<Mutex<MetadataState>>, FakeIam);

struct MetadataState {
    lifetime: Duration,
    key_requests: usize,
    no_agency: bool,
    /// Status of the session-token PUT: 200 issues one (then required), else that status.
    session_status: StatusCode,
}

impl FakeMetadata {
    pub(super) fn new(iam: FakeIam) -> Self {
        FakeMetadata(
            Arc::new(Mutex::new(MetadataState {
                lifetime: Duration::from_secs(24 * 3600),
                key_requests: 0,
                no_agency: false,
                session_status: StatusCode::OK,
            })),
            iam,
        )
    }

    fn lock(&self) -> MutexGuard<'_, MetadataState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long the keys issued from now on live (default 24 hours).
    pub fn set_key_lifetime(&self, lifetime: Duration) {
        self.lock().lifetime = lifetime;
    }

    /// How many security-key requests the fake has answered.
    pub fn key_requests(&self) -> usize {
        self.lock().key_requests
    }

    /// Answers 401 "configure Cloud Service Agency first", as an instance without an agency.
    pub fn set_no_agency(&self, no_agency: bool) {
        self.lock().no_agency = no_agency;
    }

    /// The status of the session-token PUT: 200 (default) issues a token, 400 is CCE's answer,
    /// 404 an older service's.
    pub fn set_session_token_status(&self, status: u16) {
        self.lock().session_status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    }
}

pub(super) fn router(metadata: FakeMetadata) -> Router {
    Router::new()
        .route("/meta-data/latest/api/token", put(session_token))
        .route("/openstack/latest/securitykey", get(security_key))
        .with_state(metadata)
}

async fn session_token(State(m): State<FakeMetadata>) -> Response {
    let status = m.lock().session_status;
    if status == StatusCode::OK {
        SESSION_TOKEN.into_response()
    } else {
        (status, "session tokens are not supported here").into_response()
    }
}

async fn security_key(State(m): State<FakeMetadata>, headers: HeaderMap) -> Response {
    let (lifetime, no_agency, session) = {
        let mut s = m.lock();
        s.key_requests += 1;
        (s.lifetime, s.no_agency, s.session_status)
    };
    if no_agency {
        return (
            StatusCode::UNAUTHORIZED,
            "{\"error\": \"Please configure Cloud Service Agency first\"}",
        )
            .into_response();
    }
    let token = headers
        .get("x-metadata-token")
        .and_then(|v| v.to_str().ok());
    if session == StatusCode::OK && token != Some(SESSION_TOKEN) {
        return (
            StatusCode::UNAUTHORIZED,
            "invalid or missing X-Metadata-Token",
        )
            .into_response();
    }
    let answer = issue_key(&mut m.1.lock(), lifetime);
    (StatusCode::OK, Json(answer)).into_response()
}
