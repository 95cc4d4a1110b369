"""argv → what to do, following the original's clap behaviour and error texts."""
import os

from .commands import COMMANDS, GLOBAL_FLAGS, TOP_OPTIONS, VERBOSE, usage


class UsageError(Exception):
    def __init__(self, message, command=None):
        super().__init__(message)
        self.command = command

    def render(self):
        return "error: %s\n\n%s\n\nFor more information, try '--help'.\n" % (self, usage(self.command))


class Parsed:
    def __init__(self):
        self.command = None     # None (bare FILE form) or a key of COMMANDS
        self.values = {}
        self.verbose = False
        self.flags = set()      # global flags given (--readonly, --approval-mode)
        self.help = False       # print help for `command` (None = top level)
        self.version = False
        self.script_args = []   # after the script: `assay s.lua -- a b` -> ["a", "b"] (Lua's `arg`)


def parse(argv):
    result = Parsed()
    command = None
    positionals = []
    seen = set()
    i = 0
    only_positionals = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--" and not only_positionals and command in _SCRIPT_COMMANDS:
            # everything after `--` belongs to the script; the first word is the script
            # itself when none was named before
            rest = argv[i:]
            if not positionals and rest and not (command == "exec" and "eval" in result.values):
                positionals.append(rest.pop(0))
            result.script_args = rest
            break
        if only_positionals or arg == "-" or not arg.startswith("-"):
            if arg == "--" and not only_positionals:
                only_positionals = True
                continue
            if command is None and not positionals and arg in COMMANDS:
                command = arg
                result.command = command
            else:
                positionals.append(arg)
            continue
        if arg == "--":
            only_positionals = True
            continue
        if arg in ("-v", "--verbose"):
            result.verbose = True
            continue
        if arg in _GLOBAL_FLAGS:
            result.flags.add(_GLOBAL_FLAGS[arg])
            continue
        if arg in ("-h", "--help"):
            result.help = True
            continue
        if arg in ("-V", "--version") and command is None:
            result.version = True
            continue
        opt, inline = _find_option(command, arg)
        if opt is None:
            raise UsageError("unexpected argument '%s' found" % arg, command)
        if opt.name in seen and not opt.multiple:
            label = opt.long if opt.kind == "flag" else "%s <%s>" % (opt.long, opt.value)
            raise UsageError("the argument '%s' cannot be used multiple times" % label, command)
        seen.add(opt.name)
        if opt.kind == "flag":
            if inline is not None:
                raise UsageError("unexpected value '%s' for '%s' found; no more were expected"
                                 % (inline, opt.long), command)
            result.values[opt.name] = True
            continue
        if inline is None:
            if i >= len(argv):
                raise UsageError("a value is required for '%s <%s>' but none was supplied" % (opt.long, opt.value),
                                 command)
            inline = argv[i]
            i += 1
        value = _convert(opt, inline, command)
        if opt.multiple:
            result.values.setdefault(opt.name, []).append(value)
        else:
            result.values[opt.name] = value

    if result.help or result.version:
        return result
    if command == "help":
        target = positionals[0] if positionals else None
        if target is not None and target not in COMMANDS:
            raise UsageError("unrecognized subcommand '%s'" % target, "help")
        result.help, result.command = True, target
        return result
    return _bind(result, command, positionals)


_SCRIPT_COMMANDS = (None, "run", "exec")
_GLOBAL_FLAGS = {opt.long: opt.name for opt in GLOBAL_FLAGS if opt is not VERBOSE}


def _find_option(command, arg):
    options = COMMANDS[command].options if command else TOP_OPTIONS
    if arg.startswith("--"):
        name, eq, value = arg.partition("=")
        for opt in options:
            if opt.long == name:
                return opt, (value if eq else None)
        return None, None
    for opt in options:
        if opt.short and arg.startswith(opt.short):
            rest = arg[len(opt.short):]
            return opt, (rest.lstrip("=") if rest else None)
    return None, None


def _convert(opt, raw, command):
    if opt.choices and raw not in opt.choices:
        raise UsageError("invalid value '%s' for '%s <%s>'\n  [possible values: %s]"
                         % (raw, opt.long, opt.value, ", ".join(opt.choices)), command)
    if opt.kind == "uint":
        if not raw.isdigit() or not raw.isascii():
            raise UsageError("invalid value '%s' for '%s <%s>': invalid digit found in string"
                             % (raw, opt.long, opt.value), command)
        return int(raw)
    return raw


def _default(opt):
    if opt.multiple:
        return []
    if opt.kind == "flag":
        return False
    return opt.default


def _bind(result, command, positionals):
    if command in _SCRIPT_COMMANDS and len(positionals) > 1 and positionals[0].endswith(".lua") \
            and os.path.isfile(positionals[0]):
        # `assay ./s.lua a b` (how a shebang line runs a script): the words after an
        # existing script are its arguments, as if given after `--`; anything else keeps
        # the usage error
        result.script_args = positionals[1:] + result.script_args
        positionals = positionals[:1]
    if command is None:
        if len(positionals) > 1:
            raise UsageError("unexpected argument '%s' found" % positionals[1])
        result.values["file"] = positionals[0] if positionals else None
        for opt in TOP_OPTIONS:
            result.values.setdefault(opt.name, _default(opt))
        return result
    spec = COMMANDS[command]
    if len(positionals) > len(spec.positionals):
        raise UsageError("unexpected argument '%s' found" % positionals[len(spec.positionals)], command)
    for pos, value in zip(spec.positionals, positionals):
        if pos.choices and value not in pos.choices:
            raise UsageError("invalid value '%s' for '<%s>'\n  [possible values: %s]"
                             % (value, pos.name.upper(), ", ".join(pos.choices)), command)
        result.values[pos.name] = value
    missing = ["<%s>" % p.name.upper() for p in spec.positionals[len(positionals):] if p.required]
    missing += ["%s <%s>" % (o.long, o.value) for o in spec.options if o.required and o.name not in result.values]
    if missing:
        raise UsageError("the following required arguments were not provided:\n  " + "\n  ".join(missing), command)
    for opt in spec.options:
        result.values.setdefault(opt.name, _default(opt))
    for pos in spec.positionals:
        result.values.setdefault(pos.name, None)
    return result


__all__ = ["parse", "Parsed", "UsageError", "VERBOSE"]
