//! Membership as code against the fake: every plan kind, idempotence, a partial failure then
//! resumed, a concurrent change detected, the safety refusals, chunks at the batch limits.
#![cfg(feature = "fake")]

mod common;

use std::collections::BTreeMap;

use huaweicloud_openapi::{
    dataarts::types as da,
    fake::{self, Fault, CALLER_USER_ID},
    projectman::Role,
    reconcile::{
        self, DesiredMember, DesiredPermissionSet, DesiredProject, ReconcileError, Safety,
    },
    Error, Execute,
};

const PROJECT: &str = common::CODEARTS_PROJECT;

fn user(i: usize) -> DesiredMember {
    DesiredMember::user(format!("{i:032x}"), format!("user_{i:05}"))
}

fn desired_set(range: std::ops::Range<usize>, prune: bool) -> DesiredPermissionSet {
    DesiredPermissionSet {
        permission_set_id: fake::PERMISSION_SET_ID.into(),
        members: range.map(user).collect(),
        prune,
    }
}

fn uid(i: usize) -> String {
    format!("{:032x}", 0x1000 + i)
}

fn desired_project(
    members: impl IntoIterator<Item = (usize, Role)>,
    prune: bool,
) -> DesiredProject {
    DesiredProject {
        project_id: PROJECT.into(),
        members: members
            .into_iter()
            .map(|(i, r)| (uid(i), r.value() as i32))
            .collect(),
        prune,
    }
}

fn relaxed() -> Safety {
    Safety {
        allow_large_removals: true,
        ..Safety::default()
    }
}

