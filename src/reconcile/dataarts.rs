//! Reconciling a DataArts permission set's members.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
};

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::{batches, run_chunks, ApplyReport, ReconcileError, Safety};
use crate::{
    dataarts::{self, types},
    paginate::Paginate,
    DataArtsClient, Error, Execute,
};

/// A member a permission set should have. Members are the same when type and ID are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DesiredMember {
    /// `USER`, `USER_GROUP` or `WORKSPACE_ROLE`.
    pub member_type: String,
    /// The user, user group or workspace role ID.
    pub member_id: String,
    /// Its name.
    pub member_name: String,
    /// The workspace, for a workspace role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

impl DesiredMember {
    /// A user.
    pub fn user(id: impl Into<String>, name: impl Into<String>) -> Self {
        DesiredMember {
            member_type: "USER".into(),
            member_id: id.into(),
            member_name: name.into(),
            workspace: None,
        }
    }

    fn key(&self) -> (String, String) {
        (self.member_type.clone(), self.member_id.clone())
    }

    /// The generated request item; a value the spec forbids fails here, before anything is sent.
    fn to_request(&self) -> Result<types::PermissionSetMemberCreate, Error> {
        Ok(types::PermissionSetMemberCreate {
            member_type: Some(self.member_type.parse().map_err(|_| {
                Error::InvalidRequest(format!(
                    "member {}: member_type {:?} is not USER, USER_GROUP or WORKSPACE_ROLE",
                    self.member_id, self.member_type
                ))
            })?),
            member_id: Some(self.member_id.parse()?),
            member_name: Some(self.member_name.parse()?),
            workspace: self.workspace.as_deref().map(str::parse).transpose()?,
        })
    }
}

impl fmt::Display for DesiredMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.member_type, self.member_name, self.member_id
        )
    }
}

/// A member as found in the permission set, with its member record ID (what removal takes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FoundMember {
    /// The member record ID (`id` of the member list).
    pub record_id: String,
    /// Who it is.
    pub member: DesiredMember,
}

/// The members a permission set should have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredPermissionSet {
    /// The permission set.
    pub permission_set_id: String,
    /// Who should be in it.
    pub members: Vec<DesiredMember>,
    /// Remove members that are not desired (otherwise only add).
    #[serde(default)]
    pub prune: bool,
}

/// What it takes to bring a permission set in line with a desired list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionSetPlan {
    /// The permission set.
    pub permission_set_id: String,
    /// The members found when planning, sorted: what apply checks the set against.
    pub found: Vec<FoundMember>,
    /// Members to add, sorted.
    pub add: Vec<DesiredMember>,
    /// Members to remove, sorted.
    pub remove: Vec<FoundMember>,
    /// Members that stay.
    pub unchanged: usize,
}

impl PermissionSetPlan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

impl fmt::Display for PermissionSetPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "permission set {}:", self.permission_set_id)?;
        for m in &self.add {
            writeln!(f, "  + {m}")?;
        }
        for m in &self.remove {
            writeln!(f, "  - {}", m.member)?;
        }
        write!(
            f,
            "  {} to add, {} to remove, {} unchanged",
            self.add.len(),
            self.remove.len(),
            self.unchanged
        )
    }
}

/// Every member of the permission set, sorted, through the paginator.
async fn found(client: &DataArtsClient, set: &str) -> Result<Vec<FoundMember>, Error> {
    let mut found: Vec<FoundMember> = client
        .list_security_permission_set_members()
        .permission_set_id(set)
        .paginate(super::PAGE as u32)
        .concurrency(super::LISTING_CONCURRENCY)
        .max_items(super::MAX_MEMBERS)
        .max_pages(super::MAX_MEMBERS)
        .items()
        .map_ok(|m| FoundMember {
            record_id: m.id.unwrap_or_default(),
            member: DesiredMember {
                member_type: m.member_type.unwrap_or_default(),
                member_id: m.member_id.unwrap_or_default(),
                member_name: m.member_name.unwrap_or_default(),
                workspace: m.workspace,
            },
        })
        .try_collect()
        .await?;
    found.sort();
    Ok(found)
}

