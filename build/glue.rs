//! The per-operation glue `build.rs` derives from a spec, beside progenitor's output. For every
//! operation it emits:
//! - an entry in `OPERATIONS` (method, path, no-content answers, success fields, request bounds),
//!   which the transport and the fake read;
//! - its `Execute` impl (operations documented as 204 accept any 2xx without a body);
//! - a method on the service client returning the generated builder with the client's defaults
//!   (the spec's root `x-client-defaults`) already set;
//! - for operations marked `x-pagination`, an `OffsetPaged` impl;
//! - an entry in `GLUED`, which a test holds against the spec, and (feature `spec-examples`) an
//!   example call built from the spec's own examples, for table-driven conformance tests.
//!
//! Everything is read from the spec, so adding an operation to a spec is all it takes.

use std::fmt::Write as _;

use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{
    Example, IntegerFormat, MediaType, OpenAPI, Operation, Parameter, ParameterSchemaOrContent,
    ReferenceOr, RequestBody, Response, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty,
};
use serde_json::Value;

/// What the service module provides for the glue: its client type and the parameters the client
/// fills in by default.
pub struct Service {
    pub client: &'static str,
    /// `(parameter name, always set)` from the spec's `x-client-defaults`.
    pub defaults: Vec<(String, bool)>,
}

/// Reads the spec's root `x-client-defaults: [{name, required}]`.
pub fn service(spec: &OpenAPI, client: &'static str) -> Result<Service, String> {
    let mut defaults = Vec::new();
    if let Some(list) = spec.extensions.get("x-client-defaults") {
        for entry in list.as_array().ok_or("x-client-defaults must be a list")? {
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .ok_or("every x-client-defaults entry needs a name")?;
            let required = entry
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            defaults.push((name.to_owned(), required));
        }
    }
    Ok(Service { client, defaults })
}

/// A parameter as the glue needs it.
pub struct Param {
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: &'static str,
    /// The spec's `maxLength` of a string parameter.
    pub max_length: Option<usize>,
    /// A string parameter (its builder setter takes a `&str`).
    pub string: bool,
    pub required: bool,
    pub example: Option<Value>,
    /// The Rust literal suffix an integer example needs (`u32` for a `NonZeroU32`, ...).
    pub integer: Option<&'static str>,
}

/// `x-pagination` of a list operation.
pub struct Pagination {
    pub items: String,
    pub total: String,
    pub item_type: String,
    pub max_limit: Option<i64>,
    pub offset_multiple_of_limit: bool,
}

/// Facts about one operation, as `build.rs` reads them from the spec.
pub struct OperationGlue {
    /// The spec's operationId.
    pub name: String,
    /// progenitor's method name (and `OperationInfo::operation_id`).
    pub id: String,
    /// HTTP method, upper case, and the path template.
    pub method: String,
    pub path: String,
    pub summary: String,
    pub no_content: bool,
    /// The generated type of the success body, when there is one.
    pub success_type: Option<String>,
    pub success_fields: Vec<String>,
    /// (name, minimum, maximum) of integer query parameters with a bound.
    pub query_bounds: Vec<(String, Option<i64>, Option<i64>)>,
    /// (JSON pointer, minItems, maxItems) of arrays in the request body.
    pub body_arrays: Vec<(String, Option<u64>, Option<u64>)>,
    pub params: Vec<Param>,
    /// The generated type of the request body and its first example.
    pub body: Option<(String, Option<Value>)>,
    pub pagination: Option<Pagination>,
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
    if success.len() > 1 {
        return Err("one success response per operation (progenitor's rule)".into());
    }
    let no_content = success.iter().all(|r| r.content.is_empty());
    let success_schema = success
        .first()
        .and_then(|r| r.content.get("application/json"))
        .and_then(|m| m.schema.as_ref());
    let success_type = success_schema.map(type_name).transpose()?;
    let success_fields = match success_schema {
        Some(schema) => property_names(spec, schema)?,
        None => Vec::new(),
    };

