//! What the client refuses before anything is sent, table-driven over the specs: every path
//! parameter of every operation refuses empty, `.` and `..` (also percent-encoded), over-long
//! values are refused by the spec's `maxLength`, empty lists by `minItems`, header values that
//! HTTP cannot carry by name, and every message stays short. Each call goes to a raw loopback
//! server that counts what reaches it: nothing may. An operation or parameter added to a spec is
//! tested here without new test code.
#![cfg(feature = "spec-examples")]
// What only one service's tests use goes unused without it; all features are linted in full.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(unused_imports, dead_code)
)]

mod common;

use common::{
    hostile::{self, Hostile},
    spec,
};
use huaweicloud_openapi::{
    auth::Credentials,
    iam,
    operation::{ExampleCallWith, Overrides},
    retry::RetryPolicy,
    Error, Execute, IamClient,
};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{dataarts, DataArtsClient};
#[cfg(feature = "projectman")]
use huaweicloud_openapi::{projectman, ProjectManClient};
use serde_json::Value;

/// One client per service, pointed at a test server (building a client costs more than a
/// refused call, and the tests make hundreds).
struct Clients {
    #[cfg(feature = "dataarts")]
    dataarts: DataArtsClient,
    #[cfg(feature = "projectman")]
    projectman: ProjectManClient,
    iam: IamClient,
}

impl Clients {
    fn new(server: &Hostile) -> Clients {
        let uri = server.url();
        let credentials = Credentials::token(common::TOKEN).unwrap();
        Clients {
            #[cfg(feature = "dataarts")]
            dataarts: common::dataarts(&uri, credentials.clone(), RetryPolicy::disabled()),
            #[cfg(feature = "projectman")]
            projectman: common::projectman(&uri, credentials.clone(), RetryPolicy::disabled()),
            iam: common::iam(&uri, credentials, RetryPolicy::disabled()),
        }
    }

    /// Runs the example call of operation `name` of `service` with `overrides`; `None` when
    /// the operation has no example call.
    async fn call(
        &self,
        service: &str,
        name: &str,
        overrides: Overrides,
    ) -> Option<Result<Value, Error>> {
        fn find<C>(table: &[(&str, ExampleCallWith<C>)], name: &str) -> Option<ExampleCallWith<C>> {
            table.iter().find(|(n, _)| *n == name).map(|(_, run)| *run)
        }
        Some(match service {
            #[cfg(feature = "dataarts")]
            "dataarts" => {
                find(dataarts::EXAMPLE_CALLS_WITH, name)?(&self.dataarts, overrides).await
            }
            #[cfg(feature = "projectman")]
            "projectman" => {
                find(projectman::EXAMPLE_CALLS_WITH, name)?(&self.projectman, overrides).await
            }
            "iam" => find(iam::EXAMPLE_CALLS_WITH, name)?(&self.iam, overrides).await,
            other => panic!("no service module {other}: add it to this match"),
        })
    }
}

fn param(name: &str, value: &str) -> Overrides {
    Overrides {
        params: vec![(name.to_owned(), value.to_owned())],
        body: None,
    }
}

/// A server that answers every request with an empty JSON object and counts them.
async fn counting_server() -> Hostile {
    Hostile::start("127.0.0.1", |_, _| hostile::response(200, "", b"{}")).await
}

/// Asserts `result` is `InvalidRequest` with a message naming `name` and short whatever the
/// input; returns the message.
fn refused(result: Result<Value, Error>, name: &str, case: &str) -> String {
    match result {
        Err(Error::InvalidRequest(message)) => {
            assert!(
                message.contains(name),
                "{case}: does not name {name}: {message}"
            );
            assert!(
                message.chars().count() <= 400,
                "{case}: a message of {} characters",
                message.chars().count()
            );
            message
        }
        other => panic!("{case}: not refused as an invalid request: {other:?}"),
    }
}

