"""`async.spawn(fn)` and `async.spawn_interval(seconds, fn)`.

The Python side starts tasks on the scheduler; the handle tables (`{await}`,
`{cancel}`) are built in Lua so that dot and colon calls both work.
"""
from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.errors import BuiltinError
from assay.runtime.scheduler import Join
from . import lua_file


def install(bridge):
    scheduler = bridge.runtime.scheduler

    def start(fn):
        return scheduler.spawn(fn)

    def start_interval(seconds, fn):
        seconds = args.number(seconds, "async.spawn_interval: first argument must be a number of seconds")
        if not seconds > 0:
            raise BuiltinError("async.spawn_interval: interval must be positive")
        return scheduler.spawn_interval(float(seconds), fn)

    @yielding
    def join(task_id):
        return Join(task_id)

    def stop(interval_id):
        scheduler.cancel_interval(interval_id)

    bridge.define("async", {"_start": start, "_start_interval": start_interval,
                            "_join": join, "_stop": stop}, lua=lua_file("async"))
