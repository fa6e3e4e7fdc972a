//! Every call into the library's reconcile engine, in one place: plan a target, apply a plan,
//! list a target's members for export, and turn plans and reports into the output models. The
//! rest of the program never names a `reconcile` item, so a new engine API changes this file
//! only.

use std::sync::Arc;

use huaweicloud_openapi::{
    projectman::Role,
    reconcile::{
        self, ApplyReport, DesiredMember, PermissionSetPlan, PermissionSetTarget, ProjectPlan,
        ProjectTarget, ReconcileError, Safety, Verification,
    },
};
use serde::{Deserialize, Serialize};

use crate::{
    connect::{Resolved, TargetClients},
    file::{role_name, Kind},
    output::{Action, ApplyResult, Change, Failed, WriteCall},
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
    /// Calls in flight per target, listing pages included.
    pub concurrency: usize,
    /// List each target again after applying and report members not as planned.
    pub verify: bool,
}

impl ApplyOptions {
    fn engine(&self) -> reconcile::ApplyOptions {
        reconcile::ApplyOptions::new()
            .safety(Safety {
                max_removal_share: self.max_removal_share,
                allow_large_removals: self.allow_large_removals,
                allow_removing_last_manager: self.allow_removing_last_manager,
            })
            .concurrency(self.concurrency)
            .verify(self.verify)
    }
}

fn failure(e: &ReconcileError) -> (String, Option<String>) {
    (e.to_string(), e.request_id().map(str::to_owned))
}

/// Plans `kind` `id` against the resolved members; listings follow `concurrency`.
pub async fn plan(
    clients: &TargetClients,
    kind: Kind,
    id: &str,
    prune: bool,
    members: &[Resolved],
    concurrency: usize,
) -> Result<Plan, (String, Option<String>)> {
    let options = reconcile::ApplyOptions::new().concurrency(concurrency);
    match kind {
        Kind::PermissionSet => {
            let client = clients
                .dataarts
                .as_ref()
                .ok_or(("no DataArts client".to_owned(), None))?;
            let desired = members.iter().map(|m| {
                let member = DesiredMember {
                    member_type: m.member_type.clone(),
                    member_id: m.id.clone(),
                    member_name: m.name.clone(),
                    workspace: m.workspace.clone(),
                };
                (member.key(), member)
            });
            let target = PermissionSetTarget::new(client, id);
            reconcile::plan(&target, desired, prune, &options)
                .await
                .map(Plan::PermissionSet)
                .map_err(|e| failure(&e))
        }
        Kind::Project => {
            let client = clients
                .projectman
                .as_ref()
                .ok_or(("no ProjectMan client".to_owned(), None))?;
            let mut desired = Vec::with_capacity(members.len());
            for m in members {
                let value = m.role.unwrap_or_default();
                let role = Role::from_value(value).ok_or_else(|| {
                    (
                        format!("project {id}: member {}: role {value} is not a role", m.id),
                        None,
                    )
                })?;
                desired.push((m.id.clone(), role));
            }
            let target = ProjectTarget::new(client, id);
            reconcile::plan(&target, desired, prune, &options)
                .await
                .map(Plan::Project)
                .map_err(|e| failure(&e))
        }
    }
}

impl Plan {
    /// The target's kind and ID, to match a saved plan with the file.
    pub fn kind_id(&self) -> (Kind, &str) {
        match self {
            Plan::PermissionSet(p) => (Kind::PermissionSet, &p.target),
            Plan::Project(p) => (Kind::Project, &p.target),
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
                    .values()
                    .map(|m| (Action::Add, m))
                    .chain(p.remove.values().map(|f| (Action::Remove, &f.member)))
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
                    out.push(Change::user(Action::Add, user, Some(role.value()), None));
                }
                for (user, c) in &p.change {
                    out.push(Change::user(
                        Action::ChangeRole,
                        user,
                        Some(c.to.value()),
                        Some(i64::from(c.from)),
                    ));
                }
                for (user, role) in &p.remove {
                    out.push(Change::user(
                        Action::Remove,
                        user,
                        None,
                        Some(i64::from(*role)),
                    ));
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
                .keys()
                .any(|k| k.member_type == "USER" && k.member_id == user_id),
            Plan::Project(p) => p.remove.contains_key(user_id),
        }
    }

