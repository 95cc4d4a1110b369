"""One fake Google API server for the assay.gmail / assay.gcal (and oauth2) tests: the OAuth2
token endpoint, Gmail v1 and Calendar v3, on 127.0.0.1.

Built on fakes.FakeService (a ThreadingHTTPServer recording every request; `fail`/`set`
override one route). It behaves like Google where the modules can tell the difference:

- `POST /token` (the token endpoint): the refresh_token grant, JSON or form-encoded, with
  client `CLIENT_ID`/`CLIENT_SECRET` and refresh token `REFRESH_TOKEN`; answers a new access
  token `ya29.refreshed-<n>` (plus `expires_in`, `token_type`, `scope`); a wrong refresh token
  answers 400 `{"error":"invalid_grant"}`, wrong client credentials 401 `invalid_client`.
- Every API route needs `Authorization: Bearer <token>` with a currently valid token
  (`ACCESS_TOKEN` at the start); `expire()` invalidates all tokens issued so far (the next
  request answers 401 like an expired token, and a refresh issues a fresh one).
- Gmail: `messages.list` filters by a small query language (`from:`, `to:`, `subject:`,
  `label:`/`in:`, `is:unread`, quoted phrases, bare words; terms ANDed) applied to the decoded
  `q`, honours `maxResults`, omits `messages` when nothing matches (as Gmail does);
  `messages.get` honours `format` (`full`, `metadata`, `minimal`, `raw`); `messages.send`
  decodes the base64url `raw` (standard base64 alphabet `+`/`/` is rejected: 400), parses it
  with Python's email package, needs a `To` header and an existing `threadId` when given,
  and stores the sent message (`sent[...]`: the parsed `email.message.Message`, `raw`
  bytes and the request JSON). Replies get ids `reply-<n>`, new mails `sent-<n>`.
- Calendar: events of the primary calendar with RFC 3339 `start`/`end`; `events.list`
  filters by `timeMin`/`timeMax` (an unparsable time answers 400, like Google — so an
  unencoded `+01:00` offset, decoded as a space, fails), `q` substring, `maxResults`;
  insert needs `start` and `end` (400 otherwise) and answers 200 with a new id; update is a
  full replacement; delete answers 204, and 410 for an already deleted event.
"""
import base64
import binascii
import copy
import email
import email.policy
import json
import re
import threading
from datetime import datetime
from urllib.parse import parse_qs

from fakes import FakeService, Response, _fixtures, ok

CLIENT_ID = "client-123.apps.googleusercontent.com"
CLIENT_SECRET = "secret-xyz"
ACCESS_TOKEN = "ya29.initial"
REFRESH_TOKEN = "1//refresh-abc"


def google_error(status, message, reason="badRequest"):
    codes = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 410: "GONE"}
    return Response(status, {"error": {"code": status, "message": message,
                                       "errors": [{"message": message, "domain": "global", "reason": reason}],
                                       "status": codes.get(status, "FAILED_PRECONDITION")}})


def header_list(pairs):
    return [{"name": n, "value": v} for n, v in pairs]


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def gmail_message(mid, thread, headers, body, labels, snippet=None):
    text = body.encode()
    return {
        "id": mid, "threadId": thread, "labelIds": labels, "snippet": snippet or body[:60],
        "historyId": "1000", "internalDate": "1700000000000", "sizeEstimate": 500 + len(text),
        "payload": {"partId": "", "mimeType": "text/plain", "filename": "", "headers": header_list(headers),
                    "body": {"size": len(text), "data": b64url(text)}},
    }


