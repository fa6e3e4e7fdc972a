//! Driven by the specs themselves: every operation in `openapi/` has its glue, and every
//! operation whose inputs have examples goes out as the examples say and decodes the example
//! answer. An operation added to a spec with examples is tested here without new test code.
#![cfg(feature = "spec-examples")]

mod common;

use std::collections::BTreeSet;

use common::spec::{self, as_text, without_nulls};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::dataarts;
#[cfg(feature = "projectman")]
use huaweicloud_openapi::projectman;
use huaweicloud_openapi::{auth::Credentials, iam, operation::Glued, retry::RetryPolicy};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::Value;
use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};

fn glued(service: &str) -> &'static [Glued] {
    match service {
        #[cfg(feature = "dataarts")]
        "dataarts" => dataarts::GLUED,
        #[cfg(feature = "projectman")]
        "projectman" => projectman::GLUED,
        "iam" => iam::GLUED,
        other => panic!("no service module {other}: add it to this match"),
    }
}

fn operation_names(service: &str) -> Vec<&'static str> {
    let table = match service {
        #[cfg(feature = "dataarts")]
        "dataarts" => dataarts::OPERATIONS,
        #[cfg(feature = "projectman")]
        "projectman" => projectman::OPERATIONS,
        "iam" => iam::OPERATIONS,
        other => panic!("no service module {other}"),
    };
    table.iter().map(|op| op.name).collect()
}

#[test]
fn every_operation_in_the_specs_has_its_glue() {
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".yaml"))
            .collect();
    let listed: BTreeSet<String> = spec::SPECS.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "every spec in openapi/ is generated and tested"
    );

    for (file, service) in spec::built() {
        let spec = spec::load(file);
        let glued = glued(service);
        let ops = spec::operations(&spec);
        assert!(!ops.is_empty(), "{file}");
        for op in &ops {
            let entry = glued.iter().find(|g| g.name == op.name).unwrap_or_else(|| {
                panic!("{file}: {} has no Execute impl or client method", op.name)
            });
            // Calling them proves nothing at run time; naming them proved they exist.
            (entry.execute)();
            (entry.client_method)();
            let marked = op.operation.extensions.contains_key("x-pagination");
            assert_eq!(
                entry.paginated.is_some(),
                marked,
                "{file}: {} is {}marked x-pagination but {}paginated",
                op.name,
                if marked { "" } else { "not " },
                if entry.paginated.is_some() {
                    ""
                } else {
                    "not "
                },
            );
            assert!(
                operation_names(service).contains(&op.name.as_str()),
                "{}",
                op.name
            );
        }
        assert_eq!(
            glued.len(),
            ops.len(),
            "{file}: no glue for operations the spec lacks"
        );
    }
}

/// What `encode_path` in the generated code leaves alone in a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// Runs the example call of `name` against `server` and returns the decoded answer.
async fn call_example(
    service: &str,
    name: &str,
    uri: &str,
) -> Option<Result<Value, huaweicloud_openapi::Error>> {
    let credentials = Credentials::token(common::TOKEN).unwrap();
    match service {
        #[cfg(feature = "dataarts")]
        "dataarts" => {
            let client = common::dataarts(uri, credentials, RetryPolicy::disabled());
            let call = dataarts::EXAMPLE_CALLS.iter().find(|(n, _)| *n == name)?.1;
            Some(call(&client).await)
        }
        #[cfg(feature = "projectman")]
        "projectman" => {
            let client = common::projectman(uri, credentials, RetryPolicy::disabled());
            let call = projectman::EXAMPLE_CALLS
                .iter()
                .find(|(n, _)| *n == name)?
                .1;
            Some(call(&client).await)
        }
        "iam" => {
            let client = common::iam(uri, credentials, RetryPolicy::disabled());
            let call = iam::EXAMPLE_CALLS.iter().find(|(n, _)| *n == name)?.1;
            Some(call(&client).await)
        }
        other => panic!("no service module {other}"),
    }
}

#[tokio::test]
async fn every_operation_sends_its_examples_and_decodes_its_example_answer() {
    let mut tested = 0;
    for (file, service) in spec::built() {
        let spec = spec::load(file);
        for op in spec::operations(&spec) {
            let params = spec::parameters(&spec, op.operation);
            let body = spec::body_example(&spec, op.operation);
            // The client fills in the spec's x-client-defaults; those need no example.
            let filled = spec::client_defaults(&spec);
            let complete = params
                .iter()
                .all(|(_, name, required, ex)| !required || ex.is_some() || filled.contains(name))
                && !matches!(body, Some(None));
            let (status, answer) = spec::success(&spec, op.operation);
            let server = MockServer::start().await;
            let template = match &answer {
                Some(answer) => ResponseTemplate::new(status).set_body_json(answer),
                None => ResponseTemplate::new(status),
            };
            Mock::given(any())
                .respond_with(template)
                .mount(&server)
                .await;

            let Some(result) = call_example(service, &op.name, &server.uri()).await else {
                assert!(
                    !complete,
                    "{file}: {} has examples for every input but no example call",
                    op.name
                );
                continue;
            };
            assert!(complete, "{file}: {}", op.name);
            let decoded = result.unwrap_or_else(|e| panic!("{file}: {}: {e}", op.name));
            tested += 1;

            let requests = server.received_requests().await.unwrap();
            assert_eq!(requests.len(), 1, "{}", op.name);
            let request = &requests[0];
            assert_eq!(request.method.as_str(), op.method, "{}", op.name);
            let mut path = op.path.to_owned();
            let mut query = BTreeSet::new();
            for (location, name, _, example) in &params {
                let Some(example) = example else { continue };
                let text = as_text(example);
                match *location {
                    "path" => {
                        let encoded = utf8_percent_encode(&text, SEGMENT).to_string();
                        path = path.replace(&format!("{{{name}}}"), &encoded);
                    }
                    "query" => {
                        query.insert((name.clone(), text));
                    }
                    "header" => assert_eq!(
                        request
                            .headers
                            .get(name.as_str())
                            .and_then(|v| v.to_str().ok()),
                        Some(text.as_str()),
                        "{}: header {name}",
                        op.name
                    ),
                    other => panic!("{other} parameters"),
                }
            }
            assert_eq!(request.url.path(), path, "{}", op.name);
            let sent: BTreeSet<(String, String)> = request
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(sent, query, "{}: query", op.name);
            match body {
                Some(Some(example)) => {
                    let sent: Value = serde_json::from_slice(&request.body).expect("a JSON body");
                    assert_eq!(sent, without_nulls(&example), "{}: body", op.name);
                }
                _ => assert!(request.body.is_empty(), "{}: no body", op.name),
            }
            match answer {
                Some(answer) => assert_eq!(decoded, without_nulls(&answer), "{}: answer", op.name),
                None => assert_eq!(decoded, Value::Null, "{}", op.name),
            }
        }
    }
    assert!(tested >= 4, "only {tested} operations were tested");
}
