//! Membership as code against the fake: every plan kind, idempotence, a partial failure then
//! resumed, a concurrent change detected, the safety refusals, chunks at the batch limits;
//! listings that repeat a member and hide another (in the plan and in apply's re-list), writes
//! the service accepts but does not do (verification), the desired side refused before any call,
//! listing pages that fail, counted calls and request IDs in the report, a third kind of target
//! on the same engine; and a raw loopback server for the listing faults.
#![cfg(feature = "fake")]
// Each service's target is tested when it is built, the engine's own (a third kind) always; what
// only one service's tests use goes unused without it. All features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

mod common;

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{
    dataarts::types as da,
    reconcile::{DesiredMember, DesiredPermissionSet},
};
use huaweicloud_openapi::{
    fake::{self, Fault, CALLER_USER_ID},
    paginate,
    reconcile::{
        self, ApplyOptions, Limits, ListSettings, Listing, ReconcileError, Safety, Target,
        Verification, Written,
    },
    retry::RetryPolicy,
    Error, Execute,
};
#[cfg(feature = "projectman")]
use huaweicloud_openapi::{
    projectman::Role,
    reconcile::{DesiredProject, ProjectTarget},
};

use common::hostile::{self, Hostile};

#[cfg(feature = "projectman")]
const PROJECT: &str = common::CODEARTS_PROJECT;

#[cfg(feature = "dataarts")]
fn user(i: usize) -> DesiredMember {
    DesiredMember::user(format!("{i:032x}"), format!("user_{i:05}"))
}

#[cfg(feature = "dataarts")]
fn desired_set(range: std::ops::Range<usize>, prune: bool) -> DesiredPermissionSet {
    DesiredPermissionSet {
        permission_set_id: fake::PERMISSION_SET_ID.into(),
        members: range.map(user).collect(),
        prune,
    }
}

#[cfg(feature = "projectman")]
fn uid(i: usize) -> String {
    format!("{:032x}", 0x1000 + i)
}

#[cfg(feature = "projectman")]
fn desired_project(
    members: impl IntoIterator<Item = (usize, Role)>,
    prune: bool,
) -> DesiredProject {
    DesiredProject {
        project_id: PROJECT.into(),
        members: members.into_iter().map(|(i, r)| (uid(i), r)).collect(),
        prune,
    }
}

/// Default options with waits of a millisecond.
fn options() -> ApplyOptions {
    ApplyOptions::new().retry_delay(Duration::from_millis(1))
}

fn relaxed() -> ApplyOptions {
    options().safety(Safety {
        allow_large_removals: true,
        ..Safety::default()
    })
}

