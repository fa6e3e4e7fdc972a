//! The fake CodeArts ProjectMan: project members and their roles, with real state. The caller
//! is the creator (role -1) of every project it touches.

use std::collections::{BTreeMap, HashMap};

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State as Shared},
    http::StatusCode,
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};

use super::{
    gate::{bad, parse_body, Query, Rejection, Reply},
    state::{lock, AppState, FAKE_DOMAIN_ID, FAKE_DOMAIN_NAME, FAKE_USER, FAKE_USER_ID},
};
use serde_json::Value;

use crate::projectman::types::{
    AddMemberV4RequestBody, BatchDeleteMembersV4RequestBody, CurrentUser, CurrentUserRole,
    ProjectMember, ProjectMemberList, UpdateMembersRoleV4RequestBody,
};
use crate::projectman::Role;

/// The project creator's role; it cannot be granted, changed or removed.
pub(super) const CREATOR: i32 = -1;
/// What a member gets when no role (or the creator's) is asked for: participant.
const DEFAULT_ROLE: i32 = 7;

/// Members of CodeArts projects: project ID -> user ID -> role ID.
#[derive(Default)]
pub(super) struct ProjectManState {
    pub projects: HashMap<String, BTreeMap<String, i32>>,
}

impl ProjectManState {
    /// The project's members, the caller as its creator when it is new.
    fn project(&mut self, project_id: &str) -> &mut BTreeMap<String, i32> {
        self.projects
            .entry(project_id.to_owned())
            .or_insert_with(|| BTreeMap::from([(FAKE_USER_ID.to_owned(), CREATOR)]))
    }
}

/// A parameter or body the service rejects.
const INVALID: &str = "PM.00000001";
/// The CodeArts project ID is not 32 letters and digits.
const BAD_PROJECT: &str = "PM.00000002";
/// A change the project creator's role forbids.
const CREATOR_RULE: &str = "PM.00000003";

/// Checks the path's CodeArts project ID, as the service does before anything else.
fn project_id(id: &str) -> Result<&str, Rejection> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(bad(BAD_PROJECT, "project_id must be 32 letters and digits"))
    }
}

fn role_name(role: i32) -> &'static str {
    match role {
        -1 => "project creator",
        3 => "project manager",
        4 => "developer",
        5 => "test manager",
        6 => "tester",
        7 => "participant",
        8 => "viewer",
        9 => "O&M manager",
        10 => "product manager",
        11 => "system engineer",
        _ => "unknown",
    }
}

/// The role a member gets for a requested one: the creator's role cannot be granted.
fn granted(role: Option<i32>) -> i32 {
    match role {
        None | Some(CREATOR) => DEFAULT_ROLE,
        Some(r) => r,
    }
}

pub(super) fn router() -> Router<AppState> {
    let project = "/v4/projects/{project_id}";
    Router::new()
        .route(&format!("{project}/member"), post(add_member))
        .route(
            &format!("{project}/members"),
            post(batch_add).get(list_members).delete(batch_delete),
        )
        .route(&format!("{project}/members/role"), post(update_roles))
        .route(&format!("{project}/user-role"), get(own_role))
        .route("/v4/user", get(own_user))
}

fn no_content() -> Reply {
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn add_member(
    Shared(state): Shared<AppState>,
    Path(project): Path<String>,
    body: Bytes,
) -> Reply {
    let project_id = project_id(&project)?;
    let request: AddMemberV4RequestBody = parse_body(INVALID, &body)?;
    let role = granted(request.role_id.map(|r| *r));
    let mut s = lock(&state);
    s.projectman
        .project(project_id)
        .entry(String::from(request.user_id))
        .or_insert(role);
    no_content()
}

async fn batch_add(
    Shared(state): Shared<AppState>,
    Path(project): Path<String>,
    body: Bytes,
) -> Reply {
    let project = project_id(&project)?;
    // Read as JSON, not as the generated request type: the document says user IDs that are not
    // valid are skipped, not rejected.
    let body: Value = parse_body(INVALID, &body)?;
    let Some(users) = body.get("users").and_then(Value::as_array) else {
        return Err(bad(INVALID, "users is required and must be an array"));
    };
    if users.is_empty() || users.len() > 50 {
        return Err(bad(INVALID, "users must hold 1 to 50 users"));
    }
    let mut accepted = Vec::new();
    for user in users {
        let Some(user_id) = user.get("user_id").and_then(Value::as_str) else {
            return Err(bad(INVALID, "user_id is required and must be a string"));
        };
        let role = match user.get("role_id") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64().and_then(|r| i32::try_from(r).ok()) {
                // The spec's RoleId values, -1 and 3 to 11.
                Some(r) if Role::from_value(r.into()).is_some() => Some(r),
                _ => {
                    return Err(bad(
                        INVALID,
                        "role_id must be one of -1, 3, 4, 5, 6, 7, 8, 9, 10, 11",
                    ))
                }
            },
        };
        if project_id(user_id).is_ok() {
            accepted.push((user_id.to_owned(), granted(role)));
        }
    }
    let mut s = lock(&state);
    let members = s.projectman.project(project);
    for (user_id, role) in accepted {
        let entry = members.entry(user_id).or_insert(role);
        if *entry != CREATOR {
            *entry = role;
        }
    }
    no_content()
}

