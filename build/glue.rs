//! The per-operation glue `build.rs` derives from a spec, beside progenitor's output: the
//! operation table the transport reads (bounds, success fields, no-content answers).
//!
//! Everything here is read from the spec, so adding an operation to a spec is all it takes.

use std::fmt::Write as _;

use heck::ToSnakeCase;
use openapiv3::{
    IntegerFormat, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr,
    RequestBody, Response, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty,
};

/// Facts about one operation, as `build.rs` reads them from the spec.
pub struct OperationGlue {
    /// The spec's operationId.
    pub name: String,
    /// progenitor's method name (and `OperationInfo::operation_id`).
    pub id: String,
    /// HTTP method, upper case, and the path template.
    pub method: String,
    pub path: String,
    pub no_content: bool,
    pub success_fields: Vec<String>,
    /// (name, minimum, maximum) of integer query parameters with a bound.
    pub query_bounds: Vec<(String, Option<i64>, Option<i64>)>,
    /// (JSON pointer, minItems, maxItems) of arrays in the request body.
    pub body_arrays: Vec<(String, Option<u64>, Option<u64>)>,
    pub offset_multiple_of_limit: bool,
}

/// Reads every operation of the spec.
pub fn operations(spec: &OpenAPI) -> Result<Vec<OperationGlue>, String> {
    spec.operations()
        .map(|(path, method, op)| {
            read_operation(spec, method, path, op).map_err(|e| format!("{method} {path}: {e}"))
        })
        .collect()
}

fn read_operation(
    spec: &OpenAPI,
    method: &str,
    path: &str,
    op: &Operation,
) -> Result<OperationGlue, String> {
    let name = op
        .operation_id
        .clone()
        .ok_or("every operation needs an operationId")?;
    let success: Vec<&Response> = op
        .responses
        .responses
        .iter()
        .filter(|(status, _)| status.to_string().starts_with('2'))
        .map(|(_, r)| resolve_response(spec, r))
        .collect::<Result<_, _>>()?;
    let no_content = !success.is_empty() && success.iter().all(|r| r.content.is_empty());
    let mut success_fields = Vec::new();
    for response in &success {
        for media in response.content.values() {
            if let Some(schema) = &media.schema {
                success_fields.extend(property_names(spec, schema)?);
            }
        }
    }
    let mut query_bounds = Vec::new();
    for parameter in &op.parameters {
        if let Parameter::Query { parameter_data, .. } = resolve_parameter(spec, parameter)? {
            if let ParameterSchemaOrContent::Schema(schema) = &parameter_data.format {
                if let SchemaKind::Type(Type::Integer(int)) =
                    &resolve_schema(spec, schema)?.schema_kind
                {
                    // `format: int32` bounds a value as much as `maximum` does.
                    let int32 = matches!(
                        int.format,
                        VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32)
                    );
                    let minimum = int.minimum.or(int32.then_some(i64::from(i32::MIN)));
                    let maximum = int.maximum.or(int32.then_some(i64::from(i32::MAX)));
                    if minimum.is_some() || maximum.is_some() {
                        query_bounds.push((parameter_data.name.clone(), minimum, maximum));
                    }
                }
            }
        }
    }
    let mut body_arrays = Vec::new();
    if let Some(body) = &op.request_body {
        for media in resolve_body(spec, body)?.content.values() {
            if let Some(schema) = &media.schema {
                array_bounds(spec, resolve_schema(spec, schema)?, "", &mut body_arrays)?;
            }
        }
    }
    let offset_multiple_of_limit = op
        .extensions
        .get("x-pagination")
        .and_then(|p| p.get("offset_multiple_of_limit"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    Ok(OperationGlue {
        id: name.to_snake_case(),
        name,
        method: method.to_uppercase(),
        path: path.to_owned(),
        no_content,
        success_fields,
        query_bounds,
        body_arrays,
        offset_multiple_of_limit,
    })
}

fn reference_name<'a>(reference: &'a str, prefix: &str) -> Result<&'a str, String> {
    reference
        .strip_prefix(prefix)
        .ok_or_else(|| format!("unsupported $ref {reference}"))
}

fn resolve_schema<'a>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<Schema>,
) -> Result<&'a Schema, String> {
    match schema {
        ReferenceOr::Item(s) => Ok(s),
        ReferenceOr::Reference { reference } => {
            let name = reference_name(reference, "#/components/schemas/")?;
            let found = spec
                .components
                .as_ref()
                .and_then(|c| c.schemas.get(name))
                .ok_or_else(|| format!("no schema {name}"))?;
            resolve_schema(spec, found)
        }
    }
}

fn resolve_boxed<'a>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<Box<Schema>>,
) -> Result<&'a Schema, String> {
    match schema {
        ReferenceOr::Item(s) => Ok(s),
        ReferenceOr::Reference { reference } => resolve_schema(spec, spec_ref(spec, reference)?),
    }
}