def initial_messages():
    return [
        gmail_message("msg-1", "thread-1", [
            ("Delivered-To", "me@example.com"),
            ("From", "Alice Example <alice@example.com>"), ("To", "me@example.com"),
            ("Subject", "Lunch on Friday?"), ("Message-Id", "<CAF-alice-1@mail.example.com>"),
            ("Date", "Mon, 15 Jan 2024 09:00:00 +0000")],
            "Are you free for lunch on Friday?", ["INBOX", "UNREAD"]),
        gmail_message("msg-2", "thread-2", [
            ("From", "Bob <bob@example.org>"), ("To", "me@example.com"),
            ("Subject", "Re: Quarterly report"), ("Message-ID", "<bob-2@example.org>"),
            ("References", "<me-0@example.com>"), ("Date", "Tue, 16 Jan 2024 10:00:00 +0000")],
            "Numbers attached (see the report)", ["INBOX", "IMPORTANT"]),
        gmail_message("msg-3", "thread-3", [
            ("From", "GitHub <noreply@github.com>"), ("To", "me@example.com"),
            ("Subject", "[octocat/hello-world] PR #42 merged"), ("Message-Id", "<gh-3@github.com>")],
            "Merged #42 into main", ["INBOX", "CATEGORY_UPDATES"]),
        gmail_message("msg-4", "thread-4", [
            ("From", "=?UTF-8?B?SsO2cmc=?= <joerg@example.de>"), ("To", "me@example.com"),
            ("Subject", "Grüße aus München"), ("Message-Id", "<joerg-4@example.de>")],
            "Hallo!", ["INBOX", "UNREAD"]),
    ]


LABELS = [
    {"id": "INBOX", "name": "INBOX", "type": "system", "messageListVisibility": "hide"},
    {"id": "SENT", "name": "SENT", "type": "system"},
    {"id": "Label_1", "name": "Work", "type": "user", "labelListVisibility": "labelShow"},
]

CALENDARS = [
    {"kind": "calendar#calendarListEntry", "id": "me@example.com", "summary": "me@example.com",
     "timeZone": "Europe/Berlin", "accessRole": "owner", "primary": True},
    {"kind": "calendar#calendarListEntry", "id": "team@group.calendar.google.com", "summary": "Team",
     "timeZone": "Europe/Berlin", "accessRole": "reader"},
]


def initial_events():
    def event(eid, summary, start, end, attendees=(), location=None):
        data = {"kind": "calendar#event", "id": eid, "status": "confirmed", "summary": summary,
                "start": {"dateTime": start}, "end": {"dateTime": end},
                "organizer": {"email": "me@example.com", "self": True},
                "htmlLink": "https://calendar.google.com/event?eid=" + eid, "etag": '"1"'}
        if attendees:
            data["attendees"] = [{"email": a, "responseStatus": s} for a, s in attendees]
        if location:
            data["location"] = location
        return data
    return [
        event("evt1", "Standup", "2024-01-15T09:00:00+01:00", "2024-01-15T09:15:00+01:00",
              [("alice@example.com", "accepted"), ("bob@example.org", "needsAction")]),
        event("evt2", "Design review", "2024-01-15T14:00:00+01:00", "2024-01-15T15:00:00+01:00",
              location="Room 4"),
        event("evt3", "Team dinner & drinks", "2024-01-16T19:00:00+01:00", "2024-01-16T22:00:00+01:00"),
    ]