#[cfg(feature = "dataarts")]
fn set_size(fake: &fake::FakeServer) -> usize {
    fake.members(fake::PROJECT_ID, fake::PERMISSION_SET_ID)
        .len()
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn permission_set_plans_add_remove_keep_and_apply_to_an_empty_plan() {
    let (fake, da) = common::fake_dataarts().await;
    let plan = reconcile::plan_permission_set(&da, &desired_set(0..10, true))
        .await
        .unwrap();
    assert_eq!(
        (plan.add.len(), plan.remove.len(), plan.unchanged),
        (10, 0, 0)
    );
    let again = reconcile::plan_permission_set(&da, &desired_set(0..10, true))
        .await
        .unwrap();
    assert_eq!(
        plan, again,
        "planning twice without changes gives the same plan"
    );
    let report = reconcile::apply_permission_set(&da, &plan, &options())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    assert_eq!(report.verification, Verification::Passed);
    assert_eq!(report.applied.len(), 10);
    assert_eq!(set_size(&fake), 10);
    assert!(
        reconcile::plan_permission_set(&da, &desired_set(0..10, true))
            .await
            .unwrap()
            .is_empty()
    );

    // 5..12: two to add, five to remove (with prune), five unchanged; without prune, no removal.
    let keep = reconcile::plan_permission_set(&da, &desired_set(5..12, false))
        .await
        .unwrap();
    assert_eq!(
        (keep.add.len(), keep.remove.len(), keep.unchanged),
        (2, 0, 10)
    );
    let plan = reconcile::plan_permission_set(&da, &desired_set(5..12, true))
        .await
        .unwrap();
    assert_eq!(
        (plan.add.len(), plan.remove.len(), plan.unchanged),
        (2, 5, 5)
    );
    let shown = plan.to_string();
    assert!(
        shown.contains("+ USER user_00011") && shown.contains("- USER user_00000"),
        "{shown}"
    );
    // A plan is data: it survives a save and a load.
    let saved = serde_json::to_string(&plan).unwrap();
    let loaded: reconcile::PermissionSetPlan = serde_json::from_str(&saved).unwrap();
    assert_eq!(loaded, plan);
    reconcile::apply_permission_set(&da, &loaded, &options())
        .await
        .unwrap();
    assert_eq!(set_size(&fake), 7);
    assert!(
        reconcile::plan_permission_set(&da, &desired_set(5..12, true))
            .await
            .unwrap()
            .is_empty()
    );
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_partial_failure_is_reported_and_the_same_plan_finishes_the_job() {
    let (fake, da) = common::fake_dataarts().await;
    let plan = reconcile::plan_permission_set(&da, &desired_set(0..250, true))
        .await
        .unwrap();
    // The second batch-create call fails (400: not retried).
    let op = "BatchCreateSecurityPermissionSetMembers";
    fake.inject_fault(op, Fault::Delay(Duration::ZERO)).unwrap();
    fake.inject_fault(op, Fault::error(400, "DLS.9999", "injected"))
        .unwrap();
    let one_at_a_time = options().concurrency(1);
    let report = reconcile::apply_permission_set(&da, &plan, &one_at_a_time)
        .await
        .unwrap();
    assert!(!report.is_complete());
    assert_eq!(report.failed.len(), 1);
    assert_eq!(
        report.failed[0].changes.len(),
        100,
        "one chunk of 100 failed"
    );
    assert_eq!(
        report.failed[0]
            .error
            .as_service()
            .and_then(|s| s.error_code.as_deref()),
        Some("DLS.9999")
    );
    assert_eq!(report.applied.len(), 150);
    assert_eq!(set_size(&fake), 150);
    // Verification names the 100 members the failed call carried, and why.
    assert_eq!(report.not_converged().len(), 100, "{report}");
    assert!(report.not_converged().iter().all(|m| m
        .reason
        .as_deref()
        .is_some_and(|r| r.starts_with("its call failed") && r.contains("DLS.9999"))));

    let before = fake.request_count();
    let resumed = reconcile::apply_permission_set(&da, &plan, &one_at_a_time)
        .await
        .unwrap();
    assert!(resumed.is_complete(), "{resumed}");
    assert_eq!(
        (resumed.applied.len(), resumed.already_done.len()),
        (100, 150)
    );
    assert_eq!(
        (fake.request_count() - before) as u64,
        resumed.calls,
        "two listings plus one call for the 100 missing, nothing repeated"
    );
    assert_eq!(resumed.calls, 2 + 1 + 3, "150 then 250 members, 100 a page");
    assert_eq!(set_size(&fake), 250);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_list_changed_by_someone_else_is_detected_and_nothing_is_removed() {
    let (fake, da) = common::fake_dataarts().await;
    let fill = reconcile::plan_permission_set(&da, &desired_set(0..4, true))
        .await
        .unwrap();
    reconcile::apply_permission_set(&da, &fill, &options())
        .await
        .unwrap();
    let plan = reconcile::plan_permission_set(&da, &desired_set(0..3, true))
        .await
        .unwrap();
    assert_eq!(plan.remove.len(), 1);
    // Meanwhile someone adds a member.
    da.batch_create_security_permission_set_members()
        .permission_set_id(fake::PERMISSION_SET_ID)
        .body_map(|b| {
            b.members(vec![da::PermissionSetMemberCreate {
                member_id: Some("intruder".parse().unwrap()),
                member_name: Some("intruder".parse().unwrap()),
                member_type: Some(da::MemberType::User),
                workspace: None,
            }])
        })
        .execute()
        .await
        .unwrap();
    let error = reconcile::apply_permission_set(&da, &plan, &options())
        .await
        .unwrap_err();
    match &error {
        ReconcileError::Stale { conflicts, .. } => {
            assert!(
                conflicts.iter().any(|c| c.contains("intruder")),
                "{conflicts:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(set_size(&fake), 5, "nothing removed");
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn large_removals_need_an_override() {
    let (fake, da) = common::fake_dataarts().await;
    let fill = reconcile::plan_permission_set(&da, &desired_set(0..10, true))
        .await
        .unwrap();
    reconcile::apply_permission_set(&da, &fill, &options())
        .await
        .unwrap();
    let plan = reconcile::plan_permission_set(&da, &desired_set(0..4, true))
        .await
        .unwrap();
    let error = reconcile::apply_permission_set(&da, &plan, &options())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ReconcileError::TooManyRemovals {
                removals: 6,
                members: 10,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.is_refusal());
    assert_eq!(set_size(&fake), 10);
    reconcile::apply_permission_set(&da, &plan, &relaxed())
        .await
        .unwrap();
    assert_eq!(set_size(&fake), 4);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn removals_are_chunked_at_the_spec_s_batch_limit() {
    let (fake, da) = common::fake_dataarts().await;
    let fill = reconcile::plan_permission_set(&da, &desired_set(0..201, true))
        .await
        .unwrap();
    reconcile::apply_permission_set(&da, &fill, &options())
        .await
        .unwrap();
    fake.record_requests(1_000);
    let empty = reconcile::plan_permission_set(&da, &desired_set(0..0, true))
        .await
        .unwrap();
    let report = reconcile::apply_permission_set(&da, &empty, &relaxed())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    let mut sizes: Vec<usize> = fake
        .recorded_requests()
        .iter()
        .filter(|r| r.operation.as_deref() == Some("BatchDeleteSecurityPermissionSetMembers"))
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            body["ids"].as_array().unwrap().len()
        })
        .collect();
    sizes.sort();
    assert_eq!(sizes, [1, 100, 100], "the spec's maxItems of 100 IDs");
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn project_plans_add_change_roles_remove_and_chunk_at_fifty() {
    let (fake, pm) = common::fake_projectman().await;
    fake.record_requests(1_000);
    let plan = reconcile::plan_project(
        &pm,
        &desired_project((0..101).map(|i| (i, Role::Developer)), true),
    )
    .await
    .unwrap();
    assert_eq!(
        (plan.add.len(), plan.remove.len(), plan.change.len()),
        (101, 0, 0)
    );
    assert_eq!(plan.unchanged, 1, "the caller, as the project's creator");
    let report = reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    let mut sizes: Vec<usize> = fake
        .recorded_requests()
        .iter()
        .filter(|r| r.operation.as_deref() == Some("BatchAddMembersV4"))
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            body["users"].as_array().unwrap().len()
        })
        .collect();
    sizes.sort();
    assert_eq!(sizes, [1, 50, 50], "the spec's maxItems of 50 users");

    // Roles: 0..10 become viewers, 10..20 managers, 90..101 leave (with prune); the rest stay.
    let desired = desired_project(
        (0..90).map(|i| {
            let role = match i {
                0..10 => Role::Viewer,
                10..20 => Role::ProjectManager,
                _ => Role::Developer,
            };
            (i, role)
        }),
        true,
    );
    let plan = reconcile::plan_project(&pm, &desired).await.unwrap();
    assert_eq!(
        (plan.add.len(), plan.change.len(), plan.remove.len()),
        (0, 20, 11)
    );
    assert!(plan.to_string().contains("~ "), "{plan}");
    // A saved project plan keeps roles as the API's numbers.
    let saved = serde_json::to_value(&plan).unwrap();
    assert_eq!(saved["change"][uid(0)]["to"], 8, "{saved}");
    let report = reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    let roles: BTreeMap<String, i32> = fake.project_members(PROJECT).into_iter().collect();
    assert_eq!(roles.len(), 91);
    assert_eq!(roles[&uid(0)], 8);
    assert_eq!(roles[&uid(10)], 3);
    assert_eq!(roles[&uid(50)], 4);
    assert_eq!(roles[CALLER_USER_ID], -1, "the creator stays");
    assert!(reconcile::plan_project(&pm, &desired)
        .await
        .unwrap()
        .is_empty());
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn the_creator_and_the_last_manager_are_protected() {
    let (fake, pm) = common::fake_projectman().await;
    let start = desired_project([(0, Role::ProjectManager), (1, Role::Developer)], true);
    let plan = reconcile::plan_project(&pm, &start).await.unwrap();
    reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap();

    // A desired list without the creator never plans to remove or demote it.
    let plan = reconcile::plan_project(&pm, &desired_project([(1, Role::Developer)], true))
        .await
        .unwrap();
    assert!(!plan.remove.contains_key(CALLER_USER_ID));
    // It removes the last manager, though: refused unless allowed.
    let error = reconcile::apply_project(&pm, &plan, &relaxed())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ReconcileError::LastManager { .. }),
        "{error}"
    );
    // Asking for the creator's role is refused at planning, before any call.
    let mut bad = start.clone();
    bad.members.insert(uid(2), Role::ProjectCreator);
    let before = fake.request_count();
    let error = reconcile::plan_project(&pm, &bad).await.unwrap_err();
    assert!(
        matches!(&error, ReconcileError::Invalid { member, .. } if member.contains(&uid(2))),
        "{error}"
    );
    assert_eq!(fake.request_count(), before);
    // A plan edited by hand to remove the creator is refused, whatever the overrides.
    let mut tampered = reconcile::plan_project(&pm, &start).await.unwrap();
    tampered.remove.insert(CALLER_USER_ID.into(), -1);
    let everything = options().safety(Safety {
        allow_large_removals: true,
        allow_removing_last_manager: true,
        ..Safety::default()
    });
    let error = reconcile::apply_project(&pm, &tampered, &everything)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ReconcileError::Protected { member, .. } if member.contains(CALLER_USER_ID)),
        "{error}"
    );
    // Also when the edit disguises the creator as a developer: the listing says otherwise.
    tampered.remove.insert(CALLER_USER_ID.into(), 4);
    let error = reconcile::apply_project(&pm, &tampered, &everything)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ReconcileError::Protected { member, .. } if member.contains(CALLER_USER_ID)),
        "{error}"
    );
    assert_eq!(fake.project_members(PROJECT).len(), 3);
}

