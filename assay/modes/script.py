"""Script mode: run a Lua chunk, report an uncaught error on stderr, exit 0 or 1."""
import os
import sys


def run_lua_file(path, mode, timeout, script_args=()):
    """`assay FILE.lua`, `run FILE.lua`, `exec FILE.lua`; `mode` None means "from ASSAY_MODE"."""
    if mode is None:
        mode = "tool" if os.environ.get("ASSAY_MODE") == "tool" else "script"
    if mode == "tool":
        from .tool import tool_command
        return tool_command(path, timeout, script_args)
    from assay.runtime.source import ScriptReadError, read_script
    try:
        source = read_script(path)
    except ScriptReadError as e:
        sys.stderr.write("error: %s\n" % e)
        return 1
    from assay.runtime.logs import logger
    logger.info("starting assay (script mode)", script=path)
    return execute(source, "@" + path, path, script_args)


def run_inline(code, script_args=()):
    from assay.runtime.logs import logger
    from assay.runtime.source import blank_shebang
    logger.info("starting assay (inline eval mode)")
    return execute(blank_shebang(code.encode("utf-8", "surrogateescape")), "@<eval>", None, script_args)


def execute(source, chunkname, script=None, script_args=()):
    """Run a chunk in script mode, report an uncaught error, and exit hard.

    The process ends as soon as the main chunk does, so pending tasks and worker
    threads are abandoned: exit_now flushes every stream, then leaves.
    """
    import gc
    # Everything made until the script runs (modules, the VM) lives as long as the
    # process: collections during the start would find nothing, and frozen, those
    # objects are not looked at again by the collections the script triggers.
    gc.disable()
    from assay.runtime.errors import ScriptError
    from assay.runtime.exiting import exit_now
    from assay.runtime.logs import logger
    from assay.runtime.signals import quiet_signals
    from assay.builtins import new_runtime
    quiet_signals()
    runtime = new_runtime(mode="script")
    gc.freeze()
    gc.enable()
    runtime.set_script_args(script, script_args)
    code = 0
    try:
        runtime.run_source(source, chunkname)
    except ScriptError as e:
        report_error(logger, e)
        code = 1
    runtime.flush()
    exit_now(code)


def report_error(logger, error):
    text = error.message
    if error.kind == "memory":
        text = "memory error: " + text
    from assay.runtime import termination
    termination.write("error: " + text)  # the verdict a Kubernetes pod keeps after it ends
    if logger.enabled(1) and error.traceback:  # debug (-v): the Lua traceback too
        text += "\n" + error.traceback
    logger.error(text)
