//! Reconciling a CodeArts project's members and their roles.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
};

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::{batch_limit, batches, run_chunks, ApplyReport, ReconcileError, Safety};
use crate::{
    paginate::Paginate,
    projectman::{self, types, Role},
    Error, Execute, ProjectManClient,
};

const CREATOR: i32 = Role::ProjectCreator.value() as i32;
const MANAGER: i32 = Role::ProjectManager.value() as i32;

fn role_name(role: i32) -> String {
    Role::from_value(role.into()).map_or_else(|| format!("role {role}"), |r| format!("{r:?}"))
}

/// The members a CodeArts project should have: user ID to role ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredProject {
    /// The 32-character CodeArts project ID.
    pub project_id: String,
    /// User ID to role ID (see [`Role`] for the names).
    pub members: BTreeMap<String, i32>,
    /// Remove members that are not desired (otherwise only add and fix roles).
    #[serde(default)]
    pub prune: bool,
}

/// A member whose role the plan changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoleChange {
    /// The user.
    pub user_id: String,
    /// The role found when planning.
    pub from: i32,
    /// The role it gets.
    pub to: i32,
}

/// What it takes to bring a project's members in line with a desired list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectPlan {
    /// The CodeArts project.
    pub project_id: String,
    /// The members and roles found when planning: what apply checks the project against.
    pub found: BTreeMap<String, i32>,
    /// Users to add, with their roles.
    pub add: BTreeMap<String, i32>,
    /// Users to remove, with the role they had.
    pub remove: BTreeMap<String, i32>,
    /// Members whose role changes, by user ID.
    pub change_role: Vec<RoleChange>,
    /// Members that stay as they are.
    pub unchanged: usize,
}

impl ProjectPlan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && self.change_role.is_empty()
    }
}

impl fmt::Display for ProjectPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "project {}:", self.project_id)?;
        for (user, role) in &self.add {
            writeln!(f, "  + {user} as {}", role_name(*role))?;
        }
        for c in &self.change_role {
            writeln!(
                f,
                "  ~ {} {} -> {}",
                c.user_id,
                role_name(c.from),
                role_name(c.to)
            )?;
        }
        for (user, role) in &self.remove {
            writeln!(f, "  - {user} (was {})", role_name(*role))?;
        }
        write!(
            f,
            "  {} to add, {} role changes, {} to remove, {} unchanged",
            self.add.len(),
            self.change_role.len(),
            self.remove.len(),
            self.unchanged
        )
    }
}

async fn found(client: &ProjectManClient, project: &str) -> Result<BTreeMap<String, i32>, Error> {
    client
        .list_project_members_v4()
        .project_id(project)
        .paginate(super::PAGE as u32)
        .concurrency(super::LISTING_CONCURRENCY)
        .max_items(super::MAX_MEMBERS)
        .max_pages(super::MAX_MEMBERS)
        .items()
        .map_ok(|m| (m.user_id.unwrap_or_default(), m.role_id.unwrap_or_default()))
        .try_collect()
        .await
}

/// Lists the project's members and compares them with `desired`. The project creator is never
/// planned for removal or a role change.
pub async fn plan_project(
    client: &ProjectManClient,
    desired: &DesiredProject,
) -> Result<ProjectPlan, Error> {
    for (user, role) in &desired.members {
        if Role::from_value((*role).into()).is_none() || *role == CREATOR {
            return Err(Error::InvalidRequest(format!(
                "user {user}: role {role} cannot be granted (use 3 to 11; -1, the creator, cannot)"
            )));
        }
    }
    let found = found(client, &desired.project_id).await?;
    let mut plan = ProjectPlan {
        project_id: desired.project_id.clone(),
        found: found.clone(),
        add: BTreeMap::new(),
        remove: BTreeMap::new(),
        change_role: Vec::new(),
        unchanged: 0,
    };
    for (user, &role) in &desired.members {
        match found.get(user) {
            None => {
                plan.add.insert(user.clone(), role);
            }
            Some(&now) if now != role && now != CREATOR => plan.change_role.push(RoleChange {
                user_id: user.clone(),
                from: now,
                to: role,
            }),
            Some(_) => {}
        }
    }
    if desired.prune {
        for (user, &role) in &found {
            if role != CREATOR && !desired.members.contains_key(user) {
                plan.remove.insert(user.clone(), role);
            }
        }
    }
    plan.unchanged = found.len() - plan.remove.len() - plan.change_role.len();
    Ok(plan)
}

fn check_safety(plan: &ProjectPlan, safety: &Safety) -> Result<(), Error> {
    let target = format!("project {}", plan.project_id);
    let creator_touched = plan
        .remove
        .iter()
        .map(|(u, r)| (u, *r))
        .chain(plan.change_role.iter().map(|c| (&c.user_id, c.from)))
        .find(|(_, role)| *role == CREATOR);
    if let Some((user, _)) = creator_touched {
        return Err(ReconcileError::CreatorProtected {
            target,
            user_id: user.clone(),
        }
        .into());
    }
    safety.check_removals(&target, plan.remove.len(), plan.found.len())?;
    let managers_before = plan.found.values().filter(|r| **r == MANAGER).count();
    let mut after: BTreeMap<&String, i32> = plan.found.iter().map(|(u, r)| (u, *r)).collect();
    for user in plan.remove.keys() {
        after.remove(user);
    }
    for c in &plan.change_role {
        after.insert(&c.user_id, c.to);
    }
    for (u, r) in &plan.add {
        after.insert(u, *r);
    }
    let managers_after = after.values().filter(|r| **r == MANAGER).count();
    if managers_before > 0 && managers_after == 0 && !safety.allow_removing_last_manager {
        return Err(ReconcileError::LastManager { target }.into());
    }
    Ok(())
}

