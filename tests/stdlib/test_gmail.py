"""assay.gmail (spec stdlib/gmail.md, GMAIL-01..13) against the shared Google fake
(fake_google.FakeGoogle: token endpoint, Gmail v1, Calendar v3). Sent messages are decoded
from their base64url `raw` and parsed back with Python's `email` package."""
import base64
import email
import email.policy
import json
import os
import re

import pytest

from fake_google import (ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, google,  # noqa: F401
                         google_server)
from fakes import lua_with

REQ = 'local gmail = require("assay.gmail")\n'
CLIENT = REQ + ('local c = gmail.client({credentials_file = "$CREDS", token_file = "$TOKEN",'
                ' token_url = "$URL/token", api_base = "$URL"})\n')


@pytest.fixture
def files(tmp_path):
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"installed": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                               "redirect_uris": ["http://localhost"]}}))
    token = tmp_path / "token.json"
    token.write_text(json.dumps({"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN,
                                 "scope": "https://www.googleapis.com/auth/gmail.modify"}))
    return {"CREDS": str(creds), "TOKEN": str(token)}


@pytest.fixture
def run(lua, google, files):
    def run_(code, prelude=CLIENT):
        return lua_with(lua, prelude + code, URL=google.url, **files)
    return run_


@pytest.fixture
def fails(lua_fails, google, files):
    def fails_(code, prelude=CLIENT):
        return lua_fails(lua_with(lambda c: c, prelude + code, URL=google.url, **files))
    return fails_


def raw_bytes(raw):
    assert re.fullmatch(r"[A-Za-z0-9_-]+", raw), "raw must be base64url without padding: %r" % raw
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def parsed(raw):
    return email.message_from_bytes(raw_bytes(raw), policy=email.policy.default)


def test_gmail_01_module_exposes_client(lua):
    assert lua(REQ + "return type(gmail.client)") == "function"


def test_gmail_02_required_files(fails, run, files, google):
    msg = fails('gmail.client({token_file = "$TOKEN"})', REQ)
    assert re.search(r"assay/gmail\.lua:\d+: gmail: credentials_file is required$", msg), msg
    msg = fails('gmail.client({credentials_file = "$CREDS"})', REQ)
    assert re.search(r"assay/gmail\.lua:\d+: gmail: token_file is required$", msg), msg
    assert "credentials_file is required" in fails("gmail.client()", REQ)
    # defaults, and the overrides used by every other test
    assert run('local d = gmail.client({credentials_file = "$CREDS", token_file = "$TOKEN"})\n'
               'return d.api_base, d.auth._token_url, c.api_base, c.auth._token_url', REQ + CLIENT[len(REQ):]) == (
        "https://gmail.googleapis.com", "https://oauth2.googleapis.com/token", google.url, google.url + "/token")
    code = 'local d = gmail.client({credentials_file = "$CREDS", token_file = "$TOKEN", api_base = "$URL/"})\n' \
           'return d.api_base, #d:labels()'
    assert run(code, REQ) == (google.url + "/", 3)
    assert google.last().path == "/gmail/v1/users/me/labels"


def test_gmail_03_bearer_from_token_file(run, google):
    run("return c:labels()")
    req = google.last("/gmail/v1/users/me/labels")
    assert req.header("Authorization") == "Bearer " + ACCESS_TOKEN
    assert req.header("Content-Type") == "application/json"


def test_gmail_04_search_fetches_full_messages(run, google):
    msgs = run('local m = c:search("to:me"); return {#m, m[1].id, m[2].id, m[1].snippet, m[2].snippet,'
               ' m[1].payload.headers[2].value, m[1].threadId}')
    assert msgs[:5] == [4, "msg-1", "msg-2", "Are you free for lunch on Friday?", "Numbers attached (see the report)"]
    assert msgs[5:] == ["Alice Example <alice@example.com>", "thread-1"]
    targets = [(r.method, r.path, r.query) for r in google.requests]
    assert targets[0] == ("GET", "/gmail/v1/users/me/messages", {"q": ["to:me"], "maxResults": ["10"]})
    assert google.requests[0].query_keys == ["q", "maxResults"]
    assert targets[1:] == [("GET", "/gmail/v1/users/me/messages/msg-%d" % i, {"format": ["full"]}) for i in (1, 2, 3, 4)]


