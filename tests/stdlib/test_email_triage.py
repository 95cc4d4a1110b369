"""assay.email_triage (spec stdlib/email_triage.md, EMAIL_TRIAGE-01..12): the deterministic
rules in-process, the LLM path with a recording Lua stub and end to end through
assay.openclaw against the shared OpenClaw fake (fake_openclaw.FakeOpenClaw)."""
import os
import re

from fake_openclaw import OPENCLAW_TOKEN, openclaw, openclaw_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local triage = require("assay.email_triage")\n'

MAILS = REQ + '''
local mails = {
  { from = "alice@example.com", subject = "Lunch on Friday?" },
  { from = "boss@example.com", subject = "Action Required: sign the contract" },
  { from = "noreply@github.com", subject = "[repo] PR merged" },
  { from = "bob@example.org", subject = "Quick question" },
  { from = "ops@example.com", subject = "URGENT: disk full" },
}
'''

# a stub client recording its llm_task call; `reply` is what llm_task returns
STUB = '''
local calls = {}
local function stub(reply)
  return { llm_task = function(self, prompt, opts)
    calls[#calls + 1] = { self = self, prompt = prompt, opts = opts }
    return reply
  end }
end
'''


def names(buckets, key="subject"):
    return {b: [m[key] for m in buckets[b]] for b in ("needs_reply", "needs_action", "fyi")}


def test_email_triage_01_exports(lua):
    assert lua(REQ + "return type(triage.categorize), type(triage.categorize_llm)") == ("function", "function")


def test_email_triage_02_action_words(lua):
    out = lua(MAILS + "local b = triage.categorize(mails); return #b.needs_action, b")
    count, buckets = out
    assert count == 2
    assert names(buckets)["needs_action"] == ["Action Required: sign the contract", "URGENT: disk full"]
    out = lua(REQ + 'local b = triage.categorize({{from = "x@y", subject = "Project DEADLINE moved"},'
                    ' {from = "a@b", subject = "hello"}}) return #b.needs_action, #b.needs_reply, #b.fyi')
    assert out == (1, 1, 0)
    # no action word: zero in needs_action
    assert lua(REQ + 'return #triage.categorize({{from = "a@b", subject = "urgency"}}).needs_action') == 0


def test_email_triage_03_human_mail_needs_reply_in_order_same_tables(lua):
    out = lua(MAILS + 'local b = triage.categorize(mails)\n'
                      'return b.needs_reply[1].from, b.needs_reply[2].from, #b.needs_reply,'
                      ' b.needs_reply[1] == mails[1], b.needs_action[2] == mails[5], mails[1].bucket == nil')
    assert out == ("alice@example.com", "bob@example.org", 2, True, True, True)


def test_email_triage_04_noreply_is_fyi(lua):
    buckets = lua(MAILS + "return triage.categorize(mails)")
    assert names(buckets, "from")["fyi"] == ["noreply@github.com"]


def test_email_triage_05_automated_flag(lua):
    out = lua(REQ + 'local b = triage.categorize({{from = "cron@example.com", subject = "Backup done", automated = true},'
                    ' {from = "x@example.com", subject = "hi", automated = "yes"},'
                    ' {from = "y@example.com", subject = "Urgent backup failure", automated = true}})\n'
                    'return #b.fyi, #b.needs_reply, #b.needs_action, b.fyi[1].subject')
    # only boolean true counts as automated; the action rule still wins
    assert out == (1, 1, 1, "Backup done")


def test_email_triage_06_automated_senders_and_subjects(lua):
    buckets = lua(REQ + 'return triage.categorize({'
                        '{from = "No-Reply@Shop.example", subject = "Your order"},'
                        '{from = "weekly-NEWSLETTER@news.example", subject = "Issue 12"},'
                        '{from = "carol@example.com", subject = "Our Newsletter draft"},'
                        '{from = "system@example.com", subject = "Automated report"},'
                        '{from = "dave@example.com", subject = "Lunch"}})')
    assert names(buckets) == {"needs_reply": ["Lunch"], "needs_action": [],
                              "fyi": ["Your order", "Issue 12", "Our Newsletter draft", "Automated report"]}


