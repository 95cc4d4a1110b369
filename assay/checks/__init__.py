"""YAML checks mode (checks.md): `assay checks.yaml`.

config.py loads and validates the YAML, runner.py runs the checks with retries
and the global timeout, http.py / prometheus.py / script.py are the check
types, jsonexpr.py is the `expect.json` language, report.py renders the result
as JSON (default), JUnit XML or TAP.
"""
