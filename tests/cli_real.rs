//! `hwc-members` against the cloud path (not `--fake`): credentials from a named section of the
//! profile file, a service endpoint (the crate's fake, started here) and IAM name lookups
//! answered by a raw loopback server written from the IAM document (`KeystoneListUsers`), so
//! what the tool expects of IAM does not rest on the crate's own fake.
#![cfg(feature = "cli")]

mod common;

use std::path::PathBuf;

use assert_cmd::Command;
use common::hostile::{response, Hostile};
use huaweicloud_openapi::fake::FakeServer;

/// The document's example answer to `GET /v3/users?name=James`.
const JAMES: &str = r#"{"links": {"next": null, "previous": null, "self": "https://iam.myhuaweicloud.com/v3/users?name=James"},
 "users": [{"domain_id": "d78cbac186b744899480f25bd022f468", "enabled": true,
   "id": "7116d09f88fa41908676fdd4b039e95b", "name": "James", "description": "",
   "password_expires_at": null, "pwd_status": false, "pwd_strength": "high",
   "links": {"next": null, "previous": null, "self": "https://iam.myhuaweicloud.com/v3/users/7116d09f88fa41908676fdd4b039e95b"}}]}"#;
const NOBODY: &str = r#"{"links": {"next": null, "previous": null, "self": "https://iam.myhuaweicloud.com/v3/users"}, "users": []}"#;

const PROFILE_AK: &str = "PROFILEAK0123456789";
const PROFILE_SK: &str = "profile-secret-do-not-print";

