//! The fake's HTTP side: routes, checks, and the four operations.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, Request, State as Shared},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Json, Router,
};
use serde_json::{json, Value};

use super::state::{lock, State, FAKE_USER, INSTANCE_ID};
use crate::{
    auth::signer,
    dataarts::types::{
        BatchCreatePermissionSetMembersRequestBody, MemberOrderBy, MemberType, PermissionSetMember,
        PermissionSetMemberList, UpdatePermissionSetRequestBody,
    },
};

pub(super) type AppState = Arc<Mutex<State>>;
type Reply = Result<Response, Rejection>;

/// A documented error answer: status plus `{"error_code", "error_msg"}`.
pub(super) struct Rejection {
    status: StatusCode,
    code: &'static str,
    msg: String,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error_code": self.code, "error_msg": self.msg})),
        )
            .into_response()
    }
}

pub(super) fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/{project_id}/security/permission-sets/{permission_set_id}/members/batch-create",
            post(batch_create),
        )
        .route(
            "/v1/{project_id}/security/permission-sets/{permission_set_id}/members",
            get(list_members),
        )
        .route(
            "/v1/{project_id}/security/permission-sets/{permission_set_id}",
            put(update_set),
        )
        .route(
            "/v4/projects/{project_id}/members",
            post(batch_add_project_members),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::faults::inject,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), count_and_tag))
        .with_state(state)
}

