"""The command surface, defined once: the parser and the help text both read it.

Why not typer: it imports pydantic (~130 ms of a ~160 ms start, ~20 MB of the
binary, shared/design/binary-build.md), and the original's clap-style texts
(`error: ...` + usage, exit 2) would need custom handling anyway. This table and
`parse.py` are ~200 lines and start in well under a millisecond.
"""

ABOUT = "Assay \u2014 lightweight Lua scripting runtime for deployment verification."


class Option:
    def __init__(self, name, long, short="", value="", help="", default=None, choices=(), kind="str",
                 required=False, multiple=False):
        self.name = name            # destination key
        self.long = long            # --long
        self.short = short          # -s
        self.value = value          # metavar; "" for a flag
        self.help = help
        self.default = default
        self.choices = choices
        self.kind = kind            # "str" | "uint" | "flag" (no value: True when given)
        self.required = required
        self.multiple = multiple    # may be repeated: the values are collected in a list


class Positional:
    def __init__(self, name, help, required=False, choices=()):
        self.name, self.help, self.required = name, help, required
        self.choices = choices


class Command:
    def __init__(self, name, about, positionals=(), options=()):
        self.name, self.about = name, about
        self.positionals, self.options = list(positionals), list(options)


VERBOSE = Option("verbose", "--verbose", "-v", help="Enable verbose logging (sets RUST_LOG=debug)")
# Global flags: accepted before or after any subcommand, like --verbose.
READONLY = Option("readonly", "--readonly", help="Block every mutating builtin (same as ASSAY_READONLY=1)")
APPROVAL = Option("approval_mode", "--approval-mode",
                  help="Suspend each mutating builtin until approved with `assay resume` (same as ASSAY_APPROVAL=1)")
GLOBAL_FLAGS = [VERBOSE, READONLY, APPROVAL]
# Port addition: report format of YAML checks mode (README.md, Checks mode); also global for `assay FILE`.
FORMAT = Option("format", "--format", "", "FORMAT", "Output format for YAML checks", default="json",
                choices=("json", "junit", "tap", "html"))
# Checks mode 2 (docs/checks.md): extra report files, dry run, strict keys, a Kubernetes Event.
REPORT = Option("report", "--report", "", "FORMAT=PATH", "Also write a YAML checks report to a file (repeatable)",
                multiple=True)
DRY_RUN = Option("dry_run", "--dry-run", help="Validate a YAML checks config and show the requests; send nothing",
                 kind="flag")
STRICT = Option("strict", "--strict", help="Unknown keys in a YAML checks config are errors", kind="flag")
K8S_EVENT = Option("k8s_event", "--k8s-event", help="Post the YAML checks verdict as an Event on the pod's Job",
                   kind="flag")
CHECKS_OPTIONS = [FORMAT, REPORT, DRY_RUN, STRICT, K8S_EVENT]
TOP_OPTIONS = list(CHECKS_OPTIONS)

COMMANDS = {
    "context": Command(
        "context", "Search for modules matching a query",
        [Positional("query", "Search query (e.g. \"grafana health\", \"vault secrets\")", required=True)],
        [Option("limit", "--limit", "-l", "LIMIT", "Maximum number of modules to show", default=5, kind="uint"),
         Option("no_builtins", "--no-builtins", help="Leave out the built-in functions cheat-sheet", kind="flag")],
    ),
    "exec": Command(
        "exec", "Execute a Lua script inline or from file",
        [Positional("file", "Path to a Lua script file")],
        [Option("eval", "--eval", "-e", "EVAL", "Inline Lua code to execute")],
    ),
    "modules": Command("modules", "List all available modules", [],
                       [Option("json", "--json", help="One JSON record per module (for tools and catalogues)",
                               kind="flag")]),
    "run": Command(
        "run", "Run a file (yaml or lua)",
        [Positional("file", "Path to a .yaml config or .lua script", required=True)],
        [
            Option("mode", "--mode", "", "MODE", "Execution mode for Lua scripts", choices=("tool", "script")),
            Option("timeout", "--timeout", "", "TIMEOUT", "Timeout in seconds for tool mode", default=20, kind="uint"),
        ] + CHECKS_OPTIONS,
    ),
    "resume": Command(
        "resume", "Resume a tool-mode script after an approval decision",
        [],
        [
            Option("token", "--token", "", "TOKEN", "Resume token from a needs_approval envelope", required=True),
            Option("approve", "--approve", "", "APPROVE", "Approval decision", choices=("yes", "no"), required=True),
            Option("resume_ttl", "--resume-ttl", "", "RESUME_TTL",
                   "Maximum age of the token in seconds [default: the stored ttl_secs]", kind="uint"),
            Option("approver", "--approver", "", "APPROVER", "Who decided (recorded with the grant)"),
        ],
    ),
    "schema": Command("schema", "Print the JSON Schema of a config file format",
                      [Positional("what", "Which format: checks", required=True)]),
    "mcp-serve": Command("mcp-serve", "Serve assay to AI agents over the Model Context Protocol (stdio)"),
    "api-serve": Command(
        "api-serve", "Serve authenticated runs over HTTP (POST /v1/run, /v1/resume; GET /healthz)",
        [],
        [Option("bind", "--bind", "", "BIND", "Address to listen on (HOST:PORT)", default="127.0.0.1:8787")],
    ),
    "completion": Command("completion", "Print a shell completion script (bash, zsh or fish)",
                          [Positional("shell", "Shell: bash, zsh or fish", required=True, choices=("bash", "zsh", "fish"))]),
    "help": Command("help", "Print this message or the help of the given subcommand(s)",
                    [Positional("subcommand", "Subcommand to describe")]),
}

