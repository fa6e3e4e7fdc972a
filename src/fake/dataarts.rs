//! The fake DataArts Security: permission sets, their members and permissions, and the
//! data-source helpers, with real state. [`FakeServer::shift_permission_set_member_pages`] makes
//! member listings behave like an offset list that changes while it is read.

use std::collections::{HashMap, HashSet};

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State as Shared},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post, put},
    Json, Router,
};

use super::{
    gate::{bad, header, page, parse_body, Query, Rejection, Reply},
    state::{lock, AppState, State, FAKE_DOMAIN_ID, FAKE_USER, INSTANCE_ID},
};
use crate::dataarts::types::{
    BatchCreatePermissionSetMembersRequestBody, BatchDeleteRequestBody,
    CreatePermissionRequestBody, CreatePermissionSetMemberRequestBody,
    CreatePermissionSetRequestBody, DatasourceConfiguration, DatasourceConfigurationList,
    DatasourceType, DatasourceUrl, DatasourceUrlList, ManagerType, MemberOrderBy, MemberType,
    PermissionAction, PermissionActionList, PermissionOrderBy, PermissionSet, PermissionSetList,
    PermissionSetMember, PermissionSetMemberList, PermissionSetOrderBy, PermissionSetPermission,
    PermissionSetPermissionList, PermissionSetTypeFilter, PermissionType, RoleActionQuery,
    SyncStatus, UpdatePermissionRequestBody, UpdatePermissionSetRequestBody,
};

/// One permission set and everything in it.
pub(super) struct SetState {
    pub set: PermissionSet,
    pub members: Vec<PermissionSetMember>,
    /// Member IDs already in `members`, so adding stays O(1) per member at any size.
    pub member_ids: HashSet<String>,
    pub permissions: Vec<PermissionSetPermission>,
}

/// Permission sets by (IAM project ID, permission set ID).
#[derive(Default)]
pub(super) struct DataArtsState {
    pub sets: HashMap<(String, String), SetState>,
    /// Member-list pages still to answer as if the list had shifted.
    shifted_pages: usize,
}

impl super::FakeServer {
    /// Answers the next `pages` permission set member-list pages at an offset above 0 as if the
    /// list had shifted by one since the page before: each starts one member early, repeating
    /// the previous page's last member, and the list's last member is never listed (the total
    /// stays right). What an offset listing over a list that changes, or is sorted unstably,
    /// does.
    pub fn shift_permission_set_member_pages(&self, pages: usize) {
        lock(&self.state).dataarts.shifted_pages = pages;
    }
}

impl DataArtsState {
    pub fn set(&self, project_id: &str, id: &str) -> Option<&SetState> {
        self.sets.get(&(project_id.to_owned(), id.to_owned()))
    }

    fn set_mut(&mut self, project_id: &str, id: &str) -> Result<&mut SetState, Rejection> {
        self.sets
            .get_mut(&(project_id.to_owned(), id.to_owned()))
            .ok_or_else(|| unknown_set(id))
    }
}

impl State {
    /// Adds (or renames) a top-level permission set.
    pub fn seed_permission_set(&mut self, project_id: &str, id: &str, name: &str) {
        let now = self.now_ms();
        let key = (project_id.to_owned(), id.to_owned());
        let entry = self.dataarts.sets.entry(key).or_insert_with(|| SetState {
            set: new_set(project_id, id, now),
            members: Vec::new(),
            member_ids: HashSet::new(),
            permissions: Vec::new(),
        });
        entry.set.name = Some(name.into());
        entry.set.update_time = Some(now);
        entry.set.update_user = Some(FAKE_USER.into());
    }
}

fn new_set(project_id: &str, id: &str, now: i64) -> PermissionSet {
    PermissionSet {
        id: Some(id.into()),
        parent_id: Some("0".into()),
        project_id: Some(project_id.into()),
        domain_id: Some(FAKE_DOMAIN_ID.into()),
        instance_id: Some(INSTANCE_ID.into()),
        type_: Some("COMMON".into()),
        sync_status: Some("NOT_SYNC".into()),
        create_time: Some(now),
        create_user: Some(FAKE_USER.into()),
        update_time: Some(now),
        update_user: Some(FAKE_USER.into()),
        ..Default::default()
    }
}