/// Counts every request and gives every answer an `X-Request-Id`, like the real gateway.
async fn count_and_tag(Shared(state): Shared<AppState>, request: Request, next: Next) -> Response {
    let id = {
        let mut s = lock(&state);
        s.requests += 1;
        s.new_id()
    };
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn error(status: StatusCode, code: &'static str, msg: impl Into<String>) -> Rejection {
    Rejection {
        status,
        code,
        msg: msg.into(),
    }
}

fn bad(code: &'static str, msg: impl Into<String>) -> Rejection {
    error(StatusCode::BAD_REQUEST, code, msg)
}

fn unauthorized(why: &str) -> Rejection {
    error(
        StatusCode::UNAUTHORIZED,
        "APIGW.0301",
        format!("Incorrect IAM authentication information: {why}"),
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Accepts an IAM token, or an `SDK-HMAC-SHA256` signature that is well formed (and valid, when
/// the fake knows the key pair).
fn authenticate(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Rejection> {
    if header(headers, "x-auth-token").is_some_and(|t| !t.trim().is_empty()) {
        return Ok(());
    }
    let Some(auth) = header(headers, "authorization") else {
        return Err(unauthorized("no X-Auth-Token and no Authorization header"));
    };
    let date = header(headers, "x-sdk-date").unwrap_or_default();
    let date_ok = date.len() == 16
        && date.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !date_ok {
        return Err(unauthorized(
            "X-Sdk-Date is missing or not YYYYMMDDTHHMMSSZ",
        ));
    }
    let Some(rest) = auth.strip_prefix("SDK-HMAC-SHA256 Access=") else {
        return Err(unauthorized("unsupported Authorization scheme"));
    };
    let mut parts = rest.split(", ");
    let (Some(ak), Some(signed), Some(signature), None) = (
        parts.next(),
        parts.next().and_then(|p| p.strip_prefix("SignedHeaders=")),
        parts.next().and_then(|p| p.strip_prefix("Signature=")),
        parts.next(),
    ) else {
        return Err(unauthorized("malformed Authorization header"));
    };
    let names: Vec<&str> = signed.split(';').collect();
    let well_formed = !ak.is_empty()
        && names.contains(&"host")
        && names.contains(&"x-sdk-date")
        && signature.len() == 64
        && signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(unauthorized("malformed signature"));
    }
    let key = lock(state).key.clone();
    let Some((known_ak, sk)) = key else {
        return Ok(());
    };
    if ak != known_ak {
        return Err(unauthorized("unknown access key"));
    }
    let mut signed_headers = Vec::new();
    for name in &names {
        match header(headers, name) {
            Some(v) => signed_headers.push((name.to_string(), v.to_string())),
            None => return Err(unauthorized("a signed header is missing")),
        }
    }
    let query: Vec<(String, String)> = uri.query().map(url_pairs).unwrap_or_default();
    let host = header(headers, "host").unwrap_or_default();
    let input = signer::SigningInput {
        method: method.as_str(),
        host,
        path: uri.path(),
        query: &query,
        headers: &signed_headers,
        body,
    };
    let expected = signer::sign(&input, &known_ak, sk.as_bytes(), date);
    if expected.authorization == auth {
        Ok(())
    } else {
        Err(unauthorized("the signature does not match"))
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://fake/?{query}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn workspace(headers: &HeaderMap) -> Result<String, Rejection> {
    match header(headers, "workspace").map(str::trim) {
        Some(w) if !w.is_empty() => Ok(w.to_string()),
        _ => Err(bad("DLS.1000", "the workspace header is required")),
    }
}

fn unknown_set(id: &str) -> Rejection {
    bad("DLS.1004", format!("permission set {id} does not exist"))
}

async fn batch_create(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    authenticate(&state, &method, &uri, &headers, &body)?;
    let workspace = workspace(&headers)?;
    let request: BatchCreatePermissionSetMembersRequestBody =
        serde_json::from_slice(&body).map_err(|e| bad("DLS.1001", format!("invalid body: {e}")))?;
    for m in &request.members {
        if m.member_type.is_none() {
            return Err(bad("DLS.1001", "member_type is required"));
        }
        if m.member_id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(bad("DLS.1001", "member_id is required"));
        }
    }
    let mut s = lock(&state);
    if s.set(&project_id, &set_id).is_none() {
        return Err(unknown_set(&set_id));
    }
    for m in request.members {
        let Some(member_id) = m.member_id.clone() else {
            continue;
        };
        let fresh = s
            .set(&project_id, &set_id)
            .is_some_and(|set| !set.member_ids.contains(&member_id));
        if !fresh {
            continue;
        }
        let member = PermissionSetMember {
            id: Some(s.new_id()),
            permission_set_id: Some(set_id.clone()),
            project_id: Some(project_id.clone()),
            instance_id: Some(INSTANCE_ID.into()),
            member_type: m.member_type.map(|t| t.to_string()),
            member_id: m.member_id,
            member_name: m.member_name,
            member_status: Some("NORMAL".into()),
            workspace: m.workspace.or_else(|| Some(workspace.clone())),
            create_time: Some(s.now_ms()),
            create_user: Some(FAKE_USER.into()),
            ..Default::default()
        };
        if let Some(set) = s.set_mut(&project_id, &set_id) {
            set.member_ids.insert(member_id);
            set.members.push(member);
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Parses the list query the way the service documents it.
struct ListQuery {
    limit: usize,
    offset: usize,
    member_name: Option<String>,
    member_type: Option<MemberType>,
    order_by: Option<MemberOrderBy>,
    ascending: bool,
}

fn list_query(raw: Option<&str>) -> Result<ListQuery, Rejection> {
    let pairs: HashMap<String, String> =
        raw.map(url_pairs).unwrap_or_default().into_iter().collect();
    let invalid = |name: &str, value: &str| bad("DLS.1002", format!("invalid {name}: {value:?}"));
    let number = |name: &str, default: usize, min: usize| match pairs.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= min as i64 && n <= i64::from(i32::MAX) => Ok(n as usize),
            _ => Err(invalid(name, v)),
        },
    };
    Ok(ListQuery {
        limit: number("limit", 10, 1)?,
        offset: number("offset", 0, 0)?,
        member_name: pairs.get("member_name").cloned(),
        member_type: match pairs.get("member_type") {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| invalid("member_type", v))?),
        },
        order_by: match pairs.get("order_by") {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| invalid("order_by", v))?),
        },
        ascending: match pairs.get("order_by_asc").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(v) => return Err(invalid("order_by_asc", v)),
        },
    })
}

