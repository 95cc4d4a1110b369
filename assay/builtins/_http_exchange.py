"""One HTTP exchange as the `http` builtins see it, shared by `http.py` (whole bodies) and
`http_stream.py` (downloads, server-sent events): the headers sent, credential handles
swapped for their secrets, the policy's limits and redaction, error texts naming the
builtin. Runs on worker threads except `request_headers` (loop thread, reads Lua)."""
from assay.runtime import args, sandbox
from assay.runtime.errors import BuiltinError


def request_headers(name, opts, ours):
    """The headers to send: `ours` (what the runtime sets) merged with `opts.headers`.
    A header the caller names replaces ours whatever its spelling, so it is never sent
    twice (servers reject a doubled Content-Type)."""
    headers = {key.lower(): (key, value) for key, value in ours.items()}
    user_headers = args.field(opts, "headers")
    if user_headers is not None:
        if not args.is_table(user_headers):
            raise BuiltinError("%s: headers must be a table" % name)
        for key, value in user_headers.items():
            if not isinstance(key, bytes):
                raise BuiltinError("%s: header names must be strings" % name)
            key_text = key.decode("latin-1")
            value = args.string(value, "%s: header %s must have a string value" % (name, key_text))
            headers[key_text.lower()] = (key_text, value)
    return dict(headers.values())


def buffered_result(name, response, room=None):
    """Read the whole body of an opened response; the `{status, body, headers}` data.

    `room`: the bytes the script's heap can still take (None: no limit). A body that
    declares more is refused before it is read; one that does not is read no further."""
    from assay.net import client as net
    from assay.runtime import credentials, policy as policies

    policy = policies.current()
    try:
        declared = response.headers.get("content-length", "")
        if room is not None and declared.isdigit() and int(declared) > room:
            raise BuiltinError("%s: %s" % (name, sandbox.too_big(int(declared), room)))
        chunks, size = [], 0
        for chunk in response.chunks():
            chunks.append(chunk)
            size += len(chunk)
            if room is not None and size > room:
                raise BuiltinError("%s: %s" % (name, sandbox.too_big(room, room, more=True)))
        data = credentials.conceal(b"".join(chunks))
    except net.ResponseTooLarge as e:  # the policy's max_response_bytes, counted by net
        raise BuiltinError("%s: %s" % (name, e)) from None
    except net.BodyError as e:
        raise BuiltinError("%s: reading body failed: %s" % (name, e)) from None
    finally:
        response.close()
    out_headers = visible_response_headers(response)
    if policy is not None and policy.redact:
        data = policy.redact_body(data)
    return {"status": response.status, "body": _body_text(data, out_headers.get("content-type")),
            "headers": out_headers}


def send_open(client, name, method, url, body, headers, stream=False, timeout=None):
    """Open the request (worker thread) with the builtin `name`'s error texts; returns
    the net Response with its body unread."""
    from assay.net import client as net
    from assay.runtime import credentials, policy as policies

    # Credential handles: a handle never goes into a URL; in headers and body it is
    # swapped for the secret here, and net.open refuses the request (and any redirect
    # hop) the policy forbids before anything is sent.
    if credentials.has_handle(url.encode("utf-8", "surrogateescape")):
        raise BuiltinError("%s: a credential handle in the URL is refused (send it in a header or the body)" % name)
    headers = {k: credentials.reveal(v) for k, v in headers.items()}
    body = credentials.reveal(body)
    try:
        return net.open(client, method, url, body, headers, stream=stream, timeout=timeout)
    except policies.PolicyDenied as e:
        raise BuiltinError("%s: %s" % (name, e)) from None
    except net.RequestError as e:
        raise BuiltinError("%s failed: %s" % (name, e)) from None


def visible_response_headers(response):
    """The response headers as Lua sees them: credential secrets and policy-redacted
    names hidden."""
    from assay.runtime import credentials, policy as policies
    out = {key: credentials.conceal(value.encode("latin-1")).decode("latin-1")
           for key, value in response.headers.items()}
    policy = policies.current()
    if policy is not None and policy.redact:
        out = policy.redact_headers(out)
    return out


def _body_text(data, content_type):
    """The body as Lua sees it: text in a declared non-UTF-8 charset is transcoded to
    UTF-8 (as the original does); everything else is returned as the raw bytes."""
    from assay.net import client as net
    codec = net.charset(content_type)
    if codec and codec != "utf-8":
        return data.decode(codec, "replace").encode("utf-8")
    return data
