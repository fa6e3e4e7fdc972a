//! Reconciles one job within the services' limits against the embedded fake with 20 ms of
//! latency per request: a DataArts permission set that goes from 5,000 to 10,000 members (7,000
//! to add, 2,000 to remove) and ten CodeArts projects of 500 members that end with 800 (500 to
//! add, 200 to remove, 100 role changes each). The same job, each on a fresh fake, four ways:
//!
//! - **reconcile**: plan and apply with the engine, 8 calls at a time, verified;
//! - **one batch at a time**: the same batches, one call at a time, not verified (what a careful
//!   script with the official SDK does);
//! - **terraform-like**: one call per member, 10 at a time (Terraform's default parallelism);
//! - **naive loop**: one call per member, one at a time.
//!
//! Then reconcile once more against the fake's gateway limited to `--rate=N` calls per second
//! (default 50), with the clients paced at that rate: its wall time against the floor, the calls
//! that got through divided by the rate.
//!
//! The baselines get their plans for free (not timed, not counted); reconcile's figures include
//! its listings. Prints wall time, calls and the ratios. `bench/reconcile.sh` runs it.
//!
//! `cargo run --release --features fake --example bench_reconcile [-- LATENCY_MS [--no-naive] [--rate=N]]`

use std::{
    process::ExitCode,
    time::{Duration, Instant},
};

use futures::StreamExt;
use huaweicloud_openapi::{
    auth::Credentials,
    dataarts::types as da,
    fake::{self, FakeServer, RateLimit},
    projectman::{types as pm, Role},
    ratelimit::RateLimiter,
    reconcile::{
        self, ApplyOptions, DesiredMember, DesiredPermissionSet, DesiredProject, PermissionSetPlan,
        ProjectPlan, ReconcileError, Safety,
    },
    retry::RetryPolicy,
    DataArtsClient, Error, Execute, ProjectManClient,
};

const PROJECTS: usize = 10;

fn project_id(p: usize) -> String {
    format!("{:032x}", 0xc0de_0000 + p)
}

fn user(i: usize) -> String {
    format!("{:032x}", 0x10_0000 + i)
}

fn member(i: usize) -> DesiredMember {
    DesiredMember::user(user(i), format!("user_{i:05}"))
}

/// The permission set: members 0..5000 first; the desired list drops 0..2000 and adds
/// 5000..12000.
fn desired_set() -> DesiredPermissionSet {
    DesiredPermissionSet {
        permission_set_id: fake::PERMISSION_SET_ID.into(),
        members: (2_000..12_000).map(member).collect(),
        prune: true,
    }
}

/// Project `p`: users 0..500 first (developers); the desired list keeps 200 as they are, makes
/// 100 viewers, drops 200 and adds 500 testers (500..1000).
fn desired_project(p: usize) -> DesiredProject {
    let members = (0..200)
        .map(|i| (user(i), Role::Developer))
        .chain((200..300).map(|i| (user(i), Role::Viewer)))
        .chain((500..1_000).map(|i| (user(i), Role::Tester)))
        .collect();
    DesiredProject {
        project_id: project_id(p),
        members,
        prune: true,
    }
}

struct Clients {
    fake: FakeServer,
    da: DataArtsClient,
    pm: ProjectManClient,
}

fn config(e: impl std::fmt::Display) -> Error {
    Error::Config(e.to_string())
}

fn failed(e: ReconcileError) -> Error {
    Error::InvalidRequest(e.to_string())
}

/// Clients of both services on `fake`, with `retry` and, when given, paced by `pace`.
fn clients(
    fake: &FakeServer,
    retry: RetryPolicy,
    pace: Option<RateLimiter>,
) -> Result<(DataArtsClient, ProjectManClient), Error> {
    let token = Credentials::token("bench")?;
    let mut da = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(token.clone())
        .project_id(fake::PROJECT_ID)
        .workspace("dd97167b873d4a79b2aad54d4370a3bc")
        .retry_policy(retry.clone());
    let mut pm = ProjectManClient::builder()
        .endpoint(fake.endpoint())
        .credentials(token)
        .retry_policy(retry);
    if let Some(pace) = pace {
        da = da.rate_limiter(pace.clone());
        pm = pm.rate_limiter(pace);
    }
    Ok((da.build()?, pm.build()?))
}

