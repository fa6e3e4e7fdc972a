//! The specs describe exactly what the API documents say. The expectations below are
//! transcribed from `../shared/api-docs/`, not derived from the specs.

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind,
    StatusCode, Type,
};

const DATAARTS: &str = include_str!("../openapi/dataarts-security.yaml");
const PROJECTMAN: &str = include_str!("../openapi/projectman-v4.yaml");
const IAM: &str = include_str!("../openapi/iam-v3.yaml");

fn load(text: &str) -> OpenAPI {
    serde_norway::from_str(text).expect("a valid OpenAPI 3.0 document")
}

/// A parameter as the sources give it: name, location, required, type (with format, pattern or
/// enum).
type Param = (&'static str, &'static str, bool, &'static str);

struct Op {
    spec: &'static str,
    method: &'static str,
    path: &'static str,
    params: &'static [Param],
    statuses: &'static [u16],
    body_fields: &'static [&'static str],
    response_fields: &'static [&'static str],
}

const PROJECT: Param = ("project_id", "path", true, "string");
const PSET: Param = ("permission_set_id", "path", true, "string");
const WORKSPACE: Param = ("workspace", "header", true, "string");
const CODEARTS: Param = ("project_id", "path", true, "pattern:^[A-Za-z0-9]{32}$");
const LIMIT: Param = ("limit", "query", false, "integer/int32");
const OFFSET: Param = ("offset", "query", false, "integer/int32");
const ASC: Param = ("order_by_asc", "query", false, "boolean");
const DATASOURCE: Param = ("datasource_type", "query", false, "enum:HIVE,DWS,DLI");
const SYNC: Param = (
    "sync_status",
    "query",
    false,
    "enum:UNKNOWN,NOT_SYNC,SYNCING,SYNC_SUCCESS,SYNC_FAIL",
);

const PS: &str = "/v1/{project_id}/security/permission-sets";
const SET_BODY: &[&str] = &[
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
];
const SET_FIELDS: &[&str] = &[
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
];
const MEMBER_FIELDS: &[&str] = &[
    "id",
    "permission_set_id",
    "project_id",
    "instance_id",
    "member_type",
    "member_id",
    "member_name",
    "member_status",
    "workspace",
    "cluster_type",
    "cluster_id",
    "cluster_name",
    "create_time",
    "create_user",
    "deadline",
];
const PERMISSION_BODY: &[&str] = &[
    "dw_id",
    "permission_type",
    "permission_actions",
    "cluster_id",
    "cluster_name",
    "datasource_type",
    "database_name",
    "schema_name",
    "namespace",
    "table_name",
    "column_name",
    "row_level_security",
    "url",
    "auto_sync",
];
const PERMISSION_FIELDS: &[&str] = &[
    "id",
    "permission_set_id",
    "permission_type",
    "permission_action",
    "permission_actions",
    "cluster_id",
    "database_name",
    "table_name",
    "column_name",
    "sync_status",
];