/// (spec file, service, operation name, parameter name) of every parameter at `location`.
fn parameters_at(location: &str) -> Vec<(&'static str, &'static str, String, String)> {
    let mut found = Vec::new();
    for (file, service) in spec::built() {
        let spec = spec::load(file);
        for op in spec::operations(&spec) {
            for (at, name, _, _) in spec::parameters(&spec, op.operation) {
                if at == location {
                    found.push((file, service, op.name.clone(), name));
                }
            }
        }
    }
    found
}

/// Sends every operation that has parameters at `location` with its examples and asserts each
/// reached `server`: the refusals it is compared with are not a broken client or server.
async fn examples_reach(server: &Hostile, calls: &[(&'static str, &'static str, String, String)]) {
    let clients = Clients::new(server);
    let before = server.received().len();
    let mut operations: Vec<(&str, &str)> = calls
        .iter()
        .map(|(_, service, op, _)| (*service, op.as_str()))
        .collect();
    operations.dedup();
    for (service, op) in &operations {
        let _ = clients.call(service, op, Overrides::default()).await;
    }
    assert_eq!(
        server.received().len() - before,
        operations.len(),
        "every example call is sent"
    );
}

#[cfg(any(feature = "dataarts", feature = "projectman"))]
#[tokio::test]
async fn every_path_parameter_refuses_empty_and_dot_segments_before_sending() {
    let server = counting_server().await;
    let clients = Clients::new(&server);
    let path_params = parameters_at("path");
    // DataArts alone has 15; ProjectMan fewer, IAM none.
    let least = if cfg!(feature = "dataarts") { 15 } else { 1 };
    assert!(
        path_params.len() >= least,
        "only {} path parameters",
        path_params.len()
    );
    for (file, service, op, name) in &path_params {
        for value in [
            "",
            ".",
            "..",
            "%2e%2e",
            "%2E%2e",
            "%2e",
            "%2E",
            ".%2e",
            "%2e.",
            "%252e%252e",
        ] {
            let case = format!("{file}: {op} with {name} = {value:?}");
            let result = clients
                .call(service, op, param(name, value))
                .await
                .unwrap_or_else(|| panic!("{file}: {op} has a path parameter but no example call"));
            refused(result, name, &case);
        }
    }
    assert_eq!(
        server.received(),
        Vec::<String>::new(),
        "nothing reaches the server"
    );
    examples_reach(&server, &path_params).await;
}

#[tokio::test]
async fn a_value_with_a_backslash_is_refused_as_more_than_one_segment() {
    // URLs read `\` as `/`, and the generated code does not encode it.
    let server = counting_server().await;
    let clients = Clients::new(&server);
    for (file, service, op, name) in &parameters_at("path") {
        for value in ["a\\b", "..\\x", "a\\..\\..\\b"] {
            let case = format!("{file}: {op} with {name} = {value:?}");
            let result = clients.call(service, op, param(name, value)).await.unwrap();
            refused(result, name, &case);
        }
    }
    assert_eq!(server.received(), Vec::<String>::new());
}

#[tokio::test]
async fn values_longer_than_the_spec_allows_are_refused_with_a_short_message() {
    let server = counting_server().await;
    let clients = Clients::new(&server);
    let mut bounded = Vec::new();
    for location in ["path", "query", "header"] {
        for (file, service, op, name) in parameters_at(location) {
            let spec = spec::load(file);
            let operation = spec::operations(&spec)
                .into_iter()
                .find(|o| o.name == op)
                .unwrap()
                .operation
                .clone();
            if let Some(max) = spec::max_length(&spec, &operation, &name) {
                bounded.push((file, service, op, name, location, max));
            }
        }
    }
    // Every DataArts path ID is bounded (maxLength 128, a bound of our own).
    #[cfg(feature = "dataarts")]
    assert!(
        bounded
            .iter()
            .filter(|(_, service, _, _, location, _)| *service == "dataarts" && *location == "path")
            .count()
            >= 15,
        "{bounded:?}"
    );
    for (file, service, op, name, _, max) in &bounded {
        for length in [max + 1, 100_000] {
            let value = "a".repeat(length);
            let case = format!("{file}: {op} with {name} of {length} characters");
            let result = clients
                .call(service, op, param(name, &value))
                .await
                .unwrap_or_else(|| panic!("{file}: {op} has no example call"));
            let message = refused(result, name, &case);
            assert!(message.chars().count() < 300, "{case}: {message}");
        }
    }
    assert_eq!(server.received(), Vec::<String>::new());
}

