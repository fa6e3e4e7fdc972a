//! The engine: plan, apply, verify, safety and reports, written once over [`Target`].

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::{
    report::{
        ApplyProgress, ApplyReport, ChunkReport, FailedChunk, ListingReport, NotConverged, Outcome,
        Verification,
    },
    ReconcileError, Safety,
};
use crate::{call, paginate, Error};

/// How many members one call of each write operation takes, and how many members a target may
/// have at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Members one add call takes.
    pub add: usize,
    /// Members one remove call takes.
    pub remove: usize,
    /// Members one change call takes (all of a call get the same desired value).
    pub change: usize,
    /// Members the target may have at most, when the service limits it (ProjectMan: 1,000 a
    /// project). A plan whose outcome is larger is refused before anything is written.
    pub max_members: Option<usize>,
}

/// How a target's listing should read the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListSettings {
    /// Pages fetched at once after the first (the caller's concurrency bound).
    pub concurrency: usize,
    /// Extra attempts for a page whose call fails with a retryable error, in place.
    pub page_retries: u32,
    /// The first wait before such a page is fetched again (doubling each time).
    pub retry_delay: Duration,
}

/// Every member a listing found, as keyed records, and the request IDs of its pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<K, F> {
    /// The members, in the order listed. The engine refuses a key listed twice.
    pub members: Vec<(K, F)>,
    /// `X-Request-Id` of each page, in order, when the service gave one.
    pub request_ids: Vec<String>,
}

/// What a successful write call told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// `X-Request-Id` of the call.
    pub request_id: Option<String>,
}

impl<T> From<&crate::Response<T>> for Written {
    fn from(response: &crate::Response<T>) -> Self {
        Written {
            request_id: response.request_id().map(str::to_owned),
        }
    }
}

/// A kind of membership the engine can reconcile: a DataArts permission set's members, a
/// CodeArts project's members and roles, or anything else with a keyed member list and batch
/// writes. One value is one target (one permission set, one project), with its client.
///
/// A target only lists and writes; everything else (the diff, validation of the desired side,
/// the safety limits, the stale check, chunking, concurrency, verification, reports) is the
/// engine's. The futures it returns must be `Send`, so an apply can run on any runtime thread.
pub trait Target: Send + Sync + Sized {
    /// Who a member is: what listings are checked on and plans are keyed by. Serialised as a
    /// string (it is a JSON object key in saved plans).
    type Key: Ord + Clone + fmt::Display + fmt::Debug + Serialize + DeserializeOwned + Send + Sync;
    /// What the desired side says about a member (everything an add needs, e.g. its role).
    /// Changes are grouped by equal values: one change call sets one value for many members.
    type Desired: Ord + Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync;
    /// What a listing says about a member (e.g. its role, or the record ID a removal takes).
    type Found: Clone + PartialEq + fmt::Debug + Serialize + DeserializeOwned + Send + Sync;

    /// What the target is, for messages: `"permission set"`, `"project"`.
    const KIND: &'static str;

    /// The target's ID, as plans record it.
    fn id(&self) -> &str;

    /// Batch limits (from the specs' operation tables) and the member limit.
    fn limits(&self) -> Limits;

    /// Every current member. Implementations over an offset list use the paginator with an item
    /// key and `settings`; the engine reads again when the listing is
    /// [inconsistent](paginate::is_inconsistent).
    fn list(
        &self,
        settings: ListSettings,
    ) -> impl Future<Output = Result<Listing<Self::Key, Self::Found>, Error>> + Send;

    /// Adds these members (at most [`Limits::add`]).
    fn add(
        &self,
        batch: Vec<(Self::Key, Self::Desired)>,
    ) -> impl Future<Output = Result<Written, Error>> + Send;

    /// Removes these members, as the last listing found them (at most [`Limits::remove`]).
    fn remove(
        &self,
        batch: Vec<(Self::Key, Self::Found)>,
    ) -> impl Future<Output = Result<Written, Error>> + Send;

    /// Gives these members, all found already, the desired value (at most [`Limits::change`],
    /// all with the same value). Targets whose members have nothing to change never get a call.
    fn change(
        &self,
        batch: Vec<(Self::Key, Self::Desired)>,
    ) -> impl Future<Output = Result<Written, Error>> + Send;