/// Every operation, transcribed from the API reference pages (the first four from
/// `../shared/api-docs/`), the official SDK models and the API Explorer definitions (see the
/// specs' `info.description`), not derived from the specs.
const OPS: &[Op] = &[
    Op {
        spec: "dataarts",
        method: "post",
        path: PS,
        params: &[PROJECT, WORKSPACE],
        statuses: &[200, 400],
        body_fields: SET_BODY,
        response_fields: SET_FIELDS,
    },
    Op {
        spec: "dataarts",
        method: "get",
        path: PS,
        params: &[
            PROJECT,
            WORKSPACE,
            LIMIT,
            OFFSET,
            ("name", "query", false, "string"),
            ("parent_id", "query", false, "string"),
            (
                "type_filter",
                "query",
                false,
                "enum:TOP_PERMISSION_SET,SUB_PERMISSION_SET,ALL_PERMISSION_SET",
            ),
            ("manager_id", "query", false, "string"),
            ("manager_name", "query", false, "string"),
            ("manager_type", "query", false, "enum:USER,USER_GROUP"),
            DATASOURCE,
            SYNC,
            ("order_by", "query", false, "enum:NAME,CREATE_TIME,UPDATE_TIME"),
            ASC,
        ],
        statuses: &[200, 400],
        body_fields: &[],
        response_fields: &["total", "permission_sets"],
    },
    Op {
        spec: "dataarts",
        method: "get",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[200, 400],
        body_fields: &[],
        response_fields: SET_FIELDS,
    },
    Op {
        spec: "dataarts",
        method: "put",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[200, 400],
        body_fields: SET_BODY,
        response_fields: SET_FIELDS,
    },
    Op {
        spec: "dataarts",
        method: "delete",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[204, 400],
        body_fields: &[],
        response_fields: &[],
    },
    Op {
        spec: "dataarts",
        method: "post",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/members",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[200, 400],
        body_fields: &[
            "member_type",
            "member_id",
            "member_name",
            "workspace",
            "auto_sync",
        ],
        response_fields: MEMBER_FIELDS,
    },
    Op {
        spec: "dataarts",
        method: "get",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/members",
        params: &[
            PROJECT,
            PSET,
            WORKSPACE,
            LIMIT,
            OFFSET,
            ("member_name", "query", false, "string"),
            (
                "member_type",
                "query",
                false,
                "enum:USER,USER_GROUP,WORKSPACE_ROLE",
            ),
            ("order_by", "query", false, "enum:CREATE_TIME,MEMBER_NAME"),
            ASC,
        ],
        statuses: &[200, 400],
        body_fields: &[],
        response_fields: &["total", "permission_set_members"],
    },
    Op {
        spec: "dataarts",
        method: "post",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/members/batch-create",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[204, 400],
        body_fields: &["members", "auto_sync"],
        response_fields: &[],
    },
    Op {
        spec: "dataarts",
        method: "post",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/members/batch-delete",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[204, 400],
        body_fields: &["dw_id", "ids"],
        response_fields: &[],
    },
    Op {
        spec: "dataarts",
        method: "get",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/permissions",
        params: &[
            PROJECT,
            PSET,
            WORKSPACE,
            LIMIT,
            OFFSET,
            ("permission_type", "query", false, "enum:ALLOW,DENY"),
            (
                "permission_action",
                "query",
                false,
                "enum:ALL,SELECT,UPDATE,CREATE,DROP,ALTER,INDEX,LOCK,READ,WRITE,INSERT,CREATE_TABLE,DELETE,CREATE_SCHEMA",
            ),
            ("cluster_id", "query", false, "string"),
            ("cluster_name", "query", false, "string"),
            DATASOURCE,
            ("database_name", "query", false, "string"),
            ("table_name", "query", false, "string"),
            ("column_name", "query", false, "string"),
            SYNC,
            ("order_by", "query", false, "enum:CLUSTER_NAME,DATABASE_NAME"),
            ASC,
        ],
        statuses: &[200, 400],
        body_fields: &[],
        response_fields: &["total", "permissions"],
    },
    Op {
        spec: "dataarts",
        method: "post",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/permissions",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[200, 400],
        body_fields: PERMISSION_BODY,
        response_fields: PERMISSION_FIELDS,
    },
    Op {
        spec: "dataarts",
        method: "put",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/permissions/{permission_id}",
        params: &[
            PROJECT,
            PSET,
            ("permission_id", "path", true, "string"),
            WORKSPACE,
        ],
        statuses: &[200, 400],
        body_fields: &["dw_id", "permission_actions"],
        response_fields: PERMISSION_FIELDS,
    },
    Op {
        spec: "dataarts",
        method: "post",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/permissions/batch-append",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[200, 400],
        body_fields: PERMISSION_BODY,
        response_fields: &["total", "permissions"],
    },
    Op {
        spec: "dataarts",
        method: "post",
        path: "/v1/{project_id}/security/permission-sets/{permission_set_id}/permissions/batch-delete",
        params: &[PROJECT, PSET, WORKSPACE],
        statuses: &[204, 400],
        body_fields: &["dw_id", "ids"],
        response_fields: &[],
    },
    Op {
        spec: "dataarts",
        method: "get",
        path: "/v1/{project_id}/security/permission-sets/datasource/actions",
        params: &[
            PROJECT,
            WORKSPACE,
            ("parent_permission_set_id", "query", true, "string"),
            ("cluster_id", "query", false, "string"),
            ("datasource_type", "query", true, "enum:HIVE,DWS,DLI"),
            ("database_name", "query", false, "string"),
            ("schema_name", "query", false, "string"),
            ("table_name", "query", false, "string"),
            ("column_name", "query", false, "string"),
            ("url", "query", false, "string"),
        ],
        statuses: &[200, 400],
        body_fields: &[],
        response_fields: &["permission_actions"],
    },
    Op {
        spec: "dataarts",
        method: "get",
        path: "/v1/{project_id}/security/permission-sets/datasource/configurations",
        params: &[PROJECT, WORKSPACE],
        statuses: &[200, 400],
        body_fields: &[],
        response_fields: &["configurations"],
    },
    Op {
        spec: "dataarts",
        method: "get",
        path: "/v1/{project_id}/security/permission-sets/datasource/urls",
        params: &[
            PROJECT,
            WORKSPACE,
            ("cluster_id", "query", false, "string"),
            DATASOURCE,
            ("parent_permission_set_id", "query", false, "string"),
        ],
        statuses: &[200, 400],
        body_fields: &[],
        response_fields: &["total", "urls"],
    },
    Op {
        spec: "dataarts",
        method: "post",
        path: "/v1/{project_id}/security/permission-sets/datasource/role/batch-actions",
        params: &[PROJECT, WORKSPACE],
        statuses: &[200, 400],
        body_fields: &[
            "parent_permission_set_id",
            "cluster_id",
            "datasource_type",
            "database_names",
            "schemas",
            "table_names",
            "column_names",
        ],
        response_fields: &["permission_actions"],
    },
    Op {
        spec: "projectman",
        method: "post",
        path: "/v4/projects/{project_id}/member",
        params: &[CODEARTS],
        statuses: &[204, 400, 401],
        body_fields: &["domain_id", "domain_name", "role_id", "user_id"],
        response_fields: &[],
    },
    Op {
        spec: "projectman",
        method: "post",
        path: "/v4/projects/{project_id}/members",
        params: &[CODEARTS],
        statuses: &[204, 400, 401],
        body_fields: &["users"],
        response_fields: &[],
    },
    Op {
        spec: "projectman",
        method: "get",
        path: "/v4/projects/{project_id}/members",
        params: &[CODEARTS, OFFSET, LIMIT],
        statuses: &[200, 400, 401],
        body_fields: &[],
        response_fields: &["members", "total"],
    },
    Op {
        spec: "projectman",
        method: "delete",
        path: "/v4/projects/{project_id}/members",
        params: &[CODEARTS],
        statuses: &[204, 400, 401],
        body_fields: &["user_ids"],
        response_fields: &[],
    },
    Op {
        spec: "projectman",
        method: "post",
        path: "/v4/projects/{project_id}/members/role",
        params: &[CODEARTS],
        statuses: &[204, 400, 401],
        body_fields: &["role_id", "user_ids"],
        response_fields: &[],
    },
    Op {
        spec: "projectman",
        method: "get",
        path: "/v4/projects/{project_id}/user-role",
        params: &[CODEARTS],
        statuses: &[200, 400, 401],
        body_fields: &[],
        response_fields: &["user_role"],
    },
    Op {
        spec: "projectman",
        method: "get",
        path: "/v4/user",
        params: &[],
        statuses: &[200, 400, 401],
        body_fields: &[],
        response_fields: &["user_id", "user_name", "domain_id", "domain_name"],
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
        "delete" => &item.delete,
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
        for &(name, want_location, want_required, want_kind) in op.params {
            let got = params
                .iter()
                .find(|p| p.parameter_data_ref().name == name)
                .unwrap_or_else(|| panic!("{}: {} missing", op.path, name));
            let (location, data) = match got {
                Parameter::Path { parameter_data, .. } => ("path", parameter_data),
                Parameter::Query { parameter_data, .. } => ("query", parameter_data),
                Parameter::Header { parameter_data, .. } => ("header", parameter_data),
                Parameter::Cookie { parameter_data, .. } => ("cookie", parameter_data),
            };
            assert_eq!(location, want_location, "{} {name}", op.path);
            assert_eq!(data.required, want_required, "{} {name}", op.path);
            let ParameterSchemaOrContent::Schema(schema) = &data.format else {
                panic!("{name} has no schema")
            };
            assert_eq!(
                describe(&spec, resolve(&spec, schema)),
                want_kind,
                "{} {name}",
                op.path
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
                assert!(
                    declares_documented_error(&spec, schema),
                    "{} {status}: the error body declares error_code and error_msg",
                    op.path
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

/// The documents' error body, `{error_code, error_msg}`, directly or as one of an `anyOf`.
fn declares_documented_error(spec: &OpenAPI, schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            o.properties.contains_key("error_code") && o.properties.contains_key("error_msg")
        }
        SchemaKind::AnyOf { any_of } => any_of
            .iter()
            .any(|s| declares_documented_error(spec, resolve(spec, s))),
        _ => false,
    }
}

#[test]
fn every_operation_in_the_specs_is_in_the_table_and_has_a_default_error() {
    for (name, text) in [("dataarts", DATAARTS), ("projectman", PROJECTMAN)] {
        let spec = load(text);
        for (path, method, op) in spec.operations() {
            assert!(
                OPS.iter()
                    .any(|o| o.spec == name && o.path == path && o.method == method),
                "{method} {path} is in the spec but not in the transcribed table"
            );
            assert!(
                op.responses.default.is_some(),
                "{method} {path}: default response"
            );
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
        [-1, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    );
}

/// Every field the documents' examples give as `null` (the add-members request, the list-members
/// and update answers, and the create reference page's answer) accepts `null`.
#[test]
fn fields_the_documents_give_as_null_are_nullable() {
    let spec = load(DATAARTS);
    for body in [
        "PermissionSetMemberCreate",
        "CreatePermissionSetMemberRequestBody",
    ] {
        let workspace = property(&spec, component(&spec, body), "workspace");
        assert!(workspace.schema_data.nullable, "{body}.workspace");
        // Inline, with WorkspaceId's bounds: `nullable` beside an `allOf` of the non-nullable
        // WorkspaceId would not admit null (OAS 3.0.3: it applies within its own Schema Object).
        let SchemaKind::Type(Type::String(s)) = &workspace.schema_kind else {
            panic!("{body}.workspace is an inline string")
        };
        let SchemaKind::Type(Type::String(id)) = &component(&spec, "WorkspaceId").schema_kind
        else {
            panic!()
        };
        assert_eq!(
            (s.min_length, s.max_length),
            (id.min_length, id.max_length),
            "{body}.workspace has WorkspaceId's bounds"
        );
    }
    let member = component(&spec, "PermissionSetMember");
    for field in [
        "cluster_id",
        "cluster_name",
        "cluster_type",
        "deadline",
        "workspace",
    ] {
        assert!(
            property(&spec, member, field).schema_data.nullable,
            "{field}"
        );
    }
    let set = component(&spec, "PermissionSet");
    // No source types it, so it is any value, null included (`nullable` needs a type).
    assert!(matches!(
        &property(&spec, set, "data_connections").schema_kind,
        SchemaKind::Any(any) if any.typ.is_none()
    ));
    for field in [
        "datasource_type",
        "managed_cluster_id",
        "managed_cluster_name",
        "sync_msg",
        "sync_time",
    ] {
        assert!(property(&spec, set, field).schema_data.nullable, "{field}");
    }
}

/// Constraints stay only where a source gives them: RoleId has the AddMemberV4 page's 10 and 11;
/// the temporary-key policy's `Version` is any string and its lists may be empty; the role
/// update's user IDs keep the pattern its reference page gives.
#[test]
fn constraints_come_from_a_source() {
    let spec = load(PROJECTMAN);
    let role = component(&spec, "RoleId");
    let names: Vec<&str> = role.schema_data.extensions["x-enum-varnames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(names[8..], ["PRODUCT_MANAGER", "SYSTEM_ENGINEER"]);
    assert!(role.schema_data.extensions["x-source-notes"]
        .as_str()
        .unwrap()
        .contains("AddMemberV4"));
    let update = component(&spec, "UpdateMembersRoleV4RequestBody");
    let user_ids = property(&spec, update, "user_ids");
    assert_eq!(
        describe(&spec, user_ids),
        "array of pattern:^[A-Za-z0-9]{32}$"
    );
    assert!(user_ids.schema_data.extensions["x-source-notes"]
        .as_str()
        .unwrap()
        .contains("UpdateMembesRoleV4 reference page"));

    let spec = load(IAM);
    let policy = component(&spec, "ServicePolicy");
    assert_eq!(
        describe(&spec, property(&spec, policy, "Version")),
        "string"
    );
    let SchemaKind::Type(Type::Array(statements)) =
        &property(&spec, policy, "Statement").schema_kind
    else {
        panic!()
    };
    assert_eq!(statements.min_items, None);
    let statement = component(&spec, "ServiceStatement");
    let SchemaKind::Type(Type::Array(actions)) = &property(&spec, statement, "Action").schema_kind
    else {
        panic!()
    };
    assert_eq!(actions.min_items, None);
    let SchemaKind::Type(Type::Object(o)) = &policy.schema_kind else {
        panic!()
    };
    assert_eq!(o.required, ["Version", "Statement"]);
}