def parse_time(text):
    """RFC 3339 date-time (Google's timeMin/timeMax/dateTime), or None when invalid."""
    if not isinstance(text, str) or not re.match(
            r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def event_time(when):
    """An event's start/end ({dateTime} or all-day {date}) as an aware datetime."""
    return parse_time(when.get("dateTime") or (when.get("date", "1970-01-01") + "T00:00:00Z"))


class FakeGoogle(FakeService):
    name = "google"

    def __init__(self):
        super().__init__()
        self.state_lock = threading.Lock()
        self.reset()

    def reset(self):
        super().reset()
        self.valid_tokens = {ACCESS_TOKEN}
        self.issued = 0
        self.refreshes = []
        self.messages = {m["id"]: m for m in initial_messages()}
        self.sent = []
        self.events = {e["id"]: e for e in initial_events()}
        self.deleted = set()
        self.next_event = 100

    # --- test controls ------------------------------------------------------------------
    def expire(self):
        """Every token issued so far stops working (answers 401)."""
        self.valid_tokens = set()

    @property
    def token_url(self):
        return self.url + "/token"

    # --- routing --------------------------------------------------------------------------
    def route(self, r):
        if r.path == "/token":
            return self.token(r)
        auth = r.header("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in self.valid_tokens:
            return google_error(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                                     "token, login cookie or other valid authentication credential.",
                                "authError")
        with self.state_lock:
            if r.path.startswith("/gmail/v1/users/me/"):
                return self.gmail(r, r.path[len("/gmail/v1/users/me/"):])
            if r.path.startswith("/calendar/v3/"):
                return self.calendar(r, r.path[len("/calendar/v3/"):])
        return google_error(404, "Not Found", "notFound")

    def token(self, r):
        if r.method != "POST":
            return Response(405, {"error": "invalid_request"})
        ctype = (r.header("Content-Type") or "").split(";")[0].strip()
        if ctype == "application/json":
            try:
                form = json.loads(r.body)
            except ValueError:
                return Response(400, {"error": "invalid_request", "error_description": "bad JSON"})
        else:
            form = {k: v[-1] for k, v in parse_qs(r.body.decode()).items()}
        self.refreshes.append(form)
        if form.get("grant_type") != "refresh_token":
            return Response(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Response(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        if form.get("refresh_token") != REFRESH_TOKEN:
            return Response(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        self.issued += 1
        token = "ya29.refreshed-%d" % self.issued
        self.valid_tokens.add(token)
        return ok({"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                   "scope": "https://www.googleapis.com/auth/gmail.modify"})

    # --- Gmail ----------------------------------------------------------------------------
    def gmail(self, r, rest):
        q = {k: v[-1] for k, v in r.query.items()}
        if rest == "labels" and r.method == "GET":
            return ok({"labels": LABELS})
        if rest == "messages" and r.method == "GET":
            hits = [m for m in self.messages.values() if self.matches(m, q.get("q", ""))]
            hits = hits[:int(q.get("maxResults", "100"))]
            body = {"resultSizeEstimate": len(hits)}
            if hits:
                body["messages"] = [{"id": m["id"], "threadId": m["threadId"]} for m in hits]
            return ok(body)
        if rest == "messages/send" and r.method == "POST":
            return self.send(r)
        m = re.match(r"^messages/([^/]+)$", rest)
        if m and r.method == "GET":
            msg = self.messages.get(m.group(1))
            if msg is None:
                return google_error(404, "Requested entity was not found.", "notFound")
            return ok(self.formatted(msg, q.get("format", "full")))
        return google_error(404, "Not Found", "notFound")

    @staticmethod
    def header(msg, name):
        for h in msg["payload"]["headers"]:
            if h["name"].lower() == name:
                return h["value"]
        return ""

    def matches(self, msg, query):
        for term in re.findall(r'(?:\w+:)?"[^"]*"|\S+', query):
            key, _, value = term.partition(":") if re.match(r"^\w+:", term) else ("", "", term)
            value = value.strip('"()').lower()
            if key in ("from", "to", "subject"):
                ok_ = value in self.header(msg, key).lower()
            elif key in ("label", "in"):
                ok_ = value.upper() in msg["labelIds"]
            elif key == "is":
                ok_ = value.upper() in msg["labelIds"]
            else:
                text = " ".join([msg["snippet"], self.header(msg, "subject"), self.header(msg, "from")]).lower()
                ok_ = (key + ":" if key else "") + value in text
            if not ok_:
                return False
        return True

    @staticmethod
    def formatted(msg, fmt):
        msg = copy.deepcopy(msg)
        if fmt == "minimal":
            msg.pop("payload")
        elif fmt == "metadata":
            msg["payload"].pop("body")
        elif fmt == "raw":
            payload = msg.pop("payload")
            head = "".join("%s: %s\r\n" % (h["name"], h["value"]) for h in payload["headers"])
            msg["raw"] = b64url(head.encode() + b"\r\n" + base64.urlsafe_b64decode(
                payload["body"]["data"] + "=" * (-len(payload["body"]["data"]) % 4)))
        return msg

    def send(self, r):
        try:
            body = json.loads(r.body)
        except ValueError:
            return google_error(400, "Invalid JSON payload received.")
        raw = body.get("raw") if isinstance(body, dict) else None
        if not isinstance(raw, str) or not raw:
            return google_error(400, "'raw' RFC822 payload message string or uploading message via /upload/* "
                                     "URL required", "invalidArgument")
        if re.search(r"[^A-Za-z0-9_=-]", raw):
            return google_error(400, "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed")
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            return google_error(400, "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed")
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        if not parsed["To"]:
            return google_error(400, "Recipient address required", "invalidArgument")
        thread = body.get("threadId")
        known_threads = {m["threadId"] for m in self.messages.values()}
        if thread is not None and thread not in known_threads:
            return google_error(404, "Requested entity was not found.", "notFound")
        n = len(self.sent) + 1
        mid = ("reply-%d" if thread else "sent-%d") % n
        thread = thread or "thread-sent-%d" % n
        self.sent.append({"id": mid, "message": parsed, "raw": data, "request": body})
        return ok({"id": mid, "threadId": thread, "labelIds": ["SENT"]})

    # --- Calendar -------------------------------------------------------------------------
    def calendar(self, r, rest):
        q = {k: v[-1] for k, v in r.query.items()}
        if rest == "users/me/calendarList" and r.method == "GET":
            return ok({"kind": "calendar#calendarList", "etag": '"p1"', "items": CALENDARS})
        if rest == "calendars/primary/events":
            if r.method == "GET":
                return self.list_events(q)
            if r.method == "POST":
                return self.insert_event(r)
        m = re.match(r"^calendars/primary/events/([^/]+)$", rest)
        if m:
            eid = m.group(1)
            if eid in self.deleted:
                return google_error(410, "Resource has been deleted", "deleted")
            if eid not in self.events:
                return google_error(404, "Not Found", "notFound")
            if r.method == "GET":
                return ok(self.events[eid])
            if r.method == "PUT":
                event, error = self.event_body(r)
                if error:
                    return error
                event.update({"kind": "calendar#event", "id": eid, "status": event.get("status", "confirmed")})
                self.events[eid] = event
                return ok(event)
            if r.method == "DELETE":
                del self.events[eid]
                self.deleted.add(eid)
                return Response(204, b"", None)
        return google_error(404, "Not Found", "notFound")

    def list_events(self, q):
        bounds = {}
        for key in ("timeMin", "timeMax"):
            if key in q:
                bounds[key] = parse_time(q[key])
                if bounds[key] is None:
                    return google_error(400, "Bad Request")
        items = []
        for e in self.events.values():
            start, end = event_time(e["start"]), event_time(e["end"])
            if "timeMin" in bounds and end <= bounds["timeMin"]:
                continue
            if "timeMax" in bounds and start >= bounds["timeMax"]:
                continue
            if "q" in q and q["q"].lower() not in (e.get("summary", "") + " " + e.get("location", "")).lower():
                continue
            items.append(e)
        items.sort(key=lambda e: event_time(e["start"]))
        if "maxResults" in q:
            items = items[:int(q["maxResults"])]
        return ok({"kind": "calendar#events", "summary": "me@example.com", "timeZone": "Europe/Berlin",
                   "items": items})

    def event_body(self, r):
        try:
            event = json.loads(r.body)
        except ValueError:
            return None, google_error(400, "Parse Error")
        if not isinstance(event, dict):
            return None, google_error(400, "Invalid resource")
        for key in ("start", "end"):
            if not isinstance(event.get(key), dict) or not (
                    parse_time(event[key].get("dateTime")) or event[key].get("date")):
                return None, google_error(400, "Missing %s time." % key, "required")
        return event, None

    def insert_event(self, r):
        event, error = self.event_body(r)
        if error:
            return error
        self.next_event += 1
        eid = "evt%d" % self.next_event
        event.update({"kind": "calendar#event", "id": eid, "status": "confirmed",
                      "htmlLink": "https://calendar.google.com/event?eid=" + eid})
        self.events[eid] = event
        return ok(event)


google_server, google = _fixtures(FakeGoogle, "google")
