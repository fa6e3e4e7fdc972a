//! The fake CodeArts ProjectMan: project members and their roles, with real state. The caller
//! is the creator (role -1) of every project it touches.
//!
//! A project holds at most 1,000 members (the CodeArts Req constraints page): an add that would
//! pass the limit is refused whole with 400 and `PM.00000004` (a code the fake makes up; the
//! documents give none). What the documents say the batch add does quietly can be provoked:
//! [`FakeServer::set_known_users`] makes it skip user IDs it does not know, and
//! [`FakeServer::set_grantable_roles`] makes it give role 7 for a role the caller may not grant,
//! both without an error. [`FakeServer::shift_project_member_pages`] makes listings behave like
//! an offset list that changes while it is read.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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
    /// When set, the only user IDs the batch add accepts; it skips others without an error.
    known_users: Option<HashSet<String>>,
    /// When set, the roles the caller may grant; the batch add gives 7 for others.
    grantable: Option<BTreeSet<i32>>,
    /// Member-list pages still to answer as if the list had shifted (see
    /// [`FakeServer::shift_project_member_pages`]).
    shifted_pages: usize,
}

/// Members a project may have.
const MAX_MEMBERS: usize = 1_000;

impl super::FakeServer {
    /// Makes the ProjectMan batch add skip, without an error, every user ID not in `users` (the
    /// caller is always known), as the document says it does for incorrect user IDs; `None`
    /// accepts every well-formed ID again.
    pub fn set_known_users(&self, users: Option<Vec<String>>) {
        lock(&self.state).projectman.known_users = users.map(|u| u.into_iter().collect());
    }

    /// Makes the ProjectMan batch add give role 7 (participant), without an error, for any role
    /// not in `roles`, as the document says it does for a role beyond the caller's permission;
    /// `None` grants every role again.
    pub fn set_grantable_roles(&self, roles: Option<Vec<i32>>) {
        lock(&self.state).projectman.grantable = roles.map(|r| r.into_iter().collect());
    }

    /// Answers the next `pages` project member-list pages at an offset above 0 as if the list
    /// had shifted by one since the page before: each starts one member early, repeating the
    /// previous page's last member, and the list's last member is never listed (the total stays
    /// right). What an offset listing over a list that changes, or is sorted unstably, does.
    pub fn shift_project_member_pages(&self, pages: usize) {
        lock(&self.state).projectman.shifted_pages = pages;
    }
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
/// The project would have more than [`MAX_MEMBERS`] members (made up: the documents give none).
const TOO_MANY_MEMBERS: &str = "PM.00000004";

/// Refuses adding `new` members to `members` past the project's limit.
fn room_for(members: &BTreeMap<String, i32>, new: usize) -> Result<(), Rejection> {
    if members.len() + new > MAX_MEMBERS {
        return Err(bad(
            TOO_MANY_MEMBERS,
            format!(
                "a project has at most {MAX_MEMBERS} members; it has {} and {new} more were asked",
                members.len()
            ),
        ));
    }
    Ok(())
}

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
    let members = s.projectman.project(project_id);
    let user = String::from(request.user_id);
    if !members.contains_key(&user) {
        room_for(members, 1)?;
    }
    members.entry(user).or_insert(role);
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
    let pm = &mut s.projectman;
    if let Some(known) = &pm.known_users {
        accepted.retain(|(user, _)| user == FAKE_USER_ID || known.contains(user));
    }
    if let Some(grantable) = &pm.grantable {
        for (_, role) in &mut accepted {
            if !grantable.contains(role) {
                *role = DEFAULT_ROLE;
            }
        }
    }
    let members = pm.project(project);
    let new: HashSet<&String> = accepted
        .iter()
        .map(|(u, _)| u)
        .filter(|u| !members.contains_key(*u))
        .collect();
    room_for(members, new.len())?;
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
    let shift = offset > 0 && s.projectman.shifted_pages > 0;
    if shift {
        s.projectman.shifted_pages -= 1;
    }
    let members = s.projectman.project(project_id);
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    // A shifted page has the length the page should have, one member early.
    let length = usize::try_from(limit)
        .unwrap_or(0)
        .min(members.len().saturating_sub(offset));
    let page: Vec<ProjectMember> = members
        .iter()
        .skip(offset - usize::from(shift))
        .take(length)
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
