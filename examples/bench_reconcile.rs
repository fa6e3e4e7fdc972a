//! Reconciles a CodeArts project of 10,000 members against the embedded fake with 20 ms of
//! latency per request: 5,000 to add, 2,000 to remove, 1,000 role changes (2,000 unchanged).
//! Then does the same changes the naive way, one call per member, one at a time, on a fresh
//! fake, and prints both: wall time, calls made, and the ratios. `bench/reconcile.sh` runs it.
//!
//! `cargo run --release --features fake --example bench_reconcile [-- LATENCY_MS]`

use std::{
    collections::BTreeMap,
    process::ExitCode,
    time::{Duration, Instant},
};

use huaweicloud_openapi::{
    auth::Credentials,
    fake::FakeServer,
    projectman::{types, Role},
    reconcile::{self, DesiredProject, Safety},
    retry::RetryPolicy,
    Error, Execute, ProjectManClient,
};

const PROJECT: &str = "526cefde62004de2b62b5e8dd2c2b3af";

fn user(i: usize) -> String {
    format!("{:032x}", 0x10_0000 + i)
}

/// Users 0..5000 are members first (developers); the desired list keeps 2000 of them as they
/// are, gives 1000 a new role, drops 2000, and adds 5000 new ones (5000..10000).
fn starting_members() -> Vec<(String, Role)> {
    (0..5_000).map(|i| (user(i), Role::Developer)).collect()
}

fn desired() -> DesiredProject {
    let mut members = BTreeMap::new();
    for i in 0..2_000 {
        members.insert(user(i), Role::Developer.value() as i32);
    }
    for i in 2_000..3_000 {
        members.insert(user(i), Role::Viewer.value() as i32);
    }
    for i in 5_000..10_000 {
        members.insert(user(i), Role::Tester.value() as i32);
    }
    DesiredProject {
        project_id: PROJECT.into(),
        members,
        prune: true,
    }
}

async fn fake_with_members(latency: Duration) -> Result<(FakeServer, ProjectManClient), Error> {
    let fake = FakeServer::start()
        .await
        .map_err(|e| Error::Config(e.to_string()))?;
    fake.record_requests(0);
    let client = ProjectManClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token("bench")?)
        .retry_policy(RetryPolicy::disabled())
        .build()?;
    for chunk in starting_members().chunks(50) {
        let users = chunk
            .iter()
            .map(|(u, r)| {
                Ok(types::BatchAddMemberRequestV4 {
                    role_id: Some((*r).into()),
                    user_id: u.parse()?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        client
            .batch_add_members_v4()
            .project_id(PROJECT)
            .body_map(|b| b.users(users))
            .execute()
            .await?;
    }
    fake.set_latency(latency);
    Ok((fake, client))
}

/// One call per changed member, one at a time: what a loop over the desired list does.
async fn naive(client: &ProjectManClient, plan: &reconcile::ProjectPlan) -> Result<usize, Error> {
    let mut calls = 0;
    for (u, role) in &plan.add {
        client
            .batch_add_members_v4()
            .project_id(PROJECT)
            .body_map(|b| {
                b.users(vec![types::BatchAddMemberRequestV4 {
                    role_id: types::RoleId::try_from(*role).ok(),
                    user_id: u.parse().expect("a 32-character ID"),
                }])
            })
            .execute()
            .await?;
        calls += 1;
    }
    for c in &plan.change_role {
        client
            .update_membes_role_v4()
            .project_id(PROJECT)
            .body_map(|b| {
                b.role_id(types::RoleId::try_from(c.to).expect("a role"))
                    .user_ids(vec![c.user_id.parse::<types::UserId>().expect("an ID")])
            })
            .execute()
            .await?;
        calls += 1;
    }
    for u in plan.remove.keys() {
        client
            .batch_delete_members_v4()
            .project_id(PROJECT)
            .body_map(|b| b.user_ids(vec![u.parse::<types::UserId>().expect("an ID")]))
            .execute()
            .await?;
        calls += 1;
    }
    Ok(calls)
}

async fn run(latency: Duration) -> Result<(), Error> {
    let (fake, client) = fake_with_members(latency).await?;
    let before = fake.request_count();
    let started = Instant::now();
    let plan = reconcile::plan_project(&client, &desired()).await?;
    let planned = started.elapsed();
    let report = reconcile::apply_project(&client, &plan, &Safety::default(), 8).await?;
    let reconciled = started.elapsed();
    let calls = fake.request_count() - before;
    if !report.is_complete() {
        return Err(Error::InvalidRequest(format!("the apply failed: {report}")));
    }
    let changes = plan.add.len() + plan.remove.len() + plan.change_role.len();
    println!(
        "reconcile: {changes} changes ({} add, {} remove, {} role changes), plan {:.2} s, plan+apply {:.2} s, {calls} calls",
        plan.add.len(),
        plan.remove.len(),
        plan.change_role.len(),
        planned.as_secs_f64(),
        reconciled.as_secs_f64()
    );
    let after = reconcile::plan_project(&client, &desired()).await?;
    if !after.is_empty() {
        return Err(Error::InvalidRequest("planning again is not empty".into()));
    }

    let (naive_fake, naive_client) = fake_with_members(latency).await?;
    let naive_plan = reconcile::plan_project(&naive_client, &desired()).await?;
    let before = naive_fake.request_count();
    let started = Instant::now();
    let naive_calls = naive(&naive_client, &naive_plan).await?;
    let naive_time = started.elapsed();
    debug_assert_eq!(naive_calls, naive_fake.request_count() - before);
    println!(
        "naive loop: {naive_calls} calls, {:.2} s",
        naive_time.as_secs_f64()
    );
    println!(
        "ratio: reconcile is {:.1}x faster with {:.1}x fewer calls",
        naive_time.as_secs_f64() / reconciled.as_secs_f64(),
        naive_calls as f64 / calls as f64
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let latency = std::env::args()
        .nth(1)
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_millis(20), Duration::from_millis);
    match run(latency).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_reconcile: {e}");
            ExitCode::FAILURE
        }
    }
}
