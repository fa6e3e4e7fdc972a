//! The specs in `openapi/` as data, for tests driven by what the specs say.

use openapiv3::{
    MediaType, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Response,
    Schema,
};
use serde_json::Value;

/// Every spec: (file, service module name).
pub const SPECS: &[(&str, &str)] = &[
    ("dataarts-security.yaml", "dataarts"),
    ("projectman-v4.yaml", "projectman"),
    ("iam-v3.yaml", "iam"),
];

/// The specs of the services this build has: IAM always, DataArts and ProjectMan with their
/// features.
pub fn built() -> Vec<(&'static str, &'static str)> {
    SPECS
        .iter()
        .copied()
        .filter(|(_, service)| {
            (cfg!(feature = "dataarts") || *service != "dataarts")
                && (cfg!(feature = "projectman") || *service != "projectman")
        })
        .collect()
}

pub fn load(file: &str) -> OpenAPI {
    let path = format!("{}/openapi/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The parameters the spec's root `x-client-defaults` says the client fills in.
pub fn client_defaults(spec: &OpenAPI) -> Vec<String> {
    spec.extensions
        .get("x-client-defaults")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|d| d.get("name")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// One operation with what a conformance test needs of it.
pub struct Op<'a> {
    pub name: String,
    pub method: String,
    pub path: &'a str,
    pub operation: &'a Operation,
}

pub fn operations(spec: &OpenAPI) -> Vec<Op<'_>> {
    spec.operations()
        .map(|(path, method, operation)| Op {
            name: operation.operation_id.clone().expect("operationId"),
            method: method.to_uppercase(),
            path,
            operation,
        })
        .collect()
}

pub fn parameter<'a>(spec: &'a OpenAPI, p: &'a ReferenceOr<Parameter>) -> &'a Parameter {
    match p {
        ReferenceOr::Item(p) => p,
        ReferenceOr::Reference { reference } => {
            let name = reference.trim_start_matches("#/components/parameters/");
            parameter(spec, &spec.components.as_ref().unwrap().parameters[name])
        }
    }
}

pub fn schema<'a>(spec: &'a OpenAPI, s: &'a ReferenceOr<Schema>) -> &'a Schema {
    match s {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { reference } => {
            let name = reference.trim_start_matches("#/components/schemas/");
            schema(spec, &spec.components.as_ref().unwrap().schemas[name])
        }
    }
}

pub fn response<'a>(spec: &'a OpenAPI, r: &'a ReferenceOr<Response>) -> &'a Response {
    match r {
        ReferenceOr::Item(r) => r,
        ReferenceOr::Reference { reference } => {
            let name = reference.trim_start_matches("#/components/responses/");
            response(spec, &spec.components.as_ref().unwrap().responses[name])
        }
    }
}

/// (location, name, required, example) of every parameter.
pub fn parameters(
    spec: &OpenAPI,
    op: &Operation,
) -> Vec<(&'static str, String, bool, Option<Value>)> {
    op.parameters
        .iter()
        .map(|p| {
            let p = parameter(spec, p);
            let (location, data) = match p {
                Parameter::Query { parameter_data, .. } => ("query", parameter_data),
                Parameter::Path { parameter_data, .. } => ("path", parameter_data),
                Parameter::Header { parameter_data, .. } => ("header", parameter_data),
                Parameter::Cookie { parameter_data, .. } => ("cookie", parameter_data),
            };
            let from_schema = match &data.format {
                ParameterSchemaOrContent::Schema(s) => schema(spec, s).schema_data.example.clone(),
                ParameterSchemaOrContent::Content(_) => None,
            };
            let example = data
                .example
                .clone()
                .or_else(|| first_example(&data.examples))
                .or(from_schema);
            (location, data.name.clone(), data.required, example)
        })
        .collect()
}

fn first_example<'a>(
    examples: impl IntoIterator<Item = (&'a String, &'a ReferenceOr<openapiv3::Example>)>,
) -> Option<Value> {
    examples.into_iter().find_map(|(_, e)| match e {
        ReferenceOr::Item(e) => e.value.clone(),
        ReferenceOr::Reference { .. } => None,
    })
}

pub fn media_example(media: &MediaType) -> Option<Value> {
    media
        .example
        .clone()
        .or_else(|| first_example(&media.examples))
}

/// The example of the JSON request body, if the operation has a body.
pub fn body_example(spec: &OpenAPI, op: &Operation) -> Option<Option<Value>> {
    let body = match op.request_body.as_ref()? {
        ReferenceOr::Item(b) => b,
        ReferenceOr::Reference { .. } => panic!("request bodies are inline"),
    };
    let _ = spec;
    Some(body.content.get("application/json").and_then(media_example))
}

/// The success status and its JSON example, if any.
pub fn success(spec: &OpenAPI, op: &Operation) -> (u16, Option<Value>) {
    let (status, r) = op
        .responses
        .responses
        .iter()
        .find(|(s, _)| s.to_string().starts_with('2'))
        .expect("a success response");
    let r = response(spec, r);
    let status: u16 = status.to_string().parse().expect("a numeric status");
    (
        status,
        r.content.get("application/json").and_then(media_example),
    )
}

/// `null` members removed: the specs' fields are optional and nullable, and the generated types
/// leave `None` out when serializing.
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// A scalar example as it appears in a path, query or header.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `maxLength` of the parameter `name` of `op`, if it is a string with one.
pub fn max_length(spec: &OpenAPI, op: &Operation, name: &str) -> Option<usize> {
    op.parameters.iter().find_map(|p| {
        let data = parameter(spec, p).parameter_data_ref();
        if data.name != name {
            return None;
        }
        let ParameterSchemaOrContent::Schema(s) = &data.format else {
            return None;
        };
        match &schema(spec, s).schema_kind {
            openapiv3::SchemaKind::Type(openapiv3::Type::String(text)) => text.max_length,
            _ => None,
        }
    })
}

/// JSON pointers of the arrays in the request body that must hold at least one item
/// (`minItems >= 1`), through nested objects.
pub fn non_empty_arrays(spec: &OpenAPI, op: &Operation) -> Vec<String> {
    fn walk(spec: &OpenAPI, s: &Schema, pointer: &str, out: &mut Vec<String>) {
        let openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) = &s.schema_kind else {
            return;
        };
        for (name, property) in &object.properties {
            let here = format!("{pointer}/{name}");
            let property = match property {
                ReferenceOr::Item(s) => s.as_ref(),
                ReferenceOr::Reference { reference } => {
                    let name = reference.trim_start_matches("#/components/schemas/");
                    schema(spec, &spec.components.as_ref().unwrap().schemas[name])
                }
            };
            match &property.schema_kind {
                openapiv3::SchemaKind::Type(openapiv3::Type::Array(a))
                    if a.min_items.is_some_and(|m| m >= 1) =>
                {
                    out.push(here)
                }
                openapiv3::SchemaKind::Type(openapiv3::Type::Object(_)) => {
                    walk(spec, property, &here, out)
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    let Some(ReferenceOr::Item(body)) = &op.request_body else {
        return out;
    };
    if let Some(s) = body
        .content
        .get("application/json")
        .and_then(|m| m.schema.as_ref())
    {
        walk(spec, schema(spec, s), "", &mut out);
    }
    out
}
