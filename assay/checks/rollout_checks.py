"""`type: k8s` and `type: argocd` checks, answered by the stdlib modules themselves.

Each attempt runs a few lines of Lua in a fresh runtime: assay.k8s fetches the
object and judges its rollout with the same readiness logic `k8s.is_ready` uses;
assay.argocd reads the application's health and sync status. So a check and a
script asking the same question get the same answer, through one client.
"""
import re

from .outcome import Outcome

_STDLIB_POSITION = re.compile(r"^assay/[\w./]+\.lua:\d+: ")

_K8S_PROBE = b"""
local k8s = require("assay.k8s")
local p = CHECK
local c = k8s.client(p.url, p.options)
local obj = c:get_resource(p.namespace, p.kind, p.name)
local ready, detail = k8s._rollout(p.kind, obj)
return ready, detail, c.default_namespace
"""

_ARGOCD_PROBE = b"""
local argocd = require("assay.argocd")
local p = CHECK
local c = argocd.client(p.url, {token = p.token})
local app = c:application(p.app)
local h = c:app_health(p.app)
local sync = type(app) == "table" and type(app.status) == "table" and app.status.sync or {}
return h.status, h.sync, sync.revision, h.message
"""


def run(check):
    if check.type == "k8s":
        return _k8s(check)
    return _argocd(check)


def _k8s(check):
    from .kube import KubeconfigError, cleanup, client_arguments, connection
    try:
        options = connection(check.kubeconfig)
    except KubeconfigError as e:
        return Outcome(False, str(e))
    name = check.workload or check.name
    url, lua_options = client_arguments(options)
    try:
        values = run_lua(_K8S_PROBE, {"url": url, "options": lua_options, "namespace": check.namespace,
                                       "kind": check.kind, "name": name})
    finally:
        cleanup(options)
    if isinstance(values, Outcome):
        return values
    ready, detail, namespace = (list(values) + [None, None, None])[:3]
    what = "%s %s/%s" % (check.kind, check.namespace or namespace, name)
    if ready:
        return Outcome(True)
    return Outcome(False, "%s not rolled out: %s" % (what, detail))


def _argocd(check):
    values = run_lua(_ARGOCD_PROBE, {"url": check.url, "token": check.token, "app": check.app})
    if isinstance(values, Outcome):
        return values
    health, sync, revision, message = (list(values) + [None] * 4)[:4]
    problems = []
    if sync != "Synced":
        problems.append("sync %s" % (sync or "unknown"))
    if health != "Healthy":
        problems.append("health %s%s" % (health or "unknown", " (%s)" % message if message else ""))
    if check.revision is not None and not _same_revision(revision, check.revision):
        problems.append("revision %s, expected %s" % (revision or "unknown", check.revision))
    if problems:
        return Outcome(False, "app %s: %s" % (check.app, ", ".join(problems)))
    return Outcome(True)


def _same_revision(actual, wanted):
    """Exact, or a commit SHA given in short form (7+ characters)."""
    if not actual:
        return False
    return actual == wanted or (len(wanted) >= 7 and actual.startswith(wanted))


def run_lua(source, params):
    """Run a probe with `CHECK` = params; its return values as Python data, or a failed Outcome."""
    from assay.runtime.convert import make_to_lua, to_py
    from assay.runtime.errors import ScriptError
    from assay.builtins import new_runtime
    runtime = new_runtime(mode="check")
    try:
        runtime.lua.globals().CHECK = make_to_lua(runtime.lua)(params)
        values = runtime.run_source(source, "=[check]")
        return [to_py(v) for v in values]
    except ScriptError as e:
        # the position inside the stdlib module says nothing to the reader of a report
        return Outcome(False, _STDLIB_POSITION.sub("", e.message, count=1))
    finally:
        try:
            runtime.close()
        except Exception:
            pass