def test_gmail_05_search_max_encoding_and_empty(run, google):
    """`max` caps the list; the query is percent-encoded (spec Note) so Gmail sees it intact."""
    query = 'from:alice subject:"lunch on" (friday)'
    ids = run('local out = {}; for _, m in ipairs(c:search(\'%s\', {max = 1})) do out[#out+1] = m.id end;'
              ' return out' % query)
    assert ids == ["msg-1"]
    first = google.requests[0]
    assert first.query == {"q": [query], "maxResults": ["1"]}
    assert " " not in first.raw_query and '"' not in first.raw_query
    assert run('return #c:search("nothing-matches-this"), c:search("is:unread", {max = 2})[2].id') == (0, "msg-4")
    assert google.last().path == "/gmail/v1/users/me/messages/msg-4"
    google.set("GET", "/gmail/v1/users/me/messages", 200, {"resultSizeEstimate": 0})
    before = len(google.requests)
    assert run("return #c:search('x')") == 0
    assert len(google.requests) == before + 1
    # a hit that vanished in between (404) is skipped
    google.set("GET", "/gmail/v1/users/me/messages", 200,
               {"messages": [{"id": "gone", "threadId": "t"}, {"id": "msg-3", "threadId": "thread-3"}]})
    assert run("local m = c:search('x'); return #m, m[1].id") == (1, "msg-3")


def test_gmail_06_get(run, google):
    msg = run('return c:get("msg-2")')
    assert msg["id"] == "msg-2" and msg["payload"]["mimeType"] == "text/plain"
    req = google.last()
    assert (req.path, req.query) == ("/gmail/v1/users/me/messages/msg-2", {"format": ["full"]})
    meta = run('return c:get("msg-2", {format = "metadata"})')
    assert "body" not in meta["payload"]
    assert google.last().query == {"format": ["metadata"]}
    assert run('return c:get("missing-id") == nil') is True


def test_gmail_07_send(run, google):
    res = run('local r = c:send("carol@example.com", "Status update", "All green.\\nSee you!")'
              ' return r.id, r.labelIds[1], r.threadId')
    assert res == ("sent-1", "SENT", "thread-sent-1")
    req = google.last()
    assert (req.method, req.path) == ("POST", "/gmail/v1/users/me/messages/send")
    body = req.json()
    assert list(body) == ["raw"]
    assert raw_bytes(body["raw"]) == (b"To: carol@example.com\r\nSubject: Status update\r\n"
                                      b"Content-Type: text/plain; charset=utf-8\r\n\r\nAll green.\r\nSee you!")
    msg = parsed(body["raw"])
    assert msg["To"] == "carol@example.com" and msg["Subject"] == "Status update"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert msg.get_content() == "All green.\r\nSee you!" or msg.get_content() == "All green.\nSee you!"


def test_gmail_07_send_non_ascii_is_mime_encoded(run, google):
    """Spec Note: non-ASCII headers are RFC 2047-encoded, a non-ASCII body is base64."""
    subject = "Grüße aus München — ein sehr langer Betreff mit Umlauten äöü ÄÖÜ ß und Emoji 🎉"
    run('return c:send("Jörg Müller <joerg@example.de>, bob@example.org", "%s", "Schöne Grüße\\n🎉")' % subject)
    raw = google.last().json()["raw"]
    data = raw_bytes(raw)
    assert all(b < 128 for b in data), "the message must be 7-bit clean"
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    msg = parsed(raw)
    assert msg["Subject"] == subject
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Jörg Müller", "joerg@example.de"), ("", "bob@example.org")]
    assert msg["Content-Transfer-Encoding"] == "base64" and msg["MIME-Version"] == "1.0"
    assert msg.get_content().replace("\r\n", "\n") == "Schöne Grüße\n🎉"


def test_gmail_07_send_header_injection_is_neutralised(run, google):
    run('return c:send("carol@example.com", "Hi\\r\\nBcc: eve@evil.example", "x")')
    msg = parsed(google.last().json()["raw"])
    assert msg["Bcc"] is None and msg["Subject"] == "Hi Bcc: eve@evil.example"


def test_gmail_08_reply_posts_raw_with_thread(run, google):
    res = run('local r = c:reply("msg-1", {body = "Friday works."}); return r.id, r.threadId')
    assert res == ("reply-1", "thread-1")
    get, send = google.requests
    assert (get.path, get.query) == ("/gmail/v1/users/me/messages/msg-1", {"format": ["full"]})
    body = send.json()
    assert send.path == "/gmail/v1/users/me/messages/send" and sorted(body) == ["raw", "threadId"]
    assert body["threadId"] == "thread-1"
    msg = parsed(body["raw"])
    assert msg.get_content().strip() == "Friday works."
    assert raw_bytes(body["raw"]) == (
        b"To: Alice Example <alice@example.com>\r\nSubject: Re: Lunch on Friday?\r\n"
        b"In-Reply-To: <CAF-alice-1@mail.example.com>\r\nReferences: <CAF-alice-1@mail.example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nFriday works.")


