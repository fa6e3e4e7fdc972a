//! Runs the four operations and a paginated listing.
//!
//! With no credentials in the environment it starts the embedded fake server and runs against it:
//!
//! ```sh
//! cargo run --features fake --example quickstart
//! ```
//!
//! The fake run authenticates as the fake's IAM user with a password: the client gets, caches and
//! renews an IAM token and takes the project ID from it, as it would against the real cloud.
//!
//! With credentials it runs against Huawei Cloud, three ways: `HUAWEICLOUD_SDK_AK` +
//! `HUAWEICLOUD_SDK_SK`; `HUAWEICLOUD_SDK_AUTH_TOKEN`; or an IAM user and password,
//! `HUAWEICLOUD_IAM_USER_NAME` + `HUAWEICLOUD_IAM_PASSWORD` + `HUAWEICLOUD_IAM_ACCOUNT_NAME` (the
//! account the user belongs to; IAM's endpoint from the region, or `HUAWEICLOUD_SDK_IAM_ENDPOINT`).
//! `HUAWEICLOUD_SDK_PROJECT_ID` is optional: without it the project ID comes from the token, or
//! IAM is asked for the region's. It runs against any endpoint you name:
//! `HUAWEICLOUD_SDK_REGION`, or `HUAWEICLOUD_DATAARTS_ENDPOINT` / `HUAWEICLOUD_PROJECTMAN_ENDPOINT`
//! (which win over the region), plus the IDs it works on: `HUAWEICLOUD_DATAARTS_WORKSPACE`,
//! `HUAWEICLOUD_DATAARTS_PERMISSION_SET_ID`, `HUAWEICLOUD_DATAARTS_MEMBER_ID`,
//! `HUAWEICLOUD_PROJECTMAN_PROJECT_ID`, `HUAWEICLOUD_PROJECTMAN_USER_ID`.

use std::{process::ExitCode, sync::Arc};

use futures::TryStreamExt;
use huaweicloud_openapi::{
    auth::{Credentials, ProvideCredentials},
    dataarts::types::{MemberOrderBy, MemberType, PermissionSetMemberCreate},
    fake::{self, FakeServer},
    iam::PasswordTokenProvider,
    paginate::Paginate,
    projectman::types::{BatchAddMemberRequestV4, RoleId},
    DataArtsClient, Error, Execute, ProjectManClient,
};

