"""Responses that are not read into one string: `http.download` (a body streamed to a
file) and the Server-Sent Events client (`on_event`).

Both run the request on the one HTTP layer (`assay.net.client`) through `http.py`'s
`send_open`, so credentials, the policy, redirects, TLS and the debug log behave as for
every other request. The Lua side of the event loop (calling `on_event` per event) is
in `http.py`'s LUA chunk: Python only reads events on a worker thread and hands each
one back as plain data.
"""
import itertools
import os
import re

from assay.runtime import args, sandbox
from assay.runtime.bridge import yielding
from assay.runtime.convert import Multi
from assay.runtime.errors import BuiltinError
from assay.runtime.scheduler import InThread
from assay.runtime.text import debug_quote as quote_path, os_error_text


DOWNLOAD_MAX_SIZE = 1 << 30  # a hostile URL must not fill the disk; max_size = 0 lifts it



class Streams:
    """One VM's open event streams (stream id -> EventStream, while a script reads one);
    `bridge.state("http streams", Streams)`."""

    def __init__(self):
        self.open = {}
        self.ids = itertools.count(1)


# ---- Server-Sent Events ------------------------------------------------------------

def open_events(streams, client, name, method, url, body, headers, room=None):
    """The op for a request made with `on_event`: an event stream stays open and its id
    comes back as a second value; any other response is read whole as usual, bounded
    by `room` (the heap's room, measured by the caller on the Lua thread) like any body."""

    def run():
        # the exchange module loads with the first request, not at every start
        from ._http_exchange import buffered_result, send_open, visible_response_headers
        response = send_open(client, name, method, url, body, headers, stream=True)
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" not in content_type.lower():
            return buffered_result(name, response, room)
        stream_id = next(streams.ids)
        streams.open[stream_id] = EventStream(name, response)
        return Multi([{"status": response.status, "headers": visible_response_headers(response)},
                      stream_id])

    return InThread(run)


def _next_event(streams):
    @yielding
    def next_event(stream_id):
        stream = streams.open.get(stream_id)
        if stream is None:
            return InThread(lambda: None)
        room = sandbox.room()  # measured here: the worker thread cannot ask the Lua heap
        return InThread(lambda: stream.next_event(room), on_cancel=lambda: close_events(stream_id))

    def close_events(stream_id):
        stream = streams.open.pop(stream_id, None)
        if stream is not None:
            stream.response.close()

    return next_event, close_events


_LINE_END = rb"\r\n|\n|\r"  # compiled on first use (re caches it)


class EventStream:
    """Events parsed from a `text/event-stream` body as it arrives (the WHATWG format:
    `field: value` lines, a blank line ends an event, `:` starts a comment, several
    `data` lines are joined with newlines).

    An event is bounded like any response body: a server that sends a line without end
    (or data lines without the blank line) is refused with `<fn>: not enough memory (…)`
    as soon as more has arrived than the script's heap could take."""

    def __init__(self, name, response):
        self.name = name
        self.response = response
        self.room = None  # the heap's room for the event being read (None: no limit)
        self._lines = self._read_lines()

    def _too_big(self):
        return BuiltinError("%s: %s" % (self.name, sandbox.too_big(self.room, self.room, more=True)))

    def _read_lines(self):
        from assay.net import client as net
        buf = bytearray()
        clean = 0  # buf[:clean] holds no line end: a long line is not searched again per chunk
        try:
            for chunk in self.response.chunks():
                buf += chunk
                start = 0
                while True:
                    match = re.compile(_LINE_END).search(buf, max(start, clean))
                    # a CR at the very end may be the first half of a CRLF still on its way
                    if match is None or (match.group() == b"\r" and match.end() == len(buf)):
                        clean = (len(buf) if match is None else match.start()) - start
                        break
                    yield bytes(buf[start:match.start()])
                    start = clean = match.end()
                del buf[:start]
                if self.room is not None and len(buf) > self.room:
                    raise self._too_big()
        except net.BodyError as e:
            raise BuiltinError("%s: SSE stream error: %s" % (self.name, e)) from None
        if buf.endswith(b"\r"):
            yield bytes(buf[:-1])
        # an event without its closing blank line at the end of the stream is dropped

    def next_event(self, room=None):
        """The next event as {event, data, id, retry} (fields that were sent), or None at
        the end of the stream. `room`: the bytes the script's heap can take. Worker thread."""
        from assay.runtime import credentials
        self.room = room
        event, data, size = {}, [], 0
        try:
            for line in self._lines:
                if line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                if not line:
                    if event or data:
                        if data:
                            event["data"] = credentials.conceal(b"\n".join(data))
                        return event
                    continue
                if line.startswith(b":"):
                    continue  # a comment (servers send them as keep-alives)
                field, _, value = line.partition(b":")
                if value.startswith(b" "):
                    value = value[1:]
                if field == b"data":
                    size += len(value) + 1  # what the event's data will hold
                    if room is not None and size > room:
                        raise self._too_big()
                    data.append(value)
                elif field in (b"event", b"id"):
                    event[field.decode()] = value
                elif field == b"retry" and value.isdigit():
                    event["retry"] = int(value)
        except BaseException:
            self.response.close()
            raise
        self.response.close()
        return None