/// Applies a plan (see the [module docs](super)): checks the project is as planned or partly
/// applied, then adds, changes roles and removes in chunks of the operations' batch limits,
/// `concurrency` calls at a time.
pub async fn apply_project(
    client: &ProjectManClient,
    plan: &ProjectPlan,
    safety: &Safety,
    concurrency: usize,
) -> Result<ApplyReport, Error> {
    check_safety(plan, safety)?;
    let project = plan.project_id.as_str();
    let now = found(client, project).await?;
    let mut report = ApplyReport {
        calls: super::listing_calls(now.len()),
        ..ApplyReport::default()
    };
    let changes: BTreeMap<&String, &RoleChange> =
        plan.change_role.iter().map(|c| (&c.user_id, c)).collect();
    let users: BTreeSet<&String> = plan.found.keys().chain(now.keys()).collect();
    let mut conflicts = Vec::new();
    for user in users {
        let (was, is) = (plan.found.get(user), now.get(user));
        // What the plan allows the user's role to be now: as found, or as planned.
        let planned = if let Some(role) = plan.add.get(user) {
            Some(*role)
        } else if plan.remove.contains_key(user) {
            None
        } else if let Some(c) = changes.get(user) {
            Some(c.to)
        } else {
            was.copied()
        };
        if is.copied() != was.copied() && is.copied() != planned {
            conflicts.push(format!(
                "{user} was {} and is now {}",
                was.map_or("absent".into(), |r| role_name(*r)),
                is.map_or("absent".into(), |r| role_name(*r))
            ));
        }
    }
    if !conflicts.is_empty() {
        return Err(ReconcileError::Stale {
            target: format!("project {project}"),
            conflicts,
        }
        .into());
    }

    let mut pending_add = Vec::new();
    for (user, role) in &plan.add {
        if now.contains_key(user) {
            report.already_done.push(format!("+ {user}"));
        } else {
            let request = types::BatchAddMemberRequestV4 {
                role_id: Some(types::RoleId::try_from(*role)?),
                user_id: user.parse()?,
            };
            pending_add.push((user.clone(), request));
        }
    }
    let chunks = batches(
        &pending_add,
        projectman::OPERATIONS,
        "BatchAddMembersV4",
        "/users",
        50,
    );
    run_chunks(
        chunks,
        concurrency,
        |(user, r)| {
            format!(
                "+ {user} as {}",
                role_name(r.role_id.as_deref().copied().unwrap_or(0))
            )
        },
        |chunk: Vec<(String, types::BatchAddMemberRequestV4)>| async move {
            client
                .batch_add_members_v4()
                .project_id(project)
                .body_map(|b| b.users(chunk.into_iter().map(|(_, r)| r).collect::<Vec<_>>()))
                .execute()
                .await
                .map(|_| ())
        },
        &mut report,
    )
    .await;

    // One call sets one role for many users: group the changes by the role they get.
    let mut by_role: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for c in &plan.change_role {
        if now.get(&c.user_id) == Some(&c.to) {
            report.already_done.push(format!("~ {}", c.user_id));
        } else {
            by_role.entry(c.to).or_default().push(c.user_id.clone());
        }
    }
    let role_limit = batch_limit(
        projectman::OPERATIONS,
        "UpdateMembesRoleV4",
        "/user_ids",
        50,
    );
    let chunks: Vec<Vec<(i32, String)>> = by_role
        .into_iter()
        .flat_map(|(role, users)| {
            users
                .chunks(role_limit)
                .map(|c| c.iter().map(|u| (role, u.clone())).collect())
                .collect::<Vec<_>>()
        })
        .collect();
    run_chunks(
        chunks,
        concurrency,
        |(role, user)| format!("~ {user} -> {}", role_name(*role)),
        |chunk: Vec<(i32, String)>| async move {
            let role = types::RoleId::try_from(chunk[0].0)?;
            let ids = chunk
                .iter()
                .map(|(_, u)| u.parse())
                .collect::<Result<Vec<types::UserId>, _>>()?;
            client
                .update_membes_role_v4()
                .project_id(project)
                .body_map(|b| b.role_id(role).user_ids(ids))
                .execute()
                .await
                .map(|_| ())
        },
        &mut report,
    )
    .await;

    let mut pending_remove = Vec::new();
    for user in plan.remove.keys() {
        if now.contains_key(user) {
            pending_remove.push(user.clone());
        } else {
            report.already_done.push(format!("- {user}"));
        }
    }
    let chunks = batches(
        &pending_remove,
        projectman::OPERATIONS,
        "BatchDeleteMembersV4",
        "/user_ids",
        50,
    );
    run_chunks(
        chunks,
        concurrency,
        |user| format!("- {user}"),
        |chunk: Vec<String>| async move {
            let ids = chunk
                .iter()
                .map(|u| u.parse())
                .collect::<Result<Vec<types::UserId>, _>>()?;
            client
                .batch_delete_members_v4()
                .project_id(project)
                .body_map(|b| b.user_ids(ids))
                .execute()
                .await
                .map(|_| ())
        },
        &mut report,
    )
    .await;
    Ok(report)
}
