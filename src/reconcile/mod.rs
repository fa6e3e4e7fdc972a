//! Membership as code: keep a permission set's members, or a CodeArts project's members and
//! roles, in line with a desired list.
//!
//! Reconciling is two steps, so a person (or a pipeline) can look between them:
//! - **plan** lists the current members (through the paginators), compares them with the
//!   desired list and returns a [`PermissionSetPlan`] or [`ProjectPlan`]: additions, removals,
//!   role changes and what stays. A plan is plain data: it prints as a diff (`Display`) and
//!   saves and loads with `serde`. Planning twice without changes gives the same plan.
//! - **apply** executes a plan in chunks that respect each operation's batch limit from the
//!   specs, with bounded concurrency and the client's retries. Before it changes anything it
//!   lists the members again: a list that is neither what the plan was made against nor that
//!   list with some of the plan already applied means someone changed it meanwhile, and apply
//!   refuses ([`ReconcileError::Stale`]): re-plan, never remove blindly. After a partial failure
//!   the [`ApplyReport`] says what was applied and what failed with which error; applying the same
//!   plan again finishes the job without repeating what succeeded.
//!
//! Safety ([`Safety`]): a plan that removes more than a share of the members (default 50 %), or
//! leaves a project without a manager, is refused unless overridden; the project creator
//! (role -1) is never removed or demoted, whatever the overrides.
//!
//! ```no_run
//! use huaweicloud_openapi::{
//!     reconcile::{self, DesiredMember, DesiredPermissionSet, Safety},
//!     DataArtsClient,
//! };
//!
//! # async fn run(client: &DataArtsClient) -> Result<(), huaweicloud_openapi::Error> {
//! let desired = DesiredPermissionSet {
//!     permission_set_id: "fea96c90024711b8bf8d6886407b814b".into(),
//!     members: vec![DesiredMember::user("b43927a45a514e93ba70524b28923500", "common_user")],
//!     prune: true,
//! };
//! let plan = reconcile::plan_permission_set(client, &desired).await?;
//! println!("{plan}");
//! let report = reconcile::apply_permission_set(client, &plan, &Safety::default(), 4).await?;
//! assert!(report.is_complete());
//! # Ok(()) }
//! ```

mod dataarts;
mod projectman;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{operation::OperationSpec, Error};

pub use dataarts::{
    apply_permission_set, plan_permission_set, DesiredMember, DesiredPermissionSet, FoundMember,
    PermissionSetPlan,
};
pub use projectman::{apply_project, plan_project, DesiredProject, ProjectPlan, RoleChange};

/// Most members a reconciled list may have: far above the services' own lists, and a bound on a
/// listing that does not end.
const MAX_MEMBERS: u64 = 1_000_000;

/// Page size of the listings plan and apply make.
const PAGE: usize = 100;

/// Pages a listing fetches at once after the first has told the total.
const LISTING_CONCURRENCY: usize = 4;

/// Calls a listing of `members` took.
fn listing_calls(members: usize) -> usize {
    members.div_ceil(PAGE).max(1)
}

/// What apply refuses to do unless told to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Safety {
    /// Largest share of the current members (0.0 to 1.0) a plan may remove.
    pub max_removal_share: f64,
    /// Apply a plan that removes more than `max_removal_share`.
    pub allow_large_removals: bool,
    /// Apply a plan that leaves a project without a project manager besides its creator.
    pub allow_removing_last_manager: bool,
}

impl Default for Safety {
    fn default() -> Self {
        Safety {
            max_removal_share: 0.5,
            allow_large_removals: false,
            allow_removing_last_manager: false,
        }
    }
}

impl Safety {
    fn check_removals(&self, target: &str, removals: usize, members: usize) -> Result<(), Error> {
        if removals == 0 || self.allow_large_removals {
            return Ok(());
        }
        let share = removals as f64 / members.max(1) as f64;
        if share > self.max_removal_share {
            return Err(ReconcileError::TooManyRemovals {
                target: target.to_owned(),
                removals,
                members,
                max_share: self.max_removal_share,
            }
            .into());
        }
        Ok(())
    }
}

