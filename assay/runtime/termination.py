"""The Kubernetes termination message: a short verdict that survives the pod.

Kubernetes keeps what a container wrote to /dev/termination-log (at most 4 KB) in
the pod status after it ends, so `kubectl describe` and Argo CD show why a hook
failed even when its logs are gone. assay writes there when the file exists and
is writable, or to $ASSAY_TERMINATION_LOG when set. Failing to write is silent:
the verdict on stdout and the exit code never depend on it.
"""
import os

DEFAULT_PATH = "/dev/termination-log"
LIMIT = 4096


def path():
    custom = os.environ.get("ASSAY_TERMINATION_LOG")
    if custom:
        return custom
    if os.path.exists(DEFAULT_PATH) and os.access(DEFAULT_PATH, os.W_OK):
        return DEFAULT_PATH
    return None


def write(text):
    target = path()
    if target is None:
        return
    data = text.encode("utf-8", "replace")
    if not data.endswith(b"\n"):
        data += b"\n"
    if len(data) > LIMIT:
        marker = b"\n[truncated]\n"
        data = data[: LIMIT - len(marker)].decode("utf-8", "ignore").encode("utf-8") + marker
    try:
        with open(target, "wb") as f:
            f.write(data)
    except OSError:
        pass
