"""assay.gcal (spec stdlib/gcal.md, GCAL-01..12) against the shared Google fake
(fake_google.FakeGoogle: token endpoint, Gmail v1, Calendar v3)."""
import json
import os
import re

import pytest

from fake_google import (ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, google,  # noqa: F401
                         google_server)
from fakes import lua_with

REQ = 'local gcal = require("assay.gcal")\n'
CLIENT = REQ + ('local c = gcal.client({credentials_file = "$CREDS", token_file = "$TOKEN",'
                ' token_url = "$URL/token", api_base = "$URL"})\n')
EVENTS = "/calendar/v3/calendars/primary/events"


@pytest.fixture
def files(tmp_path):
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"web": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}}))
    token = tmp_path / "token.json"
    token.write_text(json.dumps({"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN}))
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


def test_gcal_01_module_exposes_client(lua):
    assert lua(REQ + "return type(gcal.client)") == "function"


def test_gcal_02_required_files(fails, run):
    msg = fails('gcal.client({token_file = "$TOKEN"})', REQ)
    assert re.search(r"assay/gcal\.lua:\d+: gcal: credentials_file is required$", msg), msg
    msg = fails('gcal.client({credentials_file = "$CREDS"})', REQ)
    assert re.search(r"assay/gcal\.lua:\d+: gcal: token_file is required$", msg), msg
    assert run('local d = gcal.client({credentials_file = "$CREDS", token_file = "$TOKEN"})\n'
               'return d.api_base, d.auth._token_url', REQ) == (
        "https://www.googleapis.com", "https://oauth2.googleapis.com/token")


def test_gcal_03_headers_and_api_base(run, google):
    run("return c:calendars()")
    req = google.last()
    assert req.path == "/calendar/v3/users/me/calendarList"
    assert req.header("Authorization") == "Bearer " + ACCESS_TOKEN
    assert req.header("Content-Type") == "application/json"
    # api_base keeps its value; a trailing slash does not produce "//" in request paths
    code = REQ + ('local d = gcal.client({credentials_file = "$CREDS", token_file = "$TOKEN", api_base = "$URL/"})\n'
                  'return d.api_base, #d:calendars()')
    assert run(code, "") == (google.url + "/", 2)
    assert google.last().path == "/calendar/v3/users/me/calendarList"


def test_gcal_04_events(run, google):
    events = run("return c:events()")
    assert [(e["id"], e["summary"]) for e in events] == [
        ("evt1", "Standup"), ("evt2", "Design review"), ("evt3", "Team dinner & drinks")]
    assert google.last().target == EVENTS


def test_gcal_05_events_query_in_order_and_encoded(run, google):
    """RFC 3339 offsets and `q` are percent-encoded (spec Note): `+01:00` must not become a space."""
    events = run('return c:events({q = "dinner & drinks", maxResults = 5,'
                 ' timeMax = "2024-01-17T00:00:00+01:00", timeMin = "2024-01-15T12:00:00+01:00"})')
    assert [e["id"] for e in events] == ["evt3"]
    req = google.last()
    assert req.path == EVENTS
    assert req.query_keys == ["timeMin", "timeMax", "maxResults", "q"]
    assert req.query == {"timeMin": ["2024-01-15T12:00:00+01:00"], "timeMax": ["2024-01-17T00:00:00+01:00"],
                         "maxResults": ["5"], "q": ["dinner & drinks"]}
    assert "%2B01%3A00" in req.raw_query
    events = run('return c:events({timeMin = "2024-01-15T08:10:00Z", maxResults = 2})')
    assert [e["id"] for e in events] == ["evt1", "evt2"]
    assert google.last().raw_query == "timeMin=2024-01-15T08%3A10%3A00Z&maxResults=2"
    google.set("GET", EVENTS, 200, {"kind": "calendar#events"})
    assert run("local e = c:events(); return type(e), #e") == ("table", 0)
    google.set("GET", EVENTS, 404, {"error": {"code": 404}})
    assert run("return #c:events()") == 0


def test_gcal_06_event_get(run, google):
    event = run('return c:event_get("evt1")')
    assert event["summary"] == "Standup"
    assert [a["email"] for a in event["attendees"]] == ["alice@example.com", "bob@example.org"]
    assert google.last().target == EVENTS + "/evt1"
    assert run('return c:event_get("nope") == nil') is True


def test_gcal_07_event_create(run, google):
    created = run('return c:event_create({summary = "1:1", start = {dateTime = "2024-01-18T10:00:00+01:00"},'
                  ' ["end"] = {dateTime = "2024-01-18T10:30:00+01:00"}, attendees = {{email = "a@example.com"}}})')
    assert created["id"] == "evt101" and created["summary"] == "1:1"
    req = google.last()
    assert (req.method, req.path) == ("POST", EVENTS)
    assert req.json() == {"summary": "1:1", "start": {"dateTime": "2024-01-18T10:00:00+01:00"},
                          "end": {"dateTime": "2024-01-18T10:30:00+01:00"}, "attendees": [{"email": "a@example.com"}]}
    assert run('return c:event_get("evt101").summary') == "1:1"
    google.set("POST", EVENTS, 201, {"id": "made", "summary": "x"})
    assert run('return c:event_create({summary = "x"}).id') == "made"


def test_gcal_08_event_update(run, google):
    updated = run('return c:event_update("evt2", {summary = "Design review (moved)", location = "Room 5",'
                  ' start = {dateTime = "2024-01-15T16:00:00+01:00"}, ["end"] = {dateTime = "2024-01-15T17:00:00+01:00"}})')
    assert (updated["id"], updated["summary"], updated["location"]) == ("evt2", "Design review (moved)", "Room 5")
    req = google.last()
    assert (req.method, req.path) == ("PUT", EVENTS + "/evt2")
    assert req.json()["start"] == {"dateTime": "2024-01-15T16:00:00+01:00"}


def test_gcal_09_event_delete(run, google, fails):
    assert run('return c:event_delete("evt3")') is True
    req = google.last()
    assert (req.method, req.path) == ("DELETE", EVENTS + "/evt3")
    assert run("return #c:events()") == 2
    google.set("DELETE", EVENTS + "/evt1", 200, {})
    assert run('return c:event_delete("evt1")') is True
    msg = fails('c:event_delete("evt3")')
    assert msg.endswith("gcal: DELETE /calendar/v3/calendars/primary/events/evt3 HTTP 410: "
                        + json.dumps({"error": {"code": 410, "message": "Resource has been deleted",
                                                "errors": [{"message": "Resource has been deleted",
                                                            "domain": "global", "reason": "deleted"}],
                                                "status": "GONE"}})), msg


def test_gcal_10_calendars(run, google):
    cals = run("local l = c:calendars(); return l, l[1].primary == true, l[2].primary == nil")
    items, primary, other = cals
    assert [c_["summary"] for c_ in items] == ["me@example.com", "Team"] and primary and other
    google.set("GET", "/calendar/v3/users/me/calendarList", 200, {"kind": "calendar#calendarList"})
    assert run("return #c:calendars()") == 0


def test_gcal_11_refresh_on_401(run, google, files):
    google.expire()
    assert run('return c:event_get("evt1").id') == "evt1"
    first, refresh, retry = google.requests
    assert first.header("Authorization") == "Bearer " + ACCESS_TOKEN
    assert (refresh.method, refresh.path) == ("POST", "/token")
    assert refresh.json() == {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN,
                              "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert retry.header("Authorization") == "Bearer ya29.refreshed-1" and retry.path == EVENTS + "/evt1"
    assert json.loads(open(files["TOKEN"]).read())["access_token"] == "ya29.refreshed-1"
    # every verb retries once: PUT / DELETE too
    google.expire()
    assert run('return c:event_delete("evt2")') is True
    assert [(r.method, r.path) for r in google.requests[-3:]] == [
        ("DELETE", EVENTS + "/evt2"), ("POST", "/token"), ("DELETE", EVENTS + "/evt2")]
    assert json.loads(open(files["TOKEN"]).read())["access_token"] == "ya29.refreshed-2"


def test_gcal_12_errors(fails, google):
    msg = fails('c:event_create({summary = "no times"})')
    assert re.search(r'assay/gcal\.lua:\d+: gcal: POST /calendar/v3/calendars/primary/events HTTP 400: .*Missing start time',
                     msg), msg
    msg = fails('c:event_update("missing", {summary = "x"})')
    assert "gcal: PUT /calendar/v3/calendars/primary/events/missing HTTP 404: " in msg
    google.fail("GET", EVENTS, 503, "unavailable")
    msg = fails('c:events({maxResults = 3})')
    assert msg.endswith("gcal: GET /calendar/v3/calendars/primary/events?maxResults=3 HTTP 503: unavailable"), msg
    google.fail("GET", "/calendar/v3/users/me/calendarList", 401, "still unauthorized")
    msg = fails("c:calendars()")
    assert msg.endswith("gcal: GET /calendar/v3/users/me/calendarList HTTP 401: still unauthorized"), msg


def test_gcal_issue12_url_first_client_form(run, google):
    code = REQ + ('local c = gcal.client("$URL//", {credentials_file = "$CREDS", token_file = "$TOKEN",'
                  ' token_url = "$URL/token"})\nreturn c.api_base, c:event_get("evt2").summary')
    assert run(code, "") == (google.url, "Design review")


def test_gcal_documented_form_daily_agenda(run, google):
    """The documented options-table form: a daily agenda (README.md, assay.github / assay.gcal)."""
    code = REQ + '''
local cal = gcal.client({ credentials_file = "$CREDS", token_file = "$TOKEN",
  token_url = "$URL/token", api_base = "$URL" })
local lines = {}
for _, ev in ipairs(cal:events({ timeMin = "2024-01-15T00:00:00+01:00",
                                 timeMax = "2024-01-16T00:00:00+01:00", maxResults = 50 })) do
  local start = ev.start.dateTime or ev.start.date
  lines[#lines + 1] = start:sub(12, 16) .. "  " .. (ev.summary or "(no title)")
end
return table.concat(lines, "\\n")'''
    assert run(code, "") == "09:00  Standup\n14:00  Design review"


def test_gcal_header_metadata():
    """Discovery header (discovery.md §4): the spec's quickrefs verbatim, the documented
    constructor form first (issue 12)."""
    from assay.discovery.metadata import parse
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib", "gcal.lua")
    meta = parse(open(path, encoding="utf-8").read())
    assert meta.module == "assay.gcal"
    assert meta.description == 'Google Calendar REST API client with OAuth2 token refresh. Events CRUD, calendar list.'
    assert meta.keywords == [
        'google',
        'calendar',
        'gcal',
        'events',
        'oauth2',
        'schedule',
        'meeting',
        'create',
        'update',
        'delete',
    ]
    lines = ["%s -> %s | %s" % q for q in meta.quickrefs]
    assert lines == [
        'M.client(api_base, opts) -> client | Calendar client for api_base (https://www.googleapis.com); opts {credentials_file, token_file, token_url?} or {auth = oauth2 client}; M.client(opts) with opts.api_base also works',
        'c.events:list(opts?) -> [event] | List calendar events; flat: c:events(opts?)',
        'c.events:get(event_id) -> event | Get event by ID; flat: c:event_get(event_id)',
        'c.events:create(event) -> event | Create a calendar event; flat: c:event_create(event)',
        'c.events:update(event_id, event) -> event | Update an event; flat: c:event_update(event_id, event)',
        'c.events:delete(event_id) -> true | Delete an event; flat: c:event_delete(event_id)',
        'c.calendars:list() -> [calendar] | List all calendars; flat: c:calendars()',
    ]


def test_gcal_both_generations(run, google):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run('''local e = c:event_create({summary = "Gen", start = {dateTime = "2024-01-20T10:00:00Z"},
                                           ["end"] = {dateTime = "2024-01-20T11:00:00Z"}})
        local got = c:event_get(e.id).summary
        local upd = c:event_update(e.id, {summary = "Gen 2", start = e.start, ["end"] = e["end"]}).summary
        local deleted = c:event_delete(e.id)
        return {#c:calendars(), got, upd, deleted, #c:events()}''')
    new = run('''local e = c.events:create({summary = "Gen", start = {dateTime = "2024-01-20T10:00:00Z"},
                                           ["end"] = {dateTime = "2024-01-20T11:00:00Z"}})
        local got = c.events:get(e.id).summary
        local upd = c.events:update(e.id, {summary = "Gen 2", start = e.start, ["end"] = e["end"]}).summary
        local deleted = c.events:delete(e.id)
        return {#c.calendars:list(), got, upd, deleted, #c.events:list()}''')
    assert old == new == [2, "Gen", "Gen 2", True, 3]