const INVALID_BODY: &str = "DLS.1001";
const INVALID_QUERY: &str = "DLS.1002";

fn unknown_set(id: &str) -> Rejection {
    bad("DLS.1004", format!("permission set {id} does not exist"))
}

pub(super) fn router() -> Router<AppState> {
    let sets = "/v1/{project_id}/security/permission-sets";
    let set = "/v1/{project_id}/security/permission-sets/{permission_set_id}";
    Router::new()
        .route(sets, post(create_set).get(list_sets))
        .route(set, get(show_set).put(update_set).delete(delete_set))
        .route(
            &format!("{set}/members"),
            post(create_member).get(list_members),
        )
        .route(&format!("{set}/members/batch-create"), post(batch_create))
        .route(&format!("{set}/members/batch-delete"), post(batch_delete))
        .route(
            &format!("{set}/permissions"),
            get(list_permissions).post(create_permission),
        )
        .route(
            &format!("{set}/permissions/{{permission_id}}"),
            put(update_permission),
        )
        .route(
            &format!("{set}/permissions/batch-append"),
            post(batch_append_permissions),
        )
        .route(
            &format!("{set}/permissions/batch-delete"),
            post(batch_delete_permissions),
        )
        .route(&format!("{sets}/datasource/actions"), get(actions))
        .route(
            &format!("{sets}/datasource/configurations"),
            get(configurations),
        )
        .route(&format!("{sets}/datasource/urls"), get(urls))
        .route(
            &format!("{sets}/datasource/role/batch-actions"),
            post(role_actions),
        )
}

fn json<T: serde::Serialize>(value: T) -> Reply {
    Ok(Json(value).into_response())
}