SCRIPT_ARGS_HELP = "Arguments for a Lua script, after it or after `--`: arg[1..n] (arg[0] is the script)"
TOP_POSITIONAL = Positional("file", "Path to a .yaml config or .lua script")


def _option_label(opt):
    head = "%s, %s" % (opt.short, opt.long) if opt.short else "    " + opt.long
    if opt.value:
        head += " <%s>" % opt.value
    return head


def _option_help(opt):
    text = opt.help
    if opt.default is not None and opt.kind != "flag" and "[default" not in text:
        text += " [default: %s]" % opt.default
    if opt.choices:
        text += " [possible values: %s]" % ", ".join(opt.choices)
    return text


def _rows(rows):
    width = max(len(left) for left, _ in rows)
    return ["  %-*s  %s" % (width, left, right) for left, right in rows]


def usage(command=None):
    if command is None:
        return "Usage: assay [OPTIONS] [FILE] [COMMAND]\n       assay [OPTIONS] FILE.lua [-- ARGS...]"
    cmd = COMMANDS[command]
    parts = ["Usage: assay %s [OPTIONS]" % command]
    for opt in cmd.options:
        if opt.required:
            parts.append("%s <%s>" % (opt.long, opt.value))
    for pos in cmd.positionals:
        parts.append(("<%s>" if pos.required else "[%s]") % pos.name.upper())
    if command in ("run", "exec"):
        parts.append("[-- ARGS...]")
    return " ".join(parts)


def help_text(command=None):
    """Help in the original's layout (clap)."""
    lines = []
    if command is None:
        lines += [ABOUT, "", usage(), "", "Commands:"]
        lines += _rows([(c.name, c.about) for c in COMMANDS.values()])
        lines += ["", "Arguments:"] + _rows([("[FILE]", TOP_POSITIONAL.help), ("[ARGS]...", SCRIPT_ARGS_HELP)])
        options = [(_option_label(o), _option_help(o)) for o in TOP_OPTIONS]
        options += [(_option_label(o), o.help) for o in GLOBAL_FLAGS]
        options += [("-h, --help", "Print help"), ("-V, --version", "Print version")]
        lines += ["", "Options:"] + _rows(options)
        return "\n".join(lines) + "\n"
    cmd = COMMANDS[command]
    lines += [cmd.about, "", usage(command)]
    if cmd.positionals:
        lines += ["", "Arguments:"]
        rows = [(("<%s>" if p.required else "[%s]") % p.name.upper(), p.help) for p in cmd.positionals]
        if command in ("run", "exec"):
            rows.append(("[ARGS]...", SCRIPT_ARGS_HELP))
        lines += _rows(rows)
    options = [(_option_label(o), _option_help(o)) for o in cmd.options]
    options += [(_option_label(o), o.help) for o in GLOBAL_FLAGS]
    options += [("-h, --help", "Print help")]
    lines += ["", "Options:"] + _rows(options)
    return "\n".join(lines) + "\n"