    /// The members found when planning, for export: (type, id, name, workspace, role).
    pub fn found(&self) -> Vec<Resolved> {
        match self {
            Plan::PermissionSet(p) => p
                .found
                .values()
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
    fn user(action: Action, id: &str, role: Option<i64>, from: Option<i64>) -> Self {
        Change {
            action,
            member_type: None,
            id: id.to_owned(),
            name: None,
            role: role.map(role_name),
            from_role: from.map(role_name),
        }
    }
}

/// The current members of `kind` `id`: a plan against nothing, never applied.
pub async fn current(
    clients: &TargetClients,
    kind: Kind,
    id: &str,
) -> Result<Plan, (String, Option<String>)> {
    plan(clients, kind, id, true, &[], 4).await
}

/// Applies `plan`; `progress` hears how many write calls are done, after each one.
pub async fn apply(
    clients: &TargetClients,
    plan: &Plan,
    options: &ApplyOptions,
    progress: Arc<dyn Fn(u64) + Send + Sync>,
) -> ApplyResult {
    let engine = options
        .engine()
        .on_progress(move |p| progress(p.done as u64));
    let result: Result<ApplyReport, ReconcileError> = match plan {
        Plan::PermissionSet(p) => match &clients.dataarts {
            Some(c) => reconcile::apply_permission_set(c, p, &engine).await,
            None => return ApplyResult::failed_to_start("no DataArts client"),
        },
        Plan::Project(p) => match &clients.projectman {
            Some(c) => reconcile::apply_project(c, p, &engine).await,
            None => return ApplyResult::failed_to_start("no ProjectMan client"),
        },
    };
    match result {
        Ok(report) => ApplyResult {
            failed: report
                .failed
                .iter()
                .map(|c| Failed {
                    changes: c.changes.clone(),
                    error: c.error.to_string(),
                    request_id: c.error.request_id().map(str::to_owned),
                })
                .collect(),
            not_converged: report.not_converged().to_vec(),
            verification: match &report.verification {
                Verification::Skipped => "skipped".into(),
                Verification::Passed => "passed".into(),
                Verification::NotConverged { .. } => "not_converged".into(),
                Verification::Failed { error } => format!("failed: {error}"),
            },
            calls: report.calls,
            writes: report
                .chunks
                .iter()
                .map(|c| WriteCall {
                    operation: c.operation.clone(),
                    changes: c.changes.len(),
                    request_id: c.request_id.clone(),
                    attempts: c.attempts,
                    outcome: format!("{:?}", c.outcome).to_lowercase(),
                    duration_ms: c.duration_ms,
                })
                .collect(),
            listing_request_ids: report
                .listings
                .iter()
                .flat_map(|l| l.request_ids.iter().cloned())
                .collect(),
            applied: report.applied,
            already_done: report.already_done,
            ..ApplyResult::default()
        },
        Err(error) => {
            let hint = match &error {
                ReconcileError::TooManyRemovals { .. } => Some(format!(
                    "check the plan; to apply it anyway pass --allow-large-removals (or raise --max-removal-share from {})",
                    options.max_removal_share
                )),
                ReconcileError::LastManager { .. } => Some(
                    "keep a project_manager in the file, or pass --allow-removing-last-manager".into(),
                ),
                ReconcileError::Stale { .. } => Some(
                    "plan again (or apply without --plan) against the members as they are now".into(),
                ),
                _ => None,
            };
            let refused = error.is_refusal();
            ApplyResult {
                refused: refused.then(|| error.to_string()),
                error: (!refused).then(|| error.to_string()),
                request_id: error.request_id().map(str::to_owned),
                hint,
                ..ApplyResult::default()
            }
        }
    }
}
