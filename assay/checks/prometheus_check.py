"""`type: prometheus` checks: one instant query, first series' value."""
import json

from . import client
from .durations import rust_float
from .outcome import Outcome, config_failure


def run(check):
    if check.url is None:
        return config_failure("prometheus check requires a 'url' field")
    if check.query is None:
        return config_failure("prometheus check requires a 'query' field")
    endpoint = check.url.rstrip("/") + "/api/v1/query"
    try:
        response = client.get(endpoint, params={"query": check.query})
    except client.TransportError as e:
        return Outcome(False, "Prometheus query to %s: %s" % (endpoint, e))
    except client.BodyError as e:
        return Outcome(False, "Prometheus query to %s: %s" % (endpoint, e))
    try:
        document = json.loads(response.text, parse_constant=_reject)
    except json.JSONDecodeError as e:
        return Outcome(False, "Prometheus response is not valid JSON: %s at line %d column %d"
                       % (e.msg, e.lineno, e.colno))
    except (ValueError, RecursionError) as e:
        return Outcome(False, "Prometheus response is not valid JSON: %s" % e)
    value = _value(document)
    if isinstance(value, Outcome):
        return value
    expect = check.expect
    if expect is None:
        return Outcome(True, "query returned: %s" % rust_float(value))
    if expect.min is not None and value < expect.min:
        return Outcome(False, "expected min %s, got %s" % (rust_float(expect.min), rust_float(value)))
    if expect.max is not None and value > expect.max:
        return Outcome(False, "expected max %s, got %s" % (rust_float(expect.max), rust_float(value)))
    return Outcome(True)


def _reject(name):
    raise ValueError("invalid number `%s`" % name)


def _value(document):
    """The float value of the first series, or a failing Outcome."""
    if not isinstance(document, dict) or document.get("status") != "success":
        error = document.get("error") if isinstance(document, dict) else None
        return Outcome(False, "Prometheus query failed: %s" % (error if isinstance(error, str) else "unknown error"))
    data = document.get("data")
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, list):
        return Outcome(False, "unexpected Prometheus response format: missing data.result")
    if not result:
        return Outcome(False, "Prometheus query returned no results")
    first = result[0]
    sample = first.get("value") if isinstance(first, dict) else None
    text = sample[1] if isinstance(sample, list) and len(sample) > 1 else None
    if not isinstance(text, str):
        return Outcome(False, "unexpected Prometheus result format: missing value")
    value = parse_float(text)
    if value is None:
        return Outcome(False, 'failed to parse Prometheus value: "%s"' % text)
    return value


def parse_float(text):
    """Rust's `f64::from_str`: decimal/exponent forms, inf/infinity/nan in any case; no
    whitespace or underscores (which Python's float() would accept)."""
    if not text or text != text.strip() or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None