    /// The member as found is as desired (its role is the desired one, say).
    fn satisfies(&self, found: &Self::Found, desired: &Self::Desired) -> bool;

    /// Checks a desired member before anything is called: its ID against the spec's
    /// constraints, a value that can be granted. The error says what is wrong.
    fn validate(&self, key: &Self::Key, desired: &Self::Desired) -> Result<(), String> {
        let _ = (key, desired);
        Ok(())
    }

    /// Why the member may never be removed or changed, if so (the ProjectMan project creator).
    /// Plans leave such members alone, and apply refuses a plan that touches one.
    fn protected(&self, key: &Self::Key, found: &Self::Found) -> Option<String> {
        let _ = (key, found);
        None
    }

    /// Two listings found the member in the same state (default: equal records).
    fn same(&self, before: &Self::Found, now: &Self::Found) -> bool {
        before == now
    }

    /// A target's own refusals of a plan, beyond the engine's (the last project manager).
    fn check_plan(&self, plan: &Plan<Self>, safety: &Safety) -> Result<(), ReconcileError> {
        let _ = (plan, safety);
        Ok(())
    }

    /// The service's likely reason a member did not end up as desired after a write that
    /// succeeded (`found` is what verification listed, `None` when absent).
    fn explain(
        &self,
        desired: Option<&Self::Desired>,
        found: Option<&Self::Found>,
    ) -> Option<String> {
        let _ = (desired, found);
        None
    }

    /// A desired member, for plans and reports.
    fn show_desired(key: &Self::Key, desired: &Self::Desired) -> String {
        format!("{key} ({desired:?})")
    }

    /// A member as found, for plans and reports.
    fn show_found(key: &Self::Key, found: &Self::Found) -> String {
        format!("{key} ({found:?})")
    }

    /// A desired value alone, for role changes (`~ member -> value`).
    fn show_value(desired: &Self::Desired) -> String {
        format!("{desired:?}")
    }
}

/// `permission set <id>`, `project <id>`: how messages name a target.
pub(super) fn name_of<T: Target>(target: &T) -> String {
    format!("{} {}", T::KIND, target.id())
}

/// A member whose value the plan changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Change<F, D> {
    /// The member as found when planning.
    pub from: F,
    /// What it gets.
    pub to: D,
}

/// What it takes to bring a target in line with a desired list: plain data, printable as a diff
/// (`Display`), saved and loaded with `serde`. Planning twice without changes gives the same
/// plan.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Plan<T: Target> {
    /// The target's ID.
    pub target: String,
    /// The members found when planning: what apply checks the target against.
    pub found: BTreeMap<T::Key, T::Found>,
    /// Members to add.
    pub add: BTreeMap<T::Key, T::Desired>,
    /// Members whose value (role) changes.
    pub change: BTreeMap<T::Key, Change<T::Found, T::Desired>>,
    /// Members to remove, as found.
    pub remove: BTreeMap<T::Key, T::Found>,
    /// Members that stay as they are.
    pub unchanged: usize,
}

impl<T: Target> Plan<T> {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && self.change.is_empty()
    }

    /// Changes the plan makes: additions, value changes and removals.
    pub fn changes(&self) -> usize {
        self.add.len() + self.change.len() + self.remove.len()
    }

    /// Members the target has once the plan is applied.
    pub fn goal_size(&self) -> usize {
        // Saturating: a plan loaded from a file may not add up.
        self.found.len().saturating_sub(self.remove.len()) + self.add.len()
    }
}

impl<T: Target> Clone for Plan<T> {
    fn clone(&self) -> Self {
        Plan {
            target: self.target.clone(),
            found: self.found.clone(),
            add: self.add.clone(),
            change: self.change.clone(),
            remove: self.remove.clone(),
            unchanged: self.unchanged,
        }
    }
}

impl<T: Target> PartialEq for Plan<T> {
    fn eq(&self, other: &Self) -> bool {
        self.target == other.target
            && self.found == other.found
            && self.add == other.add
            && self.change == other.change
            && self.remove == other.remove
            && self.unchanged == other.unchanged
    }
}

impl<T: Target> fmt::Debug for Plan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("target", &self.target)
            .field("found", &self.found.len())
            .field("add", &self.add)
            .field("change", &self.change)
            .field("remove", &self.remove)
            .field("unchanged", &self.unchanged)
            .finish()
    }
}