def test_gmail_09_reply_headers(run, google):
    # msg-2: subject already "Re: ...", "Message-ID" spelling, existing References
    run('return c:reply("msg-2", {body = "Thanks"})')
    msg = parsed(google.last().json()["raw"])
    assert msg["To"] == "Bob <bob@example.org>"
    assert msg["Subject"] == "Re: Quarterly report"
    assert msg["In-Reply-To"] == "<bob-2@example.org>"
    assert msg["References"] == "<me-0@example.com> <bob-2@example.org>"
    # a non-ASCII subject/From (as Gmail reports them, decoded) are encoded again
    run('return c:reply("msg-4")')
    msg = parsed(google.last().json()["raw"])
    assert msg["Subject"] == "Re: Grüße aus München"
    assert msg["To"].addresses[0].addr_spec == "joerg@example.de"
    assert msg.get_content() == ""
    # a message without Subject/Message-Id/References
    google.set("GET", "/gmail/v1/users/me/messages/bare", 200, {
        "id": "bare", "threadId": "thread-1", "payload": {"headers": [{"name": "From", "value": "x@example.com"}]}})
    run('return c:reply("bare", {body = "?"})')
    msg = parsed(google.last().json()["raw"])
    assert (msg["To"], msg["Subject"], msg["References"]) == ("x@example.com", "Re: ", None)


def test_gmail_10_reply_to_missing_message(fails, google):
    msg = fails('c:reply("nope", {body = "x"})')
    assert re.search(r"assay/gmail\.lua:\d+: gmail: message not found: nope$", msg), msg
    assert [r.method for r in google.requests] == ["GET"]


def test_gmail_11_labels(run, google):
    labels = run("return c:labels()")
    assert [(lab["name"], lab["type"]) for lab in labels] == [("INBOX", "system"), ("SENT", "system"), ("Work", "user")]
    assert google.last().target == "/gmail/v1/users/me/labels"
    google.set("GET", "/gmail/v1/users/me/labels", 200, {})
    assert run("local l = c:labels(); return type(l), #l") == ("table", 0)
    google.set("GET", "/gmail/v1/users/me/labels", 404, {"error": {"code": 404}})
    assert run("return #c:labels()") == 0


