"""`log.info/warn/error(msg)` — one stderr record each, target `lua` (builtins.md §11)."""
from assay.runtime import args
from assay.runtime.logs import ERROR, INFO, WARN, logger


def _logger(level, name):
    def log(msg=None):
        text = args.text(msg, "bad argument #1 to '%s': error converting Lua %s to String "
                              "(expected string or number)" % (name, _lua_type(msg)))
        logger.log(level, text, target="lua")
    return log


def _lua_type(v):
    from lupa.lua55 import lua_type
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "boolean"
    return lua_type(v) or "value"


def install(bridge):
    bridge.define("log", {"info": _logger(INFO, "info"), "warn": _logger(WARN, "warn"),
                          "error": _logger(ERROR, "error")})