#[tokio::test]
async fn a_query_value_too_long_for_any_url_is_refused_naming_it() {
    // Parameters the spec gives no maxLength: 100,000 characters cannot go in a URL at all.
    let server = counting_server().await;
    let clients = Clients::new(&server);
    let long = "a".repeat(100_000);
    let mut refused_here = 0;
    for (file, service, op, name) in &parameters_at("query") {
        let case = format!("{file}: {op} with a 100,000-character {name}");
        let Some(result) = clients.call(service, op, param(name, &long)).await else {
            continue;
        };
        match result {
            // Not a string parameter: the example call keeps its example.
            Ok(_) => {}
            result => {
                let message = refused(result, name, &case);
                assert!(message.chars().count() < 300, "{case}: {message}");
                refused_here += 1;
            }
        }
    }
    // IAM has 6; DataArts brings the total past 20.
    let least = if cfg!(feature = "dataarts") { 20 } else { 6 };
    assert!(
        refused_here >= least,
        "only {refused_here} string query parameters"
    );
    assert!(
        server.received().iter().all(|r| r.len() < 1_000),
        "no long value reaches the server"
    );
}

#[tokio::test]
async fn every_path_id_of_100000_characters_gets_a_short_invalid_request() {
    let server = counting_server().await;
    let clients = Clients::new(&server);
    let long = "0".repeat(100_000);
    for (file, service, op, name) in &parameters_at("path") {
        let case = format!("{file}: {op} with a 100,000-character {name}");
        let result = clients.call(service, op, param(name, &long)).await.unwrap();
        let message = refused(result, name, &case);
        assert!(message.chars().count() < 300, "{case}: {message}");
    }
    assert_eq!(server.received(), Vec::<String>::new());
}

