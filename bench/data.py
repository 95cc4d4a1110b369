"""Data throughput: assay's json/yaml builtins against Python's own libraries, one process.

    python bench/data.py [--mb 5] [--runs 3] [--big-mb 15]

Builds one deterministic JSON document of about --mb megabytes (a list of Kubernetes-like
objects: nested mappings, arrays, strings with escapes and non-ASCII, integers, floats,
booleans, nulls, empty arrays/objects), then measures in this one process, best of --runs
(each run times ours, then Python's, so both see the same load):

- `json.parse` / `json.encode` in a Lua script vs `json.loads` / `json.dumps` (compact,
  sorted keys, non-ASCII raw: the same text assay writes);
- `yaml.parse` / `yaml.encode` vs PyYAML's C loader/dumper (CSafeLoader / CSafeDumper)
  on the same data written as YAML;

and prints each as a ratio. Memory: the Lua heap a parsed document occupies plus the peak
of Python allocations during the call (tracemalloc, a separate untimed pass), against
the Python size of the document (json.loads's result, counted with sys.getsizeof).
Finally a --big-mb JSON round trip (parse + encode) must finish: its time is printed.
Targets of the lean-binary issue (reported, not enforced): every ratio <= 2.0, memory <= 2.0.
"""
import argparse
import json
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET = 2.0


def make_document(megabytes):
    """A list of pod-like objects, about `megabytes` of compact JSON."""
    items = []
    size = 0
    i = 0
    while size < megabytes * 1_000_000:
        item = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web-%05d" % i,
                "namespace": "team-%d" % (i % 7),
                "uid": "%08x-1f2e-4d3c-8b7a-%012x" % (i * 2654435761 % (1 << 32), i),
                "labels": {"app": "web", "tier": "frontend" if i % 2 else "backend",
                           "release": "v1.%d.%d" % (i % 13, i % 5)},
                "annotations": {"note": "caf\u00e9 \u2713 \"quoted\" \\ tab\there", "empty": ""},
                "creationTimestamp": "2026-01-%02dT10:%02d:00Z" % (i % 28 + 1, i % 60),
                "finalizers": [],
            },
            "spec": {
                "containers": [{
                    "name": "app",
                    "image": "registry.example.com/web:%d.%d" % (i % 3, i % 11),
                    "args": ["--port", "8080", "--verbose"],
                    "ports": [{"containerPort": 8080, "protocol": "TCP"},
                              {"containerPort": 9090 + i % 10, "protocol": "UDP"}],
                    "resources": {"limits": {"cpu": 0.5 + (i % 4) / 4, "memory": "128Mi"},
                                  "requests": {"cpu": 0.25, "memory": "64Mi"}},
                    "env": [{"name": "MODE", "value": "prod"}, {"name": "N", "value": str(i)}],
                }],
                "nodeSelector": {},
                "replicas": i % 5,
                "hostNetwork": bool(i % 3 == 0),
                "priority": None,
            },
            "status": {
                "phase": "Running" if i % 9 else "Pending",
                "restartCount": i % 4,
                "score": i / 7,
                "conditions": [{"type": "Ready", "status": "True", "ratio": 1e-7 * i,
                                "big": 12345678901234 + i}],
            },
        }
        size += len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode()) + 1
        items.append(item)
        i += 1
    return {"apiVersion": "v1", "kind": "PodList", "items": items}


def deep_size(value):
    seen = 0
    stack = [value]
    while stack:
        v = stack.pop()
        seen += sys.getsizeof(v)
        if isinstance(v, dict):
            for k, x in v.items():
                seen += sys.getsizeof(k)
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)
    return seen


def best_pair(ours, theirs, runs, setup=None):
    """Best times of `ours` and `theirs`, run alternately so both see the same load
    (the machine may be busy with other work)."""
    a, b = [], []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        ours()
        a.append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs()
        b.append(time.perf_counter() - start)
    return min(a), min(b)


def runtime():
    from assay.builtins import new_runtime
    return new_runtime()


