"""`assay` entry point: parse argv and hand the run to a mode in `assay.modes`.

The CLI only parses and dispatches; running, signals and exiting belong to the
modes and the runtime. The hot paths (`assay FILE.lua`, `run`, `exec`) import
only the runtime; the other commands import their own modules when chosen.
"""
import os
import sys

from assay import __version__

from .commands import help_text
from .parse import UsageError, parse

SUPPORTED = "(expected .yaml, .yml, or .lua)"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        parsed = parse(argv)
    except UsageError as e:
        sys.stderr.write(e.render())
        return 2
    if parsed.version:
        sys.stdout.write("assay %s\n" % __version__)
        return 0
    if parsed.help:
        sys.stdout.write(help_text(parsed.command))
        return 0

    from assay.runtime.logs import logger
    logger.configure(verbose=parsed.verbose)
    values = parsed.values
    command = parsed.command
    if parsed.flags:
        from assay.modes.gates import request_gates
        request_gates(readonly="readonly" in parsed.flags, approval="approval_mode" in parsed.flags)
    if command in (None, "run", "exec") and os.environ.get("ASSAY_POLICY_FILE"):
        from assay.modes.gates import policy_problem
        problem = policy_problem()
        if problem:
            sys.stderr.write("error: policy: %s\n" % problem)
            return 1
    if command is None:
        if values["file"] is None:
            sys.stdout.write(help_text() + "\n")
            return 1
        return run_file(values["file"], mode=None, timeout=20, checks=values, script_args=parsed.script_args)
    if command == "run":
        return run_file(values["file"], mode=values["mode"], timeout=values["timeout"], checks=values,
                        script_args=parsed.script_args)
    if command == "exec":
        if values["eval"] is not None:
            from assay.modes.script import run_inline
            return run_inline(values["eval"], parsed.script_args)
        if values["file"] is None:
            sys.stderr.write("error: exec requires either -e <code> or a file path\n")
            return 1
        from assay.modes.script import run_lua_file
        return run_lua_file(values["file"], mode=None, timeout=20, script_args=parsed.script_args)
    if command == "modules":
        from assay.discovery.commands import modules_command
        return modules_command(as_json=values["json"])
    if command == "context":
        from assay.discovery.commands import context_command
        return context_command(values["query"], values["limit"], builtins=not values["no_builtins"])
    if command == "completion":
        from .completion import script
        sys.stdout.write(script(values["shell"]))
        return 0
    if command == "schema":
        from assay.checks.schema import schema_command
        return schema_command(values["what"])
    if command == "resume":
        from assay.modes.tool import resume_command
        return resume_command(values["token"], values["approve"], values["resume_ttl"], values["approver"])
    if command == "mcp-serve":
        from assay.modes.mcp import mcp_serve_command
        return mcp_serve_command()
    if command == "api-serve":
        from assay.modes.api import api_serve_command
        return api_serve_command(values["bind"])
    raise AssertionError(command)


def extension(path):
    """The final extension as Rust's Path::extension sees it ("" when there is none)."""
    name = os.path.basename(path.rstrip("/")) if path not in ("", "/") else ""
    stem, dot, ext = name.rpartition(".")
    return ext if dot and stem else ""


def run_file(path, mode, timeout, checks=None, script_args=()):
    ext = extension(path)
    if ext in ("yaml", "yml"):
        from assay.checks.runner import OptionsError, options_from
        from assay.modes.checks import checks_command
        try:
            options = options_from(checks or {})
        except OptionsError as e:
            sys.stderr.write(UsageError(str(e), "run").render())
            return 2
        return checks_command(path, options)
    if ext == "" and not os.path.exists(path):
        # not a file: most likely a mistyped subcommand
        import difflib
        from .commands import COMMANDS
        guess = difflib.get_close_matches(path, list(COMMANDS), n=1, cutoff=0.6)
        hint = " (did you mean '%s'?)" % guess[0] if guess else ""
        sys.stderr.write(UsageError("unknown command '%s'%s" % (path, hint)).render())
        return 2
    if ext != "lua":
        sys.stderr.write('error: unsupported file extension "%s" %s\n' % (ext, SUPPORTED))
        return 1
    from assay.modes.script import run_lua_file
    return run_lua_file(path, mode, timeout, script_args)


def entry():
    """Console-script entry point: no Python traceback ever reaches a user."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    except Exception as e:  # a bug in assay itself: one line, details with ASSAY_TRACEBACK=1
        if os.environ.get("ASSAY_TRACEBACK"):
            raise
        sys.stderr.write("error: internal error: %s: %s\n" % (type(e).__name__, e))
        code = 1
    from assay.runtime.exiting import exit_now
    exit_now(code)