    let mut query_bounds = Vec::new();
    let mut params = Vec::new();
    for parameter in &op.parameters {
        let parameter = resolve_parameter(spec, parameter)?;
        let (data, location) = match parameter {
            Parameter::Query { parameter_data, .. } => (parameter_data, "query"),
            Parameter::Path { parameter_data, .. } => (parameter_data, "path"),
            Parameter::Header { parameter_data, .. } => (parameter_data, "header"),
            Parameter::Cookie { .. } => return Err("cookie parameters are not supported".into()),
        };
        let ParameterSchemaOrContent::Schema(schema) = &data.format else {
            return Err(format!("parameter {} needs a schema", data.name));
        };
        let resolved = resolve_schema(spec, schema)?;
        let mut integer = None;
        if let SchemaKind::Type(Type::Integer(int)) = &resolved.schema_kind {
            let int64 = matches!(
                int.format,
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64)
            );
            // typify maps an integer with `minimum >= 1` to a NonZero unsigned type.
            let positive = int.minimum.is_some_and(|m| m >= 1);
            integer = Some(match (int64, positive) {
                (true, true) => "u64",
                (true, false) => "i64",
                (false, true) => "u32",
                (false, false) => "i32",
            });
            // `format: int32` bounds a value as much as `maximum` does.
            let int32 = !int64;
            let minimum = int.minimum.or(int32.then_some(i64::from(i32::MIN)));
            let maximum = int.maximum.or(int32.then_some(i64::from(i32::MAX)));
            if location == "query" {
                query_bounds.push((data.name.clone(), minimum, maximum));
            }
        }
        let (max_length, string) = match &resolved.schema_kind {
            SchemaKind::Type(Type::String(text)) => (text.max_length, true),
            _ => (None, false),
        };
        params.push(Param {
            name: data.name.clone(),
            location,
            max_length,
            string,
            required: data.required,
            example: data
                .example
                .clone()
                .or_else(|| first_example(&data.examples))
                .or_else(|| resolved.schema_data.example.clone()),
            integer,
        });
    }

    check_template(path, &params)?;

    let mut body_arrays = Vec::new();
    let mut body = None;
    if let Some(request_body) = &op.request_body {
        let request_body = resolve_body(spec, request_body)?;
        let media = request_body
            .content
            .get("application/json")
            .ok_or("request bodies must be application/json")?;
        let schema = media
            .schema
            .as_ref()
            .ok_or("the request body needs a schema")?;
        array_bounds(spec, resolve_schema(spec, schema)?, "", &mut body_arrays)?;
        body = Some((type_name(schema)?, media_example(media)));
    }

    let pagination = match op.extensions.get("x-pagination") {
        None => None,
        Some(p) => {
            let field = |key: &str| p.get(key).and_then(Value::as_str).map(str::to_owned);
            let items = field("items").ok_or("x-pagination needs `items`")?;
            let schema = success_schema.ok_or("a paginated operation needs a JSON success body")?;
            let item_type = array_item_type(spec, schema, &items)?;
            let limit_maximum = query_bounds
                .iter()
                .find(|(n, _, _)| n == "limit")
                .and_then(|(_, _, max)| *max)
                .filter(|m| *m < i64::from(i32::MAX));
            Some(Pagination {
                total: field("total").unwrap_or_else(|| "total".into()),
                items,
                item_type,
                max_limit: p.get("max_limit").and_then(Value::as_i64).or(limit_maximum),
                offset_multiple_of_limit: p
                    .get("offset_multiple_of_limit")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            })
        }
    };

    Ok(OperationGlue {
        id: rust_ident(&name.to_snake_case()),
        name,
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: op.summary.clone().unwrap_or_default(),
        no_content,
        success_type,
        success_fields,
        query_bounds,
        body_arrays,
        params,
        body,
        pagination,
    })
}

/// The request check compares a request's path with its template segment by segment, so every
/// segment must be a literal or one whole `{placeholder}` naming a path parameter, and every path
/// parameter must have its placeholder.
fn check_template(path: &str, params: &[Param]) -> Result<(), String> {
    let mut placeholders = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) if !name.contains(['{', '}']) => placeholders.push(name),
            _ if segment.contains(['{', '}']) => {
                return Err(format!(
                    "path segment {segment:?} must be a literal or one whole {{placeholder}}"
                ));
            }
            _ if segment.is_empty() || segment == "." || segment == ".." => {
                return Err(format!("path segment {segment:?} is empty or a dot"));
            }
            _ => {}
        }
    }
    for name in &placeholders {
        if !params
            .iter()
            .any(|p| p.location == "path" && p.name == *name)
        {
            return Err(format!("{{{name}}} is not a path parameter"));
        }
    }
    for p in params.iter().filter(|p| p.location == "path") {
        if !placeholders.contains(&p.name.as_str()) {
            return Err(format!("path parameter {} has no placeholder", p.name));
        }
    }
    Ok(())
}

