//! The fake server's own behaviour, over plain HTTP: state, filters, validation, errors.
#![cfg(feature = "fake")]
// With a service left out, what only its tests use goes unused; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

#[cfg(feature = "dataarts")]
use huaweicloud_openapi::DataArtsClient;
#[cfg(feature = "projectman")]
use huaweicloud_openapi::ProjectManClient;
use huaweicloud_openapi::{
    auth::Credentials,
    fake::CALLER_USER_ID,
    fake::{FakeServer, PERMISSION_SET_ID, PROJECT_ID},
    retry::RetryPolicy,
    Error, Execute,
};
use serde_json::{json, Value};

const CODEARTS: &str = "526cefde62004de2b62b5e8dd2c2b3af";

struct Fake {
    server: FakeServer,
    http: reqwest::Client,
}

impl Fake {
    async fn start() -> Self {
        Fake {
            server: FakeServer::start().await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.endpoint())
    }

    #[cfg(feature = "dataarts")]
    fn members_url(&self) -> String {
        self.url(&format!(
            "/v1/{PROJECT_ID}/security/permission-sets/{PERMISSION_SET_ID}/members"
        ))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(id.len(), 32, "every answer has a request id");
        let body = response.text().await.unwrap();
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    #[cfg(feature = "dataarts")]
    async fn add(&self, members: Value) -> (u16, Value) {
        self.send(
            self.http
                .post(format!("{}/batch-create", self.members_url()))
                .header("x-auth-token", "t")
                .header("workspace", "ws")
                .json(&json!({ "members": members })),
        )
        .await
    }

    #[cfg(feature = "dataarts")]
    async fn list(&self, query: &str) -> (u16, Value) {
        self.send(
            self.http
                .get(format!("{}?{query}", self.members_url()))
                .header("x-auth-token", "t")
                .header("workspace", "ws"),
        )
        .await
    }
}

#[cfg(feature = "dataarts")]
fn names(page: &Value) -> Vec<String> {
    page["permission_set_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["member_name"].as_str().unwrap().to_string())
        .collect()
}

#[cfg(feature = "dataarts")]
async fn seeded() -> Fake {
    let fake = Fake::start().await;
    let (status, _) = fake
        .add(json!([
            {"member_id": "u1", "member_name": "carol", "member_type": "USER"},
            {"member_id": "g1", "member_name": "admins", "member_type": "USER_GROUP"},
            {"member_id": "u2", "member_name": "alice", "member_type": "USER"},
            {"member_id": "r1", "member_name": "dev_role", "member_type": "WORKSPACE_ROLE"},
        ]))
        .await;
    assert_eq!(status, 204);
    fake
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn added_members_show_up_with_server_fields() {
    let fake = seeded().await;
    let (status, page) = fake.list("").await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 4);
    assert_eq!(names(&page), ["carol", "admins", "alice", "dev_role"]);
    let first = &page["permission_set_members"][0];
    assert_eq!(first["member_status"], "NORMAL");
    assert_eq!(first["permission_set_id"], PERMISSION_SET_ID);
    assert_eq!(first["project_id"], PROJECT_ID);
    assert_eq!(first["id"].as_str().unwrap().len(), 32);
    assert!(first["create_time"].as_i64().unwrap() > 1_700_000_000_000);
    // Adding the same member again changes nothing.
    fake.add(json!([{"member_id": "u1", "member_name": "carol", "member_type": "USER"}]))
        .await;
    assert_eq!(fake.list("").await.1["total"], 4);
    assert_eq!(fake.server.members(PROJECT_ID, PERMISSION_SET_ID).len(), 4);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn filters_sorting_and_paging() {
    let fake = seeded().await;
    let (_, page) = fake.list("member_type=USER").await;
    assert_eq!(
        (page["total"].as_u64(), names(&page)),
        (Some(2), vec!["carol".into(), "alice".into()])
    );
    let (_, page) = fake.list("member_name=a").await;
    assert_eq!(
        page["total"],
        4 - 1,
        "substring match: carol, admins, alice"
    );
    let (_, page) = fake.list("order_by=MEMBER_NAME&order_by_asc=true").await;
    assert_eq!(names(&page), ["admins", "alice", "carol", "dev_role"]);
    let (_, page) = fake.list("order_by=MEMBER_NAME").await;
    assert_eq!(
        names(&page),
        ["dev_role", "carol", "alice", "admins"],
        "descending by default"
    );
    let (_, page) = fake.list("order_by=CREATE_TIME&order_by_asc=false").await;
    assert_eq!(names(&page), ["dev_role", "alice", "admins", "carol"]);
    let (_, page) = fake.list("limit=2&offset=1").await;
    assert_eq!(
        (page["total"].as_u64(), names(&page)),
        (Some(4), vec!["admins".into(), "alice".into()])
    );
    let (_, page) = fake.list("limit=2&offset=10").await;
    assert_eq!((page["total"].as_u64(), names(&page).len()), (Some(4), 0));
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn validation_errors_use_the_documented_body() {
    let fake = Fake::start().await;
    for query in [
        "limit=101",
        "limit=x",
        "offset=-1",
        "member_type=ADMIN",
        "order_by=NAME",
        "order_by_asc=yes",
    ] {
        let (status, body) = fake.list(query).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (400, Some("DLS.1002")),
            "{query}"
        );
    }
    let (status, body) = fake
        .add(json!([{"member_id": "x", "member_type": "ADMIN"}]))
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("DLS.1001"))
    );
    let (status, _) = fake.add(json!([{"member_type": "USER"}])).await;
    assert_eq!(status, 400, "member_id is required");
    let (status, body) = fake
        .send(
            fake.http
                .get(fake.members_url())
                .header("x-auth-token", "t"),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("DLS.1000")),
        "no workspace"
    );
    let (status, body) = fake
        .send(
            fake.http
                .get(fake.url(&format!(
                    "/v1/{PROJECT_ID}/security/permission-sets/nope/members"
                )))
                .header("x-auth-token", "t")
                .header("workspace", "ws"),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("DLS.1004"))
    );
    let (status, _) = fake
        .send(
            fake.http
                .post(format!("{}/batch-create", fake.members_url()))
                .header("x-auth-token", "t")
                .header("workspace", "ws")
                .body("{not json"),
        )
        .await;
    assert_eq!(status, 400);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn auth_is_required_and_signatures_must_be_well_formed() {
    let fake = Fake::start().await;
    let date = "20261122T101500Z";
    let good_sig = format!(
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;workspace;x-sdk-date, Signature={}",
        "a".repeat(64)
    );
    for (auth, sdk_date) in [
        (None, None),
        (Some("Bearer x".to_string()), Some(date)),
        (Some(good_sig.clone()), None),
        (Some(good_sig.replace("host;", "")), Some(date)),
        (Some(good_sig.replace(&"a".repeat(64), "XYZ")), Some(date)),
        (Some(good_sig.clone()), Some("2026-11-22")),
    ] {
        let mut request = fake.http.get(fake.members_url()).header("workspace", "ws");
        if let Some(a) = &auth {
            request = request.header("authorization", a);
        }
        if let Some(d) = sdk_date {
            request = request.header("x-sdk-date", d);
        }
        let (status, body) = fake.send(request).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (401, Some("APIGW.0301")),
            "{auth:?} {sdk_date:?}"
        );
    }
    let (status, _) = fake
        .send(
            fake.http
                .get(fake.members_url())
                .header("workspace", "ws")
                .header("authorization", &good_sig)
                .header("x-sdk-date", date),
        )
        .await;
    assert_eq!(
        status, 200,
        "well formed is enough without a configured key"
    );
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn signatures_are_verified_when_the_fake_knows_the_key() {
    let server = FakeServer::start_verifying("FAKEAK", "fake-sk")
        .await
        .unwrap();
    let client = |sk: &str| {
        DataArtsClient::builder()
            .endpoint(server.endpoint())
            .credentials(
                Credentials::ak_sk("FAKEAK", sk)
                    .unwrap()
                    .with_project_id(PROJECT_ID),
            )
            .workspace("ws")
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap()
    };
    client("fake-sk")
        .list_security_permission_set_members()
        .permission_set_id(PERMISSION_SET_ID)
        .member_name("a b+c/ü")
        .limit(5u32)
        .execute()
        .await
        .expect("a correct signature is accepted");
    let err = client("wrong-sk")
        .list_security_permission_set_members()
        .permission_set_id(PERMISSION_SET_ID)
        .execute()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn update_returns_and_persists_the_permission_set() {
    let fake = Fake::start().await;
    let url = fake.url(&format!(
        "/v1/{PROJECT_ID}/security/permission-sets/{PERMISSION_SET_ID}"
    ));
    let (status, body) = fake
        .send(
            fake.http
                .put(&url)
                .header("x-auth-token", "t")
                .header("workspace", "ws")
                .json(&json!({"name": "renamed", "type": "MRS_MANAGED", "manager_type": "USER_GROUP"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["name"].as_str(), body["type"].as_str()),
        (Some("renamed"), Some("MRS_MANAGED"))
    );
    assert_eq!(body["id"], PERMISSION_SET_ID);
    let held = fake
        .server
        .permission_set(PROJECT_ID, PERMISSION_SET_ID)
        .unwrap();
    assert_eq!(held.name.as_deref(), Some("renamed"));
    assert_eq!(held.manager_type.as_deref(), Some("USER_GROUP"));
    let (status, _) = fake
        .send(
            fake.http
                .put(&url)
                .header("x-auth-token", "t")
                .header("workspace", "ws")
                .json(&json!({"type": "OTHER"})),
        )
        .await;
    assert_eq!(status, 400, "enum checked");
}

#[cfg(feature = "projectman")]
#[tokio::test]
async fn projectman_role_rules_and_skipped_ids() {
    let fake = Fake::start().await;
    let add = |project: &str, users: Value| {
        fake.http
            .post(fake.url(&format!("/v4/projects/{project}/members")))
            .header("x-auth-token", "t")
            .json(&json!({ "users": users }))
    };
    let valid = |c: char| std::iter::repeat_n(c, 32).collect::<String>();
    let (status, _) = fake
        .send(add(
            CODEARTS,
            json!([
                {"user_id": valid('a'), "role_id": 5},
                {"user_id": valid('b')},
                {"user_id": valid('c'), "role_id": -1},
                {"user_id": "not-a-valid-id", "role_id": 4},
            ]),
        ))
        .await;
    assert_eq!(status, 204);
    let creator = (CALLER_USER_ID.to_string(), -1);
    assert_eq!(
        fake.server.project_members(CODEARTS),
        [
            (valid('a'), 5),
            (valid('b'), 7),
            (valid('c'), 7),
            creator.clone()
        ]
    );
    fake.send(add(
        CODEARTS,
        json!([{"user_id": valid('a'), "role_id": 8}]),
    ))
    .await;
    assert_eq!(
        fake.server.project_members(CODEARTS)[0],
        (valid('a'), 8),
        "re-adding updates the role"
    );
    for (project, users, code) in [
        ("short", json!([]), "PM.00000002"),
        (
            CODEARTS,
            json!([{"user_id": valid('d'), "role_id": 2}]),
            "PM.00000001",
        ),
        (CODEARTS, json!([{"role_id": 5}]), "PM.00000001"),
        (CODEARTS, json!("nope"), "PM.00000001"),
        (CODEARTS, json!([]), "PM.00000001"),
    ] {
        let (status, body) = fake.send(add(project, users.clone())).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (400, Some(code)),
            "{project} {users}"
        );
    }
    let (status, body) = fake
        .send(
            fake.http
                .post(fake.url(&format!("/v4/projects/{CODEARTS}/members")))
                .json(&json!({"users": []})),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (401, Some("APIGW.0301"))
    );
}

#[cfg(all(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn the_crate_client_runs_all_four_operations_against_it() {
    let server = FakeServer::start().await.unwrap();
    let creds = Credentials::token("t").unwrap();
    let da = DataArtsClient::builder()
        .endpoint(server.endpoint())
        .credentials(creds.clone())
        .project_id(PROJECT_ID)
        .workspace("ws")
        .build()
        .unwrap();
    let pm = ProjectManClient::builder()
        .endpoint(server.endpoint())
        .credentials(creds)
        .build()
        .unwrap();
    da.batch_create_security_permission_set_members()
        .permission_set_id(PERMISSION_SET_ID)
        .body_map(|b| {
            b.members(vec![
                huaweicloud_openapi::dataarts::types::PermissionSetMemberCreate {
                    member_id: Some("m1".parse().unwrap()),
                    member_name: Some("one".parse().unwrap()),
                    member_type: Some(huaweicloud_openapi::dataarts::types::MemberType::User),
                    workspace: None,
                },
            ])
        })
        .execute()
        .await
        .unwrap();
    let page = da
        .list_security_permission_set_members()
        .permission_set_id(PERMISSION_SET_ID)
        .execute()
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    assert!(page.request_id().is_some());
    let set = da
        .update_security_permission_set()
        .permission_set_id(PERMISSION_SET_ID)
        .body_map(|b| b.description(huaweicloud_openapi::dataarts::types::UpdatePermissionSetRequestBodyDescription::try_from("d").unwrap()))
        .execute()
        .await
        .unwrap();
    assert_eq!(set.description.as_deref(), Some("d"));
    pm.batch_add_members_v4()
        .project_id(CODEARTS)
        .body_map(|b| {
            b.users(vec![
                huaweicloud_openapi::projectman::types::BatchAddMemberRequestV4 {
                    role_id: None,
                    user_id: "665b542eb4c14b53a15ead449f28b0ba".parse().unwrap(),
                },
            ])
        })
        .execute()
        .await
        .unwrap();
    let err = da
        .update_security_permission_set()
        .permission_set_id("missing")
        .body_map(|b| b)
        .execute()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Service(s) if s.error_code.as_deref() == Some("DLS.1004")),
        "{err}"
    );
    assert_eq!(server.request_count(), 5);
}
