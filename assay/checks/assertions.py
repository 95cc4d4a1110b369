"""`expect.jsonpath` and `expect.schema` / `expect.schema_file` of http checks.

Both are prepared once when the config loads (a bad path, regex or schema is a
load error, not a failed check) and evaluated against each response's JSON.

- JSONPath is RFC 9535 (python-jsonpath in strict mode). The path selects zero or
  more nodes; `exists`/`not_exists` look at whether there are any, `count` at how
  many, every other operator must hold for each selected node (and at least one
  node must be selected).
- JSON Schema: the draft named by `$schema` (2020-12 when absent), via jsonschema.
Both libraries are imported here, when a config uses them, never at start-up.
"""
import json
import math
import re

from .durations import rust_float


class AssertionSetupError(Exception):
    """A bad assertion in the config; `field` is the key it concerns (path, op, value)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


_NEEDS_VALUE = ("equals", "not_equals", "contains", "matches", "gt", "gte", "lt", "lte", "count")
_NUMERIC = ("gt", "gte", "lt", "lte")


def _environment():
    import jsonpath
    return jsonpath.JSONPathEnvironment(strict=True)


def prepare_jsonpath(item):
    """Compile `item.path` (and the regex of `matches`); raise AssertionSetupError."""
    from . import model
    if item.op not in model.JSONPATH_OPS:
        raise AssertionSetupError("op", "unknown op `%s`, expected one of %s"
                                  % (item.op, ", ".join(model.JSONPATH_OPS)))
    import jsonpath
    try:
        item.compiled = _environment().compile(item.path)
    except jsonpath.JSONPathError as e:
        raise AssertionSetupError("path", "invalid JSONPath %s: %s" % (json.dumps(item.path), _first_line(e))) \
            from None
    if item.op in _NEEDS_VALUE and not item.has_value:
        raise AssertionSetupError("op", "op `%s` needs a `value`" % item.op)
    value = item.value
    if item.op == "count" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise AssertionSetupError("value", "op `count` needs a non-negative integer value")
    if item.op in _NUMERIC and not _is_number(value):
        raise AssertionSetupError("value", "op `%s` needs a number value" % item.op)
    if item.op == "matches":
        if not isinstance(value, str):
            raise AssertionSetupError("value", "op `matches` needs a regex text value")
        from assay.builtins.regex import _compile
        compiled, error = _compile(value)
        if compiled is None:
            raise AssertionSetupError("value", "invalid regex: %s" % error)
        item.pattern = compiled   # the regex builtin's: search(bytes, pos) -> match or None


def _first_line(error):
    lines = str(error).splitlines()
    text = lines[0] if lines else type(error).__name__
    for line in lines[1:]:
        found = re.search(r"\s(\d+):(\d+)\s*$", line)
        if found:
            return "%s at column %d" % (text, int(found.group(2)) + 1)
    return text


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_jsonpath(document, item):
    """None when `item` holds for `document`, else the failure message (naming the path)."""
    nodes = [(match.obj, match.path) for match in item.compiled.finditer(document)]
    op, value, path = item.op, item.value, item.path
    if op == "exists":
        return None if nodes else "jsonpath %s: no match (expected it to exist)" % path
    if op == "not_exists":
        return None if not nodes else "jsonpath %s: matched %s (expected no match)" % (path, nodes[0][1])
    if op == "count":
        if len(nodes) == value:
            return None
        return "jsonpath %s: expected count %d, got %d" % (path, value, len(nodes))
    if not nodes:
        return "jsonpath %s: no match" % path
    for node, location in nodes:
        if not _holds(op, node, value, item.pattern):
            return "jsonpath %s: expected %s %s %s, got %s" % (
                path if len(nodes) == 1 else location, "value", op.replace("_", " "), _show(value), _show(node))
    return None


def _holds(op, node, value, pattern):
    if op == "equals":
        return _equal(node, value)
    if op == "not_equals":
        return not _equal(node, value)
    if op == "contains":
        if isinstance(node, str):
            return isinstance(value, str) and value in node
        if isinstance(node, list):
            return any(_equal(element, value) for element in node)
        if isinstance(node, dict):
            return isinstance(value, str) and value in node
        return False
    if op == "matches":
        if not isinstance(node, str):
            return False
        try:
            subject = node.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: no valid text to match
            return False
        return pattern.search(subject, 0) is not None
    if not _is_number(node) or not _is_number(value) or math.isnan(node):
        return False
    return {"gt": node > value, "gte": node >= value, "lt": node < value, "lte": node <= value}[op]


def _equal(a, b):
    """JSON equality: numbers by value (1 == 1.0), booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _show(value):
    if _is_number(value) and not isinstance(value, int):
        return rust_float(value)
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 200 else text[:197] + "..."


# ---- JSON Schema ------------------------------------------------------------

def prepare_schema(schema, schema_file):
    """A jsonschema validator for the inline schema or the file; AssertionSetupError otherwise."""
    field = "schema"
    if schema_file is not None:
        field = "schema_file"
        schema = _read_schema_file(schema_file)
    if not isinstance(schema, (dict, bool)):
        raise AssertionSetupError(field, "a JSON Schema must be a mapping (or a boolean)")
    from jsonschema import validators
    cls = validators.validator_for(schema, default=validators.Draft202012Validator) \
        if isinstance(schema, dict) else validators.Draft202012Validator
    from jsonschema.exceptions import best_match
    problem = best_match(cls(cls.META_SCHEMA).iter_errors(schema))
    if problem is not None:
        raise AssertionSetupError(field, "invalid JSON Schema at %s: %s" % (problem.json_path, problem.message))
    return cls(schema)


def _read_schema_file(path):
    from assay.runtime.text import os_error_text
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        raise AssertionSetupError("schema_file", "reading schema %s: %s" % (path, os_error_text(e))) from None
    except UnicodeDecodeError:
        raise AssertionSetupError("schema_file", "reading schema %s: not valid UTF-8" % path) from None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        from ruamel.yaml import YAML
        return YAML(typ="safe", pure=True).load(text)
    except Exception as e:
        detail = " ".join(str(e).split())
        raise AssertionSetupError("schema_file", "schema %s is neither JSON nor YAML: %s" % (path, detail)) \
            from None


def _pointer(parts):
    return "#/" + "/".join(str(p) for p in parts) if parts else "#"


def check_schema(document, validator):
    """None when `document` is valid, else a message naming the instance path and schema location."""
    from jsonschema.exceptions import best_match
    error = best_match(validator.iter_errors(document))
    if error is None:
        return None
    message = error.message
    if len(message) > 300:
        message = message[:297] + "..."
    return "schema: %s at %s (schema location %s)" % (message, error.json_path, _pointer(error.schema_path))
