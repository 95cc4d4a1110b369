"""`type: script` checks (checks.md §5.3): a Lua file in a fresh runtime per attempt."""
from .outcome import Outcome, config_failure


def run(check):
    if check.file is None:
        return config_failure("script check requires a 'file' field")
    from assay.runtime.vm import blank_shebang, os_error_text
    try:
        with open(check.file, "rb") as f:
            source = f.read()
    except OSError as e:
        return Outcome(False, 'failed to read Lua script "%s": %s' % (check.file, os_error_text(e)))
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return Outcome(False, 'failed to read Lua script "%s": stream did not contain valid UTF-8' % check.file)

    from assay.runtime.errors import ScriptError
    from assay.runtime.vm import Runtime
    runtime = None
    try:
        runtime = Runtime(mode="check", check_env=dict(check.env))
        runtime.run_source(blank_shebang(source), "@" + check.file)
    except ScriptError as e:
        text = e.message
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
