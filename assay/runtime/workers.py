"""Worker threads for blocking calls (`InThread` ops: HTTP, WebSocket, databases).

asyncio's default executor has only min(32, cpus + 4) workers (6 on a 2-core
machine), so six handlers waiting on slow upstreams, or six `ws.recv` calls, would
stall every other blocking call. This pool grows on demand up to `_MAX_THREADS`,
and its threads are daemons, so a call that never returns cannot keep the process
alive. Worker threads only ever see plain Python data, never Lua objects.
"""

_MAX_THREADS = 256


class _DaemonPool:
    """A minimal thread pool of daemon threads that grows when all workers are busy."""

    def __init__(self, limit):
        import queue
        import threading
        self._thread_class = threading.Thread
        self._limit = limit
        self._jobs = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0      # workers waiting for a job (each will take exactly one)
        self._threads = 0
        self._backlog = 0   # jobs queued while every worker was busy and the pool was full

    def submit(self, fn):
        import concurrent.futures
        future = concurrent.futures.Future()
        with self._lock:
            self._jobs.put((future, fn))
            if self._idle:
                self._idle -= 1
            elif self._threads < self._limit:
                self._threads += 1
                self._thread_class(target=self._work, name="assay-io", daemon=True).start()
            else:
                self._backlog += 1
        return future

    def _work(self):
        while True:
            future, fn = self._jobs.get()
            if future.set_running_or_notify_cancel():
                try:
                    result = fn()
                except BaseException as e:  # handed to the loop thread, never raised here
                    future.set_exception(e)
                else:
                    future.set_result(result)
            future = fn = None
            with self._lock:
                if self._backlog:
                    self._backlog -= 1
                else:
                    self._idle += 1


_pool = []


def pool():
    """The process-wide daemon pool, created on first use."""
    if not _pool:
        _pool.append(_DaemonPool(_MAX_THREADS))
    return _pool[0]