/// What the run works on, from the environment or made up for the fake.
struct Plan {
    dataarts: DataArtsClient,
    projectman: ProjectManClient,
    permission_set_id: String,
    member_id: String,
    project_id: String,
    user_id: String,
    /// Extra members to add first, so the paginated listing has pages to walk.
    extra_members: usize,
    _fake: Option<FakeServer>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let plan = match plan().await {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("quickstart: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&plan).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            if let Some(id) = e.request_id() {
                eprintln!("request id: {id}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Environment variables of the IAM user way (no official names exist for these).
const IAM_USER_NAME: &str = "HUAWEICLOUD_IAM_USER_NAME";
const IAM_PASSWORD: &str = "HUAWEICLOUD_IAM_PASSWORD";
const IAM_ACCOUNT_NAME: &str = "HUAWEICLOUD_IAM_ACCOUNT_NAME";

async fn plan() -> Result<Plan, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let credentials = Credentials::from_env().map_err(|e| e.to_string())?;
    let user = var(IAM_USER_NAME);
    let credentials: Arc<dyn ProvideCredentials> = match (credentials, user) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "both AK/SK (or a token) and {IAM_USER_NAME} are set: choose one"
            ))
        }
        (Some(c), None) => Arc::new(c),
        (None, Some(user)) => {
            let (Some(password), Some(account)) = (var(IAM_PASSWORD), var(IAM_ACCOUNT_NAME)) else {
                return Err(format!(
                    "{IAM_USER_NAME} is set, so {IAM_PASSWORD} and {IAM_ACCOUNT_NAME} are needed too"
                ));
            };
            let region = var("HUAWEICLOUD_SDK_REGION")
                .ok_or("an IAM user needs HUAWEICLOUD_SDK_REGION (the token's project)")?;
            let token = PasswordTokenProvider::builder()
                .user(user)
                .password(password)
                .account(account)
                .region(region)
                .build()
                .map_err(|e| e.to_string())?;
            Arc::new(token)
        }
        (None, None) => {
            return fake_plan()
                .await
                .map_err(|e| format!("cannot start the fake server: {e}"))
        }
    };
    let required = [
        "HUAWEICLOUD_DATAARTS_WORKSPACE",
        "HUAWEICLOUD_DATAARTS_PERMISSION_SET_ID",
        "HUAWEICLOUD_DATAARTS_MEMBER_ID",
        "HUAWEICLOUD_PROJECTMAN_PROJECT_ID",
        "HUAWEICLOUD_PROJECTMAN_USER_ID",
    ];
    let mut missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|n| var(n).is_none())
        .collect();
    let region = var("HUAWEICLOUD_SDK_REGION");
    let dataarts_endpoint = var("HUAWEICLOUD_DATAARTS_ENDPOINT");
    let projectman_endpoint = var("HUAWEICLOUD_PROJECTMAN_ENDPOINT");
    if region.is_none() && (dataarts_endpoint.is_none() || projectman_endpoint.is_none()) {
        missing.push("HUAWEICLOUD_SDK_REGION (or both HUAWEICLOUD_DATAARTS_ENDPOINT and HUAWEICLOUD_PROJECTMAN_ENDPOINT)");
    }
    if !missing.is_empty() {
        return Err(format!(
            "credentials are set, so this runs against a real endpoint, but these variables are missing: {}",
            missing.join(", ")
        ));
    }
    let get = |name: &str| var(name).unwrap_or_default();
    let mut da = DataArtsClient::builder()
        .credentials_provider(credentials.clone())
        .workspace(get("HUAWEICLOUD_DATAARTS_WORKSPACE"));
    if let Some(project) = var("HUAWEICLOUD_SDK_PROJECT_ID") {
        da = da.project_id(project);
    }
    let mut pm = ProjectManClient::builder().credentials_provider(credentials);
    if let Some(r) = &region {
        da = da.region(r);
        pm = pm.region(r);
    }
    if let Some(e) = dataarts_endpoint {
        da = da.endpoint(e);
    }
    if let Some(e) = projectman_endpoint {
        pm = pm.endpoint(e);
    }
    Ok(Plan {
        dataarts: da.build().map_err(|e| e.to_string())?,
        projectman: pm.build().map_err(|e| e.to_string())?,
        permission_set_id: get("HUAWEICLOUD_DATAARTS_PERMISSION_SET_ID"),
        member_id: get("HUAWEICLOUD_DATAARTS_MEMBER_ID"),
        project_id: get("HUAWEICLOUD_PROJECTMAN_PROJECT_ID"),
        user_id: get("HUAWEICLOUD_PROJECTMAN_USER_ID"),
        extra_members: 0,
        _fake: None,
    })
}

async fn fake_plan() -> Result<Plan, Error> {
    let fake = FakeServer::start()
        .await
        .map_err(|e| Error::Config(e.to_string()))?;
    println!(
        "No credentials in the environment: running against the embedded fake at {}",
        fake.endpoint()
    );
    // The password-token path, as with a real IAM user: the fake's IAM issues the token, and the
    // DataArts project ID comes from the token's scope (no project ID is configured).
    let token = PasswordTokenProvider::builder()
        .user(fake::IAM_USER)
        .password(fake::IAM_PASSWORD)
        .account(fake::IAM_ACCOUNT)
        .region(fake::IAM_REGION)
        .iam_endpoint(fake.endpoint())
        .build()?;
    let dataarts = DataArtsClient::builder()
        .region(fake::IAM_REGION)
        .endpoint(fake.endpoint())
        .credentials_provider(token.clone())
        .workspace("dd97167b873d4a79b2aad54d4370a3bc")
        .build()?;
    let projectman = ProjectManClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(token.clone())
        .build()?;
    println!(
        "   authenticating as IAM user {:?} of account {:?} with a password",
        fake::IAM_USER,
        fake::IAM_ACCOUNT
    );
    Ok(Plan {
        dataarts,
        projectman,
        permission_set_id: huaweicloud_openapi::fake::PERMISSION_SET_ID.into(),
        member_id: "b43927a45a514e93ba70524b28923500".into(),
        project_id: "526cefde62004de2b62b5e8dd2c2b3af".into(),
        user_id: "665b542eb4c14b53a15ead449f28b0ba".into(),
        extra_members: 300,
        _fake: Some(fake),
    })
}