fn first_example<'a>(
    examples: impl IntoIterator<Item = (&'a String, &'a ReferenceOr<Example>)>,
) -> Option<Value> {
    examples.into_iter().find_map(|(_, e)| match e {
        ReferenceOr::Item(e) => e.value.clone(),
        ReferenceOr::Reference { .. } => None,
    })
}

fn media_example(media: &MediaType) -> Option<Value> {
    media
        .example
        .clone()
        .or_else(|| first_example(&media.examples))
}

/// progenitor's (typify's) name for a `$ref`erenced schema.
fn type_name(schema: &ReferenceOr<Schema>) -> Result<String, String> {
    match schema {
        ReferenceOr::Reference { reference } => {
            Ok(reference_name(reference, "#/components/schemas/")?.to_pascal_case())
        }
        ReferenceOr::Item(_) => Err("bodies must be $refs into components/schemas".into()),
    }
}

fn array_item_type(
    spec: &OpenAPI,
    schema: &ReferenceOr<Schema>,
    field: &str,
) -> Result<String, String> {
    let SchemaKind::Type(Type::Object(object)) = &resolve_schema(spec, schema)?.schema_kind else {
        return Err("a paginated body must be an object".into());
    };
    let property = object
        .properties
        .get(field)
        .ok_or_else(|| format!("x-pagination names `{field}`, which the body does not have"))?;
    let SchemaKind::Type(Type::Array(array)) = &resolve_boxed(spec, property)?.schema_kind else {
        return Err(format!("`{field}` must be an array"));
    };
    match array.items.as_ref().ok_or("the array needs items")? {
        ReferenceOr::Reference { reference } => {
            Ok(reference_name(reference, "#/components/schemas/")?.to_pascal_case())
        }
        ReferenceOr::Item(_) => Err(format!("the items of `{field}` must be a $ref")),
    }
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// progenitor's spelling of a name as a Rust identifier.
fn rust_ident(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_owned()
    }
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
        ReferenceOr::Reference { reference } => resolve_schema(spec, schema_ref(spec, reference)?),
    }
}

fn resolve_boxed<'a>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<Box<Schema>>,
) -> Result<&'a Schema, String> {
    match schema {
        ReferenceOr::Item(s) => Ok(s),
        ReferenceOr::Reference { reference } => resolve_schema(spec, schema_ref(spec, reference)?),
    }
}

fn schema_ref<'a>(spec: &'a OpenAPI, reference: &str) -> Result<&'a ReferenceOr<Schema>, String> {
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

/// An integer enum with names (`x-enum-varnames`).
pub struct NamedEnum {
    pub schema: String,
    /// The Rust integer type the generated newtype wraps.
    pub int: &'static str,
    pub description: String,
    pub values: Vec<(String, i64)>,
}

/// Every integer enum of the spec's components that has `x-enum-varnames`.
pub fn named_enums(spec: &OpenAPI) -> Result<Vec<NamedEnum>, String> {
    let mut found = Vec::new();
    let Some(components) = &spec.components else {
        return Ok(found);
    };
    for (name, schema) in &components.schemas {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        let Some(names) = schema.schema_data.extensions.get("x-enum-varnames") else {
            continue;
        };
        let SchemaKind::Type(Type::Integer(int)) = &schema.schema_kind else {
            return Err(format!(
                "{name}: x-enum-varnames is only read on integer enums"
            ));
        };
        let names = names
            .as_array()
            .ok_or_else(|| format!("{name}: x-enum-varnames must be a list"))?;
        if names.len() != int.enumeration.len() {
            return Err(format!("{name}: one name per enum value"));
        }
        let values = names
            .iter()
            .zip(&int.enumeration)
            .map(|(n, v)| match (n.as_str(), v) {
                (Some(n), Some(v)) => Ok((n.to_pascal_case(), *v)),
                _ => Err(format!("{name}: names are strings, values integers")),
            })
            .collect::<Result<_, _>>()?;
        let int64 = matches!(
            int.format,
            VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64)
        );
        found.push(NamedEnum {
            schema: name.clone(),
            int: if int64 { "i64" } else { "i32" },
            description: schema.schema_data.description.clone().unwrap_or_default(),
            values,
        });
    }
    Ok(found)
}

