"""The cooperative scheduler: Lua coroutines driven by asyncio.

Why this design (measured): lupa holds one lock
for the whole Lua state, so threads calling into Lua serialise and a server loop
running inside a Lua call deadlocks. Instead one thread owns the Lua state and an
asyncio loop. The main chunk, every `async.spawn` task, interval callback and HTTP
handler is a Lua coroutine with an integer id; `drive()` resumes it. A yielding
builtin yields an `Op`; the driver awaits it (a timer, a worker thread for a
blocking client, any awaitable) and resumes the coroutine with `(true, result)` or
`(false, message)`. Worker threads only ever see plain Python data; Lua values
are built on the loop thread, just before the resume.
"""
import time

from .errors import BuiltinError, ScriptError
from .logs import logger
from .luaengine import LuaError, LuaMemoryError
from .sandbox import check_room, failure, memory_message

_DEAD = b"dead"


class Op:
    """Something a yielding builtin asks the scheduler to wait for."""

    async def run(self, scheduler):
        raise NotImplementedError

    def run_blocking(self, scheduler):
        """Perform the op without the loop (inside a coroutine the script made)."""
        raise BuiltinError("this call cannot run inside a coroutine created by the script")

    def convert(self, scheduler, result):
        """Build the Lua value(s) from the op's Python result (on the loop thread)."""
        return result


class Sleep(Op):
    def __init__(self, seconds):
        self.seconds = seconds

    async def run(self, scheduler):
        import asyncio
        await asyncio.sleep(self.seconds)

    def run_blocking(self, scheduler):
        time.sleep(self.seconds)


class InThread(Op):
    """Run a blocking Python function on a worker thread; `convert` builds Lua values.

    `on_cancel` runs on the loop thread if the waiting task is cancelled (e.g. to shut
    down a socket the worker is blocked on).
    """

    def __init__(self, fn, convert=None, on_cancel=None):
        self.fn = fn
        self._convert = convert
        self.on_cancel = on_cancel

    async def run(self, scheduler):
        import asyncio
        from .workers import pool
        future = asyncio.wrap_future(pool().submit(self.fn))
        try:
            return await future
        except asyncio.CancelledError:
            if self.on_cancel is not None:
                try:
                    self.on_cancel()
                except Exception:
                    pass
            raise

    def run_blocking(self, scheduler):
        return self.fn()

    def convert(self, scheduler, result):
        return self._convert(result) if self._convert else result


class Awaitable(Op):
    """Await a coroutine produced by `factory()` on the loop."""

    def __init__(self, factory, convert=None):
        self.factory = factory
        self._convert = convert

    async def run(self, scheduler):
        return await self.factory()

    def convert(self, scheduler, result):
        return self._convert(result) if self._convert else result


class Join(Op):
    """Wait for task `task_id`; its return values come back as an array table."""

    def __init__(self, task_id):
        self.task_id = task_id

    async def run(self, scheduler):
        record = scheduler.tasks[self.task_id]
        record.awaited = True
        scheduler.unobserved.pop(self.task_id, None)
        import asyncio
        try:
            return await asyncio.shield(record.future)
        except ScriptError as e:
            raise BuiltinError(e.value if isinstance(e.value, str) else e.message) from None

    def run_blocking(self, scheduler):
        record = scheduler.tasks[self.task_id]
        if not record.future.done():
            raise BuiltinError("async handle cannot be awaited inside a coroutine created by the script "
                               "before the task has finished")
        record.awaited = True
        scheduler.unobserved.pop(self.task_id, None)
        exc = record.future.exception()
        if exc is not None:
            raise BuiltinError(exc.value if isinstance(exc.value, str) else exc.message)
        return record.future.result()

    def convert(self, scheduler, result):
        return scheduler._pack(*result)


class _Task:
    __slots__ = ("future", "awaited")

    def __init__(self, future):
        self.future = future
        self.awaited = False


