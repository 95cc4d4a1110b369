"""A fake OpenClaw gateway (`POST /tools/invoke`) for the assay.openclaw and
assay.email_triage tests.

Built on fakes.FakeService (a ThreadingHTTPServer on 127.0.0.1 recording every request;
`fail`/`set` override one route). Behaviour:

- Only `POST /tools/invoke`; the body must be a JSON object with string `tool` and `action`
  and an **object** `args` (an array answers 400, as the gateway's schema check would).
- `Authorization: Bearer test-token` is required when sent; a wrong token answers 401, and
  no header at all is accepted (a gateway without auth), recorded like any request.
- Tools: `message`/`send` (needs `target` and `message`), `cron`/`add` (201, needs `job`),
  `cron`/`list` (`{"jobs": [...]}` of added jobs), `sessions_spawn`/`invoke`, `llm-task`/
  `invoke` (needs `prompt`; answers `llm_reply` when a test sets it, else a classification of
  the `artifacts` wrapped as `{"ok": true, "result": {needs_reply, needs_action, fyi}}`),
  `mytool`/`run` (echoes the args). Other tools answer 404.
- `invocations` lists the decoded request bodies in order.
"""
import json

from fakes import FakeService, Response, _fixtures, ok

OPENCLAW_TOKEN = "test-token"


def tool_error(status, kind, message):
    return Response(status, {"ok": False, "error": {"type": kind, "message": message}})


class FakeOpenClaw(FakeService):
    name = "openclaw"

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self):
        super().reset()
        self.invocations = []
        self.jobs = []
        self.llm_reply = None

    def route(self, r):
        if r.path != "/tools/invoke":
            return tool_error(404, "not_found", "Not Found")
        if r.method != "POST":
            return tool_error(405, "method_not_allowed", "Method Not Allowed")
        auth = r.header("Authorization")
        if auth is not None and auth != "Bearer " + OPENCLAW_TOKEN:
            return tool_error(401, "unauthorized", "Unauthorized")
        try:
            body = json.loads(r.body)
        except ValueError:
            return tool_error(400, "invalid_request", "body must be JSON")
        if not isinstance(body, dict) or not isinstance(body.get("tool"), str) \
                or not isinstance(body.get("action"), str) or not isinstance(body.get("args", {}), dict):
            return tool_error(400, "invalid_request", "expected {tool: string, action: string, args: object}")
        self.invocations.append(body)
        tool, action, args = body["tool"], body["action"], body.get("args", {})
        handler = {
            ("message", "send"): self.message_send,
            ("cron", "add"): self.cron_add,
            ("cron", "list"): self.cron_list,
            ("sessions_spawn", "invoke"): self.spawn,
            ("llm-task", "invoke"): self.llm_task,
            ("mytool", "run"): lambda a: ok({"ok": True, "result": {"echo": a}}),
        }.get((tool, action))
        if handler is None:
            return tool_error(404, "not_found", "Tool not available: %s" % tool)
        return handler(args)

    def message_send(self, args):
        if not args.get("target") or not isinstance(args.get("message"), str):
            return tool_error(400, "invalid_request", "target and message required")
        return ok({"ok": True, "result": {"delivered": True, "channel": args.get("channel", "default"),
                                          "messageId": "m-%d" % len(self.invocations)}})

    def cron_add(self, args):
        job = args.get("job")
        if not isinstance(job, dict):
            return tool_error(400, "invalid_request", "job required")
        job = dict(job, id="job-%d" % (len(self.jobs) + 1))
        self.jobs.append(job)
        return ok({"ok": True, "result": job}, 201)

    def cron_list(self, args):
        return ok({"ok": True, "jobs": self.jobs})

    def spawn(self, args):
        if not isinstance(args.get("task"), str):
            return tool_error(400, "invalid_request", "task required")
        return ok({"ok": True, "result": {"sessionKey": "sess-%d" % len(self.invocations), "status": "accepted",
                                          "model": args.get("model")}})

    def llm_task(self, args):
        if not isinstance(args.get("prompt"), str):
            return tool_error(400, "invalid_request", "prompt required")
        if self.llm_reply is not None:
            return ok(self.llm_reply)
        buckets = {"needs_reply": [], "needs_action": [], "fyi": []}
        for mail in args.get("artifacts") or []:
            text = (str(mail.get("subject", "")) + " " + str(mail.get("from", ""))).lower()
            if "invoice" in text or "urgent" in text:
                buckets["needs_action"].append(mail)
            elif "noreply" in text or "digest" in text:
                buckets["fyi"].append(mail)
            else:
                buckets["needs_reply"].append(mail)
        return ok({"ok": True, "result": buckets})


openclaw_server, openclaw = _fixtures(FakeOpenClaw, "openclaw")