/// A Rust enum naming the values of an integer enum, convertible into the generated type.
fn named_enum(e: &NamedEnum) -> String {
    let name = e
        .schema
        .strip_suffix("Id")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{}Name", e.schema));
    let variants: String = e
        .values
        .iter()
        .map(|(n, v)| format!("    /// `{v}`.\n    {n},\n"))
        .collect();
    let to_value: String = e
        .values
        .iter()
        .map(|(n, v)| format!("            {name}::{n} => {v},\n"))
        .collect();
    let from_value: String = e
        .values
        .iter()
        .map(|(n, v)| format!("            {v} => Some({name}::{n}),\n"))
        .collect();
    let all: Vec<String> = e
        .values
        .iter()
        .map(|(n, _)| format!("{name}::{n}"))
        .collect();
    let schema = &e.schema;
    let doc = e
        .description
        .lines()
        .map(|l| format!("/// {l}\n"))
        .collect::<String>();
    format!(
        "/// Names for the values of [`types::{schema}`] (the spec's `x-enum-varnames`).\n///\n{doc}\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum {name} {{\n{variants}}}\n\n\
         impl {name} {{\n    /// Every named value, in the spec's order.\n    pub const ALL: [{name}; {count}] = [{all}];\n\n    \
         /// The value sent on the wire.\n    pub const fn value(self) -> i64 {{\n        match self {{\n{to_value}        }}\n    }}\n\n    \
         /// The name of a value the service sent, if the spec names it.\n    pub const fn from_value(value: i64) -> Option<Self> {{\n        match value {{\n{from_value}            _ => None,\n        }}\n    }}\n}}\n\n\
         impl From<{name}> for types::{schema} {{\n    fn from(named: {name}) -> Self {{\n        \
         // Every name stands for one of the spec's values, which the generated type accepts.\n        \
         match Self::try_from(named.value() as {int}) {{\n            Ok(value) => value,\n            \
         Err(_) => unreachable!(\"{name}::{{named:?}} is a value of the spec's enum\"),\n        }}\n    }}\n}}\n\n",
        count = e.values.len(),
        all = all.join(", "),
        int = e.int,
    )
}

/// The whole glue file of one service.
pub fn render(service: &Service, ops: &[OperationGlue], enums: &[NamedEnum]) -> String {
    let mut code = String::new();
    for e in enums {
        code.push_str(&named_enum(e));
    }
    code.push_str(&operation_table(ops));
    for op in ops {
        code.push_str(&execute_impl(op));
        if let Some(p) = &op.pagination {
            code.push_str(&paged_impl(op, p));
        }
    }
    code.push_str(&client_methods(service, ops));
    code.push_str(&glued_table(service, ops));
    code.push_str(&example_calls(service, ops));
    code
}

fn operation_table(ops: &[OperationGlue]) -> String {
    let mut code = String::from(
        "/// Every operation of this service's spec, as the transport and the fake need to know it.\n\
         pub static OPERATIONS: &[crate::operation::OperationSpec] = &[\n",
    );
    for op in ops {
        let query_bounds: Vec<String> = op
            .query_bounds
            .iter()
            .map(|(n, min, max)| {
                format!("crate::operation::QueryBound {{ name: {n:?}, minimum: {min:?}, maximum: {max:?} }}")
            })
            .collect();
        let body_arrays: Vec<String> = op
            .body_arrays
            .iter()
            .map(|(p, min, max)| {
                format!("crate::operation::ArrayBound {{ pointer: {p:?}, min_items: {min:?}, max_items: {max:?} }}")
            })
            .collect();
        let params: Vec<String> = op
            .params
            .iter()
            .map(|p| {
                let location = match p.location {
                    "path" => "Path",
                    "query" => "Query",
                    _ => "Header",
                };
                format!(
                    "crate::operation::ParamSpec {{ name: {:?}, location: crate::operation::ParamLocation::{location}, max_length: {:?} }}",
                    p.name,
                    p.max_length.map(|m| m as u64),
                )
            })
            .collect();
        let _ = writeln!(
            code,
            "    crate::operation::OperationSpec {{ id: {:?}, name: {:?}, method: {:?}, path: {:?}, \
             no_content: {}, success_fields: &{:?}, query_bounds: &[{}], body_arrays: &[{}], \
             offset_multiple_of_limit: {}, params: &[{}] }},",
            op.id,
            op.name,
            op.method,
            op.path,
            op.no_content,
            op.success_fields,
            query_bounds.join(", "),
            body_arrays.join(", "),
            op.pagination.as_ref().is_some_and(|p| p.offset_multiple_of_limit),
            params.join(", "),
        );
    }
    code.push_str("];\n\n");
    code
}

