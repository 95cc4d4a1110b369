"""The common start (`exec -e 'print(1)'`) imports none of the libraries that only
some builtins need: each is imported inside the function that uses it."""
import os

import pytest

from conftest import run_assay

# Python modules that only some builtin calls need.
ON_DEMAND = [
    "tarfile", "gzip", "lzma", "bz2", "zstandard", "compression.zstd",
    "markdown_it", "mistune", "jinja2", "yaml", "tomlkit", "tomllib",
    "jwt", "cryptography", "Crypto", "hashlib", "subprocess", "websockets", "psycopg", "pymysql",
    "jsonpath", "jsonschema", "json",
    # only a policy file, read-only or approval mode needs these
    "assay.runtime.policy", "assay.runtime.operations", "urllib.parse",
    # the C modules serve: the Python wrappers import enum and struct
    "signal", "ctypes", "enum", "threading",
    # the first request or connection loads these
    "assay.builtins._http_exchange", "assay.builtins._tls_options",
]


@pytest.mark.skipif(bool(os.environ.get("ASSAY_BIN")), reason="import tracing needs the Python form")
def test_print_one_imports_no_on_demand_library():
    result = run_assay("exec", "-e", "print(1)", extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0 and result.stdout == "1\n"
    imported = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            imported.add(name)
            if name == "site":
                # what the interpreter's own start-up (site, a venv's path hooks) imported
                # is not assay's doing, and the built executable runs without it
                imported.clear()
    assert "assay.runtime.vm" in imported  # the trace really covers the run
    loaded = sorted(name for name in ON_DEMAND if name in imported)
    assert loaded == []


@pytest.mark.skipif(bool(os.environ.get("ASSAY_BIN")), reason="import tracing needs the Python form")
def test_a_script_imports_only_the_builtin_families_it_calls():
    """The families are installed on first use (importlib, which the trace above does not
    see): a script that calls none imports none of them, a `base64` call
    not those of db, temporal, template or http."""
    import subprocess
    import sys
    probe = (
        "import sys\n"
        "from assay.builtins import FAMILIES, new_runtime\n"
        "rt = new_runtime()\n"
        "rt.run_source(sys.argv[1].encode(), '@probe.lua')\n"
        "print(' '.join(m for _, m, functions in FAMILIES\n"
        "               if functions is not None and 'assay.builtins.' + m in sys.modules))\n")
    def families_imported(script):
        result = subprocess.run([sys.executable, "-c", probe, script], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()
    assert families_imported("local x = 1") == []
    imported = families_imported("return base64.encode('x')")
    assert "base64" in imported and not {"db", "temporal", "template", "http"} & set(imported)
