"""A Rauthy admin API fake for the assay.rauthy tests, on fakes.FakeService.

Like Rauthy (0.2x/0.3x) under its API base `/auth/v1` where the module can tell the difference:
- `/auth/v1/health` and the OIDC discovery document / JWKS (`/auth/v1/oidc/certs`) need no
  auth; `health_failures` makes the next N health checks answer 503.
- `/auth/v1/clients*` needs `Authorization: API-Key <name>$<secret>` (API_KEY), else 401
  `{"error": "Unauthorized", "message": ...}`.
- `POST /clients` takes a NewClientRequest (`id`, `name`, `confidential`, `redirect_uris`,
  `post_logout_redirect_uris`; any other field is refused with 400, as the typed request
  does) and answers 409 when the id exists. `PUT /clients/{id}` replaces the whole client
  (an UpdateClientRequest needs `id` equal to the path, `name`, `confidential`,
  `redirect_uris`, `flows_enabled`, `access_token_alg`, `id_token_alg`), `GET` answers it
  (optional fields unset come back as null), `DELETE` answers 200 with no body, unknown ids 404.
- `POST /clients/{id}/secret` makes a new secret `{id, secret}`; 400 for a public client.
"""
import itertools
import json

from fakes import FakeService, Response, _fixtures, ok

API_KEY = "bootstrap$Xk9QmTzA1"
NEW_CLIENT = {"id", "name", "confidential", "redirect_uris", "post_logout_redirect_uris", "client_uri", "contacts"}
UPDATE_REQUIRED = ("id", "name", "confidential", "redirect_uris", "flows_enabled", "access_token_alg", "id_token_alg")
OPTIONAL = ("challenges", "contacts", "client_uri", "allowed_origins", "post_logout_redirect_uris")


def problem(status, error, message):
    return Response(status, {"timestamp": 1733400000, "error": error, "message": message})


class FakeRauthy(FakeService):
    name = "rauthy"
    base = "/auth/v1"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.health_failures = 0
        self.secrets = itertools.count(1)
        self.clients = {"rauthy": {"id": "rauthy", "name": "Rauthy", "confidential": False, "enabled": True,
                                   "redirect_uris": [self.url + "/auth/v1/oidc/rauthy/callback"],
                                   "flows_enabled": ["authorization_code"], "access_token_alg": "EdDSA",
                                   "id_token_alg": "EdDSA", "challenges": ["S256"]}}
        self.secret_of = {}

    def reset(self):
        super().reset()
        self._state()

    def shown(self, client):
        out = {key: None for key in OPTIONAL}
        out.update(client)
        return out

    def route(self, r):
        if not r.path.startswith(self.base):
            return Response(404, b"", None)
        path = r.path[len(self.base):]
        if path == "/health":
            if self.health_failures:
                self.health_failures -= 1
                return Response(503, {"db_healthy": False, "cache_healthy": True})
            return ok({"db_healthy": True, "cache_healthy": True})
        if path == "/.well-known/openid-configuration":
            issuer = self.url + self.base
            return ok({"issuer": issuer, "authorization_endpoint": issuer + "/oidc/authorize",
                       "token_endpoint": issuer + "/oidc/token", "jwks_uri": issuer + "/oidc/certs",
                       "code_challenge_methods_supported": ["S256", "plain"]})
        if path == "/oidc/certs":
            return ok({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})
        if not path.startswith("/clients"):
            return Response(404, b"", None)
        if r.header("Authorization") != "API-Key " + API_KEY:
            return problem(401, "Unauthorized", "Unauthorized Session")
        parts = path.split("/")[2:]
        if not parts:
            if r.method == "GET":
                return ok([self.shown(c) for c in self.clients.values()])
            if r.method == "POST":
                data = json.loads(r.body)
                extra = set(data) - NEW_CLIENT
                if extra:
                    return problem(400, "BadRequest", "unknown field `%s`" % sorted(extra)[0])
                if data.get("id") in self.clients:
                    return problem(409, "Conflict", "client id already exists")
                client = {k: v for k, v in data.items() if v is not None}
                client.setdefault("enabled", True)
                self.clients[data["id"]] = client
                return ok(self.shown(client))
            return problem(405, "MethodNotAllowed", "method not allowed")
        cid = parts[0]
        client = self.clients.get(cid)
        if client is None:
            return problem(404, "NotFound", "Client not found")
        if parts[1:] == ["secret"] and r.method == "POST":
            if not client["confidential"]:
                return problem(400, "BadRequest", "The client is not confidential")
            secret = "s3cret-%s-%d" % (cid, next(self.secrets))
            self.secret_of[cid] = secret
            return ok({"id": cid, "secret": secret})
        if parts[1:]:
            return Response(404, b"", None)
        if r.method == "GET":
            return ok(self.shown(client))
        if r.method == "PUT":
            data = json.loads(r.body)
            missing = [k for k in UPDATE_REQUIRED if k not in data]
            if missing:
                return problem(400, "BadRequest", "missing field `%s`" % missing[0])
            if data["id"] != cid:
                return problem(400, "BadRequest", "id in body does not match the path")
            self.clients[cid] = {k: v for k, v in data.items() if v is not None}
            return ok(self.shown(self.clients[cid]))
        if r.method == "DELETE":
            del self.clients[cid]
            self.secret_of.pop(cid, None)
            return Response(200, b"", None)
        return problem(405, "MethodNotAllowed", "method not allowed")


rauthy_server, rauthy = _fixtures(FakeRauthy, "rauthy")