fn builder_type(op: &OperationGlue) -> String {
    format!("builder::{}", op.name.to_pascal_case())
}

fn execute_impl(op: &OperationGlue) -> String {
    let builder = builder_type(op);
    let (output, run) = match &op.success_type {
        Some(t) if !op.no_content => (format!("types::{t}"), "run"),
        _ => ("()".to_owned(), "run_no_content"),
    };
    format!(
        "impl crate::Execute for {builder}<'_> {{\n    type Output = {output};\n    \
         fn execute(self) -> impl ::std::future::Future<Output = ::std::result::Result<crate::Response<{output}>, crate::Error>> + Send {{\n        \
         crate::execute::{run}(self.send())\n    }}\n}}\n\n"
    )
}

fn paged_impl(op: &OperationGlue, p: &Pagination) -> String {
    let builder = builder_type(op);
    format!(
        "impl<'a> crate::paginate::OffsetPaged for {builder}<'a> {{\n    type Item = types::{item};\n    \
         const RULES: crate::paginate::PageRules = crate::paginate::PageRules {{ max_limit: {max:?}, offset_multiple_of_limit: {multiple} }};\n    \
         async fn fetch_page(self, offset: u64, limit: u32) -> ::std::result::Result<crate::paginate::Page<Self::Item>, crate::Error> {{\n        \
         let response = crate::Execute::execute(self.offset(offset).limit(limit)).await?;\n        \
         let request_id = response.request_id().map(str::to_owned);\n        \
         let list = response.into_inner();\n        \
         Ok(crate::paginate::Page::from_fields(offset, request_id, list.{items}, list.{total}))\n    }}\n}}\n\n",
        item = p.item_type,
        max = p.max_limit.map(|m| m as u32),
        multiple = p.offset_multiple_of_limit,
        items = rust_ident(&p.items),
        total = rust_ident(&p.total),
    )
}

fn client_methods(service: &Service, ops: &[OperationGlue]) -> String {
    let mut code = format!("impl {} {{\n", service.client);
    for op in ops {
        let names: Vec<&str> = op.params.iter().map(|p| p.name.as_str()).collect();
        let mut fill = String::new();
        for (name, required) in &service.defaults {
            if !names.contains(&name.as_str()) {
                continue;
            }
            let setter = rust_ident(&name.to_snake_case());
            if *required {
                let _ = writeln!(
                    fill,
                    "        let builder = builder.{setter}(self.{setter}.clone());"
                );
            } else {
                let _ = writeln!(
                    fill,
                    "        let builder = match &self.{setter} {{ Some(v) => builder.{setter}(v.clone()), None => builder }};"
                );
            }
        }
        let paged = if op.pagination.is_some() {
            "\n    ///\n    /// A list operation: [`crate::paginate::Paginate::paginate`] walks every page."
        } else {
            ""
        };
        let _ = write!(
            code,
            "    /// {summary} (`{method} {path}`, `{name}`).{paged}\n    \
             pub fn {id}(&self) -> {builder}<'_> {{\n        let builder = self.generated.{id}();\n{fill}        builder\n    }}\n\n",
            summary = op.summary.trim_end_matches('.'),
            method = op.method,
            path = op.path,
            name = op.name,
            id = op.id,
            builder = builder_type(op),
        );
    }
    code.push_str("}\n\n");
    code
}

fn glued_table(service: &Service, ops: &[OperationGlue]) -> String {
    let mut code = String::from(
        "/// Every operation with the glue build.rs derived for it, for the test that holds them\n\
         /// against the spec.\n#[doc(hidden)]\npub static GLUED: &[crate::operation::Glued] = &[\n",
    );
    for op in ops {
        let builder = builder_type(op);
        let paged = if op.pagination.is_some() {
            format!("Some(crate::operation::implements_paged::<{builder}<'static>>)")
        } else {
            "None".into()
        };
        let _ = writeln!(
            code,
            "    crate::operation::Glued {{ name: {name:?}, execute: crate::operation::implements_execute::<{builder}<'static>>, \
             client_method: || {{ let _ = {client}::{id}; }}, paginated: {paged} }},",
            name = op.name,
            client = service.client,
            id = op.id,
        );
    }
    code.push_str("];\n\n");
    code
}

