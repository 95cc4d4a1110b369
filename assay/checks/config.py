"""Load and validate a checks config (checks.md §2–§4).

The YAML is composed into nodes (ruamel.yaml, YAML 1.2 core schema) and read
field by field, the way serde reads it into typed structs in the original:

- "string" fields take any scalar's text as written (`name: 123` → "123");
- integer, float and boolean fields take only scalars of that type;
- unknown keys are ignored; a missing required key is an error;
- every error names the field path (`checks[0].expect.status`) and the position.

Errors are raised as ConfigError with the cause chain after
`error: loading config from PATH: `.
"""
from dataclasses import dataclass, field

from .durations import DurationError, parse_duration

CHECK_TYPES = ("http", "prometheus", "script")

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"

U16_MAX = (1 << 16) - 1
U32_MAX = (1 << 32) - 1


class ConfigError(Exception):
    """A load error; str() is the cause chain (`parsing timeout: ...`)."""


@dataclass
class Expect:
    status: int = None
    body: str = None
    json: str = None
    min: float = None
    max: float = None


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


@dataclass
class Config:
    timeout_ms: int = 120_000
    retries: int = 3
    backoff_ms: int = 5_000
    parallel: bool = False
    checks: list = field(default_factory=list)


def load_config(path):
    """Read, parse and validate `path`; raise ConfigError with the cause chain."""
    from assay.runtime.text import os_error_text
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigError("reading config %s: %s" % (path, os_error_text(e))) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("reading config %s: stream did not contain valid UTF-8" % path) from None
    try:
        config = _Reader().config(_compose(text))
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
            fields[key] = value_node
        return fields

    def required(self, fields, key, path, node):
        if key not in fields:
            self.fail(path, node, "missing field `%s`" % key)
        return fields[key]

    def string(self, node, path, optional=False):
        kind = type(node).__name__
        if kind != "ScalarNode":
            self.fail(path, node, "invalid type: %s, expected a string" % _describe(node))
        if optional and _tag(node) == _NULL:
            return None
        return node.value

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

    def is_null(self, node):
        return type(node).__name__ == "ScalarNode" and _tag(node) == _NULL

    # ---- the schema --------------------------------------------------------
    def config(self, root):
        if root is None:
            raise _YamlProblem("missing field `checks`")
        top = self.mapping(root, "", "struct Config")
        config = Config()
        # durations stay text until the YAML is fully read (validation order, §4)
        config.timeout_ms = self.string(top["timeout"], "timeout") if "timeout" in top else "120s"
        config.backoff_ms = self.string(top["backoff"], "backoff") if "backoff" in top else "5s"
        if "retries" in top:
            config.retries = self.integer(top["retries"], "retries", U32_MAX, "u32")
        if "parallel" in top:
            config.parallel = self.boolean(top["parallel"], "parallel")
        checks = self.required(top, "checks", "", root)
        if type(checks).__name__ != "SequenceNode":
            self.fail("checks", checks, "invalid type: %s, expected a sequence" % _describe(checks))
        config.checks = [self.check(node, "checks[%d]" % i) for i, node in enumerate(checks.value)]
        return config

    def check(self, node, path):
        fields = self.mapping(node, path, "struct CheckConfig")
        name = self.string(self.required(fields, "name", path, node), path + ".name")
        check = Check(name=name, type=self.string(self.required(fields, "type", path, node),
                                                  path + ".type"))
        for key in ("url", "query", "file"):
            if key in fields:
                setattr(check, key, self.string(fields[key], "%s.%s" % (path, key), optional=True))
        if "follow_redirects" in fields:
            check.follow_redirects = self.boolean(fields["follow_redirects"], path + ".follow_redirects")
        if "expect" in fields and not self.is_null(fields["expect"]):
            check.expect = self.expect(fields["expect"], path + ".expect")
        if "env" in fields and not self.is_null(fields["env"]):
            env_fields = self.mapping(fields["env"], path + ".env", "a map")
            check.env = {key: self.string(value, "%s.env.%s" % (path, key))
                         for key, value in env_fields.items()}
        return check

    def expect(self, node, path):
        fields = self.mapping(node, path, "struct Expect")
        expect = Expect()
        if "status" in fields and not self.is_null(fields["status"]):
            expect.status = self.integer(fields["status"], path + ".status", U16_MAX, "u16")
        for key in ("body", "json"):
            if key in fields:
                setattr(expect, key, self.string(fields[key], "%s.%s" % (path, key), optional=True))
        for key in ("min", "max"):
            if key in fields and not self.is_null(fields[key]):
                setattr(expect, key, self.number(fields[key], "%s.%s" % (path, key)))
        return expect


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
