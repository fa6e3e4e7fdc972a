//! Every call into the library's reconcile engine, in one place: plan a target, apply a plan,
//! list a target's members for export, and turn plans and reports into the output models. The
//! rest of the program never names a `reconcile` item, so a new engine API changes this file
//! only.

use huaweicloud_openapi::{
    reconcile::{
        self, ApplyReport, DesiredMember, DesiredPermissionSet, DesiredProject, PermissionSetPlan,
        ProjectPlan, ReconcileError, Safety,
    },
    Error,
};
use serde::{Deserialize, Serialize};

use crate::{
    connect::{Resolved, TargetClients},
    file::{role_name, Kind},
    output::{Action, ApplyResult, Change, Failed},
};

/// A plan of one target, as saved by `plan --out`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "plan", rename_all = "snake_case")]
pub enum Plan {
    /// A permission set's.
    PermissionSet(PermissionSetPlan),
    /// A project's.
    Project(ProjectPlan),
}

/// What apply may do, from the command line.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Largest share of members one apply may remove.
    pub max_removal_share: f64,
    /// Past that share all the same.
    pub allow_large_removals: bool,
    /// Leave a project without a manager.
    pub allow_removing_last_manager: bool,
    /// Calls in flight per target.
    pub concurrency: usize,
}

fn message(e: &Error) -> String {
    e.to_string()
}

/// Plans `kind` `id` against the resolved members.
pub async fn plan(
    clients: &TargetClients,
    kind: Kind,
    id: &str,
    prune: bool,
    members: &[Resolved],
) -> Result<Plan, (String, Option<String>)> {
    let fail = |e: Error| (message(&e), e.request_id().map(str::to_owned));
    match kind {
        Kind::PermissionSet => {
            let client = clients
                .dataarts
                .as_ref()
                .ok_or(("no DataArts client".to_owned(), None))?;
            let desired = DesiredPermissionSet {
                permission_set_id: id.to_owned(),
                members: members
                    .iter()
                    .map(|m| DesiredMember {
                        member_type: m.member_type.clone(),
                        member_id: m.id.clone(),
                        member_name: m.name.clone(),
                        workspace: m.workspace.clone(),
                    })
                    .collect(),
                prune,
            };
            reconcile::plan_permission_set(client, &desired)
                .await
                .map(Plan::PermissionSet)
                .map_err(fail)
        }
        Kind::Project => {
            let client = clients
                .projectman
                .as_ref()
                .ok_or(("no ProjectMan client".to_owned(), None))?;
            let desired = DesiredProject {
                project_id: id.to_owned(),
                members: members
                    .iter()
                    .map(|m| (m.id.clone(), m.role.unwrap_or_default() as i32))
                    .collect(),
                prune,
            };
            reconcile::plan_project(client, &desired)
                .await
                .map(Plan::Project)
                .map_err(fail)
        }
    }
}

impl Plan {
    /// The target's kind and ID, to match a saved plan with the file.
    pub fn kind_id(&self) -> (Kind, &str) {
        match self {
            Plan::PermissionSet(p) => (Kind::PermissionSet, &p.permission_set_id),
            Plan::Project(p) => (Kind::Project, &p.project_id),
        }
    }

    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        match self {
            Plan::PermissionSet(p) => p.is_empty(),
            Plan::Project(p) => p.is_empty(),
        }
    }

    /// Members that stay as they are.
    pub fn unchanged(&self) -> usize {
        match self {
            Plan::PermissionSet(p) => p.unchanged,
            Plan::Project(p) => p.unchanged,
        }
    }

    /// The changes, additions first, then role changes, then removals.
    pub fn changes(&self) -> Vec<Change> {
        let mut out = Vec::new();
        match self {
            Plan::PermissionSet(p) => {
                for (action, m) in p
                    .add
                    .iter()
                    .map(|m| (Action::Add, m))
                    .chain(p.remove.iter().map(|f| (Action::Remove, &f.member)))
                {
                    out.push(Change {
                        action,
                        member_type: Some(m.member_type.clone()),
                        id: m.member_id.clone(),
                        name: Some(m.member_name.clone()),
                        role: None,
                        from_role: None,
                    });
                }
            }
            Plan::Project(p) => {
                for (user, role) in &p.add {
                    out.push(Change::user(Action::Add, user, Some(*role), None));
                }
                for c in &p.change_role {
                    out.push(Change::user(
                        Action::ChangeRole,
                        &c.user_id,
                        Some(c.to),
                        Some(c.from),
                    ));
                }
                for (user, role) in &p.remove {
                    out.push(Change::user(Action::Remove, user, None, Some(*role)));
                }
            }
        }
        out
    }

    /// The user IDs the plan removes (or demotes from project manager), for the self-removal
    /// check.
    pub fn removes_user(&self, user_id: &str) -> bool {
        match self {
            Plan::PermissionSet(p) => p
                .remove
                .iter()
                .any(|f| f.member.member_type == "USER" && f.member.member_id == user_id),
            Plan::Project(p) => p.remove.contains_key(user_id),
        }
    }

    /// The members found when planning, for export: (type, id, name, workspace, role).
    pub fn found(&self) -> Vec<Resolved> {
        match self {
            Plan::PermissionSet(p) => p
                .found
                .iter()
                .map(|f| Resolved {
                    member_type: f.member.member_type.clone(),
                    id: f.member.member_id.clone(),
                    name: f.member.member_name.clone(),
                    workspace: f.member.workspace.clone(),
                    role: None,
                })
                .collect(),
            Plan::Project(p) => p
                .found
                .iter()
                // The creator (-1) is never granted, so never exported.
                .filter(|(_, role)| **role >= 0)
                .map(|(user, role)| Resolved {
                    member_type: "USER".into(),
                    id: user.clone(),
                    name: user.clone(),
                    workspace: None,
                    role: Some(i64::from(*role)),
                })
                .collect(),
        }
    }
}

