"""`type: script` checks: a Lua file in a fresh runtime per attempt."""
from .outcome import Outcome, config_failure

# Check scripts share the process with the runner, so two things that would end
# or corrupt the run are adapted (port additions, README.md, Checks mode):
# `os.exit(code)` ends the *script* (status 0/true/nil passes, anything else
# fails) instead of the whole process, and `io.write` defaults to stderr like
# `print`, so stdout carries only the report.
_EXIT_MARK = "\0assay-check-exit:"
_CHECK_PRELUDE = b"""
local error, tostring, type = error, tostring, type
if type(os) == "table" then
  os.exit = function(code)
    if code == nil or code == true then code = 0 elseif code == false then code = 1 end
    error("\\0assay-check-exit:" .. tostring(code), 0)
  end
end
if type(io) == "table" and io.output and io.stderr then io.output(io.stderr) end
"""


def run(check):
    if check.file is None:
        return config_failure("script check requires a 'file' field")
    from assay.runtime.text import read_utf8_file
    from assay.runtime.source import blank_shebang
    try:
        source, _ = read_utf8_file(check.file)
    except ValueError as e:
        return Outcome(False, 'failed to read Lua script "%s": %s' % (check.file, e))

    from assay.runtime.errors import ScriptError
    from assay.builtins import new_runtime
    runtime = None
    try:
        runtime = new_runtime(mode="check", check_env=dict(check.env))
        runtime.lua.execute(_CHECK_PRELUDE)
        runtime.run_source(blank_shebang(source), "@" + check.file)
    except ScriptError as e:
        text = e.message
        if _EXIT_MARK in text:
            status = text.split(_EXIT_MARK, 1)[1].strip()
            if status in ("0", "0.0"):
                return Outcome(True)
            return Outcome(False, "script called os.exit(%s)" % status)
        if e.kind == "memory" and not text.startswith("memory error"):
            text = "memory error: " + text
        return Outcome(False, text)
    finally:
        if runtime is not None:
            _close(runtime)
    return Outcome(True)


def _close(runtime):
    """Stop what the script left running (servers, intervals) before the next attempt."""
    try:
        runtime.close()
    except Exception:
        try:
            runtime.flush()
        except Exception:
            pass