/// A home directory whose `~/.huaweicloud/credentials` has a `[prod]` section, and a members
/// file of two projects that both name James, reached through `endpoint` and `iam`.
fn setup(tag: &str, endpoint: &str, iam: &str, profile: &str) -> (PathBuf, PathBuf) {
    let home = std::env::temp_dir().join(format!("hwc-members-real-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".huaweicloud")).unwrap();
    std::fs::write(
        home.join(".huaweicloud/credentials"),
        format!("[basic]\nak = BASICAK\nsk = basic-secret\n\n[prod]\nak = {PROFILE_AK}\nsk = {PROFILE_SK}\n"),
    )
    .unwrap();
    let mut file = String::from("targets:\n");
    for (name, project) in [
        ("shop", "526cefde62004de2b62b5e8dd2c2b3af"),
        ("blog", "0000cefde62004de2b62b5e8dd2c2b3a"),
    ] {
        file.push_str(&format!(
            "  - name: {name}\n    project: {project}\n    endpoint: {endpoint}\n    iam_endpoint: {iam}\n    profile: {profile}\n    members: [{{user: James, role: developer}}]\n"
        ));
    }
    let path = home.join("members.yaml");
    std::fs::write(&path, file).unwrap();
    (home, path)
}

fn run(home: &PathBuf, args: Vec<String>) -> std::process::Output {
    Command::cargo_bin("hwc-members")
        .unwrap()
        .env_clear()
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_resolved_once_through_iam_with_the_profile_credentials() {
    let fake = FakeServer::start().await.unwrap();
    let iam = Hostile::start("127.0.0.1", |_, head| {
        if head.starts_with("GET /v3/users?name=James ") {
            response(200, "x-iam-trace-id: trace-1\r\n", JAMES.as_bytes())
        } else {
            response(200, "", NOBODY.as_bytes())
        }
    })
    .await;
    let (home, file) = setup("ok", &fake.endpoint(), &iam.url(), "prod");
    let args = vec![
        "plan".into(),
        "-o".into(),
        "json".into(),
        file.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || run(&home, args))
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        !stderr.contains("embedded fake"),
        "credentials were found: {stderr}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["fake"], false);
    for target in json["targets"].as_array().unwrap() {
        assert_eq!(
            target["changes"],
            serde_json::json!([{"action": "add", "id": "7116d09f88fa41908676fdd4b039e95b", "role": "developer"}])
        );
    }
    // One lookup for two targets on one IAM, signed with the [prod] section's key.
    let received = iam.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(
        received[0].contains(&format!("Access={PROFILE_AK}")),
        "{}",
        received[0]
    );
    assert!(!stdout.contains(PROFILE_SK) && !stderr.contains(PROFILE_SK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iam_refusal_and_a_missing_profile_are_errors_naming_the_target() {
    let fake = FakeServer::start().await.unwrap();
    let iam = Hostile::start("127.0.0.1", |_, _| {
        response(
            403,
            "",
            br#"{"error": {"code": 403, "message": "You are not authorized to perform the requested action.", "title": "Forbidden"}}"#,
        )
    })
    .await;
    let (home, file) = setup("refused", &fake.endpoint(), &iam.url(), "prod");
    let args = vec!["plan".into(), file.display().to_string()];
    let h = home.clone();
    let out = tokio::task::spawn_blocking(move || run(&h, args))
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("shop: error: looking up IAM user \"James\""),
        "{stdout}"
    );
    // The request ID, for support, once per target.
    assert_eq!(stdout.matches("rid-403").count(), 2, "{stdout}");

    let (home, file) = setup("noprofile", &fake.endpoint(), &iam.url(), "staging");
    let args = vec!["plan".into(), file.display().to_string()];
    let out = tokio::task::spawn_blocking(move || run(&home, args))
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("shop: error: ") && stdout.contains("has no [staging] section"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_change_exits_1_and_the_json_report_carries_its_request_id() {
    use huaweicloud_openapi::fake::Fault;
    let fake = FakeServer::start().await.unwrap();
    let iam = Hostile::start("127.0.0.1", |_, head| {
        if head.starts_with("GET /v3/users?name=James ") {
            response(200, "", JAMES.as_bytes())
        } else {
            response(200, "", NOBODY.as_bytes())
        }
    })
    .await;
    // The first project's additions are refused; the second's go through.
    fake.inject_fault(
        "BatchAddMembersV4",
        Fault::error(400, "PM.00000001", "the member cannot be added"),
    )
    .unwrap();
    let (home, file) = setup("failed", &fake.endpoint(), &iam.url(), "prod");
    let args = ["apply", "--yes", "-o", "json", file.to_str().unwrap()]
        .map(str::to_owned)
        .to_vec();
    let out = tokio::task::spawn_blocking(move || run(&home, args))
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let shop = &json["targets"][0];
    assert_eq!(shop["status"], "incomplete", "{stdout}");
    let failed = &shop["apply"]["failed"][0];
    assert_eq!(failed["changes"].as_array().map(Vec::len), Some(1));
    assert!(
        failed["error"].as_str().unwrap().contains("PM.00000001"),
        "{failed}"
    );
    assert!(
        failed["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{failed}"
    );
    assert_eq!(json["targets"][1]["status"], "applied", "{stdout}");
    assert_eq!(json["summary"]["incomplete"], 1);
    // What failed is not there; what succeeded is.
    let member = |p: &str| {
        fake.project_members(p)
            .iter()
            .any(|(u, _)| u == "7116d09f88fa41908676fdd4b039e95b")
    };
    assert!(!member("526cefde62004de2b62b5e8dd2c2b3af"));
    assert!(member("0000cefde62004de2b62b5e8dd2c2b3a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iam_user_and_password_from_the_environment_gets_one_token_per_region() {
    use huaweicloud_openapi::fake::{IAM_ACCOUNT, IAM_PASSWORD, IAM_REGION, IAM_USER};
    let fake = FakeServer::start().await.unwrap();
    fake.iam()
        .add_user("James", "7116d09f88fa41908676fdd4b039e95b");
    let home = std::env::temp_dir().join(format!("hwc-members-real-token-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut file = String::from("targets:\n");
    for (name, project) in [
        ("shop", "526cefde62004de2b62b5e8dd2c2b3af"),
        ("blog", "0000cefde62004de2b62b5e8dd2c2b3a"),
    ] {
        file.push_str(&format!(
            "  - name: {name}\n    project: {project}\n    region: {IAM_REGION}\n    endpoint: {0}\n    iam_endpoint: {0}\n    members: [{{user: James, role: viewer}}]\n",
            fake.endpoint()
        ));
    }
    let path = home.join("members.yaml");
    std::fs::write(&path, file).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("hwc-members")
            .unwrap()
            .env_clear()
            .env("HOME", &home)
            .env("HUAWEICLOUD_IAM_USER_NAME", IAM_USER)
            .env("HUAWEICLOUD_IAM_PASSWORD", IAM_PASSWORD)
            .env("HUAWEICLOUD_IAM_ACCOUNT_NAME", IAM_ACCOUNT)
            .args(["apply", "--yes", path.to_str().unwrap()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(!stdout.contains(IAM_PASSWORD) && !stderr.contains(IAM_PASSWORD));
    assert_eq!(
        fake.iam().token_requests(),
        1,
        "one token serves both targets of the region"
    );
    for project in [
        "526cefde62004de2b62b5e8dd2c2b3af",
        "0000cefde62004de2b62b5e8dd2c2b3a",
    ] {
        assert!(fake
            .project_members(project)
            .contains(&("7116d09f88fa41908676fdd4b039e95b".to_owned(), 8)));
    }
}

/// Against the cloud (no `--identity`), the tool asks CodeArts who the credentials belong to
/// (`GET /v4/user`, answered here by a raw server written from the document) and refuses an
/// apply that would remove that user; nothing is deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_that_removes_the_caller_found_through_codearts_is_refused() {
    const CALLER: &str = "a360371833bf4c558f796fd707b44daf";
    const JAMES_ID: &str = "7116d09f88fa41908676fdd4b039e95b";
    let members = format!(
        r#"{{"total": 2, "members": [
            {{"user_id": "{CALLER}", "role_id": 4, "user_name": "me"}},
            {{"user_id": "{JAMES_ID}", "role_id": 3, "user_name": "James"}}]}}"#
    );
    let service = Hostile::start("127.0.0.1", move |_, head| {
        if head.starts_with("GET /v4/user ") {
            let me = format!(r#"{{"user_id": "{CALLER}", "user_name": "me", "domain_id": "d"}}"#);
            response(200, "", me.as_bytes())
        } else if head.starts_with("GET /v4/projects/") {
            response(200, "", members.as_bytes())
        } else {
            response(204, "", b"")
        }
    })
    .await;
    let iam = Hostile::start("127.0.0.1", |_, _| response(200, "", JAMES.as_bytes())).await;
    let (home, _) = setup("self", &service.url(), &iam.url(), "prod");
    let file = home.join("self.yaml");
    std::fs::write(
        &file,
        format!(
            "targets:\n  - name: shop\n    project: 526cefde62004de2b62b5e8dd2c2b3af\n    endpoint: {}\n    iam_endpoint: {}\n    profile: prod\n    prune: true\n    members: [{{user: James, role: project_manager}}]\n",
            service.url(),
            iam.url()
        ),
    )
    .unwrap();
    let args = [
        "apply",
        "--yes",
        "--allow-large-removals",
        "-o",
        "json",
        file.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    let out = tokio::task::spawn_blocking(move || run(&home, args))
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "the plan removes {CALLER}, the identity running this apply"
        )),
        "{stdout}"
    );
    let received = service.received();
    assert!(received.iter().any(|r| r.starts_with("GET /v4/user ")));
    assert!(
        !received
            .iter()
            .any(|r| r.starts_with("DELETE") || r.starts_with("POST")),
        "{received:?}"
    );
}
