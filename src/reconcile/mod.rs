//! Membership as code: keep a permission set's members, or a CodeArts project's members and
//! roles, in line with a desired list.
//!
//! One engine does the work for every kind of membership: a kind is a [`Target`] (list the
//! members as keyed records, add, remove and change them in batches, say what must never be
//! touched), and [`plan`], [`apply`], the safety limits, verification and reports are written
//! once over it. [`PermissionSetTarget`] (DataArts permission sets) and [`ProjectTarget`]
//! (CodeArts projects) are the two built in; a third kind is one more `impl Target`. The
//! functions [`plan_permission_set`], [`apply_permission_set`], [`plan_project`] and
//! [`apply_project`] are the same engine with the target built from a client.
//!
//! Reconciling is two steps, so a person (or a pipeline) can look between them:
//! - **plan** first checks the desired list without calling anything: every ID against the
//!   spec's constraints, no member twice (the error names both entries), only roles that can be
//!   granted, the service's member limit (ProjectMan: 1,000 a project); errors name the target
//!   and the member ([`ReconcileError`]). Then it lists the current members and returns a
//!   [`Plan`] ([`PermissionSetPlan`], [`ProjectPlan`]): additions, changes, removals and what
//!   stays. A plan is plain data: it prints as a diff (`Display`) and saves and loads with
//!   `serde`. Planning twice without changes gives the same plan.
//! - **apply** ([`ApplyOptions`]: safety, concurrency, verification, a progress callback)
//!   lists the members again, then adds, changes and removes in chunks that respect each
//!   operation's batch limit from the specs, with bounded concurrency and the client's retries
//!   and rate limits. A list that is neither what the plan was made against nor that list with
//!   some of the plan already applied means someone changed it meanwhile, and apply refuses
//!   ([`ReconcileError::Stale`]): re-plan, never remove blindly. Then it lists the target once
//!   more and compares it with the plan's goal (**verification**, on by default): a member still
//!   missing, still present or with another role is reported as not converged, with the
//!   service's likely reason where known (the ProjectMan batch add skips unknown user IDs without
//!   an error, and gives role 7 for a role the caller may not grant). Calls that failed in
//!   passing (a 500, a 503, throttling past the client's retries) are written again from that
//!   listing while nobody else changed the target ([`ApplyOptions::write_retries`]), so
//!   transient faults still converge in one apply. The [`ApplyReport`] is complete only when no
//!   call failed and verification passed; applying the same plan again finishes the job without
//!   repeating what succeeded.
//!
//! Listings are checked for consistency: offset listings over a list that changes can repeat an
//! item and hide another. The engine keys every member; a listing with a member twice, or fewer
//! distinct members than its total, is read again (bounded, with backoff) and otherwise fails
//! with [`crate::Error::Pagination`] naming the member and the offset. A listing page that fails
//! with a retryable error is fetched again in place, and listings follow the caller's
//! concurrency.
//!
//! Reports are for auditing: every write call with its request ID, attempts (counted by the
//! transport, retries included), outcome and timing; every listing with its pages' request IDs;
//! `serde::Serialize` for all of it.
//!
//! Safety ([`Safety`]): a plan that removes more than a share of the members (default 50 %), or
//! leaves a project without a manager, is refused unless overridden; the project creator
//! (role -1) is never removed or demoted, whatever the overrides.
//!
//! ```no_run
//! # #[cfg(feature = "dataarts")]
//! use huaweicloud_openapi::{
//!     reconcile::{self, ApplyOptions, DesiredMember, DesiredPermissionSet},
//!     DataArtsClient,
//! };
//!
//! # #[cfg(feature = "dataarts")]
//! # async fn run(client: &DataArtsClient) -> Result<(), reconcile::ReconcileError> {
//! let desired = DesiredPermissionSet {
//!     permission_set_id: "fea96c90024711b8bf8d6886407b814b".into(),
//!     members: vec![DesiredMember::user("b43927a45a514e93ba70524b28923500", "common_user")],
//!     prune: true,
//! };
//! let plan = reconcile::plan_permission_set(client, &desired).await?;
//! println!("{plan}");
//! let options = ApplyOptions::new()
//!     .concurrency(4)
//!     .on_progress(|p| eprintln!("{}/{} changes", p.done, p.total));
//! let report = reconcile::apply_permission_set(client, &plan, &options).await?;
//! println!("{report}");
//! assert!(report.is_complete());
//! # Ok(()) }
//! ```

#[cfg(feature = "dataarts")]
mod dataarts;
mod engine;
#[cfg(feature = "projectman")]
mod projectman;
mod report;

use serde::{Deserialize, Serialize};

use crate::{
    operation::OperationSpec,
    paginate::{OffsetPaged, Paginate},
    Error,
};

#[cfg(feature = "dataarts")]
pub use dataarts::{
    apply_permission_set, plan_permission_set, DesiredMember, DesiredPermissionSet, FoundMember,
    MemberKey, PermissionSetPlan, PermissionSetTarget,
};
pub use engine::{
    apply, plan, ApplyOptions, Change, Limits, ListSettings, Listing, Plan, ProgressFn, Target,
    Written,
};
#[cfg(feature = "projectman")]
pub use projectman::{
    apply_project, plan_project, DesiredProject, ProjectPlan, ProjectTarget, RoleChange,
    MAX_PROJECT_MEMBERS,
};
pub use report::{
    ApplyProgress, ApplyReport, ChunkReport, FailedChunk, ListingReport, NotConverged, Outcome,
    Verification,
};

