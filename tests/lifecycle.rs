//! The whole membership lifecycle through the crate's clients against the fake: permission sets
//! created, found and deleted with what they hold; members added, listed page by page, removed;
//! project roles changed; the services' limits answered as documented.
// Every test is of a service's membership: with neither, none applies.
#![cfg(all(feature = "fake", any(feature = "dataarts", feature = "projectman")))]
// What only one service's tests use goes unused without it; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

mod common;

use futures::TryStreamExt;
#[cfg(feature = "projectman")]
use huaweicloud_openapi::projectman::{types as pm, Role};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{dataarts::types as da, DataArtsClient};
use huaweicloud_openapi::{
    fake::{self, CALLER_USER_ID},
    paginate::Paginate,
    Error, Execute,
};

#[cfg(feature = "dataarts")]
fn member(i: usize) -> da::PermissionSetMemberCreate {
    da::PermissionSetMemberCreate {
        member_id: Some(format!("{i:032x}").parse().unwrap()),
        member_name: Some(format!("user_{i:04}").parse().unwrap()),
        member_type: Some(da::MemberType::User),
        workspace: None,
    }
}

#[cfg(feature = "dataarts")]
async fn create_set(da: &DataArtsClient, name: &str, parent: &str) -> String {
    da.create_security_permission_set()
        .body_map(|b| {
            b.name(da::CreatePermissionSetRequestBodyName::try_from(name).unwrap())
                .parent_id(da::CreatePermissionSetRequestBodyParentId::try_from(parent).unwrap())
        })
        .execute()
        .await
        .unwrap()
        .into_inner()
        .id
        .unwrap()
}

