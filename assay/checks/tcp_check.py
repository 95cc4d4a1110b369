"""`type: tcp` checks: a TCP connection to host:port can be opened."""
import socket

from .outcome import Outcome

DEFAULT_TIMEOUT_MS = 30_000


def run(check):
    from assay.runtime.text import os_error_text
    timeout_ms = check.timeout if check.timeout is not None else DEFAULT_TIMEOUT_MS
    target = "%s:%d" % (check.host, check.port)
    try:
        with socket.create_connection((check.host, check.port), timeout=timeout_ms / 1000.0):
            return Outcome(True)
    except socket.timeout:
        return Outcome(False, "TCP connect to %s: timed out after %d ms" % (target, timeout_ms))
    except socket.gaierror as e:
        return Outcome(False, "TCP connect to %s: dns error: %s" % (target, e.strerror or e))
    except OSError as e:
        return Outcome(False, "TCP connect to %s: %s" % (target, os_error_text(e)))
