//! Adds, lists and changes members of a DataArts permission set and a CodeArts project, walks
//! the lists page by page, then removes what it added.
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
    dataarts::types::{
        BatchDeleteRequestBodyIdsItem, MemberOrderBy, MemberType, PermissionSetMemberCreate,
        UpdatePermissionSetRequestBodyDescription,
    },
    fake::{self, FakeServer},
    iam::PasswordTokenProvider,
    paginate::Paginate,
    projectman::{
        types::{BatchAddMemberRequestV4, UserId},
        Role,
    },
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

fn user(id: &str, name: &str) -> Result<PermissionSetMemberCreate, Error> {
    Ok(PermissionSetMemberCreate {
        member_id: Some(id.parse()?),
        member_name: Some(name.parse()?),
        member_type: Some(MemberType::User),
        workspace: None,
    })
}

async fn run(plan: &Plan) -> Result<(), Error> {
    let da = &plan.dataarts;
    let pset = plan.permission_set_id.as_str();

    let member = user(&plan.member_id, "common_user")?;
    let added = da
        .batch_create_security_permission_set_members()
        .permission_set_id(pset)
        .body_map(|b| b.members(vec![member]))
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

    let description = UpdatePermissionSetRequestBodyDescription::try_from(
        "updated by the huaweicloud-openapi quickstart",
    )?;
    let updated = da
        .update_security_permission_set()
        .permission_set_id(pset)
        .body_map(|b| b.description(description))
        .execute()
        .await?;
    println!(
        "3. updated permission set {}: description {:?}, sync status {}",
        updated.id.as_deref().unwrap_or(pset),
        updated.description.as_deref().unwrap_or(""),
        updated.sync_status.as_deref().unwrap_or("-")
    );

    let pm = &plan.projectman;
    let project = plan.project_id.as_str();
    let user_id: UserId = plan.user_id.parse()?;
    pm.batch_add_members_v4()
        .project_id(project)
        .body_map(|b| {
            b.users(vec![BatchAddMemberRequestV4 {
                role_id: Some(Role::TestManager.into()),
                user_id: user_id.clone(),
            }])
        })
        .execute()
        .await?;
    println!(
        "4. added user {} to CodeArts project {project} as test manager",
        plan.user_id
    );
    let members: Vec<_> = pm
        .list_project_members_v4()
        .project_id(project)
        .paginate(100)
        .items()
        .try_collect()
        .await?;
    println!("5. the CodeArts project has {} member(s):", members.len());
    for m in &members {
        let role = m.role_id.and_then(|r| Role::from_value(r.into()));
        println!(
            "   - {} ({}) as {}",
            m.user_name.as_deref().unwrap_or("?"),
            m.user_id.as_deref().unwrap_or("?"),
            role.map_or_else(|| format!("role {:?}", m.role_id), |r| format!("{r:?}"))
        );
    }

    if plan.extra_members > 0 {
        let extra = (0..plan.extra_members)
            .map(|i| user(&format!("{i:032x}"), &format!("quickstart_user_{i:03}")))
            .collect::<Result<Vec<_>, _>>()?;
        for chunk in extra.chunks(100) {
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
    let listed: Vec<_> = da
        .list_security_permission_set_members()
        .permission_set_id(pset)
        .order_by(MemberOrderBy::MemberName)
        .order_by_asc(true)
        .paginate(50)
        .items()
        .try_collect()
        .await?;
    println!(
        "6. paginated listing, 50 per page: {} members, from {:?} to {:?}",
        listed.len(),
        listed
            .first()
            .and_then(|m| m.member_name.as_deref())
            .unwrap_or("-"),
        listed
            .last()
            .and_then(|m| m.member_name.as_deref())
            .unwrap_or("-")
    );

    // Leave the account as it was found: remove what this run added, by member record ID
    // (the `id` of the list), at most 100 per call.
    let extra_ids: Vec<String> = (0..plan.extra_members)
        .map(|i| format!("{i:032x}"))
        .collect();
    let added_here: Vec<String> = listed
        .iter()
        .filter(|m| {
            m.member_id
                .as_deref()
                .is_some_and(|id| id == plan.member_id || extra_ids.iter().any(|e| e == id))
        })
        .filter_map(|m| m.id.clone())
        .collect();
    for chunk in added_here.chunks(100) {
        let ids = chunk
            .iter()
            .map(|id| id.parse())
            .collect::<Result<Vec<BatchDeleteRequestBodyIdsItem>, _>>()?;
        da.batch_delete_security_permission_set_members()
            .permission_set_id(pset)
            .body_map(|b| b.ids(ids))
            .execute()
            .await?;
    }
    pm.batch_delete_members_v4()
        .project_id(project)
        .body_map(|b| b.user_ids(vec![user_id]))
        .execute()
        .await?;
    println!(
        "7. removed the {} permission-set member(s) and the project member this run added",
        added_here.len()
    );
    Ok(())
}