def test_email_triage_07_action_beats_automated(lua):
    buckets = lua(REQ + 'return triage.categorize({{from = "noreply@bank.example", subject = "URGENT: verify"},'
                        '{from = "newsletter@x.example", subject = "Deadline approaching", automated = true}})')
    assert names(buckets) == {"needs_reply": [], "needs_action": ["URGENT: verify", "Deadline approaching"], "fyi": []}


def test_email_triage_08_empty_and_nil(lua):
    code = REQ + ('local a, b = triage.categorize({}), triage.categorize(nil)\n'
                  'return #a.needs_reply, #a.needs_action, #a.fyi, type(b.needs_reply), type(b.needs_action),'
                  ' type(b.fyi), #b.fyi')
    assert lua(code) == (0, 0, 0, "table", "table", "table", 0)
    # an email with neither field is a person's mail
    assert lua(REQ + "return #triage.categorize({{}}).needs_reply") == 1


def test_email_triage_09_client_required(lua_fails):
    for client in ("nil", "{}", '"text"', "42", "{llm = function() end}"):
        msg = lua_fails(REQ + "triage.categorize_llm({}, %s)" % client)
        assert re.search(r"assay/email_triage\.lua:\d+: email_triage: openclaw_client with llm_task is required$",
                         msg), (client, msg)


def test_email_triage_10_llm_task_call(lua):
    out = lua(MAILS + STUB + '''
local client = stub({ categories = { needs_reply = {}, needs_action = {}, fyi = {} } })
triage.categorize_llm(mails, client)
local c1 = calls[1]
triage.categorize_llm(nil, client, { prompt = "Sort these", output_schema = { type = "object" } })
local c2 = calls[2]
return {
  c1.self == client, c1.opts.artifacts == mails, c1.opts.output_schema.type,
  c1.opts.output_schema.required, c1.opts.output_schema.properties.fyi.type, type(c1.prompt),
  c2.prompt, c2.opts.output_schema.type, c2.opts.output_schema.required == nil, #c2.opts.artifacts,
  c1.prompt:find("needs_reply", 1, true) ~= nil and c1.prompt:find("fyi", 1, true) ~= nil,
}''')
    assert out == [True, True, "object", ["needs_reply", "needs_action", "fyi"], "array", "string",
                   "Sort these", "object", True, 0, True]


def test_email_triage_11_unwrap_and_fill(lua):
    code = REQ + STUB + '''
local function run(reply)
  local b = triage.categorize_llm({}, stub(reply))
  return { #b.needs_reply, #b.needs_action, #b.fyi, b.note }
end
return {
  run({ categories = { needs_reply = { { id = 1 } } }, result = { fyi = { 1, 2, 3 } } }),
  run({ result = { needs_action = { { id = 2 } }, fyi = { 1 } } }),
  run({ needs_reply = { 1, 2 }, note = "kept" }),
  run({}),
  run({ ok = true, result = { categories = { fyi = { 1 } } } }),
  run('{"needs_reply":[{"id":1}],"fyi":[]}'),
}'''
    assert lua(code) == [[1, 0, 0], [0, 1, 1], [2, 0, 0, "kept"], [0, 0, 0], [0, 0, 1], [1, 0, 0]]


def test_email_triage_12_invalid_llm_response(lua_fails):
    for reply in ("42", '"not json at all"', "true", "nil", "{ result = 7 }", "{ categories = false, result = 'x' }",
                  '{ needs_reply = "everyone" }'):
        msg = lua_fails(REQ + STUB + "triage.categorize_llm({}, stub(%s))" % reply)
        assert re.search(r"assay/email_triage\.lua:\d+: email_triage: invalid LLM response$", msg), (reply, msg)


