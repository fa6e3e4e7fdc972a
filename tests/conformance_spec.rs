//! The specs describe exactly what the API documents say. The expectations below are
//! transcribed from `../shared/api-docs/`, not derived from the specs.

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind,
    StatusCode, Type,
};

const DATAARTS: &str = include_str!("../openapi/dataarts-security.yaml");
const PROJECTMAN: &str = include_str!("../openapi/projectman-v4.yaml");

fn load(text: &str) -> OpenAPI {
    serde_norway::from_str(text).expect("a valid OpenAPI 3.0 document")
}

/// A parameter as the documents give it: name, location, required, type (with format or enum).
struct Param {
    name: &'static str,
    location: &'static str,
    required: bool,
    kind: &'static str,
}

struct Op {
    spec: &'static str,
    method: &'static str,
    path: &'static str,
    params: &'static [Param],
    statuses: &'static [u16],
    body_fields: &'static [&'static str],
    response_fields: &'static [&'static str],
}

const P_PROJECT: Param = Param {
    name: "project_id",
    location: "path",
    required: true,
    kind: "string",
};
const P_PSET: Param = Param {
    name: "permission_set_id",
    location: "path",
    required: true,
    kind: "string",
};
const P_WORKSPACE: Param = Param {
    name: "workspace",
    location: "header",
    required: true,
    kind: "string",
};

const OPS: &[Op] = &[
    Op {
        spec: "dataarts",
        method: "post",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/members/batch-create",
        params: &[P_PROJECT, P_PSET, P_WORKSPACE],
        statuses: &[204, 400],
        body_fields: &["members", "auto_sync"],
        response_fields: &[],
    },
    Op {
        spec: "dataarts",
        method: "get",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/members",
        params: &[
            P_PROJECT,
            P_PSET,
            P_WORKSPACE,
            Param {
                name: "limit",
                location: "query",
                required: false,
                kind: "integer/int32",
            },
            Param {
                name: "offset",
                location: "query",
                required: false,
                kind: "integer/int32",
            },
            Param {
                name: "member_name",
                location: "query",
                required: false,
                kind: "string",
            },
            Param {
                name: "member_type",
                location: "query",
                required: false,
                kind: "enum:USER,USER_GROUP,WORKSPACE_ROLE",
            },
            Param {
                name: "order_by",
                location: "query",
                required: false,
                kind: "enum:CREATE_TIME,MEMBER_NAME",
            },
            Param {
                name: "order_by_asc",
                location: "query",
                required: false,
                kind: "boolean",
            },
        ],
        statuses: &[200, 400],
        body_fields: &[],
        response_fields: &["total", "permission_set_members"],
    },
    Op {
        spec: "dataarts",
        method: "put",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}",
        params: &[P_PROJECT, P_PSET, P_WORKSPACE],
        statuses: &[200, 400],
        body_fields: &[
            "name",
            "parent_id",
            "description",
            "type",
            "managed_cluster_id",
            "managed_cluster_name",
            "managed_role_name",
            "manager_id",
            "manager_name",
            "manager_type",
        ],
        response_fields: &[
            "id",
            "parent_id",
            "name",
            "description",
            "type",
            "managed_cluster_id",
            "managed_cluster_name",
            "project_id",
            "domain_id",
            "instance_id",
            "manager_id",
            "manager_name",
            "manager_type",
            "datasource_type",
            "sync_status",
            "sync_msg",
            "sync_time",
            "create_time",
            "create_user",
            "update_time",
            "update_user",
        ],
    },
    Op {
        spec: "projectman",
        method: "post",
        path: "/v4/projects/{project_id}/members",
        params: &[Param {
            name: "project_id",
            location: "path",
            required: true,
            kind: "pattern:^[A-Za-z0-9]{32}$",
        }],
        statuses: &[204, 400, 401],
        body_fields: &["users"],
        response_fields: &[],
    },
];

fn spec_of(name: &str) -> OpenAPI {
    load(if name == "dataarts" {
        DATAARTS
    } else {
        PROJECTMAN
    })
}

fn by_ref<'a>(spec: &'a OpenAPI, reference: &str) -> &'a Schema {
    let name = reference
        .strip_prefix("#/components/schemas/")
        .expect("schema refs point at components/schemas");
    match &spec.components.as_ref().unwrap().schemas[name] {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { .. } => panic!("{name}: ref to a ref"),
    }
}

fn resolve<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> &'a Schema {
    match schema {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { reference } => by_ref(spec, reference),
    }
}

fn boxed<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Box<Schema>>) -> &'a Schema {
    match schema {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { reference } => by_ref(spec, reference),
    }
}

