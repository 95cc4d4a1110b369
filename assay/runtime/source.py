"""A script's source as the runtime runs it: read from its file, a `#!` line blanked.

Apart from the VM (vm.py imports Lua), so that the modes can read the script before
the runtime exists, while the garbage collector is paused for its creation.
"""
from .text import read_utf8_file


class ScriptReadError(Exception):
    """The script file could not be read; str() is `reading PATH: REASON`."""


def blank_shebang(source):
    """Replace a leading `#!` line by an empty line, so line numbers still match the file."""
    if source.startswith(b"#!"):
        newline = source.find(b"\n")
        return b"" if newline < 0 else source[newline:]
    return source


def read_script(path):
    """The script's bytes, shebang blanked; ScriptReadError if unreadable or not UTF-8."""
    try:
        data, _ = read_utf8_file(path)
    except ValueError as e:
        raise ScriptReadError("reading %s: %s" % (path, e)) from None
    return blank_shebang(data)