/// Why a plan was not applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// The member list changed since the plan was made, other than by this plan.
    #[error("{target} changed since the plan was made ({}); make a new plan", .conflicts.join("; "))]
    Stale {
        /// The permission set or project.
        target: String,
        /// What differs from what the plan expected.
        conflicts: Vec<String>,
    },
    /// The plan removes more than the allowed share of members.
    #[error("{target}: the plan removes {removals} of {members} members, more than {:.0} %; allow large removals to apply it", .max_share * 100.0)]
    TooManyRemovals {
        /// The permission set or project.
        target: String,
        /// Members the plan removes.
        removals: usize,
        /// Members there are now.
        members: usize,
        /// The allowed share.
        max_share: f64,
    },
    /// The plan leaves the project without a project manager besides its creator.
    #[error("{target}: the plan removes or demotes the last project manager; allow it to apply")]
    LastManager {
        /// The project.
        target: String,
    },
    /// The plan removes or demotes the project creator, which the service forbids.
    #[error("{target}: the plan changes the project creator {user_id}, who cannot be removed or demoted")]
    CreatorProtected {
        /// The project.
        target: String,
        /// The creator's user ID.
        user_id: String,
    },
}

/// One call of an apply that failed.
#[derive(Debug)]
pub struct FailedChunk {
    /// The changes the call carried; none of them is known to be in place.
    pub changes: Vec<String>,
    /// Why the call failed.
    pub error: Error,
}

/// What an apply did: every planned change, applied or failed.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Changes made by this apply.
    pub applied: Vec<String>,
    /// Changes a previous apply of the same plan had already made.
    pub already_done: Vec<String>,
    /// Calls that failed: the changes each carried, and its error.
    pub failed: Vec<FailedChunk>,
    /// Calls made, listing included.
    pub calls: usize,
}

impl ApplyReport {
    /// Every change of the plan is in place.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed: usize = self.failed.iter().map(|c| c.changes.len()).sum();
        write!(
            f,
            "{} applied, {} already done, {failed} failed, {} calls",
            self.applied.len(),
            self.already_done.len(),
            self.calls
        )?;
        for chunk in &self.failed {
            write!(
                f,
                "\n  failed ({} changes, e.g. {}): {}",
                chunk.changes.len(),
                chunk.changes.first().map_or("-", String::as_str),
                chunk.error
            )?;
        }
        Ok(())
    }
}

/// The most items operation `name` takes in the body array at `pointer`, from its spec; when the
/// spec states none, `fallback` (the sources give no bound; stay modest).
fn batch_limit(table: &[OperationSpec], name: &str, pointer: &str, fallback: usize) -> usize {
    table
        .iter()
        .find(|op| op.name == name)
        .and_then(|op| op.body_arrays.iter().find(|b| b.pointer == pointer))
        .and_then(|b| b.max_items)
        .map_or(fallback, |n| usize::try_from(n).unwrap_or(fallback))
        .max(1)
}

/// `items` in chunks of the batch limit `batch_limit` finds for the operation.
fn batches<C: Clone>(
    items: &[C],
    table: &[OperationSpec],
    name: &str,
    pointer: &str,
    fallback: usize,
) -> Vec<Vec<C>> {
    items
        .chunks(batch_limit(table, name, pointer, fallback))
        .map(<[C]>::to_vec)
        .collect()
}

/// Chunks of changes sent `concurrency` at a time; each chunk's result goes to the report.
async fn run_chunks<C, F, Fut>(
    chunks: Vec<Vec<C>>,
    concurrency: usize,
    describe: impl Fn(&C) -> String,
    send: F,
    report: &mut ApplyReport,
) where
    F: Fn(Vec<C>) -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
    C: Clone,
{
    use futures::StreamExt;
    let results: Vec<(Vec<C>, Result<(), Error>)> =
        futures::stream::iter(chunks.into_iter().map(|chunk| {
            let fut = send(chunk.clone());
            async move { (chunk, fut.await) }
        }))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    for (chunk, result) in results {
        report.calls += 1;
        match result {
            Ok(()) => report.applied.extend(chunk.iter().map(&describe)),
            Err(error) => report.failed.push(FailedChunk {
                changes: chunk.iter().map(&describe).collect(),
                error,
            }),
        }
    }
}