/// A project with the creator and members 0..n, all developers.
#[cfg(feature = "projectman")]
async fn project_with(
    fake: &fake::FakeServer,
    pm: &huaweicloud_openapi::ProjectManClient,
    n: usize,
) {
    let plan = reconcile::plan_project(
        pm,
        &desired_project((0..n).map(|i| (i, Role::Developer)), true),
    )
    .await
    .unwrap();
    let report = reconcile::apply_project(pm, &plan, &options())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    assert_eq!(fake.project_members(PROJECT).len(), n + 1);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_listing_that_repeats_a_member_and_hides_another_is_read_again_when_planning() {
    let (fake, da) = common::fake_dataarts().await;
    let fill = reconcile::plan_permission_set(&da, &desired_set(0..150, true))
        .await
        .unwrap();
    reconcile::apply_permission_set(&da, &fill, &options())
        .await
        .unwrap();
    let honest = reconcile::plan_permission_set(&da, &desired_set(0..149, true))
        .await
        .unwrap();
    assert_eq!(honest.remove.len(), 1, "member 149, listed last");

    // One shifted page: the first reading repeats member 99 and hides member 149; the second
    // reading is right, and so is the plan.
    fake.shift_permission_set_member_pages(1);
    let plan = reconcile::plan_permission_set(&da, &desired_set(0..149, true))
        .await
        .unwrap();
    assert_eq!(plan, honest);

    // Shifted for good: the plan fails, naming the member and the offset, after three readings.
    fake.shift_permission_set_member_pages(1_000);
    let before = fake.request_count();
    let error = reconcile::plan_permission_set(&da, &desired_set(0..149, true))
        .await
        .unwrap_err();
    let source = error.call_error().expect("a listing error");
    assert!(paginate::is_inconsistent(source), "{error}");
    match source {
        Error::Pagination {
            message, offset, ..
        } => {
            assert!(message.contains(&format!("{:032x}", 99)), "{message}");
            assert_eq!(*offset, 100);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.request_count() - before,
        3 * 2,
        "three readings of two pages"
    );
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn a_re_list_that_hides_a_member_planned_for_removal_never_ends_in_success() {
    let (fake, pm) = common::fake_projectman().await;
    project_with(&fake, &pm, 150).await;
    // The listing is sorted by user ID: a user `ff...f` comes last, after the creator (f0f0...).
    let last = "f".repeat(32);
    let mut desired = desired_project((0..150).map(|i| (i, Role::Developer)), true);
    desired.members.insert(last.clone(), Role::Viewer);
    let plan = reconcile::plan_project(&pm, &desired).await.unwrap();
    reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap();
    // Remove it: a shifted page hides exactly that member (and repeats member 99).
    desired.members.remove(&last);
    let plan = reconcile::plan_project(&pm, &desired).await.unwrap();
    assert_eq!(plan.remove.keys().collect::<Vec<_>>(), [&last]);

    // Apply's re-list stays inconsistent: apply fails, nothing is written, the member stays.
    fake.shift_project_member_pages(1_000);
    let before = fake.request_count();
    let error = reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap_err();
    assert!(
        error.call_error().is_some_and(paginate::is_inconsistent),
        "{error}"
    );
    assert_eq!(fake.request_count() - before, 3 * 2, "listings only");
    assert!(fake
        .project_members(PROJECT)
        .iter()
        .any(|(u, _)| *u == last));

    // Inconsistent once: read again, removed, verified.
    fake.shift_project_member_pages(1);
    let report = reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    assert_eq!(report.applied.len(), 1, "{report}");
    assert!(report.already_done.is_empty(), "{report}");
    assert_eq!(report.listings[0].listings, 2);
    assert_eq!(report.listings[0].inconsistencies.len(), 1);
    assert!(!fake
        .project_members(PROJECT)
        .iter()
        .any(|(u, _)| *u == last));

    // The verification listing is the one that lies: apply does not call it a success.
    let desired = desired_project((0..148).map(|i| (i, Role::Developer)), true);
    let plan = reconcile::plan_project(&pm, &desired).await.unwrap();
    let one_listing = options();
    let with_fault = ApplyOptions {
        listing_attempts: 1,
        ..one_listing
    };
    // The re-list before writing reads 2 pages (1 shifted page between them); the fault is
    // armed by the progress callback, after the write.
    let armed = Arc::new(fake);
    let fake_for_progress = armed.clone();
    let with_fault =
        with_fault.on_progress(move |_| fake_for_progress.shift_project_member_pages(1));
    let report = reconcile::apply_project(&pm, &plan, &with_fault)
        .await
        .unwrap();
    assert!(!report.is_complete(), "{report}");
    assert!(
        matches!(&report.verification, Verification::Failed { error } if error.contains("inconsistent")),
        "{report}"
    );
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn a_skipped_user_and_a_downgraded_role_are_reported_not_converged() {
    let (fake, pm) = common::fake_projectman().await;
    project_with(&fake, &pm, 3).await;
    // uid(10) does not exist; the caller may not grant project manager (3).
    let known: Vec<String> = (0..10).map(uid).collect();
    fake.set_known_users(Some(known));
    fake.set_grantable_roles(Some(vec![4, 5, 6, 7, 8, 9]));
    let desired = desired_project(
        [
            (0, Role::Developer),
            (1, Role::Developer),
            (2, Role::Developer),
            (4, Role::Tester),
            (5, Role::ProjectManager),
            (10, Role::Developer),
        ],
        true,
    );
    let plan = reconcile::plan_project(&pm, &desired).await.unwrap();
    assert_eq!(plan.add.len(), 3);
    let report = reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "the service accepted every call");
    assert!(!report.is_complete(), "{report}");
    let missed: BTreeMap<&str, _> = report
        .not_converged()
        .iter()
        .map(|m| (m.member.as_str(), m))
        .collect();
    assert_eq!(missed.len(), 2, "{report}");
    let skipped = missed[uid(10).as_str()];
    assert_eq!(skipped.found, "absent");
    assert!(
        skipped
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("skips user IDs")),
        "{skipped:?}"
    );
    let downgraded = missed[uid(5).as_str()];
    assert!(downgraded.found.contains("Participant"), "{downgraded:?}");
    assert!(
        downgraded
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("role 7")),
        "{downgraded:?}"
    );
    let shown = report.to_string();
    assert!(shown.contains("2 not converged"), "{shown}");
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn duplicate_and_malformed_desired_members_are_refused_before_any_call() {
    let (fake, da, pm) = common::fake_clients().await;
    let before = fake.request_count();

    let mut twice = desired_set(0..3, true);
    let mut again = user(1);
    again.member_name = "someone_else".into();
    twice.members.push(again);
    let error = reconcile::plan_permission_set(&da, &twice)
        .await
        .unwrap_err();
    match &error {
        ReconcileError::Duplicate {
            first,
            second,
            target,
        } => {
            assert!(first.contains("user_00001"), "{error}");
            assert!(second.contains("someone_else"), "{error}");
            assert!(target.contains(fake::PERMISSION_SET_ID), "{error}");
        }
        other => panic!("{other}"),
    }

    for bad in [
        DesiredMember::user("", "empty_id"),
        DesiredMember::user("x".repeat(129), "long_id"),
        DesiredMember {
            member_type: "ROBOT".into(),
            ..user(7)
        },
    ] {
        let mut desired = desired_set(0..2, true);
        desired.members.push(bad.clone());
        let error = reconcile::plan_permission_set(&da, &desired)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ReconcileError::Invalid { member, target, .. }
                if member.contains(&bad.member_name) && target.contains(fake::PERMISSION_SET_ID)),
            "{error}"
        );
    }

    let mut short = desired_project([(0, Role::Developer)], true);
    short.members.insert("665b542e".into(), Role::Tester);
    let error = reconcile::plan_project(&pm, &short).await.unwrap_err();
    assert!(
        matches!(&error, ReconcileError::Invalid { member, .. } if member.contains("665b542e")),
        "{error}"
    );
    assert!(error.to_string().contains(PROJECT), "{error}");

    // Too many members for one project.
    let crowd = desired_project((0..1_001).map(|i| (i, Role::Viewer)), true);
    let error = reconcile::plan_project(&pm, &crowd).await.unwrap_err();
    assert!(
        matches!(
            error,
            ReconcileError::TooManyMembers {
                members: 1_001,
                limit: 1_000,
                ..
            }
        ),
        "{error}"
    );

    // A desired file that names a user twice or an unknown role does not load.
    let json = format!(
        r#"{{"project_id":"{PROJECT}","members":{{"{0}":4,"{0}":"viewer"}}}}"#,
        uid(0)
    );
    let error = serde_json::from_str::<DesiredProject>(&json).unwrap_err();
    assert!(error.to_string().contains("listed twice"), "{error}");
    let json = format!(
        r#"{{"project_id":"{PROJECT}","members":{{"{}":42}}}}"#,
        uid(0)
    );
    let error = serde_json::from_str::<DesiredProject>(&json).unwrap_err();
    assert!(error.to_string().contains("unknown role 42"), "{error}");
    let json = format!(
        r#"{{"project_id":"{PROJECT}","members":{{"{}":"test_manager"}}}}"#,
        uid(0)
    );
    let loaded: DesiredProject = serde_json::from_str(&json).unwrap();
    assert_eq!(loaded.members[&uid(0)], Role::TestManager);

    assert_eq!(fake.request_count(), before, "nothing was called");
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn the_fake_refuses_a_project_past_a_thousand_members() {
    let (fake, pm) = common::fake_projectman().await;
    project_with(&fake, &pm, 998).await;
    let add = |users: Vec<String>| {
        let pm = pm.clone();
        async move {
            let users = users
                .iter()
                .map(
                    |u| huaweicloud_openapi::projectman::types::BatchAddMemberRequestV4 {
                        role_id: Some(Role::Viewer.into()),
                        user_id: u.parse().unwrap(),
                    },
                )
                .collect::<Vec<_>>();
            pm.batch_add_members_v4()
                .project_id(PROJECT)
                .body_map(|b| b.users(users))
                .execute()
                .await
        }
    };
    let error = add(vec![uid(2_000), uid(2_001)]).await.unwrap_err();
    assert_eq!(
        error.as_service().and_then(|s| s.error_code.as_deref()),
        Some("PM.00000004"),
        "{error}"
    );
    assert_eq!(
        fake.project_members(PROJECT).len(),
        1_000 - 1,
        "refused whole"
    );
    add(vec![uid(2_000)]).await.unwrap();
    assert_eq!(fake.project_members(PROJECT).len(), 1_000);
    // Planning one more member is refused before any write.
    let error = reconcile::plan_project(&pm, &desired_project([(3_000, Role::Viewer)], false))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ReconcileError::TooManyMembers { members: 1_001, .. }),
        "{error}"
    );
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn adds_that_would_pass_the_member_limit_wait_for_the_removals() {
    let (fake, pm) = common::fake_projectman().await;
    project_with(&fake, &pm, 998).await;
    // 999 members: replace 100 of them. Adding first would pass 1,000.
    let desired = desired_project(
        (0..898).chain(2_000..2_100).map(|i| (i, Role::Developer)),
        true,
    );
    let plan = reconcile::plan_project(&pm, &desired).await.unwrap();
    assert_eq!((plan.add.len(), plan.remove.len()), (100, 100));
    let report = reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    let operations: Vec<&str> = report.chunks.iter().map(|c| c.operation.as_str()).collect();
    assert_eq!(operations.first(), Some(&"add"), "what fits is added first");
    assert_eq!(
        operations.last(),
        Some(&"add"),
        "the rest after the removals"
    );
    assert_eq!(fake.project_members(PROJECT).len(), 999);
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn server_errors_on_listing_pages_and_writes_still_converge_in_one_apply() {
    let (fake, pm) = common::fake_projectman().await;
    project_with(&fake, &pm, 250).await;
    let desired = desired_project(
        (0..300).map(|i| {
            (
                i,
                if i < 50 {
                    Role::Viewer
                } else {
                    Role::Developer
                },
            )
        }),
        true,
    );
    // The client retries nothing; the listing fetches a failed page again, in place.
    for _ in 0..2 {
        fake.inject_fault(
            "ListProjectMembersV4",
            Fault::error(500, "PM.500", "injected"),
        )
        .unwrap();
    }
    let plan = reconcile::plan_project(&pm, &desired).await.unwrap();
    assert_eq!((plan.add.len(), plan.change.len()), (50, 50));
    for _ in 0..3 {
        fake.inject_fault(
            "ListProjectMembersV4",
            Fault::error(503, "PM.503", "injected"),
        )
        .unwrap();
    }
    // And writes fail in passing: the client retries no POST, the engine writes them again from
    // the verification listing.
    for _ in 0..2 {
        fake.inject_fault("BatchAddMembersV4", Fault::error(500, "PM.500", "injected"))
            .unwrap();
    }
    fake.inject_fault(
        "UpdateMembesRoleV4",
        Fault::error(503, "PM.503", "injected"),
    )
    .unwrap();
    let report = reconcile::apply_project(&pm, &plan, &options())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    assert!(report.failed.is_empty());
    assert_eq!(
        report.retried.len(),
        2 * 50 + 50,
        "the 50 adds twice, the 50 role changes once"
    );
    assert_eq!(
        report.listings[0].listings, 1,
        "the pages were fetched again, not the whole listing"
    );
    let failed_calls = report
        .chunks
        .iter()
        .filter(|c| c.outcome == reconcile::Outcome::Failed)
        .count();
    assert_eq!(
        failed_calls, 3,
        "the one add call twice, the one role change once"
    );
    assert!(reconcile::plan_project(&pm, &desired)
        .await
        .unwrap()
        .is_empty());
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn the_report_counts_every_attempt_and_keeps_each_call_s_request_id() {
    let fake = fake::FakeServer::start().await.unwrap();
    let retrying = common::projectman(
        &fake.endpoint(),
        huaweicloud_openapi::auth::Credentials::token(common::TOKEN).unwrap(),
        // Batch adds are POSTs: retried on 429 only when the caller opts in.
        RetryPolicy {
            retry_non_idempotent: true,
            ..common::fast_retries()
        },
    );
    let plan = reconcile::plan_project(
        &retrying,
        &desired_project((0..120).map(|i| (i, Role::Tester)), true),
    )
    .await
    .unwrap();
    // The first add is throttled once, then goes through on the client's retry.
    fake.inject_fault(
        "BatchAddMembersV4",
        Fault::error(429, "APIGW.0308", "throttled"),
    )
    .unwrap();
    let events = Arc::new(AtomicUsize::new(0));
    let seen = events.clone();
    let last = Arc::new(Mutex::new((0, 0)));
    let last_seen = last.clone();
    let options = options().concurrency(1).on_progress(move |p| {
        seen.fetch_add(1, Ordering::SeqCst);
        *last_seen.lock().unwrap() = (p.done, p.total);
    });
    let before = fake.request_count();
    let report = reconcile::apply_project(&retrying, &plan, &options)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    assert_eq!(
        report.calls,
        (fake.request_count() - before) as u64,
        "calls are what the server saw, the retry included"
    );
    assert_eq!(report.chunks.len(), 3);
    assert_eq!(report.chunks[0].attempts, 2, "{:?}", report.chunks[0]);
    assert!(report.chunks.iter().all(|c| c.request_id.is_some()));
    assert_eq!(events.load(Ordering::SeqCst), 3, "one event a call");
    assert_eq!(*last.lock().unwrap(), (120, 120));
    // A call's attempts reach its caller through the response as well.
    fake.inject_fault(
        "ListProjectMembersV4",
        Fault::error(503, "APIGW.0503", "unavailable"),
    )
    .unwrap();
    let page = retrying
        .list_project_members_v4()
        .project_id(PROJECT)
        .execute()
        .await
        .unwrap();
    assert_eq!(page.attempts(), 2);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verification"]["state"], "passed");
    assert_eq!(json["chunks"][0]["outcome"], "applied");
    assert!(json["chunks"][0]["request_id"].is_string());
    assert!(!json["listings"][0]["request_ids"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn apply_runs_on_any_runtime_thread() {
    let (_fake, pm) = common::fake_projectman().await;
    let plan = reconcile::plan_project(&pm, &desired_project([(0, Role::Viewer)], true))
        .await
        .unwrap();
    let report = tokio::spawn(async move {
        reconcile::apply_project(&pm, &plan, &ApplyOptions::default()).await
    })
    .await
    .unwrap()
    .unwrap();
    assert!(report.is_complete(), "{report}");
}

// ---------------------------------------------------------------------------------------------
// A third kind of membership: levels of named members in memory, on the same engine.

#[derive(Default)]
struct Board {
    members: BTreeMap<String, u8>,
    /// Listings still to answer with the first member twice and the last hidden.
    faulty_listings: usize,
    /// Levels the board turns into 1 (as a service that downgrades what it may not grant).
    downgrades: Vec<u8>,
    batches: Vec<(&'static str, usize)>,
}

struct Levels {
    board: Arc<Mutex<Board>>,
}

impl Target for Levels {
    type Key = String;
    type Desired = u8;
    type Found = u8;
    const KIND: &'static str = "board";

    fn id(&self) -> &str {
        "toy"
    }

    fn limits(&self) -> Limits {
        Limits {
            add: 3,
            remove: 2,
            change: 2,
            max_members: Some(20),
        }
    }

    async fn list(&self, _settings: ListSettings) -> Result<Listing<String, u8>, Error> {
        let mut board = self.board.lock().unwrap();
        let mut members: Vec<(String, u8)> =
            board.members.iter().map(|(k, v)| (k.clone(), *v)).collect();
        if board.faulty_listings > 0 && members.len() > 1 {
            board.faulty_listings -= 1;
            members.pop();
            members.push(members[0].clone());
        }
        Ok(Listing {
            members,
            request_ids: vec!["toy-list".into()],
        })
    }

    async fn add(&self, batch: Vec<(String, u8)>) -> Result<Written, Error> {
        let mut board = self.board.lock().unwrap();
        board.batches.push(("add", batch.len()));
        for (k, v) in batch {
            let v = if board.downgrades.contains(&v) { 1 } else { v };
            board.members.insert(k, v);
        }
        Ok(Written {
            request_id: Some("toy-add".into()),
        })
    }

    async fn remove(&self, batch: Vec<(String, u8)>) -> Result<Written, Error> {
        let mut board = self.board.lock().unwrap();
        board.batches.push(("remove", batch.len()));
        for (k, _) in batch {
            board.members.remove(&k);
        }
        Ok(Written::default())
    }

    async fn change(&self, batch: Vec<(String, u8)>) -> Result<Written, Error> {
        let mut board = self.board.lock().unwrap();
        board.batches.push(("change", batch.len()));
        assert!(
            batch.windows(2).all(|w| w[0].1 == w[1].1),
            "one value a call"
        );
        for (k, v) in batch {
            let v = if board.downgrades.contains(&v) { 1 } else { v };
            board.members.insert(k, v);
        }
        Ok(Written::default())
    }

    fn satisfies(&self, found: &u8, desired: &u8) -> bool {
        found == desired
    }

    fn validate(&self, key: &String, desired: &u8) -> Result<(), String> {
        if key.is_empty() || *desired == 0 || *desired > 9 {
            return Err("levels are 1 to 9, names not empty".into());
        }
        Ok(())
    }

    fn protected(&self, key: &String, _found: &u8) -> Option<String> {
        (key == "owner").then(|| "the owner stays".into())
    }

    fn explain(&self, desired: Option<&u8>, found: Option<&u8>) -> Option<String> {
        (desired.is_some() && found == Some(&1)).then(|| "downgraded to 1".into())
    }
}

#[tokio::test]
async fn a_third_kind_of_target_runs_on_the_same_engine() {
    let board = Arc::new(Mutex::new(Board::default()));
    {
        let mut b = board.lock().unwrap();
        b.members.insert("owner".into(), 9);
        for i in 0..6 {
            b.members.insert(format!("m{i}"), 2);
        }
    }
    let target = Levels {
        board: board.clone(),
    };
    // m0, m1 stay; m2, m3 change to 5; m4 to 6; m5 leaves; n0..n6 join at 3.
    let desired: Vec<(String, u8)> = [("m0", 2), ("m1", 2), ("m2", 5), ("m3", 5), ("m4", 6)]
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .chain((0..7).map(|i| (format!("n{i}"), 3)))
        .collect();
    // The first listing repeats a member and hides another: the engine reads again.
    board.lock().unwrap().faulty_listings = 1;
    let plan = reconcile::plan(&target, desired.clone(), true, &options())
        .await
        .unwrap();
    assert_eq!(
        (
            plan.add.len(),
            plan.change.len(),
            plan.remove.len(),
            plan.unchanged
        ),
        (7, 3, 1, 3),
        "{plan}"
    );
    assert!(plan.to_string().starts_with("board toy:"), "{plan}");

    // A listing that stays inconsistent fails apply before anything is written.
    board.lock().unwrap().faulty_listings = 10;
    let error = reconcile::apply(&target, &plan, &options())
        .await
        .unwrap_err();
    assert!(
        error.call_error().is_some_and(paginate::is_inconsistent),
        "{error}"
    );
    assert!(board.lock().unwrap().batches.is_empty());
    board.lock().unwrap().faulty_listings = 0;

    board.lock().unwrap().downgrades = vec![6];
    let report = reconcile::apply(&target, &plan, &options()).await.unwrap();
    assert_eq!(
        report.calls,
        3 + 2 + 1 + 2,
        "3 adds, 2 changes, 1 removal, 2 listings"
    );
    let batches = board.lock().unwrap().batches.clone();
    assert_eq!(
        batches,
        [
            ("add", 3),
            ("add", 3),
            ("add", 1),
            ("change", 2),
            ("change", 1),
            ("remove", 1)
        ],
        "adds, then changes grouped by value, then removals, at the limits"
    );
    let missed = report.not_converged();
    assert_eq!(missed.len(), 1, "{report}");
    assert_eq!(missed[0].member, "m4");
    assert_eq!(missed[0].reason.as_deref(), Some("downgraded to 1"));
    assert!(!report.is_complete());

    // The desired side is checked first: a duplicate, an invalid level, too many members.
    let mut twice = desired.clone();
    twice.push(("m0".into(), 4));
    assert!(matches!(
        reconcile::plan(&target, twice, true, &options()).await,
        Err(ReconcileError::Duplicate { .. })
    ));
    assert!(matches!(
        reconcile::plan(&target, vec![("x".to_string(), 0)], true, &options()).await,
        Err(ReconcileError::Invalid { .. })
    ));
    let crowd = (0..21).map(|i| (format!("c{i}"), 1)).collect::<Vec<_>>();
    assert!(matches!(
        reconcile::plan(&target, crowd, true, &options()).await,
        Err(ReconcileError::TooManyMembers { .. })
    ));
    // The protected member is never planned away; a plan edited to remove it is refused.
    let plan = reconcile::plan(&target, Vec::new(), true, &relaxed())
        .await
        .unwrap();
    assert!(!plan.remove.contains_key("owner"));
    let mut tampered = plan.clone();
    tampered.remove.insert("owner".into(), 9);
    assert!(matches!(
        reconcile::apply(&target, &tampered, &relaxed()).await,
        Err(ReconcileError::Protected { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// A raw loopback server answering ProjectMan's member list as the document describes it.

/// `GET /v4/projects/{id}/members?offset=&limit=` over `total` members `uid(0..total)`, sorted;
/// with `shift`, pages at an offset above 0 start one member early (repeating one, hiding the
/// last).
#[cfg(feature = "projectman")]
fn member_list(total: usize, shift: bool) -> impl Fn(usize, &str) -> hostile::Reply {
    move |_, head| {
        let query = |name: &str| -> usize {
            head.split(['?', '&', ' '])
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let (offset, limit) = (query("offset"), query("limit"));
        let start = if shift && offset > 0 {
            offset - 1
        } else {
            offset
        };
        let length = limit.min(total.saturating_sub(offset));
        let members: Vec<serde_json::Value> = (start..start + length)
            .map(|i| serde_json::json!({"user_id": uid(i), "role_id": 4, "user_name": format!("u{i}")}))
            .collect();
        let body = serde_json::json!({"members": members, "total": total});
        hostile::response(200, "", body.to_string().as_bytes())
    }
}

#[cfg(feature = "projectman")]
fn loopback_client(server: &Hostile) -> huaweicloud_openapi::ProjectManClient {
    common::projectman(
        &server.url(),
        huaweicloud_openapi::auth::Credentials::token(common::TOKEN).unwrap(),
        RetryPolicy::disabled(),
    )
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn loopback_a_listing_that_repeats_and_hides_is_refused_naming_the_member_and_offset() {
    let server = Hostile::start("127.0.0.1", member_list(150, true)).await;
    let pm = loopback_client(&server);
    let desired = desired_project((0..149).map(|i| (i, Role::Developer)), true);
    let error = reconcile::plan_project(&pm, &desired).await.unwrap_err();
    match error.call_error() {
        Some(Error::Pagination {
            message,
            offset,
            request_id,
        }) => {
            assert!(message.contains(&uid(99)), "{message}");
            assert!(message.contains("twice"), "{message}");
            assert_eq!(*offset, 100);
            assert_eq!(request_id.as_deref(), Some("rid-200"));
        }
        _ => panic!("{error}"),
    }
    assert_eq!(
        server.received().len(),
        3 * 2,
        "three readings, then the error"
    );
    assert!(
        server.received().iter().all(|r| r.starts_with("GET ")),
        "nothing written"
    );

    // The honest server gives a plan that removes exactly member 149.
    let honest = Hostile::start("127.0.0.1", member_list(150, false)).await;
    let plan = reconcile::plan_project(&loopback_client(&honest), &desired)
        .await
        .unwrap();
    assert_eq!(plan.remove.keys().collect::<Vec<_>>(), [&uid(149)]);
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn loopback_a_project_past_the_list_s_offset_limit_is_a_clear_error() {
    let server = Hostile::start("127.0.0.1", member_list(20_000, false)).await;
    let pm = loopback_client(&server);
    let desired = desired_project([(0, Role::Developer)], false);
    let error = reconcile::plan_project(&pm, &desired).await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("20000") && text.contains("10100"), "{text}");
    assert!(!paginate::is_inconsistent(error.call_error().unwrap()));
    assert_eq!(
        server.received().len(),
        1,
        "stopped at the first page, not read again"
    );
}

#[cfg(feature = "projectman")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_target_lists_through_the_engine_s_settings() {
    // The listing follows the caller's concurrency: with 1, pages go one at a time.
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (now, top) = (in_flight.clone(), most.clone());
    let list = member_list(450, false);
    let server = Hostile::start("127.0.0.1", move |n, head| {
        let current = now.fetch_add(1, Ordering::SeqCst) + 1;
        top.fetch_max(current, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(5));
        now.fetch_sub(1, Ordering::SeqCst);
        list(n, head)
    })
    .await;
    let target = ProjectTarget::new(&loopback_client(&server), PROJECT);
    let desired = (0..450).map(|i| (uid(i), Role::Developer));
    let plan = reconcile::plan(&target, desired, true, &options().concurrency(1))
        .await
        .unwrap();
    assert!(plan.is_empty(), "{plan}");
    assert_eq!(most.load(Ordering::SeqCst), 1);
    assert_eq!(server.received().len(), 5);
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_job_with_transient_faults_everywhere_converges_in_one_apply() {
    // A permission set of 10,000 members and five projects of 1,000, with 500s and 503s on
    // listing pages and 500s, 503s and 429s on writes; the client retries nothing itself.
    let (fake, da, pm) = common::fake_clients().await;
    let fill = options().verify(false);
    let start = reconcile::plan_permission_set(&da, &desired_set(0..5_000, true))
        .await
        .unwrap();
    reconcile::apply_permission_set(&da, &start, &fill)
        .await
        .unwrap();
    let project = |p: usize| format!("{:032x}", 0xc0de_0000 + p);
    let desired_project_p = |p: usize, members: Vec<(usize, Role)>| DesiredProject {
        project_id: project(p),
        members: members.into_iter().map(|(i, r)| (uid(i), r)).collect(),
        prune: true,
    };
    for p in 0..5 {
        let start = desired_project_p(p, (0..500).map(|i| (i, Role::Developer)).collect());
        let plan = reconcile::plan_project(&pm, &start).await.unwrap();
        reconcile::apply_project(&pm, &plan, &fill).await.unwrap();
    }

    let set = desired_set(2_000..12_000, true);
    let set_plan = reconcile::plan_permission_set(&da, &set).await.unwrap();
    let wanted = |p: usize| {
        let members = (0..200)
            .map(|i| (i, Role::Developer))
            .chain((200..300).map(|i| (i, Role::Viewer)))
            .chain((500..1_199).map(|i| (i, Role::Tester)))
            .collect();
        desired_project_p(p, members)
    };
    let mut project_plans = Vec::new();
    for p in 0..5 {
        project_plans.push(reconcile::plan_project(&pm, &wanted(p)).await.unwrap());
    }
    let transient = |status: u16| Fault::error(status, "APIGW.0000", "injected");
    for status in [500, 503, 500] {
        for op in ["ListSecurityPermissionSetMembers", "ListProjectMembersV4"] {
            fake.inject_fault(op, transient(status)).unwrap();
        }
    }
    for status in [500, 429] {
        for op in [
            "BatchCreateSecurityPermissionSetMembers",
            "BatchDeleteSecurityPermissionSetMembers",
            "BatchAddMembersV4",
            "BatchDeleteMembersV4",
            "UpdateMembesRoleV4",
        ] {
            fake.inject_fault(op, transient(status)).unwrap();
        }
    }

    let options = relaxed().concurrency(8);
    let report = reconcile::apply_permission_set(&da, &set_plan, &options)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    assert!(!report.retried.is_empty());
    assert_eq!(set_size(&fake), 10_000);
    for plan in &project_plans {
        let report = reconcile::apply_project(&pm, plan, &options).await.unwrap();
        assert!(report.is_complete(), "{report}");
        assert_eq!(fake.project_members(&plan.target).len(), 1_000);
    }
    assert!(reconcile::plan_permission_set(&da, &set)
        .await
        .unwrap()
        .is_empty());
    for p in 0..5 {
        assert!(reconcile::plan_project(&pm, &wanted(p))
            .await
            .unwrap()
            .is_empty());
    }
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_server_errors_on_every_request_and_a_rate_limit_converge_in_one_apply() {
    // 5 % of all requests answered 500, at random (seeded), and the gateway's rate limit,
    // through clients with the transport's own retries: GETs retried, POST 500s left to the
    // engine's verification round, throttled writes waited out. A permission set of 10,000
    // members and five projects of 1,000 converge in one apply each.
    use huaweicloud_openapi::{
        auth::Credentials,
        fake::{RandomFaults, RateLimit},
        DataArtsClient, ProjectManClient,
    };
    let fake = fake::FakeServer::start().await.unwrap();
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        throttle_base_delay: Duration::from_millis(100),
        throttle_max_delay: Duration::from_millis(400),
        ..RetryPolicy::default()
    };
    let token = Credentials::token(common::TOKEN).unwrap();
    let da = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(token.clone())
        .project_id(fake::PROJECT_ID)
        .workspace(common::WORKSPACE)
        .retry_policy(retry.clone())
        .build()
        .unwrap();
    let pm = ProjectManClient::builder()
        .endpoint(fake.endpoint())
        .credentials(token)
        .retry_policy(retry)
        .build()
        .unwrap();
    let fill = options().verify(false);
    let start = reconcile::plan_permission_set(&da, &desired_set(0..5_000, true))
        .await
        .unwrap();
    reconcile::apply_permission_set(&da, &start, &fill)
        .await
        .unwrap();
    let project = |p: usize| format!("{:032x}", 0xfa_0000 + p);
    let wanted = |p: usize, members: &mut dyn Iterator<Item = (usize, Role)>| DesiredProject {
        project_id: project(p),
        members: members.map(|(i, r)| (uid(i), r)).collect(),
        prune: true,
    };
    for p in 0..5 {
        let start = wanted(p, &mut (0..500).map(|i| (i, Role::Developer)));
        let plan = reconcile::plan_project(&pm, &start).await.unwrap();
        reconcile::apply_project(&pm, &plan, &fill).await.unwrap();
    }
    let goal = |p: usize| {
        wanted(
            p,
            &mut (0..200)
                .map(|i| (i, Role::Developer))
                .chain((200..300).map(|i| (i, Role::Viewer)))
                .chain((500..1_199).map(|i| (i, Role::Tester))),
        )
    };

    fake.set_random_faults(Some(RandomFaults::new(0.05, 20261201)))
        .unwrap();
    fake.set_rate_limit(Some(RateLimit::new(150, Duration::from_secs(1))))
        .unwrap();
    let options = relaxed().concurrency(8);
    let set = desired_set(2_000..12_000, true);
    let plan = reconcile::plan_permission_set(&da, &set).await.unwrap();
    let report = reconcile::apply_permission_set(&da, &plan, &options)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    for p in 0..5 {
        let plan = reconcile::plan_project(&pm, &goal(p)).await.unwrap();
        let report = reconcile::apply_project(&pm, &plan, &options)
            .await
            .unwrap();
        assert!(report.is_complete(), "{report}");
    }
    assert!(fake.fault_count() > 0, "random faults were served");
    assert!(fake.throttled_count() > 0, "the rate limit was reached");

    fake.set_random_faults(None).unwrap();
    fake.set_rate_limit(None).unwrap();
    assert_eq!(set_size(&fake), 10_000);
    assert!(reconcile::plan_permission_set(&da, &set)
        .await
        .unwrap()
        .is_empty());
    for p in 0..5 {
        assert_eq!(fake.project_members(&project(p)).len(), 1_000);
        assert!(reconcile::plan_project(&pm, &goal(p))
            .await
            .unwrap()
            .is_empty());
    }
}
