"""What a finished run leaves behind besides stdout and the exit code.

- the termination message (`N/M checks passed` and one line per failed check);
- the extra report files of `--report FORMAT=PATH`;
- with `--k8s-event`, a Kubernetes Event on the Job that owns this pod.
None of them can change the verdict: a failure to write one is logged, no more.
"""
import os
import tempfile


def publish(run, options, logger):
    from assay.runtime import termination

    from .report import render, summary
    text = summary(run)
    termination.write(text)
    for fmt, path in options.reports:
        try:
            write_atomically(path, render(run, fmt))
        except OSError as e:
            from assay.runtime.text import os_error_text
            logger.error("writing report failed", path=_quoted(path), error=_quoted(os_error_text(e)))
    if options.k8s_event:
        post_event(run, text, logger)


def write_atomically(path, text):
    """The whole report or nothing: write a temporary file next to `path`, then rename it."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".assay-report-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(text.encode("utf-8", "replace"))
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


_EVENT_PROBE = b"""
local k8s = require("assay.k8s")
local p = CHECK
local c = k8s.client(p.url, p.options)
local pod = c:get_resource(p.namespace, "pod", p.pod)
local job
for _, ref in ipairs(type(pod.metadata) == "table" and pod.metadata.ownerReferences or {}) do
  if ref.kind == "Job" then job = ref end
end
if job == nil then error("pod " .. p.pod .. " is not owned by a Job") end
local event = {
  apiVersion = "v1", kind = "Event",
  metadata = { generateName = job.name .. "-", namespace = p.namespace },
  involvedObject = { apiVersion = job.apiVersion or "batch/v1", kind = "Job", name = job.name,
                     namespace = p.namespace, uid = job.uid },
  reason = p.reason, message = p.message, type = p.type,
  source = { component = "assay" }, reportingComponent = "assay", reportingInstance = p.pod,
  firstTimestamp = p.now, lastTimestamp = p.now, count = 1,
}
c:create(p.namespace, "event", event)
return job.name
"""


def post_event(run, text, logger):
    """An Event `ChecksPassed`/`ChecksFailed` on the owning Job (downward API: POD_NAME, POD_NAMESPACE)."""
    import time

    from .kube import KubeconfigError, cleanup, client_arguments, connection
    from .rollout_checks import run_lua
    pod, namespace = os.environ.get("POD_NAME"), os.environ.get("POD_NAMESPACE")
    if not pod or not namespace:
        logger.warn("--k8s-event: not posted", reason=_quoted("POD_NAME and POD_NAMESPACE must be set "
                                                               "(downward API)"))
        return
    try:
        options = connection()
    except KubeconfigError as e:
        logger.warn("--k8s-event: not posted", reason=_quoted(str(e)))
        return
    url, client_options = client_arguments(options)
    params = {"url": url, "options": client_options, "namespace": namespace, "pod": pod,
              "reason": "ChecksPassed" if run.passed else "ChecksFailed",
              "type": "Normal" if run.passed else "Warning",
              "message": text.strip()[:1024],
              "now": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        result = run_lua(_EVENT_PROBE, params)
    finally:
        cleanup(options)
    if hasattr(result, "passed"):  # a failed probe: its message says why
        logger.warn("--k8s-event: not posted", reason=_quoted(result.message))
    else:
        logger.info("kubernetes event posted", job=_quoted(result[0]), reason=params["reason"])


def _quoted(text):
    from assay.runtime.logs import quoted
    return quoted(text)