fn no_content() -> Reply {
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn total(n: usize) -> Option<i32> {
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

fn text<T: Into<String>>(value: Option<T>) -> Option<String> {
    value.map(Into::into)
}

async fn create_set(
    Shared(state): Shared<AppState>,
    Path(project_id): Path<String>,
    body: Bytes,
) -> Reply {
    let request: CreatePermissionSetRequestBody = parse_body(INVALID_BODY, &body)?;
    let Some(name) = text(request.name) else {
        return Err(bad(INVALID_BODY, "name is required"));
    };
    let parent = text(request.parent_id).unwrap_or_else(|| "0".into());
    let mut s = lock(&state);
    if parent != "0" && s.dataarts.set(&project_id, &parent).is_none() {
        return Err(unknown_set(&parent));
    }
    let id = s.new_id();
    let now = s.now_ms();
    let mut set = new_set(&project_id, &id, now);
    set.name = Some(name);
    set.parent_id = Some(parent);
    set.description = text(request.description);
    set.type_ = request.type_.map(|t| t.to_string()).or(set.type_);
    set.managed_cluster_id = text(request.managed_cluster_id);
    set.managed_cluster_name = text(request.managed_cluster_name);
    set.manager_id = text(request.manager_id);
    set.manager_name = text(request.manager_name);
    set.manager_type = request.manager_type.map(|t| t.to_string());
    s.dataarts.sets.insert(
        (project_id, id),
        SetState {
            set: set.clone(),
            members: Vec::new(),
            member_ids: HashSet::new(),
            permissions: Vec::new(),
        },
    );
    json(set)
}

async fn list_sets(
    Shared(state): Shared<AppState>,
    Path(project_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let q = Query::parse(raw.as_deref());
    let limit = q.number(INVALID_QUERY, "limit", 10, 0, 100)?;
    let offset = q.number(INVALID_QUERY, "offset", 0, 0, i64::from(i32::MAX))?;
    let levels: Option<PermissionSetTypeFilter> = q.parsed(INVALID_QUERY, "type_filter")?;
    let manager_type: Option<ManagerType> = q.parsed(INVALID_QUERY, "manager_type")?;
    let datasource: Option<DatasourceType> = q.parsed(INVALID_QUERY, "datasource_type")?;
    let sync: Option<SyncStatus> = q.parsed(INVALID_QUERY, "sync_status")?;
    let order: Option<PermissionSetOrderBy> = q.parsed(INVALID_QUERY, "order_by")?;
    let ascending = q.flag(INVALID_QUERY, "order_by_asc")?;
    let same = |field: &Option<String>, wanted: Option<&str>| {
        wanted.is_none_or(|w| field.as_deref() == Some(w))
    };
    let s = lock(&state);
    let mut matching: Vec<&PermissionSet> = s
        .dataarts
        .sets
        .iter()
        .filter(|((p, _), _)| *p == project_id)
        .map(|(_, entry)| &entry.set)
        .filter(|set| {
            let top = set.parent_id.as_deref() == Some("0");
            let level_ok = match levels {
                Some(PermissionSetTypeFilter::TopPermissionSet) => top,
                Some(PermissionSetTypeFilter::SubPermissionSet) => !top,
                _ => true,
            };
            level_ok
                && q.text("name")
                    .is_none_or(|n| set.name.as_deref().is_some_and(|name| name.contains(n)))
                && same(&set.parent_id, q.text("parent_id"))
                && same(&set.manager_id, q.text("manager_id"))
                && same(&set.manager_name, q.text("manager_name"))
                && same(
                    &set.manager_type,
                    manager_type.map(|t| t.to_string()).as_deref(),
                )
                && same(
                    &set.datasource_type,
                    datasource.map(|t| t.to_string()).as_deref(),
                )
                && same(&set.sync_status, sync.map(|t| t.to_string()).as_deref())
        })
        .collect();
    matching.sort_by_key(|set| set.create_time);
    if let Some(order) = order {
        match order {
            PermissionSetOrderBy::Name => matching.sort_by(|a, b| a.name.cmp(&b.name)),
            PermissionSetOrderBy::CreateTime => matching.sort_by_key(|set| set.create_time),
            PermissionSetOrderBy::UpdateTime => matching.sort_by_key(|set| set.update_time),
        }
        if !ascending {
            matching.reverse();
        }
    }
    json(PermissionSetList {
        total: total(matching.len()),
        permission_sets: Some(
            page(&matching, offset, limit)
                .into_iter()
                .cloned()
                .collect(),
        ),
    })
}

async fn show_set(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
) -> Reply {
    let s = lock(&state);
    let entry = s
        .dataarts
        .set(&project_id, &set_id)
        .ok_or_else(|| unknown_set(&set_id))?;
    json(entry.set.clone())
}

async fn update_set(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let update: UpdatePermissionSetRequestBody = parse_body(INVALID_BODY, &body)?;
    let mut s = lock(&state);
    let now = s.now_ms();
    let set = &mut s.dataarts.set_mut(&project_id, &set_id)?.set;
    let replace = |field: &mut Option<String>, value: Option<String>| {
        if value.is_some() {
            *field = value;
        }
    };
    replace(&mut set.name, text(update.name));
    replace(&mut set.parent_id, text(update.parent_id));
    replace(&mut set.description, text(update.description));
    replace(&mut set.type_, update.type_.map(|t| t.to_string()));
    replace(&mut set.managed_cluster_id, text(update.managed_cluster_id));
    replace(
        &mut set.managed_cluster_name,
        text(update.managed_cluster_name),
    );
    replace(&mut set.manager_id, text(update.manager_id));
    replace(&mut set.manager_name, text(update.manager_name));
    replace(
        &mut set.manager_type,
        update.manager_type.map(|t| t.to_string()),
    );
    set.update_time = Some(now);
    set.update_user = Some(FAKE_USER.into());
    json(set.clone())
}

async fn delete_set(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
) -> Reply {
    let mut s = lock(&state);
    s.dataarts.set_mut(&project_id, &set_id)?;
    let has_children = s.dataarts.sets.iter().any(|((p, _), entry)| {
        *p == project_id && entry.set.parent_id.as_deref() == Some(set_id.as_str())
    });
    if has_children {
        return Err(bad(
            "DLS.1005",
            format!("permission set {set_id} has child permission sets; delete them first"),
        ));
    }
    // Its members and permissions go with it.
    s.dataarts.sets.remove(&(project_id, set_id));
    no_content()
}

/// Adds one member unless its ID is already in the set; returns it either way.
fn add_member(
    s: &mut State,
    project_id: &str,
    set_id: &str,
    member_type: Option<MemberType>,
    member_id: String,
    member_name: Option<String>,
    workspace: String,
) -> Result<PermissionSetMember, Rejection> {
    let id = s.new_id();
    let now = s.now_ms();
    let entry = s.dataarts.set_mut(project_id, set_id)?;
    if entry.member_ids.contains(&member_id) {
        if let Some(existing) = entry
            .members
            .iter()
            .find(|m| m.member_id.as_deref() == Some(member_id.as_str()))
        {
            return Ok(existing.clone());
        }
    }
    let member = PermissionSetMember {
        id: Some(id),
        permission_set_id: Some(set_id.into()),
        project_id: Some(project_id.into()),
        instance_id: Some(INSTANCE_ID.into()),
        member_type: member_type.map(|t| t.to_string()),
        member_id: Some(member_id.clone()),
        member_name,
        member_status: Some("NORMAL".into()),
        workspace: Some(workspace),
        create_time: Some(now),
        create_user: Some(FAKE_USER.into()),
        ..Default::default()
    };
    entry.member_ids.insert(member_id);
    entry.members.push(member.clone());
    Ok(member)
}

fn workspace_of(headers: &HeaderMap) -> String {
    header(headers, "workspace")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

async fn create_member(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let m: CreatePermissionSetMemberRequestBody = parse_body(INVALID_BODY, &body)?;
    let (Some(member_type), Some(member_id)) = (m.member_type, m.member_id) else {
        return Err(bad(INVALID_BODY, "member_type and member_id are required"));
    };
    let workspace = text(m.workspace).unwrap_or_else(|| workspace_of(&headers));
    let mut s = lock(&state);
    let member = add_member(
        &mut s,
        &project_id,
        &set_id,
        Some(member_type),
        member_id.into(),
        text(m.member_name),
        workspace,
    )?;
    json(member)
}

async fn batch_create(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let request: BatchCreatePermissionSetMembersRequestBody = parse_body(INVALID_BODY, &body)?;
    if request
        .members
        .iter()
        .any(|m| m.member_type.is_none() || m.member_id.is_none())
    {
        return Err(bad(INVALID_BODY, "member_type and member_id are required"));
    }
    let workspace = workspace_of(&headers);
    let mut s = lock(&state);
    s.dataarts.set_mut(&project_id, &set_id)?;
    for m in request.members {
        let Some(member_id) = m.member_id else {
            continue;
        };
        let workspace = text(m.workspace).unwrap_or_else(|| workspace.clone());
        add_member(
            &mut s,
            &project_id,
            &set_id,
            m.member_type,
            member_id.into(),
            text(m.member_name),
            workspace,
        )?;
    }
    no_content()
}

async fn list_members(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let q = Query::parse(raw.as_deref());
    let limit = q.number(INVALID_QUERY, "limit", 10, 0, 100)?;
    let offset = q.number(INVALID_QUERY, "offset", 0, 0, i64::from(i32::MAX))?;
    let member_type: Option<MemberType> = q.parsed(INVALID_QUERY, "member_type")?;
    let order: Option<MemberOrderBy> = q.parsed(INVALID_QUERY, "order_by")?;
    let ascending = q.flag(INVALID_QUERY, "order_by_asc")?;
    let mut s = lock(&state);
    let shift = offset > 0 && s.dataarts.shifted_pages > 0;
    if shift {
        s.dataarts.shifted_pages -= 1;
    }
    let set = s
        .dataarts
        .set(&project_id, &set_id)
        .ok_or_else(|| unknown_set(&set_id))?;
    let member_type = member_type.map(|t| t.to_string());
    let matches = |m: &&PermissionSetMember| {
        q.text("member_name")
            .is_none_or(|name| m.member_name.as_deref().is_some_and(|n| n.contains(name)))
            && member_type
                .as_deref()
                .is_none_or(|t| m.member_type.as_deref() == Some(t))
    };
    // Unsorted lists are paged straight off the stored order, so a page costs memory in
    // proportion to the page, not to the whole list (the pagination benchmark relies on it).
    // A shifted page has the length the page should have, one member early.
    let shifted = |count: usize| {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let length = usize::try_from(limit)
            .unwrap_or(0)
            .min(count.saturating_sub(start));
        (start - usize::from(shift), length)
    };
    let (count, members): (usize, Vec<PermissionSetMember>) = match order {
        None => {
            let count = set.members.iter().filter(matches).count();
            let (start, length) = shifted(count);
            let members = set
                .members
                .iter()
                .filter(matches)
                .skip(start)
                .take(length)
                .cloned()
                .collect();
            (count, members)
        }
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
            if !ascending {
                matching.reverse();
            }
            let (start, length) = shifted(matching.len());
            let members = matching
                .iter()
                .skip(start)
                .take(length)
                .map(|m| (*m).clone())
                .collect();
            (matching.len(), members)
        }
    };
    json(PermissionSetMemberList {
        total: total(count),
        permission_set_members: Some(members),
    })
}

/// The IDs of a batch delete, 1 to 100 of them.
fn batch_ids(body: &[u8]) -> Result<HashSet<String>, Rejection> {
    let request: BatchDeleteRequestBody = parse_body(INVALID_BODY, body)?;
    let ids: HashSet<String> = request.ids.into_iter().map(Into::into).collect();
    if ids.is_empty() || ids.len() > 100 {
        return Err(bad(INVALID_BODY, "ids must hold 1 to 100 IDs"));
    }
    Ok(ids)
}

async fn batch_delete(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let ids = batch_ids(&body)?;
    let mut s = lock(&state);
    let entry = s.dataarts.set_mut(&project_id, &set_id)?;
    let mut removed = Vec::new();
    entry.members.retain(|m| {
        let gone = m.id.as_ref().is_some_and(|id| ids.contains(id));
        if gone {
            removed.extend(m.member_id.clone());
        }
        !gone
    });
    for member_id in removed {
        entry.member_ids.remove(&member_id);
    }
    no_content()
}

async fn list_permissions(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let q = Query::parse(raw.as_deref());
    let limit = q.number(INVALID_QUERY, "limit", 10, 0, 100)?;
    let offset = q.number(INVALID_QUERY, "offset", 0, 0, 99_999)?;
    let kind: Option<PermissionType> = q.parsed(INVALID_QUERY, "permission_type")?;
    let action: Option<PermissionAction> = q.parsed(INVALID_QUERY, "permission_action")?;
    let datasource: Option<DatasourceType> = q.parsed(INVALID_QUERY, "datasource_type")?;
    let sync: Option<SyncStatus> = q.parsed(INVALID_QUERY, "sync_status")?;
    let order: Option<PermissionOrderBy> = q.parsed(INVALID_QUERY, "order_by")?;
    let ascending = q.flag(INVALID_QUERY, "order_by_asc")?;
    let s = lock(&state);
    let set = s
        .dataarts
        .set(&project_id, &set_id)
        .ok_or_else(|| unknown_set(&set_id))?;
    let same = |field: &Option<String>, wanted: Option<String>| {
        wanted.is_none_or(|w| field.as_deref() == Some(w.as_str()))
    };
    let param = |name: &str| q.text(name).map(str::to_owned);
    let mut matching: Vec<&PermissionSetPermission> = set
        .permissions
        .iter()
        .filter(|p| {
            same(&p.permission_type, kind.map(|k| k.to_string()))
                && action.is_none_or(|a| {
                    p.permission_actions
                        .iter()
                        .flatten()
                        .any(|x| *x == a.to_string())
                })
                && same(&p.datasource_type, datasource.map(|d| d.to_string()))
                && same(&p.sync_status, sync.map(|d| d.to_string()))
                && same(&p.cluster_id, param("cluster_id"))
                && same(&p.cluster_name, param("cluster_name"))
                && same(&p.database_name, param("database_name"))
                && same(&p.table_name, param("table_name"))
                && same(&p.column_name, param("column_name"))
        })
        .collect();
    if let Some(order) = order {
        let key = |p: &PermissionSetPermission| match order {
            PermissionOrderBy::ClusterName => p.cluster_name.clone(),
            PermissionOrderBy::DatabaseName => p.database_name.clone(),
        };
        matching.sort_by_key(|p| key(p));
        if !ascending {
            matching.reverse();
        }
    }
    json(PermissionSetPermissionList {
        total: total(matching.len()),
        permissions: Some(
            page(&matching, offset, limit)
                .into_iter()
                .cloned()
                .collect(),
        ),
    })
}

/// The permissions a create request describes: one per comma-separated name of the most
/// specific level given (the batch-append operation grants `"db1,db2"` as two permissions).
fn permissions_of(
    s: &mut State,
    project_id: &str,
    set_id: &str,
    request: CreatePermissionRequestBody,
) -> Result<Vec<PermissionSetPermission>, Rejection> {
    let actions: Vec<String> = request
        .permission_actions
        .iter()
        .map(|a| a.to_string())
        .collect();
    if actions.is_empty() {
        return Err(bad(
            INVALID_BODY,
            "permission_actions must hold 1 to 32 actions",
        ));
    }
    let base = PermissionSetPermission {
        permission_set_id: Some(set_id.into()),
        project_id: Some(project_id.into()),
        instance_id: Some(INSTANCE_ID.into()),
        permission_type: Some(
            request
                .permission_type
                .map_or_else(|| "ALLOW".into(), |t| t.to_string()),
        ),
        permission_action: Some(actions.join(",")),
        permission_actions: Some(actions),
        cluster_id: text(request.cluster_id),
        cluster_name: text(request.cluster_name),
        datasource_type: request.datasource_type.map(|t| t.to_string()),
        database_name: text(request.database_name),
        schema_name: text(request.schema_name),
        namespace: text(request.namespace),
        table_name: text(request.table_name),
        column_name: text(request.column_name),
        row_level_security: text(request.row_level_security),
        url: text(request.url),
        sync_status: Some("NOT_SYNC".into()),
        ..Default::default()
    };
    let split = |value: &Option<String>| -> Vec<Option<String>> {
        match value {
            Some(v) => v
                .split(',')
                .map(|part| Some(part.trim().to_owned()))
                .collect(),
            None => vec![None],
        }
    };
    let expanded: Vec<PermissionSetPermission> = if base.column_name.is_some() {
        split(&base.column_name)
            .into_iter()
            .map(|c| PermissionSetPermission {
                column_name: c,
                ..base.clone()
            })
            .collect()
    } else if base.table_name.is_some() {
        split(&base.table_name)
            .into_iter()
            .map(|t| PermissionSetPermission {
                table_name: t,
                ..base.clone()
            })
            .collect()
    } else {
        split(&base.database_name)
            .into_iter()
            .map(|d| PermissionSetPermission {
                database_name: d,
                ..base.clone()
            })
            .collect()
    };
    s.dataarts.set_mut(project_id, set_id)?;
    let mut added = Vec::new();
    for mut permission in expanded {
        permission.id = Some(s.new_id());
        added.push(permission);
    }
    s.dataarts
        .set_mut(project_id, set_id)?
        .permissions
        .extend(added.clone());
    Ok(added)
}

async fn create_permission(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let request: CreatePermissionRequestBody = parse_body(INVALID_BODY, &body)?;
    let mut s = lock(&state);
    let mut added = permissions_of(&mut s, &project_id, &set_id, request)?;
    // One permission: a comma in a name is not a batch here.
    let first = added.remove(0);
    if !added.is_empty() {
        let entry = s.dataarts.set_mut(&project_id, &set_id)?;
        let extra: HashSet<Option<String>> = added.iter().map(|p| p.id.clone()).collect();
        entry.permissions.retain(|p| !extra.contains(&p.id));
    }
    json(first)
}

async fn batch_append_permissions(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let request: CreatePermissionRequestBody = parse_body(INVALID_BODY, &body)?;
    let mut s = lock(&state);
    let added = permissions_of(&mut s, &project_id, &set_id, request)?;
    json(PermissionSetPermissionList {
        total: total(added.len()),
        permissions: Some(added),
    })
}

async fn update_permission(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id, permission_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Reply {
    let update: UpdatePermissionRequestBody = parse_body(INVALID_BODY, &body)?;
    let mut s = lock(&state);
    let entry = s.dataarts.set_mut(&project_id, &set_id)?;
    let Some(permission) = entry
        .permissions
        .iter_mut()
        .find(|p| p.id.as_deref() == Some(permission_id.as_str()))
    else {
        return Err(bad(
            "DLS.1006",
            format!("permission {permission_id} does not exist"),
        ));
    };
    let actions: Vec<String> = update
        .permission_actions
        .iter()
        .map(|a| a.to_string())
        .collect();
    if !actions.is_empty() {
        permission.permission_action = Some(actions.join(","));
        permission.permission_actions = Some(actions);
    }
    json(permission.clone())
}

async fn batch_delete_permissions(
    Shared(state): Shared<AppState>,
    Path((project_id, set_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let ids = batch_ids(&body)?;
    let mut s = lock(&state);
    let entry = s.dataarts.set_mut(&project_id, &set_id)?;
    entry
        .permissions
        .retain(|p| p.id.as_ref().is_none_or(|id| !ids.contains(id)));
    no_content()
}

/// The actions the fake lets permissions use, for every data source type.
const ACTIONS: [&str; 6] = ["SELECT", "UPDATE", "CREATE", "DROP", "ALTER", "ALL"];

fn action_list() -> PermissionActionList {
    PermissionActionList {
        permission_actions: Some(ACTIONS.iter().map(|a| (*a).to_owned()).collect()),
    }
}

async fn actions(RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    if q.text("parent_permission_set_id").is_none() {
        return Err(bad(INVALID_QUERY, "parent_permission_set_id is required"));
    }
    let datasource: Option<DatasourceType> = q.parsed(INVALID_QUERY, "datasource_type")?;
    if datasource.is_none() {
        return Err(bad(INVALID_QUERY, "datasource_type is required"));
    }
    json(action_list())
}

async fn configurations() -> Reply {
    let configurations = ["HIVE", "DWS", "DLI"]
        .iter()
        .map(|kind| DatasourceConfiguration {
            datasource_type: Some((*kind).to_owned()),
            permission_types: Some(vec!["ALLOW".into(), "DENY".into()]),
            permission_actions: Some(ACTIONS.iter().map(|a| (*a).to_owned()).collect()),
        })
        .collect();
    json(DatasourceConfigurationList {
        configurations: Some(configurations),
    })
}

async fn urls(RawQuery(raw): RawQuery) -> Reply {
    let q = Query::parse(raw.as_deref());
    let _: Option<DatasourceType> = q.parsed(INVALID_QUERY, "datasource_type")?;
    let urls = vec![DatasourceUrl {
        name: Some("obs://fake-bucket/warehouse".into()),
        contains: Some(q.text("parent_permission_set_id").is_none_or(|p| p == "0")),
    }];
    json(DatasourceUrlList {
        total: total(urls.len()),
        urls: Some(urls),
    })
}

async fn role_actions(body: Bytes) -> Reply {
    let _: RoleActionQuery = parse_body(INVALID_BODY, &body)?;
    json(action_list())
}
