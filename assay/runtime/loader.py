"""Where `require("assay.X")` finds files.

The Lua side (prelude) compiles what these functions return: `(source, "@chunk")`
for a hit, `(None, message)` for a miss that explains itself, `(None, None)` for
a miss that adds nothing to Lua's "module not found" text.
"""
import os

_PREFIX = "assay."


def stdlib_dir():
    """The embedded stdlib: `assay/stdlib` when installed or built, `./stdlib` in a checkout."""
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    installed = os.path.join(package_dir, "stdlib")
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(package_dir), "stdlib")


def global_modules_dir():
    """`$ASSAY_MODULES_PATH` if set (empty = none), else `$HOME/.assay/modules`, else None."""
    if "ASSAY_MODULES_PATH" in os.environ:
        return os.environ["ASSAY_MODULES_PATH"] or None
    home = os.environ.get("HOME")
    return os.path.join(home, ".assay", "modules") if home else None


def candidates(base):
    return (base + ".lua", base + "/init.lua")


def _base(name):
    return name[len(_PREFIX):].replace(".", "/")


def _read_text(path):
    """File bytes if readable and valid UTF-8, else None (counts as absent)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        data.decode("utf-8")
        return data
    except (OSError, UnicodeDecodeError):
        return None


def find_fs_module(name):
    name = name.decode("utf-8", "surrogateescape")
    if not name.startswith(_PREFIX):
        return None, ("not an assay.* module: %s" % name).encode()
    base = _base(name)
    directories = ["./modules"]
    global_dir = global_modules_dir()
    if global_dir:
        directories.append(global_dir)
    tried = []
    for directory in directories:
        for candidate in candidates(base):
            path = "%s/%s" % (directory, candidate)
            data = _read_text(path)
            if data is not None:
                return data, ("@" + path).encode()
            tried.append("no file '%s'" % path)
    # Lua joins the searchers' messages with "\n\t": every place looked at is named
    return None, "\n\t".join(tried).encode("utf-8", "surrogateescape")


def find_embedded_module(name):
    name = name.decode("utf-8", "surrogateescape")
    if not name.startswith(_PREFIX):
        return None, None  # the file searcher already said so
    base = _base(name)
    root = stdlib_dir()
    for candidate in candidates(base):
        data = _read_text(os.path.join(root, candidate))
        if data is not None:
            return data, ("@assay/" + candidate).encode()
    return None, ("no embedded stdlib file: %s.lua" % base).encode()