impl<T: Target> fmt::Display for Plan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}:", T::KIND, self.target)?;
        for (key, desired) in &self.add {
            writeln!(f, "  + {}", T::show_desired(key, desired))?;
        }
        for (key, c) in &self.change {
            writeln!(
                f,
                "  ~ {} -> {}",
                T::show_found(key, &c.from),
                T::show_value(&c.to)
            )?;
        }
        for (key, found) in &self.remove {
            writeln!(f, "  - {}", T::show_found(key, found))?;
        }
        write!(
            f,
            "  {} to add, {} to change, {} to remove, {} unchanged",
            self.add.len(),
            self.change.len(),
            self.remove.len(),
            self.unchanged
        )
    }
}

/// Called after every write call of an apply, as it ends.
pub type ProgressFn = Arc<dyn Fn(&ApplyProgress<'_>) + Send + Sync>;

/// How to plan and apply: safety limits, concurrency, listing retries, verification, progress.
#[derive(Clone)]
pub struct ApplyOptions {
    /// What apply refuses unless told to.
    pub safety: Safety,
    /// Calls in flight at once, listing pages included. Default 4.
    pub concurrency: usize,
    /// List the target again after writing and report members not as planned. Default on; it
    /// costs one listing.
    pub verify: bool,
    /// Listings made at most when the service's pages do not add up (an item twice, one
    /// hidden). Default 3.
    pub listing_attempts: u32,
    /// Extra attempts for a listing page whose call fails with a retryable error, without
    /// restarting the listing. Default 3.
    pub page_retries: u32,
    /// First wait before a listing or a page is read again; doubled each time. Default 200 ms.
    pub retry_delay: Duration,
    /// Rounds of writing again what failed with a transient error (a 500, 503, 429 or timeout
    /// past the client's own retries), from the verification listing, when nobody else changed
    /// the target meanwhile. Needs verification. Default 2.
    pub write_retries: u32,
    /// Called after every write call with what it did and how far the apply is.
    pub progress: Option<ProgressFn>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            safety: Safety::default(),
            concurrency: 4,
            verify: true,
            listing_attempts: 3,
            page_retries: 3,
            retry_delay: Duration::from_millis(200),
            write_retries: 2,
            progress: None,
        }
    }
}