/// Rust code that gives a builder setter the example value.
fn example_literal(param: &Param, value: &Value) -> Option<String> {
    Some(match (value, param.integer) {
        (Value::Number(n), Some(suffix)) => format!("{n}{suffix}"),
        (Value::Bool(b), _) => b.to_string(),
        (Value::String(s), None) => format!("{s:?}"),
        _ => return None,
    })
}

fn example_calls(service: &Service, ops: &[OperationGlue]) -> String {
    let mut table = String::from(
        "/// One call per operation built from the spec's own examples, for table-driven\n\
         /// conformance tests. Operations whose required inputs have no example are left out.\n\
         #[cfg(feature = \"spec-examples\")]\n#[doc(hidden)]\n",
    );
    let _ = writeln!(
        table,
        "pub static EXAMPLE_CALLS: &[(&str, crate::operation::ExampleCall<{}>)] = &[",
        service.client
    );
    let mut table_with = String::from(
        "/// The calls of `EXAMPLE_CALLS`, with values of string parameters and the body replaced,\n\
         /// for table-driven tests of what the client refuses.\n\
         #[cfg(feature = \"spec-examples\")]\n#[doc(hidden)]\n",
    );
    let _ = writeln!(
        table_with,
        "pub static EXAMPLE_CALLS_WITH: &[(&str, crate::operation::ExampleCallWith<{}>)] = &[",
        service.client
    );
    let mut functions = String::new();
    for op in ops {
        let mut body = format!("        let builder = client.{}();\n", op.id);
        let mut complete = true;
        for param in &op.params {
            let setter = rust_ident(&param.name.to_snake_case());
            let literal = param
                .example
                .as_ref()
                .and_then(|v| example_literal(param, v));
            let filled_by_client = service.defaults.iter().any(|(name, _)| *name == param.name);
            let otherwise = match &literal {
                Some(literal) => format!("builder.{setter}({literal})"),
                None if param.required && !filled_by_client => {
                    complete = false;
                    "builder".to_owned()
                }
                None => "builder".to_owned(),
            };
            if param.string {
                let _ = writeln!(
                    body,
                    "        let builder = match overrides.param({name:?}) {{ Some(value) => builder.{setter}(value), None => {otherwise} }};",
                    name = param.name,
                );
            } else {
                let _ = writeln!(body, "        let builder = {otherwise};");
            }
        }
        match &op.body {
            Some((ty, Some(example))) => {
                let _ = write!(
                    body,
                    "        let body: types::{ty} = match overrides.body {{\n            \
                     Some(body) => ::serde_json::from_value(body),\n            \
                     None => ::serde_json::from_str({json:?}),\n        }}\n        \
                     .map_err(|e| crate::Error::InvalidRequest(format!(\"the example body: {{e}}\")))?;\n        \
                     let builder = builder.body(body);\n",
                    json = example.to_string(),
                );
            }
            Some((_, None)) => complete = false,
            None => {}
        }
        if !complete {
            continue;
        }
        let function = format!("example_{}", op.id);
        let answer = if op.no_content {
            "        crate::Execute::execute(builder).await?;\n        Ok(::serde_json::Value::Null)"
        } else {
            "        let response = crate::Execute::execute(builder).await?;\n        \
             ::serde_json::to_value(response.into_inner()).map_err(|e| crate::Error::InvalidRequest(e.to_string()))"
        };
        let _ = write!(
            functions,
            "#[cfg(feature = \"spec-examples\")]\nfn {function}_with(client: &{client}, overrides: crate::operation::Overrides) -> crate::operation::ExampleFuture<'_> {{\n    \
             Box::pin(async move {{\n        let _ = &overrides;\n{body}{answer}\n    }})\n}}\n\n\
             #[cfg(feature = \"spec-examples\")]\nfn {function}(client: &{client}) -> crate::operation::ExampleFuture<'_> {{\n    \
             {function}_with(client, crate::operation::Overrides::default())\n}}\n\n",
            client = service.client,
        );
        let _ = writeln!(table, "    ({:?}, {function}),", op.name);
        let _ = writeln!(table_with, "    ({:?}, {function}_with),", op.name);
    }
    table.push_str("];\n\n");
    table_with.push_str("];\n\n");
    functions + &table + &table_with
}
