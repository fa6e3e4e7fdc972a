"""Every example of the API documents, requests and responses, validates against the specs.

Run by .ci/lint-specs.sh with the tools venv (openapi-schema-validator comes with
openapi-spec-validator). Three checks, each failing the run:

1. Every example copied from the documents into tests/fixtures/api-docs/ validates, exactly as
   the documents give it (nulls included), against the schema of its operation's request body or
   response in the specs, with OAS30Validator (OpenAPI 3.0.3 semantics, `nullable` included).
2. When the documents themselves are present (../shared/api-docs/ from the repository root, or
   $HUAWEICLOUD_API_DOCS), every JSON example in every document is extracted and must equal its
   fixture, and every document must be listed below: the fixtures cannot drift from the documents
   and a new document cannot go unchecked.
3. Every example written into the specs (request and response media types) validates against
   its schema too, with this validator as well as spectral's.

A canary runs last: the same fixtures against a copy of the specs with every `nullable` removed
must fail, so a validator that accepted everything would be caught.
"""

import copy
import json
import os
import pathlib
import sys

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "api-docs"
SPECS = {
    name: ROOT / "openapi" / name
    for name in ("dataarts-security.yaml", "projectman-v4.yaml", "iam-v3.yaml")
}

# document -> (spec, operationId, fixture prefix). Request examples are `<prefix>.request.json`,
# 200 answers `<prefix>.response.json`, other statuses `<prefix>.response-<status>.json`.
DOCUMENTS = {
    "dataarts-add-permission-set-members.txt": (
        "dataarts-security.yaml",
        "BatchCreateSecurityPermissionSetMembers",
        "dataarts-add-members",
    ),
    "dataarts-list-permission-set-members.txt": (
        "dataarts-security.yaml",
        "ListSecurityPermissionSetMembers",
        "dataarts-list-members",
    ),
    "dataarts-update-permission-set.txt": (
        "dataarts-security.yaml",
        "UpdateSecurityPermissionSet",
        "dataarts-update-permission-set",
    ),
    "projectman-batch-add-project-members.txt": (
        "projectman-v4.yaml",
        "BatchAddMembersV4",
        "projectman-batch-add-members",
    ),
}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def deref(spec, node, depth=0):
    """The node with every local $ref replaced by what it names (the specs have no cycles)."""
    if depth > 50:
        raise ValueError("$ref nesting deeper than 50: a cycle?")
    if isinstance(node, list):
        return [deref(spec, item, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return deref(spec, {**target, **siblings}, depth + 1)
    return {k: deref(spec, v, depth) for k, v in node.items()}


def operation(spec, operation_id):
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op and op.get("operationId") == operation_id:
                return f"{method.upper()} {path}", op
    raise KeyError(f"no operation {operation_id}")


def json_schema(spec, holder):
    """The application/json schema of a request body or response, resolved."""
    return deref(spec, deref(spec, holder)["content"]["application/json"]["schema"])


def errors(schema, instance):
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def extract(text):
    """(kind, status, example) for every JSON object in a document's example sections."""
    found = []
    start = text.find("Example Requests")
    middle = text.find("Example Responses")
    if start < 0 or middle < start:
        raise ValueError("no Example Requests / Example Responses sections")
    ends = [i for i in (text.find(m, middle) for m in ("Status Codes", "SDK Sample Code")) if i > 0]
    end = min(ends) if ends else len(text)
    decoder = json.JSONDecoder()
    for kind, section in (("request", text[start:middle]), ("response", text[middle:end])):
        i = 0
        while (i := section.find("{", i)) >= 0:
            try:
                value, length = decoder.raw_decode(section, i)
            except json.JSONDecodeError:
                i += 1  # a URL template such as https://{endpoint}/...
                continue
            status = None
            if kind == "response":
                marker = section.rfind("Status code:", 0, i)
                if marker < 0:
                    raise ValueError("a response example with no 'Status code:' before it")
                status = section[marker:].split(":", 1)[1].split()[0]
            found.append((kind, status, value))
            i += length
    return found


def fixture_name(prefix, kind, status):
    if kind == "request":
        return f"{prefix}.request.json"
    return f"{prefix}.response.json" if status == "200" else f"{prefix}.response-{status}.json"


def fixture_examples(specs):
    """(label, schema, example) for every fixture, in the manifest's order."""
    out = []
    listed = set()
    for document, (spec_name, operation_id, prefix) in DOCUMENTS.items():
        spec = specs[spec_name]
        where, op = operation(spec, operation_id)
        for path in sorted(FIXTURES.glob(f"{prefix}.*.json")):
            listed.add(path.name)
            kind = "request" if path.name.endswith(".request.json") else "response"
            if kind == "request":
                schema = json_schema(spec, op["requestBody"])
            else:
                status = path.name.removesuffix(".json").split(".response")[1].lstrip("-") or "200"
                schema = json_schema(spec, op["responses"][status])
            example = json.loads(path.read_text())
            out.append((f"{path.name} ({operation_id}, {where}, {document})", schema, example))
    unlisted = {p.name for p in FIXTURES.glob("*.json")} - listed
    if unlisted:
        raise SystemExit(f"fixtures no document entry covers: {sorted(unlisted)}")
    return out


def documents_dir():
    configured = os.environ.get("HUAWEICLOUD_API_DOCS")
    if configured:
        path = pathlib.Path(configured)
        if not path.is_dir():
            raise SystemExit(f"HUAWEICLOUD_API_DOCS={configured} is not a directory")
        return path
    default = ROOT.parent / "shared" / "api-docs"
    return default if default.is_dir() else None


def check_documents(problems):
    directory = documents_dir()
    if directory is None:
        print("  documents not found (../shared/api-docs or $HUAWEICLOUD_API_DOCS): fixtures only")
        return 0
    count = 0
    for path in sorted(directory.glob("*.txt")):
        if path.name not in DOCUMENTS:
            problems.append(f"{path.name}: a document this check does not list (add it to DOCUMENTS)")
            continue
        prefix = DOCUMENTS[path.name][2]
        for kind, status, example in extract(path.read_text()):
            count += 1
            name = fixture_name(prefix, kind, status)
            fixture = FIXTURES / name
            if not fixture.exists():
                problems.append(f"{path.name}: its {kind} example ({status or 'body'}) has no fixture {name}")
            elif json.loads(fixture.read_text()) != example:
                problems.append(f"{path.name}: its {kind} example differs from {name}")
    for document in DOCUMENTS:
        if not (directory / document).exists():
            problems.append(f"{document}: listed but not in {directory}")
    print(f"  {count} examples in {directory} equal their fixtures")
    return count


def spec_examples(spec_name, spec):
    """(label, schema, example) for every example of a request or response media type."""
    out = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            holders = []
            if "requestBody" in op:
                holders.append(("request", op["requestBody"]))
            holders += [(f"response {s}", r) for s, r in op.get("responses", {}).items()]
            for what, holder in holders:
                media = deref(spec, holder).get("content", {}).get("application/json")
                if not media:
                    continue
                schema = deref(spec, media["schema"])
                named = dict(media.get("examples", {}))
                if "example" in media:
                    named["example"] = {"value": media["example"]}
                for name, example in named.items():
                    example = deref(spec, example)
                    label = f"{spec_name} {op['operationId']} {what} example {name}"
                    out.append((label, schema, example["value"]))
    return out


def without_nullable(node):
    if isinstance(node, dict):
        return {k: without_nullable(v) for k, v in node.items() if k != "nullable"}
    if isinstance(node, list):
        return [without_nullable(v) for v in node]
    return node


def main():
    specs = {name: yaml.safe_load(path.read_text()) for name, path in SPECS.items()}
    problems = []

    fixtures = fixture_examples(specs)
    for label, schema, example in fixtures:
        problems += [f"{label}: {e}" for e in errors(schema, example)]
    print(f"  {len(fixtures)} document examples (tests/fixtures/api-docs) validate against the specs")

    check_documents(problems)

    embedded = [e for name, spec in specs.items() for e in spec_examples(name, spec)]
    for label, schema, example in embedded:
        problems += [f"{label}: {e}" for e in errors(schema, example)]
    print(f"  {len(embedded)} examples written in the specs validate against their schemas")

    # Canary: without `nullable`, the documents' nulls must be refused.
    stripped = {name: without_nullable(spec) for name, spec in specs.items()}
    refused = sum(1 for _, schema, example in fixture_examples(stripped) if errors(schema, example))
    with_null = sum(1 for _, _, example in fixtures if "null" in json.dumps(example))
    if refused < with_null or with_null == 0:
        problems.append(
            f"canary: without nullable only {refused} of the {with_null} examples with a null "
            "were refused; the validator is not checking"
        )
    else:
        print(f"  canary: without nullable, {refused} of {len(fixtures)} document examples are refused")

    if problems:
        print("check-doc-examples: FAILED", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        sys.exit(1)
    print("check-doc-examples: the documents' examples and the specs' examples fit the specs")


if __name__ == "__main__":
    main()