/// A fresh fake with the starting members, then `latency` on every answer.
async fn seeded(latency: Duration) -> Result<Clients, Error> {
    let fake = FakeServer::start().await.map_err(config)?;
    fake.record_requests(0);
    let (da, pm) = clients(&fake, RetryPolicy::disabled(), None)?;
    let fill = ApplyOptions::new().concurrency(8).verify(false);
    let set = DesiredPermissionSet {
        members: (0..5_000).map(member).collect(),
        ..desired_set()
    };
    let plan = reconcile::plan_permission_set(&da, &set)
        .await
        .map_err(failed)?;
    reconcile::apply_permission_set(&da, &plan, &fill)
        .await
        .map_err(failed)?;
    for p in 0..PROJECTS {
        let start = DesiredProject {
            members: (0..500).map(|i| (user(i), Role::Developer)).collect(),
            ..desired_project(p)
        };
        let plan = reconcile::plan_project(&pm, &start).await.map_err(failed)?;
        reconcile::apply_project(&pm, &plan, &fill)
            .await
            .map_err(failed)?;
    }
    fake.set_latency(latency);
    Ok(Clients { fake, da, pm })
}

async fn plans(c: &Clients) -> Result<(PermissionSetPlan, Vec<ProjectPlan>), Error> {
    let set = reconcile::plan_permission_set(&c.da, &desired_set())
        .await
        .map_err(failed)?;
    let mut projects = Vec::new();
    for p in 0..PROJECTS {
        projects.push(
            reconcile::plan_project(&c.pm, &desired_project(p))
                .await
                .map_err(failed)?,
        );
    }
    Ok((set, projects))
}

/// Every target is as desired.
async fn check_done(c: &Clients) -> Result<(), Error> {
    let (set, projects) = plans(c).await?;
    if !set.is_empty() || projects.iter().any(|p| !p.is_empty()) {
        return Err(Error::InvalidRequest("planning again is not empty".into()));
    }
    Ok(())
}

/// The engine, target after target, `concurrency` calls at a time; plans included.
async fn engine(c: &Clients, concurrency: usize, verify: bool) -> Result<(), Error> {
    let options = ApplyOptions::new()
        .concurrency(concurrency)
        .verify(verify)
        .safety(Safety {
            allow_large_removals: true,
            ..Safety::default()
        });
    let set = reconcile::plan_permission_set(&c.da, &desired_set())
        .await
        .map_err(failed)?;
    let report = reconcile::apply_permission_set(&c.da, &set, &options)
        .await
        .map_err(failed)?;
    if !report.is_complete() {
        return Err(Error::InvalidRequest(report.to_string()));
    }
    for p in 0..PROJECTS {
        let plan = reconcile::plan_project(&c.pm, &desired_project(p))
            .await
            .map_err(failed)?;
        let report = reconcile::apply_project(&c.pm, &plan, &options)
            .await
            .map_err(failed)?;
        if !report.is_complete() {
            return Err(Error::InvalidRequest(report.to_string()));
        }
    }
    Ok(())
}

