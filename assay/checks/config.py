"""Load and validate a checks config.

The YAML is composed into nodes (ruamel.yaml, YAML 1.2 core schema) and read
field by field following the tables in model.py, the way serde reads it into
typed structs in the original:

- "string" fields take any scalar's text as written (`name: 123` → "123"), with
  `${NAME}` replaced from the environment (`$${` is a literal `${`);
- integer, float and boolean fields take only scalars of that type;
- an unknown key is a warning (its path and line, with a suggestion), or an
  error under `--strict`; a missing required key is an error;
- every error names the field path (`checks[0].expect.status`) and the position.

Errors are raised as ConfigError with the cause chain after
`error: loading config from PATH: `.
"""
import difflib
import os
import re
from dataclasses import dataclass, field

from . import model
from .durations import DurationError, parse_duration

CHECK_TYPES = model.CHECK_TYPES

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"

U16_MAX = (1 << 16) - 1
U32_MAX = (1 << 32) - 1

# Keys the original reads without accepting null (serde fields that are not Option).
_NOT_NULLABLE = {"timeout", "backoff", "retries", "parallel", "follow_redirects", "name", "type"}
_VARIABLE = re.compile(r"\$(\$?)\{([^}]*)\}")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
    """A load error; str() is the cause chain (`parsing timeout: ...`)."""


@dataclass
class JsonPathAssertion:
    path: str
    op: str = "equals"
    value: object = None
    has_value: bool = False
    compiled: object = None      # the library's compiled path
    pattern: object = None       # the compiled regex of `matches`


@dataclass
class Expect:
    status: int = None
    body: str = None
    json: str = None
    min: float = None
    max: float = None
    headers: dict = None
    max_duration: int = None     # ms
    jsonpath: list = None        # JsonPathAssertion
    schema: object = None
    schema_file: str = None
    validator: object = None     # the compiled JSON Schema validator (schema or schema_file)


@dataclass
class Check:
    name: str
    type: str
    url: str = None
    expect: Expect = None
    follow_redirects: bool = True
    query: str = None
    file: str = None
    env: dict = field(default_factory=dict)
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: str = None
    json: object = None
    has_json: bool = False
    timeout: int = None          # ms, per request
    insecure: bool = False
    ca_cert: str = None
    client_cert: str = None
    client_key: str = None
    retries: int = None
    backoff: int = None          # ms
    interval: int = None         # ms
    stable_for: int = None       # ms
    consecutive: int = None
    kind: str = None
    namespace: str = None
    workload: str = None
    kubeconfig: str = None
    app: str = None
    token: str = None
    revision: str = None
    host: str = None
    port: int = None


@dataclass
class Config:
    timeout_ms: int = 120_000
    retries: int = 3
    backoff_ms: int = 5_000
    interval_ms: int = None
    parallel: bool = False
    secrets: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    warnings: list = field(default_factory=list)   # (key path, line, hint) of unknown keys


def load_config(path, strict=False, environ=None):
    """Read, parse and validate `path`; raise ConfigError with the cause chain."""
    from assay.runtime.text import read_utf8_file
    try:
        _, text = read_utf8_file(path)
    except ValueError as e:
        raise ConfigError("reading config %s: %s" % (path, e)) from None
    reader = _Reader(os.environ if environ is None else environ, strict)
    try:
        config = reader.config(_compose(text))
    except _YamlProblem as e:
        raise ConfigError("parsing YAML config: %s" % e) from None
    try:
        config.timeout_ms = parse_duration(config.timeout_ms)
    except DurationError as e:
        raise ConfigError("parsing timeout: %s" % e) from None
    try:
        config.backoff_ms = parse_duration(config.backoff_ms)
    except DurationError as e:
        raise ConfigError("parsing backoff: %s" % e) from None
    for check in config.checks:
        if check.type not in CHECK_TYPES:
            raise ConfigError('unknown check type: "%s"' % check.type)
    try:
        for index, check in enumerate(config.checks):
            reader.validate(check, "checks[%d]" % index)
    except _YamlProblem as e:
        raise ConfigError("parsing YAML config: %s" % e) from None
    config.warnings = sorted(reader.warnings, key=lambda warning: warning[1])
    return config


# ---- YAML → nodes ---------------------------------------------------------

class _YamlProblem(Exception):
    pass


def _position(mark):
    return "line %d column %d" % (mark.line + 1, mark.column + 1)