impl fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("safety", &self.safety)
            .field("concurrency", &self.concurrency)
            .field("verify", &self.verify)
            .field("listing_attempts", &self.listing_attempts)
            .field("page_retries", &self.page_retries)
            .field("retry_delay", &self.retry_delay)
            .field("write_retries", &self.write_retries)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl ApplyOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// These safety limits.
    pub fn safety(mut self, safety: Safety) -> Self {
        self.safety = safety;
        self
    }

    /// At most `n` calls at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Verification after apply on or off.
    pub fn verify(mut self, on: bool) -> Self {
        self.verify = on;
        self
    }

    /// Waits `delay` (then twice as long, ...) before reading a listing or a page again.
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// Calls `f` after every write call, as it ends (from the task running the apply).
    pub fn on_progress(mut self, f: impl Fn(&ApplyProgress<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    fn list_settings(&self) -> ListSettings {
        ListSettings {
            concurrency: self.concurrency.max(1),
            page_retries: self.page_retries,
            retry_delay: self.retry_delay,
        }
    }
}

/// Lists the target, again while the listing is inconsistent (bounded, with backoff); a key
/// listed twice is an inconsistency too, whatever the target's listing checked.
async fn list_consistent<T: Target>(
    target: &T,
    options: &ApplyOptions,
    purpose: &str,
) -> Result<(BTreeMap<T::Key, T::Found>, ListingReport), ReconcileError> {
    let started = Instant::now();
    let mut report = ListingReport {
        purpose: purpose.to_owned(),
        ..ListingReport::default()
    };
    let attempts = options.listing_attempts.max(1);
    loop {
        report.listings += 1;
        let (listed, calls) = call::counted(target.list(options.list_settings())).await;
        // A target without this crate's transport (a test double) counts one per reading.
        report.calls += calls.max(1);
        let error = match listed {
            Ok(listing) => {
                report.request_ids.extend(listing.request_ids);
                match keyed::<T>(listing.members) {
                    Ok(members) => {
                        report.members = members.len();
                        report.duration_ms = millis(started.elapsed());
                        return Ok((members, report));
                    }
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        if !paginate::is_inconsistent(&error) || report.listings >= attempts {
            return Err(ReconcileError::Service {
                target: name_of(target),
                source: error,
            });
        }
        report.inconsistencies.push(error.to_string());
        let wait = options
            .retry_delay
            .saturating_mul(1 << (report.listings - 1).min(16));
        tracing::info!(target = %name_of(target), %error, ?wait, "the listing is inconsistent: reading it again");
        tokio::time::sleep(wait).await;
    }
}

fn keyed<T: Target>(members: Vec<(T::Key, T::Found)>) -> Result<BTreeMap<T::Key, T::Found>, Error> {
    let mut map = BTreeMap::new();
    for (position, (key, found)) in members.into_iter().enumerate() {
        if map.contains_key(&key) {
            return Err(paginate::inconsistent_listing(
                format_args!("the member {key} is listed twice"),
                position as u64,
                None,
            ));
        }
        map.insert(key, found);
    }
    Ok(map)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Checks `desired` (every member valid, none twice, within the member limit) and compares it
/// with the target's members: see the [module docs](super). Nothing is called before the
/// desired side has passed its checks. With `prune`, members not desired are removed;
/// protected members are never planned for removal or change.
pub async fn plan<T: Target>(
    target: &T,
    desired: impl IntoIterator<Item = (T::Key, T::Desired)>,
    prune: bool,
    options: &ApplyOptions,
) -> Result<Plan<T>, ReconcileError> {
    let name = name_of(target);
    let mut wanted: BTreeMap<T::Key, T::Desired> = BTreeMap::new();
    for (key, d) in desired {
        if let Err(reason) = target.validate(&key, &d) {
            return Err(ReconcileError::Invalid {
                target: name,
                member: T::show_desired(&key, &d),
                reason,
            });
        }
        if let Some(first) = wanted.get(&key) {
            return Err(ReconcileError::Duplicate {
                target: name,
                first: T::show_desired(&key, first),
                second: T::show_desired(&key, &d),
            });
        }
        wanted.insert(key, d);
    }
    let limit = target.limits().max_members;
    if let Some(limit) = limit.filter(|l| wanted.len() > *l) {
        return Err(ReconcileError::TooManyMembers {
            target: name,
            members: wanted.len(),
            limit,
        });
    }
    let (found, _) = list_consistent(target, options, "plan").await?;
    let mut plan = Plan {
        target: target.id().to_owned(),
        found: BTreeMap::new(),
        add: BTreeMap::new(),
        change: BTreeMap::new(),
        remove: BTreeMap::new(),
        unchanged: 0,
    };
    for (key, d) in &wanted {
        match found.get(key) {
            None => {
                plan.add.insert(key.clone(), d.clone());
            }
            Some(f) if target.protected(key, f).is_none() && !target.satisfies(f, d) => {
                let change = Change {
                    from: f.clone(),
                    to: d.clone(),
                };
                plan.change.insert(key.clone(), change);
            }
            Some(_) => {}
        }
    }
    if prune {
        for (key, f) in &found {
            if !wanted.contains_key(key) && target.protected(key, f).is_none() {
                plan.remove.insert(key.clone(), f.clone());
            }
        }
    }
    plan.unchanged = found.len() - plan.remove.len() - plan.change.len();
    plan.found = found;
    if let Some(limit) = limit.filter(|l| plan.goal_size() > *l) {
        return Err(ReconcileError::TooManyMembers {
            target: name,
            members: plan.goal_size(),
            limit,
        });
    }
    Ok(plan)
}

/// The refusals that need no call: a plan for another target, a plan edited to touch a
/// protected member or to carry an invalid one, too many removals, the target's own checks.
fn check_plan<T: Target>(
    target: &T,
    plan: &Plan<T>,
    safety: &Safety,
) -> Result<(), ReconcileError> {
    let name = name_of(target);
    if plan.target != target.id() {
        return Err(ReconcileError::Invalid {
            target: name,
            member: "-".into(),
            reason: format!("the plan is for {} {}", T::KIND, plan.target),
        });
    }
    let touched = plan
        .remove
        .iter()
        .chain(plan.change.iter().map(|(k, c)| (k, &c.from)));
    for (key, found) in touched {
        if let Some(why) = target.protected(key, found) {
            return Err(ReconcileError::Protected {
                target: name,
                member: T::show_found(key, found),
                why,
            });
        }
    }
    let desired = plan
        .add
        .iter()
        .chain(plan.change.iter().map(|(k, c)| (k, &c.to)));
    for (key, d) in desired {
        if let Err(reason) = target.validate(key, d) {
            return Err(ReconcileError::Invalid {
                target: name,
                member: T::show_desired(key, d),
                reason,
            });
        }
    }
    safety.check_removals(&name, plan.remove.len(), plan.found.len())?;
    target.check_plan(plan, safety)
}

/// What the plan allows a member to be now: as found when planning, or as planned.
fn conflicts<T: Target>(
    target: &T,
    plan: &Plan<T>,
    now: &BTreeMap<T::Key, T::Found>,
) -> Vec<String> {
    let keys: BTreeSet<&T::Key> = plan.found.keys().chain(now.keys()).collect();
    let mut conflicts = Vec::new();
    for key in keys {
        let (was, is) = (plan.found.get(key), now.get(key));
        let as_found = match (was, is) {
            (Some(a), Some(b)) => target.same(a, b),
            (None, None) => true,
            _ => false,
        };
        let as_planned = match (plan.add.get(key), plan.change.get(key), is) {
            (Some(d), _, Some(f)) => target.satisfies(f, d),
            (_, Some(c), Some(f)) => target.satisfies(f, &c.to),
            (None, None, None) => plan.remove.contains_key(key),
            _ => false,
        };
        if !as_found && !as_planned {
            let show = |f: Option<&T::Found>| {
                f.map_or_else(|| "absent".to_owned(), |f| T::show_found(key, f))
            };
            conflicts.push(format!("{} was {} and is now {}", key, show(was), show(is)));
        }
    }
    conflicts
}

/// Desired members, keyed.
type Desires<T> = Vec<(<T as Target>::Key, <T as Target>::Desired)>;

/// One write call to make.
enum Write<T: Target> {
    Add(Desires<T>),
    Change(Desires<T>),
    Remove(Vec<(T::Key, T::Found)>),
}

impl<T: Target> Write<T> {
    fn keys(&self) -> Vec<String> {
        match self {
            Write::Add(b) | Write::Change(b) => b.iter().map(|(k, _)| k.to_string()).collect(),
            Write::Remove(b) => b.iter().map(|(k, _)| k.to_string()).collect(),
        }
    }

    fn changes(&self) -> Vec<String> {
        match self {
            Write::Add(b) => b
                .iter()
                .map(|(k, d)| format!("+ {}", T::show_desired(k, d)))
                .collect(),
            Write::Change(b) => b
                .iter()
                .map(|(k, d)| format!("~ {k} -> {}", T::show_value(d)))
                .collect(),
            Write::Remove(b) => b
                .iter()
                .map(|(k, f)| format!("- {}", T::show_found(k, f)))
                .collect(),
        }
    }

    fn operation(&self) -> &'static str {
        match self {
            Write::Add(_) => "add",
            Write::Change(_) => "change",
            Write::Remove(_) => "remove",
        }
    }

    async fn send(self, target: &T) -> Result<Written, Error> {
        match self {
            Write::Add(b) => target.add(b).await,
            Write::Change(b) => target.change(b).await,
            Write::Remove(b) => target.remove(b).await,
        }
    }
}

fn chunks<C: Clone>(items: &[C], limit: usize) -> Vec<Vec<C>> {
    items.chunks(limit.max(1)).map(<[C]>::to_vec).collect()
}

/// Applies a plan: see the [module docs](super). Refusals (a stale plan, the safety limits, a
/// protected member) come back as errors before anything is written; calls that fail are in the
/// report, which says per member what verification found.
pub async fn apply<T: Target>(
    target: &T,
    plan: &Plan<T>,
    options: &ApplyOptions,
) -> Result<ApplyReport, ReconcileError> {
    let started = Instant::now();
    check_plan(target, plan, &options.safety)?;
    let name = name_of(target);
    let (now, listing) = list_consistent(target, options, "before apply").await?;
    let stale = conflicts(target, plan, &now);
    if !stale.is_empty() {
        return Err(ReconcileError::Stale {
            target: name,
            conflicts: stale,
        });
    }
    // As listed now, too: a plan edited by hand may say the member was something else.
    let touched = plan.remove.keys().chain(plan.change.keys());
    for (key, found) in touched.filter_map(|k| Some((k, now.get(k)?))) {
        if let Some(why) = target.protected(key, found) {
            return Err(ReconcileError::Protected {
                target: name,
                member: T::show_found(key, found),
                why,
            });
        }
    }
    let mut report = ApplyReport {
        target: name,
        calls: listing.calls,
        listings: vec![listing],
        ..ApplyReport::default()
    };

    let total = plan.changes();
    let mut now = now;
    let mut round = 0;
    loop {
        round += 1;
        // What is already as planned counts as done once; in later rounds it was done here.
        let first = round == 1;
        let phases = writes(
            target,
            plan,
            &now,
            first.then_some(&mut report.already_done),
        );
        // Members whose call failed, with the error: verification says so rather than guess.
        let mut failed = BTreeMap::new();
        for phase in phases {
            run_phase(
                target,
                phase,
                options,
                started,
                total,
                &mut report,
                &mut failed,
            )
            .await;
        }
        if !options.verify {
            report.verification = Verification::Skipped;
            break;
        }
        let (verification, listed) = verify(target, plan, options, &failed, &mut report).await;
        // Calls that failed in passing (a 500, a timeout, throttling past the client's retries)
        // are made again from the verification listing, as long as nobody else changed the
        // target: the engine is level-based, so writing what is still missing is safe.
        let transient =
            !report.failed.is_empty() && report.failed.iter().all(|c| is_transient(&c.error));
        match listed {
            Some(listed)
                if transient
                    && round <= options.write_retries
                    && conflicts(target, plan, &listed).is_empty() =>
            {
                tracing::info!(target = %report.target, failed = report.failed.len(), "writing again what failed");
                report
                    .retried
                    .extend(report.failed.drain(..).flat_map(|c| c.changes));
                now = listed;
            }
            _ => {
                report.verification = verification;
                break;
            }
        }
    }
    report.duration_ms = millis(started.elapsed());
    Ok(report)
}

/// A failure that may pass if the call is made again later.
fn is_transient(error: &Error) -> bool {
    error.is_retryable() || error.status() == Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
}

/// The write calls that bring the target from `now` to the plan's goal, phase by phase: adds
/// before changes before removals (a member is never without its replacement), as far as the
/// member limit allows; what is already as planned goes to `done`, when given.
fn writes<T: Target>(
    target: &T,
    plan: &Plan<T>,
    now: &BTreeMap<T::Key, T::Found>,
    mut done: Option<&mut Vec<String>>,
) -> [Vec<Write<T>>; 4] {
    let mut note = |change: String| {
        if let Some(done) = done.as_mut() {
            done.push(change);
        }
    };
    let mut adds = Vec::new();
    for (key, d) in &plan.add {
        if now.contains_key(key) {
            note(format!("+ {}", T::show_desired(key, d)));
        } else {
            adds.push((key.clone(), d.clone()));
        }
    }
    // One change call sets one value for many members: group the changes by the value.
    let mut by_value: BTreeMap<&T::Desired, Desires<T>> = BTreeMap::new();
    for (key, c) in &plan.change {
        match now.get(key) {
            Some(f) if target.satisfies(f, &c.to) => {
                note(format!("~ {key} -> {}", T::show_value(&c.to)))
            }
            _ => by_value
                .entry(&c.to)
                .or_default()
                .push((key.clone(), c.to.clone())),
        }
    }
    let mut removes = Vec::new();
    for (key, f) in &plan.remove {
        match now.get(key) {
            // As listed now: a record ID may have changed since the plan was made.
            Some(current) => removes.push((key.clone(), current.clone())),
            // The listing was consistent (keys checked, re-read while it was not): it is gone.
            None => note(format!("- {}", T::show_found(key, f))),
        }
    }
    let limits = target.limits();
    // Adds that would take the target past its member limit wait for the removals.
    let room = limits
        .max_members
        .map_or(adds.len(), |max| max.saturating_sub(now.len()));
    let later = adds.split_off(room.min(adds.len()));
    [
        chunks(&adds, limits.add)
            .into_iter()
            .map(Write::Add)
            .collect(),
        by_value
            .into_values()
            .flat_map(|group| chunks(&group, limits.change))
            .map(Write::Change)
            .collect(),
        chunks(&removes, limits.remove)
            .into_iter()
            .map(Write::Remove)
            .collect(),
        chunks(&later, limits.add)
            .into_iter()
            .map(Write::Add)
            .collect(),
    ]
}

async fn run_phase<T: Target>(
    target: &T,
    writes: Vec<Write<T>>,
    options: &ApplyOptions,
    started: Instant,
    total: usize,
    report: &mut ApplyReport,
    failed: &mut BTreeMap<String, String>,
) {
    let calls = writes.into_iter().map(|write| {
        let keys = write.keys();
        let changes = write.changes();
        let operation = write.operation();
        async move {
            let began = Instant::now();
            let (result, attempts) = call::counted(write.send(target)).await;
            let chunk = ChunkReport {
                operation: operation.to_owned(),
                changes,
                // A target without this crate's transport (a test double) counts one per call.
                attempts: attempts.max(1),
                request_id: match &result {
                    Ok(w) => w.request_id.clone(),
                    Err(e) => e.request_id().map(str::to_owned),
                },
                outcome: if result.is_ok() {
                    Outcome::Applied
                } else {
                    Outcome::Failed
                },
                error: result.as_ref().err().map(ToString::to_string),
                started_ms: millis(began.duration_since(started)),
                duration_ms: millis(began.elapsed()),
            };
            (chunk, keys, result.err())
        }
    });
    let mut results = futures::stream::iter(calls).buffer_unordered(options.concurrency.max(1));
    while let Some((chunk, keys, error)) = results.next().await {
        report.calls += chunk.attempts;
        match error {
            None => report.applied.extend(chunk.changes.iter().cloned()),
            Some(error) => {
                let why = format!("its call failed: {error}");
                failed.extend(keys.into_iter().map(|k| (k, why.clone())));
                report.failed.push(FailedChunk {
                    changes: chunk.changes.clone(),
                    error,
                });
            }
        }
        if let Some(progress) = &options.progress {
            let failed: usize = report.failed.iter().map(|c| c.changes.len()).sum();
            progress(&ApplyProgress {
                chunk: &chunk,
                done: report.applied.len() + report.already_done.len() + failed,
                total,
            });
        }
        report.chunks.push(chunk);
    }
}

/// Lists the target again and names every planned member that is not as planned.
async fn verify<T: Target>(
    target: &T,
    plan: &Plan<T>,
    options: &ApplyOptions,
    failed: &BTreeMap<String, String>,
    report: &mut ApplyReport,
) -> (Verification, Option<BTreeMap<T::Key, T::Found>>) {
    let (now, listing) = match list_consistent(target, options, "verify").await {
        Ok(listed) => listed,
        Err(e) => {
            let error = e.to_string();
            return (Verification::Failed { error }, None);
        }
    };
    report.calls += listing.calls;
    report.listings.push(listing);
    let show = |key: &T::Key, f: Option<&T::Found>| {
        f.map_or_else(|| "absent".to_owned(), |f| T::show_found(key, f))
    };
    let reason = |key: &T::Key, d: Option<&T::Desired>, f: Option<&T::Found>| {
        failed
            .get(&key.to_string())
            .cloned()
            .or_else(|| target.explain(d, f))
    };
    let mut missed = Vec::new();
    let desired = plan
        .add
        .iter()
        .map(|(k, d)| ("+", k, d))
        .chain(plan.change.iter().map(|(k, c)| ("~", k, &c.to)));
    for (change, key, d) in desired {
        let found = now.get(key);
        if found.is_none_or(|f| !target.satisfies(f, d)) {
            missed.push(NotConverged {
                member: key.to_string(),
                change: change.to_owned(),
                expected: T::show_desired(key, d),
                found: show(key, found),
                reason: reason(key, Some(d), found),
            });
        }
    }
    for key in plan.remove.keys() {
        if let Some(found) = now.get(key) {
            missed.push(NotConverged {
                member: key.to_string(),
                change: "-".to_owned(),
                expected: "absent".to_owned(),
                found: show(key, Some(found)),
                reason: reason(key, None, Some(found)),
            });
        }
    }
    let verification = if missed.is_empty() {
        Verification::Passed
    } else {
        Verification::NotConverged { members: missed }
    };
    (verification, Some(now))
}