/// Lists the permission set's members and compares them with `desired`.
pub async fn plan_permission_set(
    client: &DataArtsClient,
    desired: &DesiredPermissionSet,
) -> Result<PermissionSetPlan, Error> {
    let found = found(client, &desired.permission_set_id).await?;
    let wanted: BTreeMap<(String, String), &DesiredMember> =
        desired.members.iter().map(|m| (m.key(), m)).collect();
    let present: BTreeSet<(String, String)> = found.iter().map(|f| f.member.key()).collect();
    let add: Vec<DesiredMember> = wanted
        .iter()
        .filter(|(key, _)| !present.contains(*key))
        .map(|(_, m)| (*m).clone())
        .collect();
    let remove: Vec<FoundMember> = if desired.prune {
        found
            .iter()
            .filter(|f| !wanted.contains_key(&f.member.key()))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    Ok(PermissionSetPlan {
        permission_set_id: desired.permission_set_id.clone(),
        unchanged: found.len() - remove.len(),
        found,
        add,
        remove,
    })
}

/// Applies a plan (see the [module docs](super)): checks the set is as planned or partly
/// applied, then adds and removes in chunks of the operations' batch limits, `concurrency` calls
/// at a time.
pub async fn apply_permission_set(
    client: &DataArtsClient,
    plan: &PermissionSetPlan,
    safety: &Safety,
    concurrency: usize,
) -> Result<ApplyReport, Error> {
    let set = plan.permission_set_id.as_str();
    let target = format!("permission set {set}");
    safety.check_removals(&target, plan.remove.len(), plan.found.len())?;
    let requests = plan
        .add
        .iter()
        .map(|m| m.to_request().map(|r| (m.clone(), r)))
        .collect::<Result<Vec<_>, _>>()?;

    let now = found(client, set).await?;
    let mut report = ApplyReport {
        calls: super::listing_calls(now.len()),
        ..ApplyReport::default()
    };
    let now_by_key: BTreeMap<(String, String), &FoundMember> =
        now.iter().map(|f| (f.member.key(), f)).collect();
    let planned_add: BTreeSet<(String, String)> = plan.add.iter().map(DesiredMember::key).collect();
    let planned_remove: BTreeSet<(String, String)> =
        plan.remove.iter().map(|f| f.member.key()).collect();
    let before: BTreeSet<(String, String)> = plan.found.iter().map(|f| f.member.key()).collect();
    let mut conflicts = Vec::new();
    for key in before.union(&now_by_key.keys().cloned().collect()) {
        let (was, is) = (before.contains(key), now_by_key.contains_key(key));
        let explained = was == is || planned_add.contains(key) || planned_remove.contains(key);
        if !explained {
            conflicts.push(format!(
                "{} {} was {} and is now {}",
                key.0,
                key.1,
                if was { "a member" } else { "absent" },
                if is { "a member" } else { "absent" }
            ));
        }
    }
    if !conflicts.is_empty() {
        return Err(ReconcileError::Stale { target, conflicts }.into());
    }

    let mut pending_add = Vec::new();
    for (member, request) in requests {
        if now_by_key.contains_key(&member.key()) {
            report.already_done.push(format!("+ {member}"));
        } else {
            pending_add.push((member, request));
        }
    }
    let mut pending_remove = Vec::new();
    for planned in &plan.remove {
        match now_by_key.get(&planned.member.key()) {
            // The record ID of now, in case the member was removed and added again.
            Some(current) => pending_remove.push((*current).clone()),
            None => report.already_done.push(format!("- {}", planned.member)),
        }
    }

    let chunks = batches(
        &pending_add,
        dataarts::OPERATIONS,
        "BatchCreateSecurityPermissionSetMembers",
        "/members",
        100,
    );
    run_chunks(
        chunks,
        concurrency,
        |(m, _)| format!("+ {m}"),
        |chunk| async move {
            client
                .batch_create_security_permission_set_members()
                .permission_set_id(set)
                .body_map(|b| b.members(chunk.into_iter().map(|(_, r)| r).collect::<Vec<_>>()))
                .execute()
                .await
                .map(|_| ())
        },
        &mut report,
    )
    .await;

    let chunks = batches(
        &pending_remove,
        dataarts::OPERATIONS,
        "BatchDeleteSecurityPermissionSetMembers",
        "/ids",
        100,
    );
    run_chunks(
        chunks,
        concurrency,
        |f| format!("- {}", f.member),
        |chunk| async move {
            let ids = chunk
                .iter()
                .map(|f| f.record_id.parse())
                .collect::<Result<Vec<types::BatchDeleteRequestBodyIdsItem>, _>>()?;
            client
                .batch_delete_security_permission_set_members()
                .permission_set_id(set)
                .body_map(|b| b.ids(ids))
                .execute()
                .await
                .map(|_| ())
        },
        &mut report,
    )
    .await;
    Ok(report)
}