# ---- http.download -------------------------------------------------------------------

@yielding
def download(url=None, path=None, opts=None):
    name = "http.download"
    if not isinstance(url, bytes):
        raise BuiltinError("http.download: first argument must be a URL string")
    if not isinstance(path, bytes):
        raise BuiltinError("http.download: second argument must be a destination path string")
    opts = args.optional_table(opts, "http.download: third argument must be a table or nil")
    from ._http_exchange import request_headers
    headers = request_headers(name, opts, {})
    timeout = args.field(opts, "timeout")
    if timeout is not None:
        timeout = args.number(timeout, "http.download: timeout must be a number of seconds")
        if not timeout > 0 or timeout == float("inf"):
            raise BuiltinError("http.download: timeout must be a positive number of seconds")
    max_size = args.field(opts, "max_size")
    if max_size is None:
        max_size = DOWNLOAD_MAX_SIZE
    else:
        max_size = args.number(max_size, "http.download: max_size must be a number of bytes")
        if max_size < 0 or max_size != max_size:
            raise BuiltinError("http.download: max_size must be 0 (no limit) or a number of bytes")
    from assay.net import client as net
    client = net.DEFAULT
    url = url.decode("utf-8", "surrogateescape")
    path = path.decode("utf-8", "surrogateescape")
    return InThread(lambda: _download(client, url, path, headers, timeout, max_size))


def _download(client, url, path, headers, timeout, max_size):
    """Stream the body into a new file next to `path` and rename it into place only once
    it is complete, so `path` never holds half a download. Worker thread."""
    import secrets

    from assay.net import client as net
    from assay.runtime import policy as policies

    name = "http.download"
    if os.path.isdir(path):
        raise BuiltinError("http.download: %s is a directory" % quote_path(path))
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise BuiltinError("http.download: cannot create directory %s: %s"
                           % (quote_path(parent), os_error_text(e))) from None
    # without a timeout of its own a download may take as long as it needs, as long
    # as data keeps coming (the client timeout bounds each wait)
    from ._http_exchange import send_open
    response = send_open(client, name, "get", url, None, headers, stream=timeout is None,
                              timeout=timeout)
    try:
        if not 200 <= response.status < 300:
            raise BuiltinError("http.download: HTTP %s for %s" % (_status_text(response.status),
                                                                  net.redact_url(url)))
        policy = policies.current()
        limits = [n for n in (max_size or None, policy and policy.max_response_bytes) if n]
        limit = min(limits) if limits else None
        temp = os.path.join(parent, ".%s.%s.part" % (os.path.basename(path), secrets.token_hex(6)))
        try:
            # O_EXCL: never write through a file or link someone placed there
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as e:
            raise BuiltinError("http.download: cannot create %s: %s" % (quote_path(temp), os_error_text(e))) from None
        total = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                try:
                    for chunk in response.chunks():
                        total += len(chunk)
                        if limit is not None and total > limit:
                            raise BuiltinError("http.download: response exceeds %s (%d bytes) for %s"
                                               % ("max_size" if limit == max_size else
                                                  "http.max_response_bytes of the policy", limit,
                                                  net.redact_url(url)))
                        fh.write(chunk)
                except net.BodyError as e:
                    raise BuiltinError("http.download: reading body failed: %s" % e) from None
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, path)
        except OSError as e:
            _remove(temp)
            raise BuiltinError("http.download: cannot write %s: %s" % (quote_path(path), os_error_text(e))) from None
        except BaseException:
            _remove(temp)
            raise
    finally:
        response.close()
    return total


def _status_text(status):
    """`404 Not Found`, as the original words it (the number alone for an unknown code)."""
    import http
    try:
        return "%d %s" % (status, http.HTTPStatus(status).phrase)
    except ValueError:
        return str(status)


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def members(streams):
    next_event, close_events = _next_event(streams)
    return {"download": download, "_sse_next": next_event, "_sse_close": close_events}