def _compose(text):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    try:
        return YAML(typ="rt", pure=True).compose(text)
    except MarkedYAMLError as e:
        if e.problem and "expected a single document" in (e.context or ""):
            raise _YamlProblem("deserializing from YAML containing more than one document is not supported") from None
        parts = []
        if e.problem:
            parts.append(e.problem + (" at " + _position(e.problem_mark) if e.problem_mark else ""))
        if e.context:
            parts.append(e.context + (" at " + _position(e.context_mark) if e.context_mark else ""))
        raise _YamlProblem(", ".join(parts) or str(e).splitlines()[0]) from None
    except YAMLError as e:
        raise _YamlProblem(" ".join(str(e).split())) from None


def _tag(node):
    tag = node.tag
    return str(getattr(tag, "value", tag))


def _describe(node):
    """serde's wording for what was found (`string "3"`, `floating point `1.5``)."""
    kind = type(node).__name__
    if kind == "MappingNode":
        return "map"
    if kind == "SequenceNode":
        return "sequence"
    tag, value = _tag(node), node.value
    if tag == _NULL:
        return "unit value"
    if tag == _BOOL:
        return "boolean `%s`" % value.lower()
    if tag == _INT:
        return "integer `%s`" % value
    if tag == _FLOAT:
        return "floating point `%s`" % value
    return 'string "%s"' % value