#[tokio::test]
async fn empty_lists_are_refused_by_min_items() {
    let server = counting_server().await;
    let clients = Clients::new(&server);
    let mut tested = Vec::new();
    for (file, service) in spec::built() {
        let spec = spec::load(file);
        for op in spec::operations(&spec) {
            let Some(Some(example)) = spec::body_example(&spec, op.operation) else {
                continue;
            };
            for pointer in spec::non_empty_arrays(&spec, op.operation) {
                let (parent, field) = pointer.rsplit_once('/').unwrap();
                let mut body = example.clone();
                let Some(Value::Object(holder)) = body.pointer_mut(parent) else {
                    continue; // the example leaves out the object that would hold it
                };
                holder.insert(field.to_owned(), Value::Array(Vec::new()));
                let case = format!("{file}: {} with {pointer} empty", op.name);
                let overrides = Overrides {
                    params: Vec::new(),
                    body: Some(body),
                };
                let result = clients
                    .call(service, &op.name, overrides)
                    .await
                    .unwrap_or_else(|| panic!("{case}: no example call"));
                match result {
                    // A list of exactly one item is a Rust array `[T; 1]` in the generated
                    // type, which cannot even hold an empty list.
                    Err(Error::InvalidRequest(m))
                        if m.starts_with("the example body:") && m.contains("length 0") => {}
                    result => {
                        let message = refused(result, field, &case);
                        assert!(message.contains("items, not 0"), "{case}: {message}");
                    }
                }
                tested.push(case);
            }
        }
    }
    // The DataArts batch deletes (whose optional `ids` list, empty, went out as `{}`) and the
    // ProjectMan batches, at least.
    let must: &[&str] = &[
        #[cfg(feature = "dataarts")]
        "BatchDeleteSecurityPermissionSetMembers with /ids",
        #[cfg(feature = "dataarts")]
        "BatchDeleteSecurityPermissionSetPermissions with /ids",
        #[cfg(feature = "projectman")]
        "BatchAddMembersV4 with /users",
        #[cfg(feature = "projectman")]
        "BatchDeleteMembersV4 with /user_ids",
    ];
    for must in must {
        assert!(
            tested.iter().any(|t| t.contains(must)),
            "{must} not tested: {tested:#?}"
        );
    }
    assert_eq!(server.received(), Vec::<String>::new());
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn header_values_http_cannot_carry_are_refused_naming_the_header() {
    let server = counting_server().await;
    let clients = Clients::new(&server);
    let headers = parameters_at("header");
    assert!(!headers.is_empty());
    for (file, service, op, name) in &headers {
        for value in [
            "ws\r\nX-Injected: 1",
            "ws\n",
            "ws\r",
            "wsé",
            "工作空间",
            "ws\u{7}",
            "ws\u{7f}",
            "ws\t1",
        ] {
            let case = format!("{file}: {op} with header {name} = {value:?}");
            let result = clients.call(service, op, param(name, value)).await.unwrap();
            let message = refused(result, &format!("the {name} header"), &case);
            assert!(
                !message.contains("Injected") && !message.contains("工作"),
                "{case}: the value is not quoted: {message}"
            );
        }
    }
    assert_eq!(server.received(), Vec::<String>::new());
    examples_reach(&server, &headers).await;
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_client_default_workspace_with_a_line_break_is_refused_naming_it() {
    let server = counting_server().await;
    for workspace in ["ws\r\nX-Injected: 1", "wsé"] {
        let client = DataArtsClient::builder()
            .endpoint(server.url())
            .credentials(Credentials::token(common::TOKEN).unwrap())
            .project_id(common::PROJECT)
            .workspace(workspace)
            .retry_policy(RetryPolicy::disabled())
            .build()
            .expect("the workspace is checked when a request is made");
        for (name, run) in dataarts::EXAMPLE_CALLS {
            // The example calls that set no workspace of their own use the client's.
            let case = format!("{name} with the client's workspace {workspace:?}");
            refused(run(&client).await, "the workspace header", &case);
        }
    }
    assert_eq!(server.received(), Vec::<String>::new());
}

/// The project ID is filled in after the path check, from IAM's answer: an IAM (or a proxy in its
/// place) that answers `..` must not move the request to another path.
#[cfg(feature = "dataarts")]
#[tokio::test]
async fn a_looked_up_project_id_that_is_a_dot_segment_is_refused() {
    for id in ["..", ".", "%2e%2e", ""] {
        let answer = serde_json::json!({"projects": [{"id": id, "name": "cn-north-4"}]});
        let body = answer.to_string();
        let iam = Hostile::start("127.0.0.1", move |_, _| {
            hostile::response(200, "", body.as_bytes())
        })
        .await;
        let service = Hostile::start("127.0.0.1", |_, _| hostile::response(200, "", b"{}")).await;
        let client = DataArtsClient::builder()
            .endpoint(service.url())
            .iam_endpoint(iam.url())
            .region("cn-north-4")
            .credentials(Credentials::ak_sk(common::AK, common::SK).unwrap())
            .workspace(common::WORKSPACE)
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap();
        let error = client
            .list_security_permission_set_members()
            .permission_set_id(common::PSET)
            .execute()
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::InvalidRequest(m) if m.contains("project_id")),
            "{id:?}: {error:?}"
        );
        assert_eq!(iam.received().len(), 1, "{id:?}");
        assert!(
            service.received().is_empty(),
            "{id:?}: {:?}",
            service.received()
        );
    }
}