#[tokio::test]
async fn permission_set_plans_add_remove_keep_and_apply_to_an_empty_plan() {
    let (fake, da, _) = common::fake_clients().await;
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
    let report = reconcile::apply_permission_set(&da, &plan, &Safety::default(), 4)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    assert_eq!(report.applied.len(), 10);
    assert_eq!(
        fake.members(fake::PROJECT_ID, fake::PERMISSION_SET_ID)
            .len(),
        10
    );
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
    reconcile::apply_permission_set(&da, &loaded, &Safety::default(), 4)
        .await
        .unwrap();
    let names: Vec<String> = fake
        .members(fake::PROJECT_ID, fake::PERMISSION_SET_ID)
        .into_iter()
        .filter_map(|m| m.member_name)
        .collect();
    assert_eq!(names.len(), 7);
    assert!(
        reconcile::plan_permission_set(&da, &desired_set(5..12, true))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_partial_failure_is_reported_and_the_same_plan_finishes_the_job() {
    let (fake, da, _) = common::fake_clients().await;
    let plan = reconcile::plan_permission_set(&da, &desired_set(0..250, true))
        .await
        .unwrap();
    // The second batch-create call fails (400: not retried).
    let op = "BatchCreateSecurityPermissionSetMembers";
    fake.inject_fault(op, Fault::Delay(std::time::Duration::ZERO))
        .unwrap();
    fake.inject_fault(op, Fault::error(400, "DLS.9999", "injected"))
        .unwrap();
    let report = reconcile::apply_permission_set(&da, &plan, &Safety::default(), 1)
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
    assert_eq!(
        fake.members(fake::PROJECT_ID, fake::PERMISSION_SET_ID)
            .len(),
        150
    );

    let before = fake.request_count();
    let resumed = reconcile::apply_permission_set(&da, &plan, &Safety::default(), 1)
        .await
        .unwrap();
    assert!(resumed.is_complete(), "{resumed}");
    assert_eq!(
        (resumed.applied.len(), resumed.already_done.len()),
        (100, 150)
    );
    assert_eq!(
        fake.request_count() - before,
        resumed.calls,
        "the listing plus one call for the 100 missing, nothing repeated"
    );
    assert_eq!(
        fake.members(fake::PROJECT_ID, fake::PERMISSION_SET_ID)
            .len(),
        250
    );
}

#[tokio::test]
async fn a_list_changed_by_someone_else_is_detected_and_nothing_is_removed() {
    let (fake, da, _) = common::fake_clients().await;
    reconcile::apply_permission_set(
        &da,
        &reconcile::plan_permission_set(&da, &desired_set(0..4, true))
            .await
            .unwrap(),
        &Safety::default(),
        2,
    )
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
    let error = reconcile::apply_permission_set(&da, &plan, &Safety::default(), 2)
        .await
        .unwrap_err();
    match &error {
        Error::Reconcile(ReconcileError::Stale { conflicts, .. }) => {
            assert!(
                conflicts.iter().any(|c| c.contains("intruder")),
                "{conflicts:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.members(fake::PROJECT_ID, fake::PERMISSION_SET_ID)
            .len(),
        5,
        "nothing removed"
    );
}

#[tokio::test]
async fn large_removals_need_an_override() {
    let (fake, da, _) = common::fake_clients().await;
    let fill = reconcile::plan_permission_set(&da, &desired_set(0..10, true))
        .await
        .unwrap();
    reconcile::apply_permission_set(&da, &fill, &Safety::default(), 2)
        .await
        .unwrap();
    let plan = reconcile::plan_permission_set(&da, &desired_set(0..4, true))
        .await
        .unwrap();
    let error = reconcile::apply_permission_set(&da, &plan, &Safety::default(), 2)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Reconcile(ReconcileError::TooManyRemovals {
                removals: 6,
                members: 10,
                ..
            })
        ),
        "{error}"
    );
    assert_eq!(
        fake.members(fake::PROJECT_ID, fake::PERMISSION_SET_ID)
            .len(),
        10
    );
    reconcile::apply_permission_set(&da, &plan, &relaxed(), 2)
        .await
        .unwrap();
    assert_eq!(
        fake.members(fake::PROJECT_ID, fake::PERMISSION_SET_ID)
            .len(),
        4
    );
}

#[tokio::test]
async fn removals_are_chunked_at_the_spec_s_batch_limit() {
    let (fake, da, _) = common::fake_clients().await;
    let fill = reconcile::plan_permission_set(&da, &desired_set(0..201, true))
        .await
        .unwrap();
    reconcile::apply_permission_set(&da, &fill, &Safety::default(), 4)
        .await
        .unwrap();
    fake.record_requests(1_000);
    let empty = reconcile::plan_permission_set(&da, &desired_set(0..0, true))
        .await
        .unwrap();
    let report = reconcile::apply_permission_set(&da, &empty, &relaxed(), 4)
        .await
        .unwrap();
    assert!(report.is_complete());
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

#[tokio::test]
async fn project_plans_add_change_roles_remove_and_chunk_at_fifty() {
    let (fake, _, pm) = common::fake_clients().await;
    fake.record_requests(1_000);
    let plan = reconcile::plan_project(
        &pm,
        &desired_project((0..101).map(|i| (i, Role::Developer)), true),
    )
    .await
    .unwrap();
    assert_eq!(
        (plan.add.len(), plan.remove.len(), plan.change_role.len()),
        (101, 0, 0)
    );
    assert_eq!(plan.unchanged, 1, "the caller, as the project's creator");
    let report = reconcile::apply_project(&pm, &plan, &Safety::default(), 4)
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
        (plan.add.len(), plan.change_role.len(), plan.remove.len()),
        (0, 20, 11)
    );
    assert!(plan.to_string().contains("~ "), "{plan}");
    let report = reconcile::apply_project(&pm, &plan, &Safety::default(), 4)
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

#[tokio::test]
async fn the_creator_and_the_last_manager_are_protected() {
    let (fake, _, pm) = common::fake_clients().await;
    let start = desired_project([(0, Role::ProjectManager), (1, Role::Developer)], true);
    let plan = reconcile::plan_project(&pm, &start).await.unwrap();
    reconcile::apply_project(&pm, &plan, &Safety::default(), 2)
        .await
        .unwrap();

    // A desired list without the creator never plans to remove or demote it.
    let plan = reconcile::plan_project(&pm, &desired_project([(1, Role::Developer)], true))
        .await
        .unwrap();
    assert!(!plan.remove.contains_key(CALLER_USER_ID));
    // It removes the last manager, though: refused unless allowed.
    let error = reconcile::apply_project(&pm, &plan, &relaxed(), 2)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Reconcile(ReconcileError::LastManager { .. })),
        "{error}"
    );
    // Asking for the creator's role is refused at planning.
    let mut bad = start.clone();
    bad.members.insert(uid(2), -1);
    assert!(matches!(
        reconcile::plan_project(&pm, &bad).await,
        Err(Error::InvalidRequest(_))
    ));
    // A plan edited by hand to remove the creator is refused, whatever the overrides.
    let mut tampered = reconcile::plan_project(&pm, &start).await.unwrap();
    tampered.remove.insert(CALLER_USER_ID.into(), -1);
    let everything = Safety {
        allow_large_removals: true,
        allow_removing_last_manager: true,
        ..Safety::default()
    };
    let error = reconcile::apply_project(&pm, &tampered, &everything, 2)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Reconcile(ReconcileError::CreatorProtected { .. })
        ),
        "{error}"
    );
    assert_eq!(fake.project_members(PROJECT).len(), 3);
}