fn describe(spec: &OpenAPI, schema: &Schema) -> String {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => format!(
            "enum:{}",
            s.enumeration
                .iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        ),
        SchemaKind::Type(Type::String(s)) => match &s.pattern {
            Some(p) => format!("pattern:{p}"),
            None => "string".into(),
        },
        SchemaKind::Type(Type::Integer(i)) => match &i.format {
            openapiv3::VariantOrUnknownOrEmpty::Item(f) => format!("integer/{f:?}").to_lowercase(),
            _ => "integer".into(),
        },
        SchemaKind::Type(Type::Boolean(_)) => "boolean".into(),
        SchemaKind::Type(Type::Array(a)) => {
            format!(
                "array of {}",
                describe(spec, boxed(spec, a.items.as_ref().unwrap()))
            )
        }
        SchemaKind::Type(Type::Object(_)) => "object".into(),
        other => format!("{other:?}"),
    }
}

fn operation<'a>(spec: &'a OpenAPI, op: &Op) -> &'a Operation {
    let item = match spec.paths.paths.get(op.path) {
        Some(ReferenceOr::Item(item)) => item,
        _ => panic!("{} is not in the {} spec", op.path, op.spec),
    };
    let found = match op.method {
        "get" => &item.get,
        "post" => &item.post,
        "put" => &item.put,
        _ => unreachable!(),
    };
    found
        .as_ref()
        .unwrap_or_else(|| panic!("{} {} missing", op.method, op.path))
}

fn parameter<'a>(spec: &'a OpenAPI, p: &'a ReferenceOr<Parameter>) -> &'a Parameter {
    match p {
        ReferenceOr::Item(p) => p,
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/").unwrap();
            match &spec.components.as_ref().unwrap().parameters[name] {
                ReferenceOr::Item(p) => p,
                _ => panic!("nested parameter ref"),
            }
        }
    }
}

#[test]
fn both_specs_are_openapi_3_0_3_with_servers_and_security() {
    for (text, host) in [
        (DATAARTS, "https://dayu.{region}.myhuaweicloud.com"),
        (
            PROJECTMAN,
            "https://projectman-ext.{region}.myhuaweicloud.com",
        ),
    ] {
        let spec = load(text);
        assert_eq!(spec.openapi, "3.0.3");
        assert_eq!(spec.servers[0].url, host);
        assert!(spec.servers[0]
            .variables
            .as_ref()
            .unwrap()
            .contains_key("region"));
        let schemes = &spec.components.as_ref().unwrap().security_schemes;
        match &schemes["iamToken"] {
            ReferenceOr::Item(openapiv3::SecurityScheme::APIKey { location, name, .. }) => {
                assert_eq!(name, "X-Auth-Token");
                assert!(matches!(location, openapiv3::APIKeyLocation::Header));
            }
            other => panic!("{other:?}"),
        }
        assert!(schemes.contains_key("akskSignature"));
        let global: Vec<_> = spec
            .security
            .as_ref()
            .unwrap()
            .iter()
            .flat_map(|r| r.keys().cloned())
            .collect();
        assert_eq!(global, ["iamToken", "akskSignature"]);
        for (_, _, op) in spec.operations() {
            assert!(
                op.operation_id.is_some(),
                "every operation has an operationId"
            );
            assert!(op.description.is_some(), "every operation is described");
        }
    }
}

