//! The generated client, through the hand-written layer, sends each documented request exactly
//! as the documents describe it, and maps each documented answer to a typed result.
// Every test here is of a service's documented wire format: with neither service, none applies.
#![cfg(any(feature = "dataarts", feature = "projectman"))]
// With one service left out, what only its tests use goes unused; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

mod common;

use common::{CODEARTS_PROJECT, PROJECT, PSET, TOKEN, WORKSPACE};
use huaweicloud_openapi::{auth::Credentials, retry::RetryPolicy, Error, Execute};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{dataarts::types as da, DataArtsClient};
#[cfg(feature = "projectman")]
use huaweicloud_openapi::{projectman::types as pm, ProjectManClient};
use serde_json::{json, Value};
use wiremock::{
    matchers::{any, body_json, header, method, path, query_param},
    Mock, MockServer, ResponseTemplate,
};

fn example(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[cfg(feature = "dataarts")]
async fn dataarts() -> (MockServer, DataArtsClient) {
    let server = MockServer::start().await;
    let creds = Credentials::token(TOKEN).unwrap();
    let da = common::dataarts(&server.uri(), creds, RetryPolicy::disabled());
    (server, da)
}

#[cfg(feature = "projectman")]
async fn projectman() -> (MockServer, ProjectManClient) {
    let server = MockServer::start().await;
    let creds = Credentials::token(TOKEN).unwrap();
    let pm = common::projectman(&server.uri(), creds, RetryPolicy::disabled());
    (server, pm)
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
async fn clients() -> (MockServer, DataArtsClient, ProjectManClient) {
    let server = MockServer::start().await;
    let creds = Credentials::token(TOKEN).unwrap();
    let da = common::dataarts(&server.uri(), creds.clone(), RetryPolicy::disabled());
    let pm = common::projectman(&server.uri(), creds, RetryPolicy::disabled());
    (server, da, pm)
}

fn common(server_request: &wiremock::Request) {
    assert_eq!(server_request.headers["x-auth-token"], TOKEN);
    assert!(server_request.headers.get("api-version").is_none());
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn batch_create_members_as_documented() {
    let (server, da) = dataarts().await;
    let doc = example(include_str!(
        "fixtures/api-docs/dataarts-add-members.request.json"
    ));
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1/{PROJECT}/security/permission-sets/{PSET}/members/batch-create"
        )))
        .and(header("workspace", WORKSPACE))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "members": [{"member_id": "b43927a45a514e93ba70524b28923500", "member_name": "common_user", "member_type": "USER"}],
            "auto_sync": false
        })))
        .respond_with(ResponseTemplate::new(204).insert_header("x-request-id", "r-add"))
        .expect(1)
        .mount(&server)
        .await;
    let body: da::BatchCreatePermissionSetMembersRequestBody = serde_json::from_value(doc).unwrap();
    let done = da
        .batch_create_security_permission_set_members()
        .permission_set_id(PSET)
        .body(body)
        .execute()
        .await
        .expect("204 is success");
    assert_eq!(done.status().as_u16(), 204);
    assert_eq!(done.request_id(), Some("r-add"));
    common(&server.received_requests().await.unwrap()[0]);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn list_members_as_documented() {
    let (server, da) = dataarts().await;
    let doc = example(include_str!(
        "fixtures/api-docs/dataarts-list-members.response.json"
    ));
    Mock::given(method("GET"))
        .and(path(format!(
            "/v1/{PROJECT}/security/permission-sets/{PSET}/members"
        )))
        .and(header("workspace", WORKSPACE))
        .and(query_param("limit", "10"))
        .and(query_param("offset", "20"))
        .and(query_param("member_name", "common user"))
        .and(query_param("member_type", "USER_GROUP"))
        .and(query_param("order_by", "MEMBER_NAME"))
        .and(query_param("order_by_asc", "false"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "r-list")
                .set_body_json(&doc),
        )
        .expect(1)
        .mount(&server)
        .await;
    let page = da
        .list_security_permission_set_members()
        .permission_set_id(PSET)
        .limit(10u32)
        .offset(20)
        .member_name("common user")
        .member_type(da::MemberType::UserGroup)
        .order_by(da::MemberOrderBy::MemberName)
        .order_by_asc(false)
        .execute()
        .await
        .expect("documented 200");
    assert_eq!(page.request_id(), Some("r-list"));
    let expected: da::PermissionSetMemberList = serde_json::from_value(doc).unwrap();
    assert_eq!(*page, expected);
    let received = &server.received_requests().await.unwrap()[0];
    common(received);
    assert_eq!(
        received.url.query_pairs().count(),
        6,
        "no other query parameter"
    );
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn update_permission_set_as_documented() {
    let (server, da) = dataarts().await;
    let request = example(include_str!(
        "fixtures/api-docs/dataarts-update-permission-set.request.json"
    ));
    let response = example(include_str!(
        "fixtures/api-docs/dataarts-update-permission-set.response.json"
    ));
    Mock::given(method("PUT"))
        .and(path(format!(
            "/v1/{PROJECT}/security/permission-sets/{PSET}"
        )))
        .and(header("workspace", WORKSPACE))
        .and(header("content-type", "application/json"))
        .and(body_json(&request))
        .respond_with(ResponseTemplate::new(200).set_body_json(&response))
        .expect(1)
        .mount(&server)
        .await;
    let body: da::UpdatePermissionSetRequestBody = serde_json::from_value(request).unwrap();
    let set = da
        .update_security_permission_set()
        .permission_set_id(PSET)
        .body(body)
        .execute()
        .await
        .expect("documented 200");
    assert_eq!(set.name.as_deref(), Some("test_permission_set"));
    assert_eq!(set.sync_status.as_deref(), Some("NOT_SYNC"));
    common(&server.received_requests().await.unwrap()[0]);
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn projectman_batch_add_as_documented() {
    let (server, pm) = projectman().await;
    let doc = example(include_str!(
        "fixtures/api-docs/projectman-batch-add-members.request.json"
    ));
    Mock::given(method("POST"))
        .and(path(format!("/v4/projects/{CODEARTS_PROJECT}/members")))
        .and(header("content-type", "application/json"))
        .and(body_json(&doc))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let body: pm::BatchAddMembersV4RequestBody = serde_json::from_value(doc).unwrap();
    pm.batch_add_members_v4()
        .project_id(CODEARTS_PROJECT)
        .body(body)
        .execute()
        .await
        .expect("204 is success");
    let received = &server.received_requests().await.unwrap()[0];
    common(received);
    assert!(
        received.headers.get("workspace").is_none(),
        "ProjectMan has no workspace header"
    );
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
async fn error_for(status: u16, body: ResponseTemplate) -> Error {
    let (server, da, pm) = clients().await;
    Mock::given(any())
        .respond_with(body.insert_header("x-request-id", "r-err"))
        .mount(&server)
        .await;
    if status == 401 {
        return pm
            .batch_add_members_v4()
            .project_id(CODEARTS_PROJECT)
            .body_map(|b| {
                b.users(vec![pm::BatchAddMemberRequestV4 {
                    role_id: None,
                    user_id: common::USER.parse().unwrap(),
                }])
            })
            .execute()
            .await
            .unwrap_err();
    }
    da.list_security_permission_set_members()
        .permission_set_id(PSET)
        .execute()
        .await
        .unwrap_err()
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn documented_error_bodies_become_service_errors() {
    for (status, body, code, msg) in [
        (
            400,
            json!({"error_code": "DLS.1000", "error_msg": "bad"}),
            Some("DLS.1000"),
            Some("bad"),
        ),
        (
            401,
            json!({"error_code": "APIGW.0301", "error_msg": "token"}),
            Some("APIGW.0301"),
            Some("token"),
        ),
        (
            400,
            json!({"errorCode": "DLM.4001", "errorMsg": "camel"}),
            Some("DLM.4001"),
            Some("camel"),
        ),
        (
            400,
            json!({"code": "PM.0001", "message": "short"}),
            Some("PM.0001"),
            Some("short"),
        ),
    ] {
        let err = error_for(status, ResponseTemplate::new(status).set_body_json(&body)).await;
        let service = err.as_service().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(service.status.as_u16(), status);
        assert_eq!(service.error_code.as_deref(), code);
        assert_eq!(service.error_msg.as_deref(), msg);
        assert_eq!(service.request_id.as_deref(), Some("r-err"));
        assert_eq!(
            serde_json::from_slice::<Value>(&service.body).unwrap(),
            body
        );
    }
    let err = error_for(
        400,
        ResponseTemplate::new(400).set_body_string("Bad Request"),
    )
    .await;
    let service = err
        .as_service()
        .expect("non-JSON 400 is still a service error");
    assert_eq!(
        (service.error_code.as_deref(), &service.body[..]),
        (None, &b"Bad Request"[..])
    );
    let err = error_for(
        200,
        ResponseTemplate::new(200).set_body_raw("{\"total\": [", "application/json"),
    )
    .await;
    assert!(
        matches!(err, Error::Decode { ref request_id, .. } if request_id.as_deref() == Some("r-err")),
        "{err:?}"
    );
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn path_segments_are_percent_encoded() {
    let (server, da) = dataarts().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0})))
        .mount(&server)
        .await;
    da.list_security_permission_set_members()
        .permission_set_id("a b/c%d?e#f")
        .execute()
        .await
        .unwrap();
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        received.url.path(),
        format!("/v1/{PROJECT}/security/permission-sets/a%20b%2Fc%25d%3Fe%23f/members")
    );
    assert_eq!(received.url.query(), None);
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn bad_input_never_reaches_the_network() {
    let (server, da, pm) = clients().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let mut errors = vec![
        da.list_security_permission_set_members()
            .permission_set_id("")
            .execute()
            .await
            .map(|_| ()),
        da.list_security_permission_set_members()
            .permission_set_id(PSET)
            .offset(-1)
            .execute()
            .await
            .map(|_| ()),
        da.list_security_permission_set_members()
            .permission_set_id(PSET)
            .limit(101u32)
            .execute()
            .await
            .map(|_| ()),
        // The sources' batch and page limits, from the specs.
        da.batch_delete_security_permission_set_members()
            .permission_set_id(PSET)
            .body_map(|b| {
                b.ids(
                    (0..101)
                        .map(|i| format!("{i:032x}").parse().unwrap())
                        .collect::<Vec<da::BatchDeleteRequestBodyIdsItem>>(),
                )
            })
            .execute()
            .await
            .map(|_| ()),
        pm.batch_add_members_v4()
            .project_id(CODEARTS_PROJECT)
            .body_map(|b| {
                b.users(
                    (0..51)
                        .map(|i| pm::BatchAddMemberRequestV4 {
                            role_id: None,
                            user_id: format!("{i:032x}").parse().unwrap(),
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .execute()
            .await
            .map(|_| ()),
        pm.list_project_members_v4()
            .project_id(CODEARTS_PROJECT)
            .limit(10)
            .offset(15)
            .execute()
            .await
            .map(|_| ()),
        pm.list_project_members_v4()
            .project_id(CODEARTS_PROJECT)
            .limit(101)
            .execute()
            .await
            .map(|_| ()),
        da.list_security_permission_set_members()
            .permission_set_id(PSET)
            .limit(u32::MAX)
            .execute()
            .await
            .map(|_| ()),
        da.list_security_permission_set_members()
            .permission_set_id(PSET)
            .workspace("")
            .execute()
            .await
            .map(|_| ()),
        da.list_security_permission_set_members()
            .execute()
            .await
            .map(|_| ()),
    ];
    for project in ["short", "526cefde-6200-4de2-b62b-5e8dd2c2b3af", ""] {
        errors.push(
            pm.batch_add_members_v4()
                .project_id(project)
                .body_map(|b| b.users(vec![]))
                .execute()
                .await
                .map(|_| ()),
        );
    }
    // Body values are typed: an invalid user ID fails where it is made, as a typed error.
    errors.push(
        "not-a-32-character-id"
            .parse::<pm::UserId>()
            .map(|_| ())
            .map_err(Error::from),
    );
    errors.push(pm::RoleId::try_from(2).map(|_| ()).map_err(Error::from));
    for (i, result) in errors.into_iter().enumerate() {
        assert!(
            matches!(result, Err(Error::InvalidRequest(_))),
            "case {i}: {result:?}"
        );
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

/// The AddMemberV4 reference page's roles 10 (product manager) and 11 (system engineer) are
/// accepted by the generated types and granted by the fake, through each operation that takes
/// a role.
#[cfg(all(feature = "fake", feature = "projectman"))]
#[tokio::test]
async fn the_fake_grants_the_product_manager_and_system_engineer_roles() {
    use huaweicloud_openapi::projectman::Role;
    let (fake, pm) = common::fake_projectman().await;
    let (a, b, c) = (
        format!("{:032x}", 1),
        format!("{:032x}", 2),
        format!("{:032x}", 3),
    );
    pm.batch_add_members_v4()
        .project_id(CODEARTS_PROJECT)
        .body_map(|body| {
            body.users(vec![pm::BatchAddMemberRequestV4 {
                role_id: Some(Role::ProductManager.into()),
                user_id: a.parse().unwrap(),
            }])
        })
        .execute()
        .await
        .unwrap();
    let add_one = |user: &str, role: Role| {
        let user = user.parse::<pm::UserId>().unwrap();
        pm.add_member_v4()
            .project_id(CODEARTS_PROJECT)
            .body_map(move |body| {
                body.user_id(user)
                    .domain_id(
                        "0833a5736980d53b0f22c0102ffcbfc0"
                            .parse::<pm::DomainId>()
                            .unwrap(),
                    )
                    .role_id(pm::RoleId::from(role))
            })
            .execute()
    };
    add_one(&b, Role::SystemEngineer).await.unwrap();
    add_one(&c, Role::Developer).await.unwrap();
    pm.update_membes_role_v4()
        .project_id(CODEARTS_PROJECT)
        .body_map(|body| {
            body.role_id(pm::RoleId::from(Role::SystemEngineer))
                .user_ids(vec![c.parse::<pm::UserId>().unwrap()])
        })
        .execute()
        .await
        .unwrap();
    let members = fake.project_members(CODEARTS_PROJECT);
    let role = |user: &str| members.iter().find(|(u, _)| u == user).map(|(_, r)| *r);
    assert_eq!(role(&a), Some(10));
    assert_eq!(role(&b), Some(11));
    assert_eq!(role(&c), Some(11));
    // A role beyond the spec's enum is still refused by the generated type.
    assert!(pm::RoleId::try_from(12).is_err());
}

/// The fake takes the add-members document's request byte for byte, `"workspace": null`
/// included, as the service does; a client that sends exactly what the document shows works.
#[cfg(all(feature = "fake", feature = "dataarts"))]
#[tokio::test]
async fn the_fake_takes_the_documents_request_with_its_null_workspace() {
    use huaweicloud_openapi::fake;
    let (server, _) = common::fake_dataarts().await;
    let url = format!(
        "{}/v1/{}/security/permission-sets/{}/members/batch-create",
        server.endpoint(),
        fake::PROJECT_ID,
        fake::PERMISSION_SET_ID
    );
    let document = include_str!("fixtures/api-docs/dataarts-add-members.request.json");
    assert!(document.contains(r#""workspace" : null"#));
    let answer = reqwest::Client::new()
        .post(url)
        .header("x-auth-token", TOKEN)
        .header("workspace", WORKSPACE)
        .header("content-type", "application/json")
        .body(document)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204, "{:?}", answer.text().await);
    let members = server.members(fake::PROJECT_ID, fake::PERMISSION_SET_ID);
    assert!(members
        .iter()
        .any(|m| m.member_id.as_deref() == Some("b43927a45a514e93ba70524b28923500")));
}
