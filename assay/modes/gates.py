"""`--readonly` and `--approval-mode`: the flags ask for the same gates as the
environment variables, so they are turned into those variables. That way every VM
the run creates (script, tool, each check's script, a resumed run) sees them."""
import os

from assay.runtime.guard import APPROVAL_ENV, READONLY_ENV


def request_gates(readonly=False, approval=False):
    if readonly:
        os.environ[READONLY_ENV] = "1"
    if approval:
        os.environ[APPROVAL_ENV] = "1"


def policy_problem():
    """Why ASSAY_POLICY_FILE cannot be used (`FILE:LINE: reason`), or None. Checked
    before any script runs, so a bad policy never half-applies."""
    from assay.runtime.policy import PolicyError, current
    try:
        current()
    except PolicyError as e:
        return str(e)
    return None