def test_email_triage_llm_through_openclaw(lua, openclaw):
    """categorize_llm with a real assay.openclaw client: one llm-task invocation, result unwrapped."""
    code = REQ + '''
local openclaw = require("assay.openclaw")
local claw = openclaw.client("$URL", { token = "%s" })
local mails = {
  { id = "m1", from = "carol@example.com", subject = "Can we talk?" },
  { id = "m2", from = "billing@vendor.example", subject = "Invoice overdue" },
  { id = "m3", from = "noreply@news.example", subject = "Weekly digest" },
}
local b = triage.categorize_llm(mails, claw)
return b.needs_reply[1].id, b.needs_action[1].id, b.fyi[1].id, #b.needs_reply + #b.needs_action + #b.fyi''' % OPENCLAW_TOKEN
    assert lua_with(lua, code, URL=openclaw.url) == ("m1", "m2", "m3", 3)
    [call] = openclaw.invocations
    assert (call["tool"], call["action"]) == ("llm-task", "invoke")
    assert [m["id"] for m in call["args"]["artifacts"]] == ["m1", "m2", "m3"]
    assert call["args"]["output_schema"]["required"] == ["needs_reply", "needs_action", "fyi"]
    assert "needs_action" in call["args"]["prompt"]
    # the gateway answering garbage is the clear error
    openclaw.llm_reply = {"ok": True, "result": "I cannot classify these"}
    msg = lua_with(lua, REQ + 'local c = require("assay.openclaw").client("$URL")\n'
                              'return pcall(triage.categorize_llm, {{id = 1}}, c)', URL=openclaw.url)
    assert msg[0] is False and msg[1].endswith("email_triage: invalid LLM response")


def test_email_triage_client_form(lua, openclaw, monkeypatch):
    """M.client(url, opts) binds an OpenClaw client (our reading of issue 12 for this module)."""
    code = REQ + '''
local t = triage.client("$URL/", { token = "%s" })
local mails = { { from = "erin@example.com", subject = "Invoice question" }, { from = "x@y", subject = "hi" } }
local rules = t:categorize(mails)
local llm = t:categorize_llm(mails)
local t2 = triage.client(t.openclaw)
return t.openclaw.url, #rules.needs_reply, #llm.needs_action, t2.openclaw == t.openclaw''' % OPENCLAW_TOKEN
    assert lua_with(lua, code, URL=openclaw.url) == (openclaw.url, 2, 1, True)
    assert openclaw.last().header("Authorization") == "Bearer " + OPENCLAW_TOKEN
    monkeypatch.setenv("OPENCLAW_URL", openclaw.url)
    assert lua(REQ + "return triage.client().openclaw.url") == openclaw.url


def test_email_triage_documented_form(lua):
    """The documented function form: triage a Gmail-like list and count the buckets."""
    code = MAILS + '''
local buckets = triage.categorize(mails)
local lines = {}
for _, name in ipairs({ "needs_action", "needs_reply", "fyi" }) do
  lines[#lines + 1] = name .. "=" .. #buckets[name]
end
return table.concat(lines, " ")'''
    assert lua(code) == "needs_action=2 needs_reply=2 fyi=1"


def test_email_triage_header_metadata():
    """Discovery header (discovery.md §4): the spec's quickrefs verbatim, the documented
    constructor form first (issue 12)."""
    from assay.discovery.metadata import parse
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib", "email_triage.lua")
    meta = parse(open(path, encoding="utf-8").read())
    assert meta.module == "assay.email_triage"
    assert meta.description == 'Email triage helpers for deterministic categorization or OpenClaw-assisted classification into action, reply, and FYI buckets.'
    assert meta.keywords == [
        'email',
        'triage',
        'gmail',
        'inbox',
        'classify',
        'categorize',
        'openclaw',
        'llm',
        'workflow',
    ]
    lines = ["%s -> %s | %s" % q for q in meta.quickrefs]
    assert lines == [
        'email_triage.client(url?, opts?) -> triage | Bind an OpenClaw client (url/opts as assay.openclaw.client, or an existing client); t:categorize(emails, opts?), t:categorize_llm(emails, opts?)',
        'email_triage.categorize(emails, opts?) -> buckets | Deterministically bucket emails by subject and sender',
        'email_triage.categorize_llm(emails, openclaw_client, opts?) -> buckets | Use OpenClaw LLM task for smarter bucketing',
    ]