/// Most members a reconciled list may have: far above the services' own lists, and a bound on a
/// listing that does not end.
const MAX_MEMBERS: u64 = 1_000_000;

/// Page size of the listings plan and apply make.
const PAGE: u32 = 100;

/// Every item of a generated list request, keyed, through the paginator: items twice or hidden
/// are refused as inconsistencies, failed pages fetched again, `max_offset` (from the spec)
/// checked at the first page.
async fn walk<'a, R, S, K, F>(
    request: R,
    settings: ListSettings,
    max_offset: Option<u64>,
    key: impl Fn(&R::Item) -> S + Send + Sync + 'static,
    record: impl Fn(R::Item) -> (K, F),
) -> Result<Listing<K, F>, Error>
where
    R: OffsetPaged + 'a,
    S: ToString,
{
    use futures::TryStreamExt;
    let mut paginator = request
        .paginate(PAGE)
        .concurrency(settings.concurrency)
        .retry_pages(settings.page_retries, settings.retry_delay)
        .max_items(MAX_MEMBERS)
        .max_pages(MAX_MEMBERS)
        .key(key);
    if let Some(max) = max_offset {
        paginator = paginator.max_offset(max);
    }
    let mut listing = Listing {
        members: Vec::new(),
        request_ids: Vec::new(),
    };
    let mut pages = std::pin::pin!(paginator.pages());
    while let Some(page) = pages.try_next().await? {
        listing.request_ids.extend(page.request_id);
        listing.members.extend(page.items.into_iter().map(&record));
    }
    Ok(listing)
}

/// The largest `offset` operation `name` accepts, from its spec.
fn max_offset(table: &[OperationSpec], name: &str) -> Option<u64> {
    table
        .iter()
        .find(|op| op.name == name)?
        .query_bounds
        .iter()
        .find(|b| b.name == "offset")?
        .maximum
        .and_then(|m| u64::try_from(m).ok())
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
    fn check_removals(
        &self,
        target: &str,
        removals: usize,
        members: usize,
    ) -> Result<(), ReconcileError> {
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
            });
        }
        Ok(())
    }
}

/// Why a plan was not made or not applied. Every variant names the target (`project <id>`,
/// `permission set <id>`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// A desired member (or one in a plan edited by hand) is not valid: an ID the spec does not
    /// allow, a role that cannot be granted. Nothing was called.
    #[error("{target}: member {member}: {reason}")]
    Invalid {
        /// The permission set or project.
        target: String,
        /// The member, as given.
        member: String,
        /// What is wrong.
        reason: String,
    },
    /// The desired list names a member twice. Nothing was called.
    #[error("{target}: the desired list names the same member twice: {first} and {second}")]
    Duplicate {
        /// The permission set or project.
        target: String,
        /// The first entry.
        first: String,
        /// The second entry.
        second: String,
    },
    /// The target would have more members than the service allows.
    #[error("{target}: {members} members, more than the service allows ({limit})")]
    TooManyMembers {
        /// The permission set or project.
        target: String,
        /// Members the desired list (or the plan's outcome) has.
        members: usize,
        /// The service's limit.
        limit: usize,
    },
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
    /// The plan removes or changes a member that must never be touched (the project creator),
    /// whatever the overrides.
    #[error("{target}: the plan changes {member}: {why}")]
    Protected {
        /// The permission set or project.
        target: String,
        /// The member.
        member: String,
        /// Why it may not be touched.
        why: String,
    },
    /// A call failed: the listing (including one that stayed inconsistent, an
    /// [`Error::Pagination`] naming the member and offset) or another call the engine needed.
    #[error("{target}: {source}")]
    Service {
        /// The permission set or project.
        target: String,
        /// The call's error.
        #[source]
        source: Error,
    },
}

impl ReconcileError {
    /// The target the error is about.
    pub fn target(&self) -> &str {
        match self {
            ReconcileError::Invalid { target, .. }
            | ReconcileError::Duplicate { target, .. }
            | ReconcileError::TooManyMembers { target, .. }
            | ReconcileError::Stale { target, .. }
            | ReconcileError::TooManyRemovals { target, .. }
            | ReconcileError::LastManager { target }
            | ReconcileError::Protected { target, .. }
            | ReconcileError::Service { target, .. } => target,
        }
    }

    /// The error of the call that failed, when one did.
    pub fn call_error(&self) -> Option<&Error> {
        match self {
            ReconcileError::Service { source, .. } => Some(source),
            _ => None,
        }
    }

    /// `X-Request-Id` of the call that failed, when one did.
    pub fn request_id(&self) -> Option<&str> {
        self.call_error().and_then(Error::request_id)
    }

    /// The engine refused the plan (stale, a safety limit, a protected member, an invalid or
    /// duplicate member) rather than a call failing.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, ReconcileError::Service { .. })
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
