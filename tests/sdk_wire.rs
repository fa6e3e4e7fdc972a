//! Every operation goes out as the official Python SDK sends it: the same method, path, query
//! string (exactly), the headers that matter, and the same JSON body. The SDK's requests were
//! captured by `tests/fixtures/sdk/capture_requests.py` against a loopback server; the crate sends
//! each operation through its spec-derived example call, whose values are the same documented
//! examples the capture used.
// The captures are of DataArts and ProjectMan operations: with neither, nothing to compare.
#![cfg(all(
    feature = "spec-examples",
    any(feature = "dataarts", feature = "projectman")
))]

mod common;

use std::collections::HashMap;

use common::spec;
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::dataarts;
#[cfg(feature = "projectman")]
use huaweicloud_openapi::projectman;
use huaweicloud_openapi::{auth::Credentials, retry::RetryPolicy};
use serde_json::Value;
use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};

const CAPTURED: &str = include_str!("fixtures/sdk/requests.json");

/// The headers whose values the SDK and the crate must agree on.
const COMPARED_HEADERS: [&str; 2] = ["workspace", "x-project-id"];

#[tokio::test]
async fn every_operation_matches_what_the_official_sdk_sends() {
    let captured: Value = serde_json::from_str(CAPTURED).unwrap();
    let calls = captured["calls"].as_array().unwrap();
    // Each captured operation's service, from the specs: the calls of a service not built are
    // skipped, and counted.
    let mut service_of = HashMap::new();
    for (file, service) in spec::SPECS {
        for op in spec::operations(&spec::load(file)) {
            service_of.insert(op.name, *service);
        }
    }
    let built = spec::built();
    let (mut compared, mut skipped) = (0, 0);
    for call in calls {
        let name = call["operationId"].as_str().unwrap();
        let service = service_of[name];
        if !built.iter().any(|(_, s)| *s == service) {
            skipped += 1;
            continue;
        }
        let server = MockServer::start().await;
        let answer = match call["answered_status"].as_u64().unwrap() {
            204 => ResponseTemplate::new(204),
            status => ResponseTemplate::new(status as u16).set_body_json(&call["sdk_result"]),
        };
        Mock::given(any()).respond_with(answer).mount(&server).await;
        // AK/SK with a project ID, as the capture was made.
        let credentials = Credentials::ak_sk(common::AK, common::SK)
            .unwrap()
            .with_project_id(common::PROJECT);
        let uri = server.uri();
        let missing = || -> ! {
            panic!("{name}: captured from the SDK but the specs have no example call for it")
        };
        let result = match service {
            #[cfg(feature = "dataarts")]
            "dataarts" => {
                let run = dataarts::EXAMPLE_CALLS.iter().find(|(n, _)| *n == name);
                let client = common::dataarts(&uri, credentials, RetryPolicy::disabled());
                run.unwrap_or_else(|| missing()).1(&client).await
            }
            #[cfg(feature = "projectman")]
            "projectman" => {
                let run = projectman::EXAMPLE_CALLS.iter().find(|(n, _)| *n == name);
                let client = common::projectman(&uri, credentials, RetryPolicy::disabled());
                run.unwrap_or_else(|| missing()).1(&client).await
            }
            _ => missing(),
        };
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let requests = server.received_requests().await.unwrap();
        let sent = &requests[0];
        assert_eq!(sent.method.as_str(), call["method"], "{name}: method");
        assert_eq!(sent.url.path(), call["path"], "{name}: path");
        assert_eq!(
            sent.url.query().unwrap_or(""),
            call["query"].as_str().unwrap(),
            "{name}: query string"
        );
        let headers = call["headers"].as_object().unwrap();
        for header in COMPARED_HEADERS {
            let sdk = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(header))
                .map(|(_, v)| v.as_str().unwrap());
            let ours = sent.headers.get(header).and_then(|v| v.to_str().ok());
            assert_eq!(ours, sdk, "{name}: header {header}");
        }
        let sdk_type = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str().unwrap());
        let ours_type = sent
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        // Both send JSON; the SDK adds `;charset=utf-8`, which the services accept either way.
        assert_eq!(
            ours_type.map(|t| t.starts_with("application/json")),
            sdk_type
                .map(|t| t.starts_with("application/json"))
                .filter(|_| !sent.body.is_empty()),
            "{name}: content type"
        );
        match &call["body"] {
            Value::Null => assert!(sent.body.is_empty(), "{name}: no body"),
            body => {
                let ours: Value = serde_json::from_slice(&sent.body).expect("a JSON body");
                assert_eq!(&ours, body, "{name}: body");
            }
        }
        compared += 1;
    }
    assert_eq!(compared + skipped, 25, "every captured operation was seen");
    assert!(compared > 0, "the services built were compared");
}
