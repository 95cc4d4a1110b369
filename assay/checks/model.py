"""The checks config as data: every key, its type, default and meaning, in one table.

config.py reads a YAML file with these tables and `assay schema checks` turns the
same tables into a JSON Schema, so the loader and the published schema cannot
drift apart. Field kinds:

    string    any YAML scalar, taken as its text (`name: 123` is "123")
    duration  a string such as `500ms`, `30s`, `5m`
    u16/u32   a non-negative YAML integer
    number    a YAML integer or float
    bool      a YAML boolean
    strmap    a mapping of text to text (`env`, `headers`)
    strlist   a list of texts (`secrets`)
    value     any YAML value, used as JSON (`json` body, jsonpath `value`, inline `schema`)
    struct    a nested mapping described by its own table
    list      a list of mappings described by one table
"""

CHECK_TYPES = ("http", "prometheus", "script", "k8s", "argocd", "tcp")
K8S_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
JSONPATH_OPS = ("equals", "not_equals", "contains", "matches", "exists", "not_exists",
                "gt", "gte", "lt", "lte", "count")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Field:
    def __init__(self, key, kind, doc, default=None, required=False, of=None, choices=None, example=None):
        self.key = key
        self.kind = kind
        self.doc = doc
        self.default = default        # as written in YAML (shown in the schema)
        self.required = required
        self.of = of                  # the Struct of a struct/list field
        self.choices = choices
        self.example = example


class Struct:
    def __init__(self, title, serde_name, fields):
        self.title = title
        self.serde_name = serde_name  # the original's type name, used in "expected struct X"
        self.fields = {f.key: f for f in fields}


JSONPATH = Struct("JSONPath assertion", "struct JsonPathAssertion", [
    Field("path", "string", "RFC 9535 JSONPath selecting the nodes to test, e.g. `$.items[*].status`",
          required=True),
    Field("op", "string", "comparison applied to every selected node", default="equals", choices=JSONPATH_OPS),
    Field("value", "value", "the operand: a YAML value (a regex for `matches`, an integer for `count`)"),
])

EXPECT = Struct("Expectations", "struct Expect", [
    Field("status", "u16", "http: exact status code required"),
    Field("body", "string", "http: substring the response body must contain"),
    Field("json", "string", "http: `.path == value` assertion on the JSON body"),
    Field("min", "number", "prometheus: fail when the value is below"),
    Field("max", "number", "prometheus: fail when the value is above"),
    Field("headers", "strmap", "http: response headers (case-insensitive names) whose value must contain the text"),
    Field("max_duration", "duration", "http: fail when the response took longer"),
    Field("jsonpath", "list", "http: JSONPath assertions on the JSON body", of=JSONPATH),
    Field("schema", "value", "http: inline JSON Schema the JSON body must match"),
    Field("schema_file", "string", "http: JSON Schema file (JSON or YAML; relative to the working directory)"),
])

CHECK = Struct("Check", "struct CheckConfig", [
    Field("name", "string", "label in logs and reports", required=True),
    Field("type", "string", "check type", required=True, choices=CHECK_TYPES),
    Field("url", "string", "http: target URL; prometheus: base URL; argocd: server URL"),
    Field("expect", "struct", "what a passing response looks like", of=EXPECT),
    Field("follow_redirects", "bool", "http: follow up to 10 redirects", default=True),
    Field("query", "string", "prometheus: PromQL instant query"),
    Field("file", "string", "script: Lua file, relative to the working directory"),
    Field("env", "strmap", "script: values returned by env.get in that script only"),
    Field("method", "string", "http: request method", default="GET", choices=HTTP_METHODS),
    Field("headers", "strmap", "http: request headers"),
    Field("body", "string", "http: request body (text)"),
    Field("json", "value", "http: request body as JSON (sets Content-Type: application/json)"),
    Field("timeout", "duration", "http, tcp: limit per request", default="30s"),
    Field("insecure", "bool", "http: do not verify the server's TLS certificate", default=False),
    Field("ca_cert", "string", "http: PEM file of the CA that signed the server certificate"),
    Field("client_cert", "string", "http: PEM client certificate for mTLS (with client_key)"),
    Field("client_key", "string", "http: PEM private key of client_cert"),
    Field("retries", "u32", "extra attempts for this check (overrides the top-level value)"),
    Field("backoff", "duration", "growing wait for this check: backoff × attempt number"),
    Field("interval", "duration", "fixed wait between attempts of this check"),
    Field("stable_for", "duration", "pass only after passing continuously for this long"),
    Field("consecutive", "u32", "pass only after this many passing attempts in a row"),
    Field("kind", "string", "k8s: workload kind", choices=K8S_KINDS),
    Field("namespace", "string", "k8s: namespace (default: the service account's, else `default`)"),
    Field("workload", "string", "k8s: name of the object (default: the check's `name`)"),
    Field("kubeconfig", "string", "k8s: kubeconfig file (default: $KUBECONFIG, else the in-cluster service account)"),
    Field("app", "string", "argocd: application name"),
    Field("token", "string", "argocd: API token (use ${VAR} and list VAR in secrets)"),
    Field("revision", "string", "argocd: the synced revision required"),
    Field("host", "string", "tcp: host name or address"),
    Field("port", "u16", "tcp: port"),
])

CONFIG = Struct("assay checks config", "struct Config", [
    Field("timeout", "duration", "limit for the whole run, retries and waits included", default="120s"),
    Field("retries", "u32", "extra attempts after a failed one", default=3),
    Field("backoff", "duration", "after failed attempt n wait backoff × n", default="5s"),
    Field("interval", "duration", "fixed wait between attempts instead of the growing backoff"),
    Field("parallel", "bool", "run the checks concurrently", default=False),
    Field("secrets", "strlist", "environment variables whose values are shown as [redacted] in every output"),
    Field("checks", "list", "the checks, run in this order", required=True, of=CHECK),
])


# ---- JSON Schema ------------------------------------------------------------

SCHEMA_ID = "https://assay.dev/schemas/checks.json"
_DURATION_PATTERN = r"^\s*[0-9]+(ms|s|m)\s*$"


def json_schema():
    """The JSON Schema (draft 2020-12) of a checks config file."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID}
    schema.update(_struct_schema(CONFIG))
    return schema


def _struct_schema(struct):
    out = {"title": struct.title, "type": "object",
           "properties": {f.key: _field_schema(f) for f in struct.fields.values()},
           "additionalProperties": False}
    required = [f.key for f in struct.fields.values() if f.required]
    if required:
        out["required"] = required
    return out


def _field_schema(field):
    kind = field.kind
    if kind == "string":
        out = {"type": ["string", "number", "boolean"]}
        if field.choices:
            out = {"enum": list(field.choices)}
    elif kind == "duration":
        out = {"type": "string", "pattern": _DURATION_PATTERN}
    elif kind in ("u16", "u32"):
        out = {"type": "integer", "minimum": 0, "maximum": (1 << 16) - 1 if kind == "u16" else (1 << 32) - 1}
    elif kind == "number":
        out = {"type": "number"}
    elif kind == "bool":
        out = {"type": "boolean"}
    elif kind == "strmap":
        out = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
    elif kind == "strlist":
        out = {"type": "array", "items": {"type": "string"}}
    elif kind == "struct":
        out = _struct_schema(field.of)
    elif kind == "list":
        out = {"type": "array", "items": _struct_schema(field.of)}
    else:  # value: anything
        out = {}
    out["description"] = field.doc
    if field.default is not None:
        out["default"] = field.default
    return out