def test_gmail_12_refresh_on_401_then_retry(run, google, files):
    google.expire()
    labels = run("local l = c:labels(); return #l, c.auth:access_token()")
    assert labels == (3, "ya29.refreshed-1")
    first, refresh, retry = google.requests
    assert first.header("Authorization") == "Bearer " + ACCESS_TOKEN
    assert (refresh.method, refresh.path) == ("POST", "/token")
    assert refresh.header("Content-Type") == "application/json"
    assert refresh.json() == {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN,
                              "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert retry.header("Authorization") == "Bearer ya29.refreshed-1"
    saved = json.loads(open(files["TOKEN"]).read())
    assert saved["access_token"] == "ya29.refreshed-1" and saved["refresh_token"] == REFRESH_TOKEN
    assert saved["token_type"] == "Bearer" and saved["scope"].startswith("https://")  # other fields kept
    # POST (send) refreshes the same way
    google.expire()
    assert run('return c:send("a@example.com", "s", "b").id') == "sent-1"
    assert [r.path for r in google.requests[-3:]] == ["/gmail/v1/users/me/messages/send", "/token",
                                                      "/gmail/v1/users/me/messages/send"]


def test_gmail_12_second_401_raises_and_refresh_failure(fails, google, files):
    google.fail("GET", "/gmail/v1/users/me/labels", 401, '{"error":"still"}')
    msg = fails("c:labels()")
    assert msg.endswith('gmail: GET /gmail/v1/users/me/labels HTTP 401: {"error":"still"}'), msg
    assert [r.path for r in google.requests] == ["/gmail/v1/users/me/labels", "/token", "/gmail/v1/users/me/labels"]
    google.reset()
    google.expire()
    token = json.loads(open(files["TOKEN"]).read())
    token["refresh_token"] = "revoked"
    open(files["TOKEN"], "w").write(json.dumps(token))
    msg = fails("c:labels()")
    assert "oauth2: token refresh failed HTTP 400: " in msg and "invalid_grant" in msg


def test_gmail_13_errors(fails, google):
    google.fail("GET", "/gmail/v1/users/me/messages", 500, "backend error")
    msg = fails('c:search("a b")')
    assert re.search(r"assay/gmail\.lua:\d+: gmail: GET /gmail/v1/users/me/messages\?q=a%20b&maxResults=10 "
                     r"HTTP 500: backend error$", msg), msg
    google.fail("POST", "/gmail/v1/users/me/messages/send", 429, "rate limited")
    msg = fails('c:send("a@example.com", "s", "b")')
    assert msg.endswith("gmail: POST /gmail/v1/users/me/messages/send HTTP 429: rate limited"), msg


def test_gmail_issue12_url_first_and_shared_auth(run, google):
    """Issue 12: M.client(api_base, opts); `auth` reuses an assay.oauth2 client."""
    code = REQ + ('local oauth2 = require("assay.oauth2")\n'
                  'local auth = oauth2.from_file("$CREDS", "$TOKEN", {token_url = "$URL/token"})\n'
                  'local a = gmail.client("$URL/", {credentials_file = "$CREDS", token_file = "$TOKEN",'
                  ' token_url = "$URL/token"})\n'
                  'local b = gmail.client("$URL", {auth = auth})\n'
                  'return a.api_base, #a:labels(), b:get("msg-3").id')
    assert run(code, "") == (google.url, 3, "msg-3")
    assert [r.path for r in google.requests] == ["/gmail/v1/users/me/labels", "/gmail/v1/users/me/messages/msg-3"]


def test_gmail_documented_form_unread_digest(run, google):
    """The documented options-table form: reply to every unread mail from a person."""
    code = REQ + '''
local mail = gmail.client({ credentials_file = "$CREDS", token_file = "$TOKEN",
  token_url = "$URL/token", api_base = "$URL" })
local replied = {}
for _, m in ipairs(mail:search("is:unread from:alice", { max = 5 })) do
  local sent = mail:reply(m.id, { body = "Got it, thanks!" })
  replied[#replied + 1] = sent.threadId
end
return replied'''
    assert run(code, "") == ["thread-1"]
    assert parsed(google.last().json()["raw"])["To"] == "Alice Example <alice@example.com>"


def test_gmail_header_metadata():
    """Discovery header (discovery.md §4): the spec's quickrefs verbatim, the documented
    constructor form first (issue 12)."""
    from assay.discovery.metadata import parse
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib", "gmail.lua")
    meta = parse(open(path, encoding="utf-8").read())
    assert meta.module == "assay.gmail"
    assert meta.description == 'Gmail REST API client with OAuth2 token refresh. Search, read, reply, send emails, manage labels.'
    assert meta.keywords == [
        'gmail',
        'email',
        'oauth2',
        'google',
        'search',
        'send',
        'reply',
        'labels',
        'message',
        'thread',
    ]
    lines = ["%s -> %s | %s" % q for q in meta.quickrefs]
    assert lines == [
        'M.client(api_base, opts) -> client | Gmail client for api_base (https://gmail.googleapis.com); opts {credentials_file, token_file, token_url?} or {auth = oauth2 client}; M.client(opts) with opts.api_base also works',
        'c.messages:search(query, opts?) -> [message] | Search emails by query; flat: c:search(query, opts?)',
        'c.messages:get(message_id, opts?) -> message | Get email message by ID; flat: c:get(message_id, opts?)',
        'c.messages:reply(message_id, opts) -> message | Reply to an email; flat: c:reply(message_id, opts)',
        'c.messages:send(to, subject, body) -> message | Send a new email; flat: c:send(to, subject, body)',
        'c.labels:list() -> [label] | List all labels; flat: c:labels()',
    ]


def test_gmail_both_generations(run, google):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run('''local m = c:search("to:me")
        return {#m, m[1].id, c:get("msg-2").id, #c:labels() > 0, c:send("a@example.com", "Hi", "Body").id ~= nil}''')
    new = run('''local m = c.messages:search("to:me")
        return {#m, m[1].id, c.messages:get("msg-2").id, #c.labels:list() > 0,
                c.messages:send("a@example.com", "Hi", "Body").id ~= nil}''')
    assert old == new and old[2:] == ["msg-2", True, True] and old[0] >= 2
    # c:labels() (0.8.3) and c.labels:list() (0.19) share the name "labels"
    assert run("return #c:labels() == #c.labels:list()") is True