async fn list_members(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Reply {
    authenticate(&state, &method, &uri, &headers, &[])?;
    workspace(&headers)?;
    let q = list_query(raw.as_deref())?;
    let s = lock(&state);
    let Some(set) = s.set(&project_id, &set_id) else {
        return Err(unknown_set(&set_id));
    };
    let matches = |m: &&PermissionSetMember| {
        let name_ok = q
            .member_name
            .as_deref()
            .is_none_or(|name| m.member_name.as_deref().is_some_and(|n| n.contains(name)));
        let type_ok = q
            .member_type
            .is_none_or(|t| m.member_type.as_deref() == Some(t.to_string().as_str()));
        name_ok && type_ok
    };
    // Unsorted lists are paged straight off the stored order, so a page costs memory in
    // proportion to the page, not to the whole list (the pagination benchmark relies on it).
    let (total, page): (usize, Vec<PermissionSetMember>) = match q.order_by {
        None => (
            set.members.iter().filter(matches).count(),
            set.members
                .iter()
                .filter(matches)
                .skip(q.offset)
                .take(q.limit)
                .cloned()
                .collect(),
        ),
        Some(order) => {
            let mut matching: Vec<&PermissionSetMember> =
                set.members.iter().filter(matches).collect();
            match order {
                MemberOrderBy::CreateTime => matching.sort_by_key(|m| m.create_time),
                MemberOrderBy::MemberName => matching.sort_by(|a, b| {
                    a.member_name
                        .cmp(&b.member_name)
                        .then(a.create_time.cmp(&b.create_time))
                }),
            }
            if !q.ascending {
                matching.reverse();
            }
            let total = matching.len();
            let page = matching
                .into_iter()
                .skip(q.offset)
                .take(q.limit)
                .cloned()
                .collect();
            (total, page)
        }
    };
    Ok(Json(PermissionSetMemberList {
        total: Some(i32::try_from(total).unwrap_or(i32::MAX)),
        permission_set_members: Some(page),
    })
    .into_response())
}

async fn update_set(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    authenticate(&state, &method, &uri, &headers, &body)?;
    workspace(&headers)?;
    let update: UpdatePermissionSetRequestBody =
        serde_json::from_slice(&body).map_err(|e| bad("DLS.1001", format!("invalid body: {e}")))?;
    let mut s = lock(&state);
    let now = s.now_ms();
    let Some(entry) = s.set_mut(&project_id, &set_id) else {
        return Err(unknown_set(&set_id));
    };
    let set = &mut entry.set;
    let replace = |field: &mut Option<String>, value: Option<String>| {
        if value.is_some() {
            *field = value;
        }
    };
    replace(&mut set.name, update.name);
    replace(&mut set.parent_id, update.parent_id);
    replace(&mut set.description, update.description);
    replace(&mut set.type_, update.type_.map(|t| t.to_string()));
    replace(&mut set.managed_cluster_id, update.managed_cluster_id);
    replace(&mut set.managed_cluster_name, update.managed_cluster_name);
    replace(&mut set.manager_id, update.manager_id);
    replace(&mut set.manager_name, update.manager_name);
    replace(
        &mut set.manager_type,
        update.manager_type.map(|t| t.to_string()),
    );
    set.update_time = Some(now);
    set.update_user = Some(FAKE_USER.into());
    Ok(Json(set.clone()).into_response())
}

fn is_codearts_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

async fn batch_add_project_members(
    Shared(state): Shared<AppState>,
    Path(project_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    authenticate(&state, &method, &uri, &headers, &body)?;
    if !is_codearts_id(&project_id) {
        return Err(bad("PM.0002", "project_id must be 32 letters and digits"));
    }
    let invalid = |why: &str| bad("PM.0001", format!("invalid body: {why}"));
    let body: Value = serde_json::from_slice(&body).map_err(|e| invalid(&e.to_string()))?;
    let Some(users) = body.get("users").and_then(Value::as_array) else {
        return Err(invalid("users is required and must be an array"));
    };
    let mut accepted = Vec::new();
    for user in users {
        let Some(user) = user.as_object() else {
            return Err(invalid("each user must be an object"));
        };
        let Some(user_id) = user.get("user_id").and_then(Value::as_str) else {
            return Err(invalid("user_id is required and must be a string"));
        };
        let role = match user.get("role_id") {
            None | Some(Value::Null) => 7,
            Some(v) => match v.as_i64() {
                Some(-1) => 7,
                Some(r @ 3..=9) => r as i32,
                _ => return Err(invalid("role_id must be one of -1, 3, 4, 5, 6, 7, 8, 9")),
            },
        };
        if is_codearts_id(user_id) {
            accepted.push((user_id.to_string(), role));
        }
    }
    lock(&state)
        .projects
        .entry(project_id)
        .or_default()
        .extend(accepted);
    Ok(StatusCode::NO_CONTENT.into_response())
}