fn service_code(error: &Error) -> Option<&str> {
    error.as_service()?.error_code.as_deref()
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn permission_sets_are_created_found_listed_and_deleted_with_what_they_hold() {
    let (fake, da) = common::fake_dataarts().await;
    let parent = create_set(&da, "team", "0").await;
    let child = create_set(&da, "team_readers", &parent).await;
    let shown = da
        .show_security_permission_set()
        .permission_set_id(child.as_str())
        .execute()
        .await
        .unwrap();
    assert_eq!(shown.parent_id.as_deref(), Some(parent.as_str()));
    let top: Vec<_> = da
        .list_security_permission_sets()
        .type_filter(da::PermissionSetTypeFilter::TopPermissionSet)
        .paginate(1)
        .items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = top.iter().filter_map(|s| s.name.as_deref()).collect();
    assert_eq!(
        names,
        ["fake_permission_set", "team"],
        "top-level sets only"
    );

    da.batch_create_security_permission_set_members()
        .permission_set_id(child.as_str())
        .body_map(|b| b.members(vec![member(1), member(2)]))
        .execute()
        .await
        .unwrap();
    da.create_security_permission_set_permission()
        .permission_set_id(child.as_str())
        .body_map(|b| {
            b.datasource_type(da::DatasourceType::Hive)
                .database_name(
                    da::CreatePermissionRequestBodyDatabaseName::try_from("sales").unwrap(),
                )
                .permission_actions(vec![da::PermissionAction::Select])
        })
        .execute()
        .await
        .unwrap();
    assert_eq!(fake.permissions(fake::PROJECT_ID, &child).len(), 1);

    // A set with children cannot go; its child can, with its members and permissions.
    let refused = da
        .delete_security_permission_set()
        .permission_set_id(parent.as_str())
        .execute()
        .await
        .unwrap_err();
    assert_eq!(service_code(&refused), Some("DLS.1005"), "{refused}");
    da.delete_security_permission_set()
        .permission_set_id(child.as_str())
        .execute()
        .await
        .unwrap();
    assert!(fake.permission_set(fake::PROJECT_ID, &child).is_none());
    assert!(fake.members(fake::PROJECT_ID, &child).is_empty());
    assert!(fake.permissions(fake::PROJECT_ID, &child).is_empty());
    let gone = da
        .list_security_permission_set_members()
        .permission_set_id(child.as_str())
        .execute()
        .await
        .unwrap_err();
    assert_eq!(service_code(&gone), Some("DLS.1004"));
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn members_are_added_walked_page_by_page_and_removed() {
    let (_fake, da) = common::fake_dataarts().await;
    let set = create_set(&da, "many", "0").await;
    let all: Vec<_> = (0..250).map(member).collect();
    for chunk in all.chunks(100) {
        da.batch_create_security_permission_set_members()
            .permission_set_id(set.as_str())
            .body_map(|b| b.members(chunk.to_vec()))
            .execute()
            .await
            .unwrap();
    }
    let one = da
        .create_security_permission_set_member()
        .permission_set_id(set.as_str())
        .body_map(|b| {
            b.member_id("group0001".parse::<da::MemberId>().unwrap())
                .member_name("admins".parse::<da::MemberName>().unwrap())
                .member_type(da::MemberType::UserGroup)
        })
        .execute()
        .await
        .unwrap();
    for concurrency in [1, 4] {
        let listed: Vec<_> = da
            .list_security_permission_set_members()
            .permission_set_id(set.as_str())
            .paginate(100)
            .concurrency(concurrency)
            .items()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(listed.len(), 251);
    }
    // Remove every user, 100 record IDs per call (the documented batch limit).
    let users: Vec<String> = da
        .list_security_permission_set_members()
        .permission_set_id(set.as_str())
        .member_type(da::MemberType::User)
        .paginate(100)
        .items()
        .map_ok(|m| m.id.unwrap())
        .try_collect()
        .await
        .unwrap();
    for chunk in users.chunks(100) {
        let ids: Vec<da::BatchDeleteRequestBodyIdsItem> =
            chunk.iter().map(|id| id.parse().unwrap()).collect();
        da.batch_delete_security_permission_set_members()
            .permission_set_id(set.as_str())
            .body_map(|b| b.ids(ids))
            .execute()
            .await
            .unwrap();
    }
    let left = da
        .list_security_permission_set_members()
        .permission_set_id(set.as_str())
        .execute()
        .await
        .unwrap();
    assert_eq!(left.total, Some(1));
    assert_eq!(
        left.permission_set_members.as_ref().unwrap()[0].id,
        one.into_inner().id
    );
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn permissions_are_granted_changed_appended_and_revoked() {
    let (fake, da) = common::fake_dataarts().await;
    let set = create_set(&da, "data", "0").await;
    let granted = da
        .create_security_permission_set_permission()
        .permission_set_id(set.as_str())
        .body_map(|b| {
            b.datasource_type(da::DatasourceType::Hive)
                .database_name(
                    da::CreatePermissionRequestBodyDatabaseName::try_from("sales").unwrap(),
                )
                .permission_actions(vec![da::PermissionAction::Select])
        })
        .execute()
        .await
        .unwrap()
        .into_inner();
    let changed = da
        .update_security_permission_set_permission()
        .permission_set_id(set.as_str())
        .permission_id(granted.id.clone().unwrap())
        .body_map(|b| {
            b.permission_actions(vec![
                da::PermissionAction::Select,
                da::PermissionAction::Update,
            ])
        })
        .execute()
        .await
        .unwrap();
    assert_eq!(
        changed.permission_actions.as_deref(),
        Some(&["SELECT".to_string(), "UPDATE".to_string()][..])
    );
    let appended = da
        .batch_create_security_permission_set_permissions()
        .permission_set_id(set.as_str())
        .body_map(|b| {
            b.datasource_type(da::DatasourceType::Hive)
                .database_name(
                    da::CreatePermissionRequestBodyDatabaseName::try_from("a,b,c").unwrap(),
                )
                .permission_actions(vec![da::PermissionAction::Select])
        })
        .execute()
        .await
        .unwrap();
    assert_eq!(appended.total, Some(3));
    let all: Vec<_> = da
        .list_security_permission_set_permissions()
        .permission_set_id(set.as_str())
        .paginate(2)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    let ids: Vec<da::BatchDeleteRequestBodyIdsItem> = appended
        .permissions
        .iter()
        .flatten()
        .map(|p| p.id.as_deref().unwrap().parse().unwrap())
        .collect();
    da.batch_delete_security_permission_set_permissions()
        .permission_set_id(set.as_str())
        .body_map(|b| b.ids(ids))
        .execute()
        .await
        .unwrap();
    assert_eq!(fake.permissions(fake::PROJECT_ID, &set).len(), 1);
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn project_members_and_roles_through_every_operation() {
    let (fake, pm) = common::fake_projectman().await;
    let project = common::CODEARTS_PROJECT;
    let users: Vec<String> = (0..120).map(|i| format!("{i:032x}")).collect();
    for chunk in users.chunks(50) {
        let batch: Vec<pm::BatchAddMemberRequestV4> = chunk
            .iter()
            .map(|u| pm::BatchAddMemberRequestV4 {
                role_id: Some(Role::Developer.into()),
                user_id: u.parse().unwrap(),
            })
            .collect();
        pm.batch_add_members_v4()
            .project_id(project)
            .body_map(|b| b.users(batch))
            .execute()
            .await
            .unwrap();
    }
    pm.add_member_v4()
        .project_id(project)
        .body_map(|b| {
            b.user_id(common::USER.parse::<pm::UserId>().unwrap())
                .domain_id(
                    "0833a5736980d53b0f22c0102ffcbfc0"
                        .parse::<pm::DomainId>()
                        .unwrap(),
                )
                .role_id(pm::RoleId::from(Role::TestManager))
        })
        .execute()
        .await
        .unwrap();
    pm.update_membes_role_v4()
        .project_id(project)
        .body_map(|b| {
            b.role_id(pm::RoleId::from(Role::Viewer))
                .user_ids(vec![users[0].parse::<pm::UserId>().unwrap()])
        })
        .execute()
        .await
        .unwrap();
    // 122 members (120 + the test manager + the caller, the creator), pages of 50 at offsets
    // that are multiples of the page size, as ProjectMan requires.
    let listed: Vec<_> = pm
        .list_project_members_v4()
        .project_id(project)
        .paginate(50)
        .concurrency(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 122);
    let role_of = |user: &str| {
        listed
            .iter()
            .find(|m| m.user_id.as_deref() == Some(user))
            .and_then(|m| m.role_id)
            .and_then(|r| Role::from_value(r.into()))
    };
    assert_eq!(role_of(&users[0]), Some(Role::Viewer));
    assert_eq!(role_of(&users[1]), Some(Role::Developer));
    assert_eq!(role_of(common::USER), Some(Role::TestManager));
    assert_eq!(role_of(CALLER_USER_ID), Some(Role::ProjectCreator));
    let own = pm
        .show_cur_user_role()
        .project_id(project)
        .execute()
        .await
        .unwrap();
    assert_eq!(own.user_role, Some(-1));
    let me = pm.show_cur_user_info().execute().await.unwrap();
    assert_eq!(me.user_id.as_deref(), Some(CALLER_USER_ID));

    let removed: Vec<pm::UserId> = users[..50].iter().map(|u| u.parse().unwrap()).collect();
    pm.batch_delete_members_v4()
        .project_id(project)
        .body_map(|b| b.user_ids(removed))
        .execute()
        .await
        .unwrap();
    assert_eq!(fake.project_members(project).len(), 72);
    // The creator can be neither removed nor demoted.
    let creator: pm::UserId = CALLER_USER_ID.parse().unwrap();
    let refused = pm
        .batch_delete_members_v4()
        .project_id(project)
        .body_map(|b| b.user_ids(vec![creator.clone()]))
        .execute()
        .await
        .unwrap_err();
    assert_eq!(service_code(&refused), Some("PM.00000003"));
    let refused = pm
        .update_membes_role_v4()
        .project_id(project)
        .body_map(|b| {
            b.role_id(pm::RoleId::from(Role::Viewer))
                .user_ids(vec![creator])
        })
        .execute()
        .await
        .unwrap_err();
    assert_eq!(service_code(&refused), Some("PM.00000003"));
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn the_services_limits_hold_before_sending_and_in_the_fake() {
    let (fake, da, pm) = common::fake_clients().await;
    // ProjectMan pages: at most 100, and the paginator refuses more before sending.
    let error = pm
        .list_project_members_v4()
        .project_id(common::CODEARTS_PROJECT)
        .paginate(101)
        .pages()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Pagination { .. }), "{error:?}");
    let before = fake.request_count();
    let too_many: Vec<pm::UserId> = (0..51)
        .map(|i| format!("{i:032x}").parse().unwrap())
        .collect();
    let error = pm
        .batch_delete_members_v4()
        .project_id(common::CODEARTS_PROJECT)
        .body_map(|b| b.user_ids(too_many))
        .execute()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidRequest(m) if m.contains("user_ids")),
        "{error}"
    );
    assert_eq!(fake.request_count(), before, "nothing was sent");

    // Other clients may send what the crate refuses: the fake answers the documented 400 body.
    let http = reqwest::Client::new();
    let answer = http
        .post(format!(
            "{}/v1/{}/security/permission-sets/{}/members/batch-delete",
            fake.endpoint(),
            fake::PROJECT_ID,
            fake::PERMISSION_SET_ID
        ))
        .header("x-auth-token", "t")
        .header("workspace", "ws")
        .json(&serde_json::json!({"ids": (0..101).map(|i| i.to_string()).collect::<Vec<_>>()}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error_code"], "DLS.1001");
    assert!(body["error_msg"].as_str().unwrap().contains("1 to 100"));
    drop(da);
}
