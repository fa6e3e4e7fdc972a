//! Every example in the API documents fits the generated types and survives a round trip.
// The documents' examples are all DataArts and ProjectMan ones: with neither, nothing to test.
#![cfg(any(feature = "dataarts", feature = "projectman"))]

mod common;

use common::spec::without_nulls;
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::dataarts::types as da;
#[cfg(feature = "projectman")]
use huaweicloud_openapi::projectman::types as pm;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

#[cfg(feature = "dataarts")]
const ADD_REQUEST: &str = include_str!("fixtures/api-docs/dataarts-add-members.request.json");
#[cfg(feature = "dataarts")]
const LIST_RESPONSE: &str = include_str!("fixtures/api-docs/dataarts-list-members.response.json");
#[cfg(feature = "dataarts")]
const UPDATE_REQUEST: &str =
    include_str!("fixtures/api-docs/dataarts-update-permission-set.request.json");
#[cfg(feature = "dataarts")]
const UPDATE_RESPONSE: &str =
    include_str!("fixtures/api-docs/dataarts-update-permission-set.response.json");
#[cfg(feature = "projectman")]
const PM_REQUEST: &str =
    include_str!("fixtures/api-docs/projectman-batch-add-members.request.json");

fn non_null_leaves(value: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| non_null_leaves(v, format!("{path}/{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| non_null_leaves(v, format!("{path}/{i}"), out)),
        Value::Null => {}
        leaf => out.push((path, leaf.clone())),
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(example: &str) -> T {
    let original: Value = serde_json::from_str(example).expect("the example is JSON");
    let typed: T = serde_json::from_str(example).expect("the example fits the generated type");
    let back = serde_json::to_value(&typed).expect("serializes");
    assert_eq!(back, without_nulls(&original));
    let mut leaves = Vec::new();
    non_null_leaves(&original, String::new(), &mut leaves);
    assert!(!leaves.is_empty());
    for (pointer, value) in leaves {
        assert_eq!(back.pointer(&pointer), Some(&value), "{pointer} survives");
    }
    typed
}

#[cfg(feature = "dataarts")]
#[test]
fn dataarts_add_members_request() {
    let body: da::BatchCreatePermissionSetMembersRequestBody = round_trip(ADD_REQUEST);
    assert_eq!(body.auto_sync, Some(false));
    assert_eq!(body.members[0].member_type, Some(da::MemberType::User));
}

#[cfg(feature = "dataarts")]
#[test]
fn dataarts_list_members_response() {
    let page: da::PermissionSetMemberList = round_trip(LIST_RESPONSE);
    assert_eq!(page.total, Some(1));
    let member = &page.permission_set_members.as_ref().unwrap()[0];
    assert_eq!(member.create_time, Some(1_698_204_793_000));
    assert_eq!(member.cluster_id, None);
}

#[cfg(feature = "dataarts")]
#[test]
fn dataarts_update_request_and_response() {
    let body: da::UpdatePermissionSetRequestBody = round_trip(UPDATE_REQUEST);
    assert_eq!(body.manager_type, Some(da::ManagerType::User));
    let set: da::PermissionSet = round_trip(UPDATE_RESPONSE);
    assert_eq!(set.sync_status.as_deref(), Some("NOT_SYNC"));
    assert_eq!(set.update_time, Some(1_698_202_688_247));
}

#[cfg(feature = "projectman")]
#[test]
fn projectman_batch_add_request() {
    let body: pm::BatchAddMembersV4RequestBody = round_trip(PM_REQUEST);
    assert_eq!(body.users[0].role_id.as_deref(), Some(&5));
    assert_eq!(
        body.users[0].user_id.as_str(),
        "665b542eb4c14b53a15ead449f28b0ba"
    );
}

#[cfg(feature = "dataarts")]
#[test]
fn responses_accept_values_outside_the_request_enums_and_unknown_fields() {
    let page: da::PermissionSetMemberList = serde_json::from_str(
        r#"{"total": 2, "permission_set_members": [
            {"member_type": "CLUSTER_ROLE", "member_status": "SOMETHING_NEW",
             "cluster_type": "GaussDB(DWS)", "new_field": {"nested": true}},
            {}
        ]}"#,
    )
    .expect("response types are open");
    let members = page.permission_set_members.unwrap();
    assert_eq!(members[0].member_type.as_deref(), Some("CLUSTER_ROLE"));
    let set: da::PermissionSet =
        serde_json::from_str(r#"{"sync_status": "SYNCING", "type": "FUTURE_TYPE", "extra": 1}"#)
            .expect("open");
    assert_eq!(set.type_.as_deref(), Some("FUTURE_TYPE"));
    let empty: da::PermissionSetMemberList =
        serde_json::from_str(r#"{"total": null, "permission_set_members": null}"#).unwrap();
    assert_eq!(empty.permission_set_members, None);
}

#[test]
fn requests_reject_what_the_documents_forbid() {
    #[cfg(feature = "dataarts")]
    {
        for bad in [
            r#"{"members": [{"member_type": "CLUSTER_ROLE"}]}"#,
            r#"{"members": [{"member_type": "user"}]}"#,
        ] {
            assert!(
                serde_json::from_str::<da::BatchCreatePermissionSetMembersRequestBody>(bad)
                    .is_err(),
                "{bad}"
            );
        }
        assert!(
            serde_json::from_str::<da::UpdatePermissionSetRequestBody>(r#"{"type": "OTHER"}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<da::UpdatePermissionSetRequestBody>(
            r#"{"manager_type": "ROLE"}"#
        )
        .is_err());
        assert!("".parse::<da::PermissionSetId>().is_err());
        assert!("".parse::<da::WorkspaceId>().is_err());
    }
    #[cfg(feature = "projectman")]
    {
        for bad in [
            r#"{"users": [{"user_id": "short"}]}"#,
            r#"{"users": [{"user_id": "665b542eb4c14b53a15ead449f28b0b!"}]}"#,
            r#"{"users": [{"user_id": "665b542eb4c14b53a15ead449f28b0ba0"}]}"#,
            r#"{"users": [{"user_id": "665b542eb4c14b53a15ead449f28b0ba", "role_id": 2}]}"#,
            r#"{"users": [{"user_id": "665b542eb4c14b53a15ead449f28b0ba", "role_id": 12}]}"#,
            r#"{"users": [{"role_id": 5}]}"#,
            r#"{}"#,
        ] {
            assert!(
                serde_json::from_str::<pm::BatchAddMembersV4RequestBody>(bad).is_err(),
                "{bad}"
            );
        }
        for role in [-1, 3, 4, 5, 6, 7, 8, 9, 10, 11] {
            assert!(pm::RoleId::try_from(role).is_ok(), "{role}");
        }
        for role in [-2, 0, 1, 2, 12] {
            assert!(pm::RoleId::try_from(role).is_err(), "{role}");
        }
        assert!("526cefde62004de2b62b5e8dd2c2b3af"
            .parse::<pm::CodeArtsProjectId>()
            .is_ok());
        assert!("526cefde-6200-4de2-b62b-5e8dd2c2b3af"
            .parse::<pm::CodeArtsProjectId>()
            .is_err());
    }
}

#[cfg(feature = "projectman")]
#[test]
fn every_role_name_is_a_role_id_of_the_same_value() {
    use huaweicloud_openapi::projectman::Role;
    let values: Vec<i64> = Role::ALL.iter().map(|r| r.value()).collect();
    assert_eq!(
        values,
        [-1, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        "the spec's enum, in its order"
    );
    for role in Role::ALL {
        // The derived conversion would panic for a name that is not a value of the enum.
        let id = pm::RoleId::from(role);
        assert_eq!(i64::from(*id), role.value(), "{role:?}");
        assert_eq!(Role::from_value(role.value()), Some(role));
    }
    assert_eq!(Role::from_value(2), None);
    assert_eq!(format!("{:?}", Role::from_value(4)), "Some(Developer)");
    // The AddMemberV4 reference page's 10 and 11 have names.
    assert_eq!(Role::from_value(10), Some(Role::ProductManager));
    assert_eq!(Role::from_value(11), Some(Role::SystemEngineer));
    assert_eq!(Role::from_value(12), None);
}

/// The member workspace the documents send as null keeps WorkspaceId's bounds when it is set,
/// and the create page's untyped `data_connections` is read whatever its value.
#[cfg(feature = "dataarts")]
#[test]
fn nullable_fields_keep_their_bounds_and_accept_any_documented_value() {
    for value in [String::new(), "w".repeat(129)] {
        assert!(value
            .parse::<da::PermissionSetMemberCreateWorkspace>()
            .is_err());
        assert!(value
            .parse::<da::CreatePermissionSetMemberRequestBodyWorkspace>()
            .is_err());
        assert!(value.parse::<da::WorkspaceId>().is_err());
    }
    let longest = "w".repeat(128);
    assert!(longest
        .parse::<da::PermissionSetMemberCreateWorkspace>()
        .is_ok());
    assert!(longest
        .parse::<da::CreatePermissionSetMemberRequestBodyWorkspace>()
        .is_ok());
    let one: da::CreatePermissionSetMemberRequestBody = serde_json::from_str(
        r#"{"member_id": "b43927a45a514e93ba70524b28923500", "workspace": null}"#,
    )
    .expect("the single add takes a null workspace too");
    assert_eq!(one.workspace, None);
    let sent = serde_json::to_value(&one).unwrap();
    assert!(
        sent.get("workspace").is_none(),
        "an unset field is never sent: {sent}"
    );

    let created: da::PermissionSet = serde_json::from_str(
        r#"{"id": "fea96c90024711b8bf8d6886407b814b", "data_connections": null}"#,
    )
    .unwrap();
    assert_eq!(created.data_connections, None);
    let with_value: da::PermissionSet = serde_json::from_str(
        r#"{"data_connections": [{"dw_id": "88055a9005194bdfa4377714ca166369"}]}"#,
    )
    .unwrap();
    assert!(with_value.data_connections.is_some_and(|v| v.is_array()));
}
