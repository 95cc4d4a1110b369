"""`--dry-run`: the config is valid; show what each check would do, send nothing."""
import json


def dry_run(config, redact, stdout):
    lines = []
    for check in config.checks:
        lines.append(json.dumps(describe(check, redact), ensure_ascii=False))
    stdout.write("".join(line + "\n" for line in lines))
    stdout.flush()
    return 0


def describe(check, redact):
    entry = {"name": redact(check.name), "type": check.type}
    if check.type == "http":
        from .http_check import request_options
        method, headers, data = request_options(check)
        entry["method"] = method
        entry["url"] = redact(check.url)
        if headers:
            entry["headers"] = {k: redact.header_value(k, v) for k, v in headers.items()}
        if data is not None:
            entry["body"] = redact(data.decode("utf-8", "replace"))
    elif check.type == "prometheus":
        entry["method"] = "GET"
        entry["url"] = redact(check.url)
        entry["query"] = redact(check.query)
    elif check.type == "script":
        entry["file"] = check.file
    elif check.type == "tcp":
        entry["host"], entry["port"] = check.host, check.port
    elif check.type == "k8s":
        entry.update(kind=check.kind, namespace=check.namespace, name=check.workload or check.name)
    elif check.type == "argocd":
        entry.update(method="GET", url=redact(check.url), app=check.app)
        if check.revision is not None:
            entry["revision"] = check.revision
    return entry