def lua_timer(rt, code):
    """A callable running Lua `code` (globals TEXT / DOC / OUT shared between calls)."""
    fn = rt.compile(code, "=bench")
    return lambda: rt.scheduler.run_main(fn)


def python_peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(label, rt, data, text, py_parse, py_encode, runs):
    rows = []
    g = rt.lua.globals()
    g[b"TEXT"] = text.encode("utf-8")
    parse = lua_timer(rt, "DOC = %s.parse(TEXT)" % label)
    encode = lua_timer(rt, "OUT = %s.encode(DOC)" % label)
    drop = lua_timer(rt, "DOC = nil OUT = nil collectgarbage() collectgarbage()")
    parse_s, py_parse_s = best_pair(parse, lambda: py_parse(text), runs, drop)
    rows.append(("%s.parse" % label, parse_s, py_parse_s))
    encode_s, py_encode_s = best_pair(encode, lambda: py_encode(data), runs,
                                      lua_timer(rt, "OUT = nil collectgarbage()"))
    rows.append(("%s.encode" % label, encode_s, py_encode_s))

    drop()
    before = rt.lua.get_memory_used()
    peak = python_peak(parse)
    lua_doc = rt.lua.get_memory_used() - before
    peak_encode = python_peak(encode)
    rt.close()
    return rows, (lua_doc, peak, peak_encode)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big-mb", type=float, default=15)
    opts = ap.parse_args()

    import yaml as pyyaml

    data = make_document(opts.mb)
    json_text = json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    yaml_text = pyyaml.dump(data, Dumper=pyyaml.CSafeDumper, sort_keys=True, allow_unicode=True)
    py_size = deep_size(data)
    print("document: %.1f MB JSON, %.1f MB YAML, %.1f MB as Python objects" % (
        len(json_text.encode()) / 1e6, len(yaml_text.encode()) / 1e6, py_size / 1e6))

    json_rows, json_mem = measure(
        "json", runtime(), data, json_text, json.loads,
        lambda d: json.dumps(d, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
        opts.runs)
    yaml_rows, yaml_mem = measure(
        "yaml", runtime(), data, yaml_text, lambda t: pyyaml.load(t, Loader=pyyaml.CSafeLoader),
        lambda d: pyyaml.dump(d, Dumper=pyyaml.CSafeDumper, sort_keys=True, allow_unicode=True),
        opts.runs)

    print("\n%-14s %10s %10s %7s" % ("", "assay", "python", "ratio"))
    for name, ours, theirs in json_rows + yaml_rows:
        ratio = ours / theirs
        print("%-14s %8.0fms %8.0fms %6.2fx%s" % (name, ours * 1e3, theirs * 1e3, ratio,
                                                  "" if ratio <= TARGET else "  (target %.1fx)" % TARGET))
    print("\nmemory vs the document's Python size (%.1f MB):" % (py_size / 1e6))
    for label, (lua_doc, peak, peak_encode) in (("json", json_mem), ("yaml", yaml_mem)):
        total = lua_doc + peak
        print("  %s.parse: Lua heap %.1f MB + Python peak %.1f MB = %.2fx; encode Python peak %.1f MB = %.2fx"
              % (label, lua_doc / 1e6, peak / 1e6, total / py_size, peak_encode / 1e6, peak_encode / py_size))

    if opts.big_mb:
        big = json.dumps(make_document(opts.big_mb), separators=(",", ":"), sort_keys=True,
                         ensure_ascii=False).encode()
        rt = runtime()
        rt.lua.globals()[b"TEXT"] = big
        start = time.perf_counter()
        from assay.runtime.errors import ScriptError
        try:
            ok = rt.run_source(b"return json.encode(json.parse(TEXT)) == TEXT", "=bench")
            outcome = "identical" if ok and ok[0] else "DIFFERENT"
        except ScriptError as e:  # the 64 MiB Lua heap: a clean error, not a hang
            outcome = "refused (%s)" % e.message
        print("\n%.0f MB JSON round trip: %s in %.1fs" % (len(big) / 1e6, outcome, time.perf_counter() - start))


if __name__ == "__main__":
    main()