#[test]
fn every_documented_operation_parameter_and_status() {
    for op in OPS {
        let spec = spec_of(op.spec);
        let operation = operation(&spec, op);
        let params: Vec<&Parameter> = operation
            .parameters
            .iter()
            .map(|p| parameter(&spec, p))
            .collect();
        assert_eq!(
            params.len(),
            op.params.len(),
            "{} {}: parameter count",
            op.method,
            op.path
        );
        for want in op.params {
            let got = params
                .iter()
                .find(|p| p.parameter_data_ref().name == want.name)
                .unwrap_or_else(|| panic!("{}: {} missing", op.path, want.name));
            let (location, data) = match got {
                Parameter::Path { parameter_data, .. } => ("path", parameter_data),
                Parameter::Query { parameter_data, .. } => ("query", parameter_data),
                Parameter::Header { parameter_data, .. } => ("header", parameter_data),
                Parameter::Cookie { parameter_data, .. } => ("cookie", parameter_data),
            };
            assert_eq!(location, want.location, "{}", want.name);
            assert_eq!(data.required, want.required, "{}", want.name);
            let ParameterSchemaOrContent::Schema(schema) = &data.format else {
                panic!("{} has no schema", want.name)
            };
            assert_eq!(
                describe(&spec, resolve(&spec, schema)),
                want.kind,
                "{}",
                want.name
            );
        }
        let statuses: Vec<u16> = operation
            .responses
            .responses
            .keys()
            .map(|s| match s {
                StatusCode::Code(c) => *c,
                StatusCode::Range(r) => panic!("range {r}"),
            })
            .collect();
        assert_eq!(statuses, op.statuses, "{} {}", op.method, op.path);
        for (status, response) in &operation.responses.responses {
            let response = match response {
                ReferenceOr::Item(r) => r.clone(),
                ReferenceOr::Reference { reference } => {
                    let name = reference.strip_prefix("#/components/responses/").unwrap();
                    match &spec.components.as_ref().unwrap().responses[name] {
                        ReferenceOr::Item(r) => r.clone(),
                        _ => panic!("nested response ref"),
                    }
                }
            };
            for media in response.content.values() {
                assert!(
                    matches!(media.schema, Some(ReferenceOr::Reference { .. })),
                    "{} {status}: response bodies are $refs to components/schemas",
                    op.path
                );
            }
            if *status == StatusCode::Code(400) || *status == StatusCode::Code(401) {
                let schema = resolve(
                    &spec,
                    response.content["application/json"]
                        .schema
                        .as_ref()
                        .unwrap(),
                );
                let SchemaKind::Type(Type::Object(o)) = &schema.schema_kind else {
                    panic!()
                };
                assert!(
                    o.properties.contains_key("error_code")
                        && o.properties.contains_key("error_msg")
                );
            }
        }
        if !op.response_fields.is_empty() {
            let ok = operation.responses.responses.values().next().unwrap();
            let ReferenceOr::Item(ok) = ok else { panic!() };
            let schema = resolve(
                &spec,
                ok.content["application/json"].schema.as_ref().unwrap(),
            );
            let SchemaKind::Type(Type::Object(o)) = &schema.schema_kind else {
                panic!()
            };
            for field in op.response_fields {
                assert!(
                    o.properties.contains_key(*field),
                    "{}: response field {field}",
                    op.path
                );
            }
        }
        match (&operation.request_body, op.body_fields.is_empty()) {
            (None, true) => {}
            (Some(ReferenceOr::Item(body)), false) => {
                let schema = body.content["application/json"].schema.as_ref().unwrap();
                assert!(
                    matches!(schema, ReferenceOr::Reference { .. }),
                    "body is a $ref"
                );
                let SchemaKind::Type(Type::Object(o)) = &resolve(&spec, schema).schema_kind else {
                    panic!()
                };
                let mut names: Vec<&str> = o.properties.keys().map(String::as_str).collect();
                let mut want = op.body_fields.to_vec();
                names.sort();
                want.sort();
                assert_eq!(names, want, "{}: body fields", op.path);
            }
            other => panic!("{}: body {other:?}", op.path),
        }
    }
}

fn component<'a>(spec: &'a OpenAPI, name: &str) -> &'a Schema {
    match &spec.components.as_ref().unwrap().schemas[name] {
        ReferenceOr::Item(s) => s,
        _ => panic!(),
    }
}

fn property<'a>(spec: &'a OpenAPI, schema: &'a Schema, field: &str) -> &'a Schema {
    let SchemaKind::Type(Type::Object(o)) = &schema.schema_kind else {
        panic!()
    };
    boxed(spec, &o.properties[field])
}

#[test]
fn documented_body_constraints() {
    let spec = load(DATAARTS);
    let body = component(&spec, "BatchCreatePermissionSetMembersRequestBody");
    assert_eq!(
        describe(&spec, property(&spec, body, "auto_sync")),
        "boolean"
    );
    let member = component(&spec, "PermissionSetMemberCreate");
    assert_eq!(
        describe(&spec, property(&spec, member, "member_type")),
        "enum:USER,USER_GROUP,WORKSPACE_ROLE"
    );
    let update = component(&spec, "UpdatePermissionSetRequestBody");
    assert_eq!(
        describe(&spec, property(&spec, update, "type")),
        "enum:COMMON,MRS_MANAGED"
    );
    assert_eq!(
        describe(&spec, property(&spec, update, "manager_type")),
        "enum:USER,USER_GROUP"
    );
    let member = component(&spec, "PermissionSetMember");
    for long in ["create_time", "deadline"] {
        assert_eq!(
            describe(&spec, property(&spec, member, long)),
            "integer/int64",
            "{long}"
        );
    }
    let set = component(&spec, "PermissionSet");
    for long in ["sync_time", "create_time", "update_time"] {
        assert_eq!(
            describe(&spec, property(&spec, set, long)),
            "integer/int64",
            "{long}"
        );
    }
    // Response "enums" stay open: CLUSTER_ROLE and friends must deserialize.
    assert_eq!(
        describe(&spec, property(&spec, member, "member_type")),
        "string"
    );

    let spec = load(PROJECTMAN);
    let body = component(&spec, "BatchAddMembersV4RequestBody");
    let SchemaKind::Type(Type::Object(o)) = &body.schema_kind else {
        panic!()
    };
    assert_eq!(o.required, ["users"]);
    let user = component(&spec, "BatchAddMemberRequestV4");
    let SchemaKind::Type(Type::Object(u)) = &user.schema_kind else {
        panic!()
    };
    assert_eq!(u.required, ["user_id"]);
    assert_eq!(
        describe(&spec, property(&spec, user, "user_id")),
        "pattern:^[A-Za-z0-9]{32}$"
    );
    let SchemaKind::Type(Type::Integer(role)) = &property(&spec, user, "role_id").schema_kind
    else {
        panic!()
    };
    assert_eq!(
        role.enumeration
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>(),
        [-1, 3, 4, 5, 6, 7, 8, 9]
    );
}