fn spec_ref<'a>(spec: &'a OpenAPI, reference: &str) -> Result<&'a ReferenceOr<Schema>, String> {
    let name = reference_name(reference, "#/components/schemas/")?;
    spec.components
        .as_ref()
        .and_then(|c| c.schemas.get(name))
        .ok_or_else(|| format!("no schema {name}"))
}

fn resolve_parameter<'a>(
    spec: &'a OpenAPI,
    p: &'a ReferenceOr<Parameter>,
) -> Result<&'a Parameter, String> {
    match p {
        ReferenceOr::Item(p) => Ok(p),
        ReferenceOr::Reference { reference } => {
            let name = reference_name(reference, "#/components/parameters/")?;
            let found = spec
                .components
                .as_ref()
                .and_then(|c| c.parameters.get(name))
                .ok_or_else(|| format!("no parameter {name}"))?;
            resolve_parameter(spec, found)
        }
    }
}

fn resolve_response<'a>(
    spec: &'a OpenAPI,
    r: &'a ReferenceOr<Response>,
) -> Result<&'a Response, String> {
    match r {
        ReferenceOr::Item(r) => Ok(r),
        ReferenceOr::Reference { reference } => {
            let name = reference_name(reference, "#/components/responses/")?;
            let found = spec
                .components
                .as_ref()
                .and_then(|c| c.responses.get(name))
                .ok_or_else(|| format!("no response {name}"))?;
            resolve_response(spec, found)
        }
    }
}

fn resolve_body<'a>(
    spec: &'a OpenAPI,
    b: &'a ReferenceOr<RequestBody>,
) -> Result<&'a RequestBody, String> {
    match b {
        ReferenceOr::Item(b) => Ok(b),
        ReferenceOr::Reference { reference } => {
            let name = reference_name(reference, "#/components/requestBodies/")?;
            let found = spec
                .components
                .as_ref()
                .and_then(|c| c.request_bodies.get(name))
                .ok_or_else(|| format!("no request body {name}"))?;
            resolve_body(spec, found)
        }
    }
}

/// Top-level property names of an object schema (through `allOf`).
fn property_names(spec: &OpenAPI, schema: &ReferenceOr<Schema>) -> Result<Vec<String>, String> {
    let schema = resolve_schema(spec, schema)?;
    Ok(match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => o.properties.keys().cloned().collect(),
        SchemaKind::AllOf { all_of } => {
            let mut names = Vec::new();
            for part in all_of {
                names.extend(property_names(spec, part)?);
            }
            names
        }
        _ => Vec::new(),
    })
}

/// Collects item-count bounds of arrays inside an object schema, with their JSON pointers.
fn array_bounds(
    spec: &OpenAPI,
    schema: &Schema,
    pointer: &str,
    out: &mut Vec<(String, Option<u64>, Option<u64>)>,
) -> Result<(), String> {
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return Ok(());
    };
    for (name, property) in &object.properties {
        let here = format!("{pointer}/{name}");
        let property = resolve_boxed(spec, property)?;
        match &property.schema_kind {
            SchemaKind::Type(Type::Array(a)) if a.min_items.is_some() || a.max_items.is_some() => {
                out.push((
                    here,
                    a.min_items.map(|n| n as u64),
                    a.max_items.map(|n| n as u64),
                ));
            }
            // Pointers grow with the nesting, and schemas here are trees, so this ends.
            SchemaKind::Type(Type::Object(_)) => array_bounds(spec, property, &here, out)?,
            _ => {}
        }
    }
    Ok(())
}

/// The Rust source of the operation table.
pub fn operation_table(ops: &[OperationGlue]) -> String {
    let mut code = String::from(
        "/// Every operation of this service's spec, as the transport needs to know it.\n\
         pub static OPERATIONS: &[crate::operation::OperationSpec] = &[\n",
    );
    for op in ops {
        let _ = writeln!(
            code,
            "    crate::operation::OperationSpec {{\n        id: {:?},\n        name: {:?},\n        \
             method: {:?},\n        path: {:?},\n        no_content: {},\n        success_fields: &{:?},\n        query_bounds: &[{}],\n        \
             body_arrays: &[{}],\n        offset_multiple_of_limit: {},\n    }},",
            op.id,
            op.name,
            op.method,
            op.path,
            op.no_content,
            op.success_fields,
            op.query_bounds
                .iter()
                .map(|(n, min, max)| format!(
                    "crate::operation::QueryBound {{ name: {n:?}, minimum: {min:?}, maximum: {max:?} }}"
                ))
                .collect::<Vec<_>>()
                .join(", "),
            op.body_arrays
                .iter()
                .map(|(p, min, max)| format!(
                    "crate::operation::ArrayBound {{ pointer: {p:?}, min_items: {min:?}, max_items: {max:?} }}"
                ))
                .collect::<Vec<_>>()
                .join(", "),
            op.offset_multiple_of_limit,
        );
    }
    code.push_str("];\n");
    code
}