class _Reader:
    """Typed reads of nodes; every error carries the field path and position."""

    def __init__(self, environ, strict):
        self.environ = environ
        self.strict = strict
        self.warnings = []
        self.nodes = {}      # field path -> node, for errors found after reading

    def fail(self, path, node, message):
        where = " at " + _position(node.start_mark) if node is not None and node.start_mark else ""
        prefix = path + ": " if path else ""
        raise _YamlProblem(prefix + message + where)

    def mapping(self, node, path, what):
        if type(node).__name__ != "MappingNode":
            self.fail(path, node, "invalid type: %s, expected %s" % (_describe(node), what))
        fields = {}
        for key_node, value_node in node.value:
            if type(key_node).__name__ != "ScalarNode":
                continue  # a complex key can never name a field: ignored like any unknown key
            key = key_node.value
            if key in fields:
                self.fail(path, key_node, "duplicate field `%s`" % key)
            fields[key] = (key_node, value_node)
        return fields

    def required(self, fields, key, path, node):
        if key not in fields:
            self.fail(path, node, "missing field `%s`" % key)
        return fields[key][1]

    def substitute(self, text, path, node):
        """`${NAME}` → the environment's value; `$${` → a literal `${`."""
        if "${" not in text:
            return text

        def replace(match):
            if match.group(1):
                return "${" + match.group(2) + "}"
            name = match.group(2)
            if not _VARIABLE_NAME.match(name):
                self.fail(path, node, "invalid variable name `${%s}`" % name)
            value = self.environ.get(name)
            if value is None:
                self.fail(path, node, "environment variable `%s` is not set (used as ${%s})" % (name, name))
            return value
        return _VARIABLE.sub(replace, text)

    def string(self, node, path, optional=False):
        kind = type(node).__name__
        if kind != "ScalarNode":
            self.fail(path, node, "invalid type: %s, expected a string" % _describe(node))
        if optional and _tag(node) == _NULL:
            return None
        return self.substitute(node.value, path, node)

    def integer(self, node, path, maximum, type_name):
        tag = _tag(node) if type(node).__name__ == "ScalarNode" else None
        if tag != _INT:
            self.fail(path, node, "invalid type: %s, expected %s" % (_describe(node), type_name))
        value = _int_value(node.value)
        if value is None or value < 0 or value > maximum:
            self.fail(path, node, "invalid value: integer `%s`, expected %s" % (node.value, type_name))
        return value

    def number(self, node, path):
        tag = _tag(node) if type(node).__name__ == "ScalarNode" else None
        if tag == _INT:
            value = _int_value(node.value)
            if value is not None:
                return float(value)
        if tag == _FLOAT:
            value = _float_value(node.value)
            if value is not None:
                return value
        self.fail(path, node, "invalid type: %s, expected f64" % _describe(node))

    def boolean(self, node, path):
        tag = _tag(node) if type(node).__name__ == "ScalarNode" else None
        if tag != _BOOL:
            self.fail(path, node, "invalid type: %s, expected a boolean" % _describe(node))
        return node.value.lower() == "true"

    def duration(self, node, path):
        text = self.string(node, path)
        try:
            return parse_duration(text)
        except DurationError as e:
            self.fail(path, node, str(e))

    def value(self, node, path):
        """Any YAML value as plain data (JSON-compatible); strings get `${NAME}` replaced."""
        kind = type(node).__name__
        if kind == "MappingNode":
            return {key: self.value(value, "%s.%s" % (path, key))
                    for key, (_, value) in self.mapping(node, path, "a map").items()}
        if kind == "SequenceNode":
            return [self.value(item, "%s[%d]" % (path, i)) for i, item in enumerate(node.value)]
        tag = _tag(node)
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return node.value.lower() == "true"
        if tag == _INT and _int_value(node.value) is not None:
            return _int_value(node.value)
        if tag == _FLOAT and _float_value(node.value) is not None:
            return _float_value(node.value)
        return self.substitute(node.value, path, node)

    def is_null(self, node):
        return type(node).__name__ == "ScalarNode" and _tag(node) == _NULL

    # ---- the tables of model.py -----------------------------------------------
    def struct(self, node, path, struct):
        """{key: value} of the present fields of a mapping read by `struct`'s table."""
        fields = self.mapping(node, path, struct.serde_name)
        for key, (key_node, _) in fields.items():
            if key not in struct.fields:
                self.unknown(path, key, key_node, struct)
        out = {}
        for f in struct.fields.values():
            if f.required:
                self.required(fields, f.key, path, node)
            if f.key not in fields:
                continue
            value_node = fields[f.key][1]
            where = "%s.%s" % (path, f.key) if path else f.key
            self.nodes[where] = value_node
            if self.is_null(value_node) and f.key not in _NOT_NULLABLE:
                continue
            out[f.key] = self.read(f, value_node, where)
        return out

    def read(self, f, node, path):
        kind = f.kind
        if kind == "raw":  # read later, in its own validation step
            return None
        if kind == "string":
            return self.string(node, path, optional=f.key not in _NOT_NULLABLE)
        if kind == "duration":
            return self.duration(node, path)
        if kind == "u16":
            return self.integer(node, path, U16_MAX, "u16")
        if kind == "u32":
            return self.integer(node, path, U32_MAX, "u32")
        if kind == "number":
            return self.number(node, path)
        if kind == "bool":
            return self.boolean(node, path)
        if kind == "strmap":
            return {key: self.string(value, "%s.%s" % (path, key))
                    for key, (_, value) in self.mapping(node, path, "a map").items()}
        if kind == "strlist":
            if type(node).__name__ != "SequenceNode":
                self.fail(path, node, "invalid type: %s, expected a sequence" % _describe(node))
            return [self.string(item, "%s[%d]" % (path, i)) for i, item in enumerate(node.value)]
        if kind == "struct":
            return self.struct(node, path, f.of)
        if kind == "list":
            if type(node).__name__ != "SequenceNode":
                self.fail(path, node, "invalid type: %s, expected a sequence" % _describe(node))
            return [self.struct(item, "%s[%d]" % (path, i), f.of) for i, item in enumerate(node.value)]
        return self.value(node, path)

    def unknown(self, path, key, key_node, struct):
        where = "%s.%s" % (path, key) if path else key
        close = difflib.get_close_matches(key, list(struct.fields), n=1, cutoff=0.7)
        hint = "did you mean `%s`?" % close[0] if close else ""
        if self.strict:
            self.fail(path, key_node, "unknown field `%s`%s" % (key, ", " + hint if hint else ""))
        self.warnings.append((where, key_node.start_mark.line + 1, hint))

    def config(self, root):
        if root is None:
            raise _YamlProblem("missing field `checks`")
        # the original's check of `checks` comes before the type of each field
        top = self.mapping(root, "", "struct Config")
        self.required(top, "checks", "", root)
        values = self.struct(root, "", _TOP_WITHOUT_DURATIONS)
        config = Config()
        # the global durations stay text until the YAML is fully read (the original validates keys before durations)
        config.timeout_ms = self.string(top["timeout"][1], "timeout") if "timeout" in top else "120s"
        config.backoff_ms = self.string(top["backoff"][1], "backoff") if "backoff" in top else "5s"
        config.retries = values.get("retries", 3)
        config.parallel = values.get("parallel", False)
        config.interval_ms = values.get("interval")
        config.secrets = values.get("secrets", [])
        config.checks = [self.check(fields, node, "checks[%d]" % i)
                         for i, (fields, node) in enumerate(zip(values["checks"], top["checks"][1].value))]
        return config

    def check(self, values, node, path):
        values = dict(values)
        expect = values.pop("expect", None)
        if "json" in values:
            values["has_json"] = True
        check = Check(**{k: v for k, v in values.items() if k not in ("env", "headers")})
        check.env = values.get("env", {})
        check.headers = values.get("headers", {})
        check.method = check.method.upper()
        if expect is not None:
            paths = expect.pop("jsonpath", None)
            check.expect = Expect(**expect)
            if paths is not None:
                check.expect.jsonpath = [JsonPathAssertion(has_value="value" in p, **p) for p in paths]
        return check

    # ---- checks that need the whole check (after durations and types) -----------
    def validate(self, check, path):
        def at(key):
            return self.nodes.get("%s.%s" % (path, key))

        def need(*keys):
            for key in keys:
                if getattr(check, key) is None:
                    self.fail(path, self.nodes.get(path + ".type"),
                              "a %s check requires `%s`" % (check.type, key))

        if check.type == "k8s":
            need("kind")
            kind = {k.lower(): k for k in model.K8S_KINDS}.get(check.kind.lower())
            if kind is None:
                self.fail(path + ".kind", at("kind"), "unknown kind `%s`, expected one of %s"
                          % (check.kind, ", ".join(model.K8S_KINDS)))
            check.kind = kind
        elif check.type == "argocd":
            need("url", "app")
        elif check.type == "tcp":
            need("host", "port")
        if check.method not in model.HTTP_METHODS:
            self.fail(path + ".method", at("method"), "unknown method `%s`, expected one of %s"
                      % (check.method, ", ".join(model.HTTP_METHODS)))
        if check.body is not None and check.has_json:
            self.fail(path + ".json", at("json"), "`body` and `json` cannot both be set")
        if (check.client_cert is None) != (check.client_key is None):
            missing = "client_key" if check.client_key is None else "client_cert"
            self.fail(path, at("client_cert") or at("client_key"), "mTLS needs both `client_cert` and `client_key` "
                      "(`%s` is missing)" % missing)
        for key in ("ca_cert", "client_cert", "client_key"):
            name = getattr(check, key)
            if name is not None and not os.access(name, os.R_OK):
                from assay.runtime.text import os_error_text
                try:
                    open(name, "rb").close()
                except OSError as e:
                    self.fail(path + "." + key, at(key), "reading %s: %s" % (name, os_error_text(e)))
        if check.expect is not None:
            self.validate_expect(check.expect, path + ".expect")

    def validate_expect(self, expect, path):
        from . import assertions
        for i, item in enumerate(expect.jsonpath or []):
            where = "%s.jsonpath[%d]" % (path, i)
            try:
                assertions.prepare_jsonpath(item)
            except assertions.AssertionSetupError as e:
                self.fail(where + "." + e.field, self.nodes.get(where + "." + e.field) or self.nodes.get(where),
                          str(e))
        if expect.schema is not None and expect.schema_file is not None:
            self.fail(path + ".schema_file", self.nodes.get(path + ".schema_file"),
                      "`schema` and `schema_file` cannot both be set")
        if expect.schema is not None or expect.schema_file is not None:
            key = "schema" if expect.schema is not None else "schema_file"
            try:
                expect.validator = assertions.prepare_schema(expect.schema, expect.schema_file)
            except assertions.AssertionSetupError as e:
                self.fail(path + "." + key, self.nodes.get(path + "." + key), str(e))


_TOP_WITHOUT_DURATIONS = model.Struct(model.CONFIG.title, model.CONFIG.serde_name, [
    f if f.key not in ("timeout", "backoff") else model.Field(f.key, "raw", f.doc)
    for f in model.CONFIG.fields.values()])


def _int_value(text):
    """A YAML 1.2 core-schema integer (`12`, `-3`, `0x1F`, `0o17`, ruamel's `1_000`)."""
    t = text.replace("_", "")
    sign = 1
    if t[:1] in "+-" and t[:1]:
        sign, t = (-1 if t[0] == "-" else 1), t[1:]
    try:
        if t[:2] in ("0x", "0X"):
            return sign * int(t[2:], 16)
        if t[:2] in ("0o", "0O"):
            return sign * int(t[2:], 8)
        if t[:2] in ("0b", "0B"):
            return sign * int(t[2:], 2)
        return sign * int(t, 10)
    except ValueError:
        return None


def _float_value(text):
    t = text.replace("_", "").lower()
    special = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}
    if t in special:
        return special[t]
    try:
        return float(t)
    except ValueError:
        return None
