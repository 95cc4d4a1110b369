"""Checks mode: `assay FILE.yaml` runs the checks runner, prints its report and exits."""
import os
import sys


def checks_command(path, options=None):
    """Run `path`, print the report, exit 0 (all passed) or 1; never returns."""
    from assay.checks.runner import Options, run_checks
    from assay.runtime.exiting import exit_now
    try:
        code = run_checks(path, options or Options())
    except Exception as e:  # a bug in assay: one line, never a traceback (or stdout output)
        if os.environ.get("ASSAY_TRACEBACK"):
            raise
        sys.stderr.write("error: internal error: %s: %s\n" % (type(e).__name__, e))
        code = 1
    exit_now(code)