fn user(id: String, name: String) -> PermissionSetMemberCreate {
    PermissionSetMemberCreate {
        member_id: Some(id),
        member_name: Some(name),
        member_type: Some(MemberType::User),
        workspace: None,
    }
}

async fn run(plan: &Plan) -> Result<(), Error> {
    let da = &plan.dataarts;
    let pset = plan.permission_set_id.as_str();

    let added = da
        .batch_create_security_permission_set_members()
        .permission_set_id(pset)
        .body_map(|b| b.members(vec![user(plan.member_id.clone(), "common_user".into())]))
        .execute()
        .await?;
    println!(
        "1. added member {} to permission set {pset} (HTTP {}, request {})",
        plan.member_id,
        added.status(),
        added.request_id().unwrap_or("-")
    );

    let page = da
        .list_security_permission_set_members()
        .permission_set_id(pset)
        .limit(10u32)
        .offset(0)
        .order_by(MemberOrderBy::CreateTime)
        .order_by_asc(true)
        .execute()
        .await?;
    println!(
        "2. the permission set has {} member(s); first page:",
        page.total.unwrap_or(0)
    );
    for m in page.permission_set_members.iter().flatten() {
        println!(
            "   - {} {} ({})",
            m.member_type.as_deref().unwrap_or("?"),
            m.member_name.as_deref().unwrap_or("?"),
            m.member_id.as_deref().unwrap_or("?")
        );
    }

    let updated = da
        .update_security_permission_set()
        .permission_set_id(pset)
        .body_map(|b| b.description("updated by the huaweicloud-openapi quickstart".to_string()))
        .execute()
        .await?;
    println!(
        "3. updated permission set {}: description {:?}, sync status {}",
        updated.id.as_deref().unwrap_or(pset),
        updated.description.as_deref().unwrap_or(""),
        updated.sync_status.as_deref().unwrap_or("-")
    );

    let user_id = plan.user_id.parse().map_err(Error::from)?;
    let role = RoleId::try_from(5).map_err(Error::from)?;
    plan.projectman
        .batch_add_members_v4()
        .project_id(plan.project_id.as_str())
        .body_map(|b| {
            b.users(vec![BatchAddMemberRequestV4 {
                role_id: Some(role),
                user_id,
            }])
        })
        .execute()
        .await?;
    println!(
        "4. added user {} to CodeArts project {} as test manager (role 5)",
        plan.user_id, plan.project_id
    );

    if plan.extra_members > 0 {
        let members: Vec<_> = (0..plan.extra_members)
            .map(|i| user(format!("{i:032x}"), format!("quickstart_user_{i:03}")))
            .collect();
        for chunk in members.chunks(100) {
            da.batch_create_security_permission_set_members()
                .permission_set_id(pset)
                .body_map(|b| b.members(chunk.to_vec()))
                .execute()
                .await?;
        }
        println!(
            "   (added {} more members to have pages to walk)",
            plan.extra_members
        );
    }
    let names: Vec<String> = da
        .list_security_permission_set_members()
        .permission_set_id(pset)
        .order_by(MemberOrderBy::MemberName)
        .order_by_asc(true)
        .paginate(50)
        .items()
        .map_ok(|m| m.member_name.unwrap_or_default())
        .try_collect()
        .await?;
    println!(
        "5. paginated listing, 50 per page: {} members, from {:?} to {:?}",
        names.len(),
        names.first().map(String::as_str).unwrap_or("-"),
        names.last().map(String::as_str).unwrap_or("-")
    );
    Ok(())
}