async fn list_members(
    Shared(state): Shared<AppState>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let project_id = project_id(&project)?;
    let q = Query::parse(raw.as_deref());
    let limit = q.number(INVALID, "limit", 100, 1, 100)?;
    let offset = q.number(INVALID, "offset", 0, 0, 10_000)?;
    if offset % limit != 0 {
        return Err(bad(INVALID, "offset must be a multiple of limit"));
    }
    let mut s = lock(&state);
    let members = s.projectman.project(project_id);
    let page: Vec<ProjectMember> = members
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|(user_id, role)| ProjectMember {
            domain_id: Some(FAKE_DOMAIN_ID.into()),
            domain_name: Some(FAKE_DOMAIN_NAME.into()),
            user_id: Some(user_id.clone()),
            user_name: Some(if user_id == FAKE_USER_ID {
                FAKE_USER.into()
            } else {
                format!("user_{}", &user_id[..8.min(user_id.len())])
            }),
            role_id: Some(*role),
            role_name: Some(role_name(*role).into()),
            ..Default::default()
        })
        .collect();
    Ok(Json(ProjectMemberList {
        total: Some(i32::try_from(members.len()).unwrap_or(i32::MAX)),
        members: Some(page),
    })
    .into_response())
}

fn user_ids(ids: Vec<impl Into<String>>) -> Result<Vec<String>, Rejection> {
    if ids.is_empty() || ids.len() > 50 {
        return Err(bad(INVALID, "user_ids must hold 1 to 50 users"));
    }
    Ok(ids.into_iter().map(Into::into).collect())
}

async fn batch_delete(
    Shared(state): Shared<AppState>,
    Path(project): Path<String>,
    body: Bytes,
) -> Reply {
    let project_id = project_id(&project)?;
    let request: BatchDeleteMembersV4RequestBody = parse_body(INVALID, &body)?;
    let ids = user_ids(request.user_ids)?;
    let mut s = lock(&state);
    let members = s.projectman.project(project_id);
    if ids.iter().any(|id| members.get(id) == Some(&CREATOR)) {
        return Err(bad(CREATOR_RULE, "the project creator cannot be removed"));
    }
    for id in ids {
        members.remove(&id);
    }
    no_content()
}

async fn update_roles(
    Shared(state): Shared<AppState>,
    Path(project): Path<String>,
    body: Bytes,
) -> Reply {
    let project_id = project_id(&project)?;
    let request: UpdateMembersRoleV4RequestBody = parse_body(INVALID, &body)?;
    let role = *request.role_id;
    if role == CREATOR {
        return Err(bad(
            CREATOR_RULE,
            "the project creator role cannot be granted",
        ));
    }
    let ids = user_ids(request.user_ids)?;
    let mut s = lock(&state);
    let members = s.projectman.project(project_id);
    if ids.iter().any(|id| members.get(id) == Some(&CREATOR)) {
        return Err(bad(
            CREATOR_RULE,
            "the project creator's role cannot change",
        ));
    }
    for id in ids {
        if let Some(entry) = members.get_mut(&id) {
            *entry = role;
        }
    }
    no_content()
}

async fn own_role(Shared(state): Shared<AppState>, Path(project): Path<String>) -> Reply {
    let project_id = project_id(&project)?;
    let mut s = lock(&state);
    let role = s.projectman.project(project_id).get(FAKE_USER_ID).copied();
    Ok(Json(CurrentUserRole { user_role: role }).into_response())
}

async fn own_user() -> Reply {
    Ok(Json(CurrentUser {
        domain_id: Some(FAKE_DOMAIN_ID.into()),
        domain_name: Some(FAKE_DOMAIN_NAME.into()),
        user_id: Some(FAKE_USER_ID.into()),
        user_name: Some(FAKE_USER.into()),
        nick_name: Some(FAKE_USER.into()),
        ..Default::default()
    })
    .into_response())
}