impl Change {
    fn user(action: Action, id: &str, role: Option<i32>, from: Option<i32>) -> Self {
        Change {
            action,
            member_type: None,
            id: id.to_owned(),
            name: None,
            role: role.map(|r| role_name(r.into())),
            from_role: from.map(|r| role_name(r.into())),
        }
    }
}

/// The current members of `kind` `id`: a plan against nothing, never applied.
pub async fn current(
    clients: &TargetClients,
    kind: Kind,
    id: &str,
) -> Result<Plan, (String, Option<String>)> {
    plan(clients, kind, id, true, &[]).await
}

/// Applies `plan`; `progress` hears how many changes are done (today once, at the end: the
/// engine reports when an apply returns).
pub async fn apply(
    clients: &TargetClients,
    plan: &Plan,
    options: &ApplyOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> ApplyResult {
    let safety = Safety {
        max_removal_share: options.max_removal_share,
        allow_large_removals: options.allow_large_removals,
        allow_removing_last_manager: options.allow_removing_last_manager,
    };
    let result: Result<ApplyReport, Error> = match plan {
        Plan::PermissionSet(p) => match &clients.dataarts {
            Some(c) => reconcile::apply_permission_set(c, p, &safety, options.concurrency).await,
            None => Err(Error::Config("no DataArts client".into())),
        },
        Plan::Project(p) => match &clients.projectman {
            Some(c) => reconcile::apply_project(c, p, &safety, options.concurrency).await,
            None => Err(Error::Config("no ProjectMan client".into())),
        },
    };
    match result {
        Ok(report) => {
            progress((report.applied.len() + report.already_done.len()) as u64);
            ApplyResult {
                applied: report.applied,
                already_done: report.already_done,
                failed: report
                    .failed
                    .iter()
                    .map(|c| Failed {
                        changes: c.changes.clone(),
                        error: message(&c.error),
                        request_id: c.error.request_id().map(str::to_owned),
                    })
                    .collect(),
                calls: report.calls,
                ..ApplyResult::default()
            }
        }
        Err(error) => {
            let hint = match &error {
                Error::Reconcile(ReconcileError::TooManyRemovals { .. }) => Some(format!(
                    "check the plan; to apply it anyway pass --allow-large-removals (or raise --max-removal-share from {})",
                    options.max_removal_share
                )),
                Error::Reconcile(ReconcileError::LastManager { .. }) => Some(
                    "keep a project_manager in the file, or pass --allow-removing-last-manager".into(),
                ),
                Error::Reconcile(ReconcileError::Stale { .. }) => Some(
                    "plan again (or apply without --plan) against the members as they are now".into(),
                ),
                _ => None,
            };
            let refused = matches!(error, Error::Reconcile(_));
            ApplyResult {
                refused: refused.then(|| message(&error)),
                error: (!refused).then(|| message(&error)),
                request_id: error.request_id().map(str::to_owned),
                hint,
                ..ApplyResult::default()
            }
        }
    }
}
