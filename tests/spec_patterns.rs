//! The specs' `pattern`s are ECMAScript regular expressions (OpenAPI 3.0.3 says so), and the
//! generated code checks them with `regex-lite` instead (build.rs swaps it in for typify's
//! `regress`, for a lighter build). That is sound only while every pattern in the specs means
//! the same in both: each must compile in both engines, and both must agree on the spec's own
//! examples and on strings built to find where the two differ (Unicode digits and letters,
//! line ends, lengths either side of the limits).

use std::{fs, path::Path};

use serde_json::Value;

/// Every string-valued `pattern` in a spec, with the `example` beside it when there is one.
fn patterns(node: &Value, found: &mut Vec<(String, Option<String>)>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(pattern)) = map.get("pattern") {
                let example = map.get("example").and_then(Value::as_str).map(String::from);
                found.push((pattern.clone(), example));
            }
            map.values().for_each(|v| patterns(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| patterns(v, found)),
        _ => {}
    }
}

fn spec_patterns() -> Vec<(String, String, Option<String>)> {
    let mut all = Vec::new();
    for entry in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let spec: Value = serde_norway::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let mut found = Vec::new();
        patterns(&spec, &mut found);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        all.extend(found.into_iter().map(|(p, e)| (name.clone(), p, e)));
    }
    all
}

/// Strings where ECMAScript and regex-lite could part ways, around one accepted value.
fn probes(accepted: &str) -> Vec<String> {
    let mut out = vec![
        String::new(),
        accepted.to_string(),
        format!("{accepted}\n"),
        format!("\n{accepted}"),
        format!("{accepted}\r\n"),
        format!(" {accepted}"),
        format!("{accepted}{accepted}"),
    ];
    let chars: Vec<char> = accepted.chars().collect();
    if !chars.is_empty() {
        out.push(chars[1..].iter().collect());
        out.push(chars[..chars.len() - 1].iter().collect());
        out.push(format!("{accepted}{}", chars[0]));
        // One character replaced by each of: non-ASCII letters and digits that Unicode-aware
        // classes would take, punctuation, separators, a NUL, an uppercase and a lowercase
        // ASCII letter, and an ASCII digit.
        for replacement in [
            'é', 'K', '٣', '０', '_', '-', '.', ' ', '\t', '\u{a0}', '\u{2028}', '\0', 'A', 'z',
            '7',
        ] {
            for at in [0, chars.len() / 2, chars.len() - 1] {
                let mut changed = chars.clone();
                changed[at] = replacement;
                out.push(changed.into_iter().collect());
            }
        }
    }
    out
}

#[test]
fn every_spec_pattern_means_the_same_in_ecmascript_and_regex_lite() {
    let all = spec_patterns();
    assert!(
        !all.is_empty(),
        "no pattern found in openapi/: the walk is broken"
    );
    let mut with_examples = 0;
    for (spec, pattern, example) in &all {
        let ecma = regress::Regex::new(pattern)
            .unwrap_or_else(|e| panic!("{spec}: {pattern:?} is not ECMAScript: {e}"));
        let lite = regex_lite::Regex::new(pattern).unwrap_or_else(|e| {
            panic!("{spec}: {pattern:?} does not compile in regex-lite, which the generated code uses: {e}")
        });
        let Some(example) = example else { continue };
        with_examples += 1;
        assert!(
            ecma.find(example).is_some(),
            "{spec}: the example {example:?} does not match {pattern:?}"
        );
        for probe in probes(example) {
            assert_eq!(
                ecma.find(&probe).is_some(),
                lite.is_match(&probe),
                "{spec}: {pattern:?} reads {probe:?} differently in ECMAScript and regex-lite"
            );
        }
    }
    assert!(
        with_examples > 0,
        "no pattern has an example to probe around"
    );
}

#[cfg(feature = "projectman")]
#[test]
fn the_generated_types_check_the_pattern() {
    use huaweicloud_openapi::projectman::types::UserId;
    assert!(UserId::try_from("665b542eb4c14b53a15ead449f28b0ba").is_ok());
    for refused in [
        "665b542eb4c14b53a15ead449f28b0b-",
        "665b542eb4c14b53a15ead449f28b0bé",
        "665b542eb4c14b53a15ead449f28b0b٣",
    ] {
        let err = UserId::try_from(refused).expect_err(refused).to_string();
        assert!(err.contains("pattern"), "{refused}: {err}");
    }
}
