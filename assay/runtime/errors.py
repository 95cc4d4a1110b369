"""Error types shared by the runtime and every builtin."""


class BuiltinError(Exception):
    """A builtin failed; the message is the exact Lua error text (no position prefix).

    The bridge turns it into a plain Lua string error, so `pcall` sees a string.
    """


class ScriptError(Exception):
    """A Lua chunk or task failed.

    `message` is the text for ERROR lines and tool-mode envelopes (positioned
    `file:line: msg` where Lua knows the position), `traceback` the Lua stack
    traceback (shown with -v), `value` the raw Lua error value.
    """

    def __init__(self, message, traceback="", value=None, kind="runtime"):
        super().__init__(message)
        self.message = message
        self.traceback = traceback
        self.value = value
        self.kind = kind  # "runtime", "syntax", "memory"


class Interrupt(Exception):
    """The run must end now (the tool-mode deadline passed while a builtin waited).

    The bridge raises it in Lua as an interrupt: no pcall, xpcall or coroutine can
    catch it, and the run ends with the message as its error.
    """
