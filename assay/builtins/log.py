"""`log.info/warn/error(msg)` — one stderr record each, target `lua`."""
from assay.runtime import args
from assay.runtime.logs import ERROR, INFO, WARN, logger


def _logger(level, name):
    def log(msg=None):
        text = args.string_param(msg, 1, name).decode("utf-8", "replace")
        logger.log(level, text, target="lua")
    return log


def install(bridge):
    bridge.define("log", {"info": _logger(INFO, "info"), "warn": _logger(WARN, "warn"),
                          "error": _logger(ERROR, "error")})