class Scheduler:
    def __init__(self, bridge):
        self.bridge = bridge
        internals = self.internals = bridge.internals
        # Lua functions are looked up once: indexing a Lua table from Python while a
        # coroutine is running returns stale stack values (lupa), calling is safe.
        self._new_task = internals.new_task
        self._step = internals.step
        self._pack = internals.pack
        self._set_deadline = internals.set_deadline
        self.to_lua = bridge.to_lua
        self._loop = None
        self.tasks = {}        # task id -> _Task, for async.spawn handles
        self.unobserved = {}   # task id -> error message of failed, never-awaited tasks
        self.intervals = {}    # interval id -> {"cancelled": bool}
        self._next_interval = 0
        self.deadline = None   # time.monotonic() when the run must end (tool mode), else None

    @property
    def loop(self):
        """The asyncio loop, created on first need: a script that never yields
        (most short Jobs) does not pay for importing asyncio (~35 ms)."""
        if self._loop is None:
            import asyncio
            self._loop = asyncio.new_event_loop()
        return self._loop

    # ---- driving coroutines -------------------------------------------------
    def _resume(self, task_id, send):
        """Resume once; return (True, values) when the task ended, (False, op) when it yielded."""
        try:
            status, ok, *values = self._step(task_id, *send)
        except LuaError as e:  # the runtime itself failed, e.g. out of memory while reporting
            raise _lua_failure(e) from None
        if not ok:
            raw, message, tb = values
            memory = memory_message(_text(message)) if isinstance(raw, bytes) else None
            raise ScriptError(memory or _text(message), _text(tb),
                              value=_text(raw) if isinstance(raw, bytes) else raw,
                              kind="memory" if memory else "runtime")
        if status == _DEAD:
            return True, values
        return False, (values[0] if values else None)

    async def drive(self, task_id, *args):
        """Resume task `task_id` until it ends; return its values or raise ScriptError."""
        done, result = self._resume(task_id, args)
        while not done:
            done, result = self._resume(task_id, await self._perform(result))
        return result

    async def _continue(self, task_id, op):
        while True:
            done, result = self._resume(task_id, await self._perform(op))
            if done:
                return result
            op = result

    async def _perform(self, op):
        if not isinstance(op, Op):  # a bare coroutine.yield() in a task: let others run
            import asyncio
            await asyncio.sleep(0)
            return ()
        try:
            result = op.convert(self, await op.run(self))
        except Exception as e:
            return failure(e)
        return self._ok(result)

    def _ok(self, result):
        from .convert import Multi
        check_room(self.bridge.lua, result)
        if isinstance(result, Multi):
            return (True,) + tuple(self.to_lua(v) for v in result)
        return True, self.to_lua(result)

    def block(self, op):
        """The synchronous path for ops outside scheduler tasks (prelude `wait`)."""
        try:
            return self._ok(op.convert(self, op.run_blocking(self)))
        except Exception as e:
            return failure(e)

    def run_main(self, fn, timeout=None):
        """Run Lua function `fn` as the main task to completion; returns its values.

        The main chunk runs synchronously until its first yield; only then does
        the event loop start. When the main chunk ends, everything else is
        abandoned.
        """
        task_id = self._new_task(fn)
        deadline = None
        if timeout is not None:
            deadline = self.deadline = time.monotonic() + timeout
            self._set_deadline(task_id, lambda: time.monotonic() >= deadline)
        try:
            done, result = self._resume(task_id, ())
            if done:
                return result
            main = self._continue(task_id, result)
            if deadline is not None:
                import asyncio
                main = asyncio.wait_for(main, max(0.0, deadline - time.monotonic()))
            return self.loop.run_until_complete(main)
        finally:
            self.report_unobserved()

    # ---- async.spawn / spawn_interval ---------------------------------------
    def spawn(self, fn):
        """Start `fn` as a new task (it runs at the spawner's next yield); return its id."""
        task_id = self._new_task(fn)
        future = self.loop.create_task(self.drive(task_id))
        self.tasks[task_id] = _Task(future)
        future.add_done_callback(lambda f, tid=task_id: self._task_done(tid, f))
        return task_id

    def _task_done(self, task_id, future):
        record = self.tasks.get(task_id)
        if future.cancelled() or record is None or record.awaited:
            return
        exc = future.exception()
        if exc is not None:
            self.unobserved[task_id] = getattr(exc, "message", str(exc))

    def report_unobserved(self):
        """Log errors of tasks that failed and were never awaited."""
        for task_id in sorted(self.unobserved):
            logger.error("async task failed (never awaited): %s" % self.unobserved[task_id])
        self.unobserved.clear()

    def spawn_interval(self, seconds, fn):
        self._next_interval += 1
        interval_id = self._next_interval
        state = self.intervals[interval_id] = {"cancelled": False}
        self.loop.create_task(self._interval(seconds, fn, state))
        return interval_id

    def cancel_interval(self, interval_id):
        state = self.intervals.get(interval_id)
        if state:
            state["cancelled"] = True

    async def _interval(self, seconds, fn, state):
        import asyncio
        next_tick = self.loop.time() + seconds
        while True:
            await asyncio.sleep(max(0.0, next_tick - self.loop.time()))
            if state["cancelled"]:
                return
            try:
                await self.drive(self._new_task(fn))
            except ScriptError as e:
                logger.error("async.spawn_interval: callback error: %s" % e.message)
                return
            next_tick += seconds

    def close(self):
        """Cancel what is left and close the loop (in-process use; the CLI just exits)."""
        if self._loop is None:
            return
        import asyncio
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()


def _lua_failure(e):
    if isinstance(e, LuaMemoryError):
        return ScriptError("not enough memory", kind="memory")
    message = str(e).split("\nstack traceback:", 1)[0] or type(e).__name__
    return ScriptError(message)


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return "" if v is None else str(v)