/// One call per changed member, `parallel` at a time: removals first (a project may not pass
/// 1,000 members on the way), then role changes, then additions.
async fn per_member(
    c: &Clients,
    set: &PermissionSetPlan,
    projects: &[ProjectPlan],
    parallel: usize,
) -> Result<(), Error> {
    type Call<'a> = futures::future::BoxFuture<'a, Result<(), Error>>;
    let (mut removes, mut changes, mut adds): (Vec<Call<'_>>, Vec<Call<'_>>, Vec<Call<'_>>) =
        Default::default();
    for m in set.add.values() {
        let request = da::PermissionSetMemberCreate {
            member_type: Some(da::MemberType::User),
            member_id: Some(m.member_id.parse()?),
            member_name: Some(m.member_name.parse()?),
            workspace: None,
        };
        let call =
            c.da.batch_create_security_permission_set_members()
                .permission_set_id(fake::PERMISSION_SET_ID)
                .body_map(|b| b.members(vec![request]));
        adds.push(Box::pin(async move { call.execute().await.map(drop) }));
    }
    for f in set.remove.values() {
        let id: da::BatchDeleteRequestBodyIdsItem = f.record_id.parse()?;
        let call =
            c.da.batch_delete_security_permission_set_members()
                .permission_set_id(fake::PERMISSION_SET_ID)
                .body_map(|b| b.ids(vec![id]));
        removes.push(Box::pin(async move { call.execute().await.map(drop) }));
    }
    for plan in projects {
        let project = plan.target.as_str();
        for (u, role) in &plan.add {
            let users = vec![pm::BatchAddMemberRequestV4 {
                role_id: Some((*role).into()),
                user_id: u.parse()?,
            }];
            let call =
                c.pm.batch_add_members_v4()
                    .project_id(project)
                    .body_map(|b| b.users(users));
            adds.push(Box::pin(async move { call.execute().await.map(drop) }));
        }
        for (u, change) in &plan.change {
            let id: pm::UserId = u.parse()?;
            let call =
                c.pm.update_membes_role_v4()
                    .project_id(project)
                    .body_map(|b| b.role_id(pm::RoleId::from(change.to)).user_ids(vec![id]));
            changes.push(Box::pin(async move { call.execute().await.map(drop) }));
        }
        for u in plan.remove.keys() {
            let id: pm::UserId = u.parse()?;
            let call =
                c.pm.batch_delete_members_v4()
                    .project_id(project)
                    .body_map(|b| b.user_ids(vec![id]));
            removes.push(Box::pin(async move { call.execute().await.map(drop) }));
        }
    }
    for phase in [removes, changes, adds] {
        let mut results = futures::stream::iter(phase).buffer_unordered(parallel);
        while let Some(result) = results.next().await {
            result?;
        }
    }
    Ok(())
}

/// One way of doing the job: its wall time and calls.
struct Run {
    name: &'static str,
    time: Duration,
    calls: usize,
}

async fn measure(
    name: &'static str,
    latency: Duration,
    way: impl AsyncFnOnce(&Clients, PermissionSetPlan, Vec<ProjectPlan>) -> Result<(), Error>,
) -> Result<Run, Error> {
    let c = seeded(latency).await?;
    let (set, projects) = plans(&c).await?;
    let before = c.fake.request_count();
    let started = Instant::now();
    way(&c, set, projects).await?;
    let run = Run {
        name,
        time: started.elapsed(),
        calls: c.fake.request_count() - before,
    };
    c.fake.set_latency(Duration::ZERO);
    check_done(&c).await?;
    println!(
        "{:<22} {:>9.2} s {:>7} calls",
        run.name,
        run.time.as_secs_f64(),
        run.calls
    );
    Ok(run)
}

/// The reconcile run again, against the fake's gateway limited to `rate` calls per 1-second
/// window, with the clients paced at that rate (`RateLimiter::fixed`) and their default retries:
/// the floor is the calls the job needs divided by the rate.
async fn rate_limited(latency: Duration, rate: u32) -> Result<(), Error> {
    let mut c = seeded(latency).await?;
    let pace = RateLimiter::fixed(f64::from(rate))?;
    (c.da, c.pm) = clients(&c.fake, RetryPolicy::default(), Some(pace))?;
    c.fake
        .set_rate_limit(Some(RateLimit::new(rate, Duration::from_secs(1))))?;
    let before = c.fake.request_count();
    let started = Instant::now();
    engine(&c, 8, true).await?;
    let time = started.elapsed();
    let calls = c.fake.request_count() - before;
    let throttled = c.fake.throttled_count();
    c.fake.set_rate_limit(None)?;
    c.fake.set_latency(Duration::ZERO);
    check_done(&c).await?;
    let floor = (calls - throttled) as f64 / f64::from(rate);
    println!(
        "{:<22} {:>9.2} s {:>7} calls ({throttled} throttled); limit {rate}/s, floor {floor:.2} s: \
         {:.2}x the floor",
        "reconcile, rate-limited",
        time.as_secs_f64(),
        calls,
        time.as_secs_f64() / floor
    );
    Ok(())
}

async fn run(latency: Duration, naive: bool) -> Result<(), Error> {
    println!(
        "job: permission set 5,000 -> 10,000 members (+7,000 -2,000), {PROJECTS} projects \
         500 -> 800 (+500 -200 ~100 each); {} ms a request",
        latency.as_millis()
    );
    let reconciled = measure("reconcile (8 at once)", latency, async |c, _, _| {
        engine(c, 8, true).await
    })
    .await?;
    let mut baselines = vec![
        measure("one batch at a time", latency, async |c, _, _| {
            engine(c, 1, false).await
        })
        .await?,
        measure("terraform-like (10)", latency, async |c, set, projects| {
            per_member(c, &set, &projects, 10).await
        })
        .await?,
    ];
    if naive {
        baselines.push(
            measure("naive loop", latency, async |c, set, projects| {
                per_member(c, &set, &projects, 1).await
            })
            .await?,
        );
    }
    for b in &baselines {
        println!(
            "reconcile vs {}: {:.1}x faster, {:.1}x fewer calls",
            b.name,
            b.time.as_secs_f64() / reconciled.time.as_secs_f64(),
            b.calls as f64 / reconciled.calls as f64
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let latency = args
        .iter()
        .find_map(|a| a.parse().ok())
        .map_or(Duration::from_millis(20), Duration::from_millis);
    let naive = !args.iter().any(|a| a == "--no-naive");
    let rate = args
        .iter()
        .find_map(|a| a.strip_prefix("--rate=").and_then(|r| r.parse().ok()))
        .unwrap_or(50);
    let result = match run(latency, naive).await {
        Ok(()) => rate_limited(latency, rate).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_reconcile: {e}");
            ExitCode::FAILURE
        }
    }
}
