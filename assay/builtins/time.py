"""`sleep(seconds)` (yielding) and `time()`."""
import math
import time as _time

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.errors import BuiltinError
from assay.runtime.scheduler import Sleep


@yielding
def sleep(seconds=None):
    seconds = args.number(seconds, "sleep: argument must be a number of seconds")
    if math.isnan(seconds):
        raise BuiltinError("sleep: duration must not be NaN")
    if math.isinf(seconds) and seconds > 0:
        seconds = 10 ** 9  # effectively forever, without overflowing the timer
    return Sleep(max(0.0, float(seconds)))


def now():
    return _time.time()


def install(bridge):
    g = bridge.globals
    g.sleep = bridge.function(sleep, "sleep")
    g.time = bridge.function(now, "time")
