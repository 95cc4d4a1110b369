"""One in-memory Ory stack for the assay.ory.* tests: Hydra, Kratos and Keto, each with its
public and admin API on its own 127.0.0.1 port, sharing one state.

- Hydra public (`hydra_public`): /oauth2/auth (login -> consent -> code redirects),
  /oauth2/token (authorization_code and refresh_token grants, client_secret_post or
  client_secret_basic as registered; RS256 id_tokens), /oauth2/revoke, OIDC discovery, JWKS.
- Hydra admin (`hydra_admin`): /admin/clients CRUD (PUT of a missing client is 404, as in
  Hydra), /admin/oauth2/introspect, login/consent/logout requests and their accept/reject
  (logout reject answers 204 No Content; handled requests answer 410 with redirect_to).
- Kratos public (`kratos_public`): /sessions/whoami (cookie `ory_kratos_session`, 401
  otherwise), browser login/registration flows (303 redirect to the UI unless the request
  accepts JSON), flow fetch by id, JSON login submit with CSRF token and password check,
  /schemas.
- Kratos admin (`kratos_admin`): /admin/identities CRUD, per-identity sessions.
- Keto read (`keto_read`): /relation-tuples (filters, page_size/page_token),
  /relation-tuples/check (200 allowed / 403 denied, subject sets followed),
  /relation-tuples/expand. Keto write (`keto_write`): PUT/DELETE /admin/relation-tuples.
  Unknown namespaces answer 404 as Keto does.

Every request is recorded on its API (`fake.api("keto_read").requests`) and in
`fake.requests` (each with `.api`). `fake.fail(api, method, path, status, body)` makes one
route answer an error; `fake.reset()` restores the seeded state.

The module also holds `HTTPFake`, the small recording server used by fake_zitadel.py and
fake_oauth2.py (responses may carry extra headers such as Location and Set-Cookie).
"""
import base64
import functools
import json
import secrets
import threading
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import fakes


# ---------------------------------------------------------------------------------------
# Recording HTTP server
# ---------------------------------------------------------------------------------------

class Request:
    def __init__(self, api, method, target, headers, body):
        parts = urlsplit(target)
        self.api = api
        self.method = method
        self.target = target
        self.path = parts.path
        self.raw_query = parts.query
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.query_keys = [kv.split("=", 1)[0] for kv in parts.query.split("&")] if parts.query else []
        self.headers = headers
        self.body = body

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self):
        return json.loads(self.body)

    def form(self):
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def cookies(self):
        out = {}
        for part in (self.header("Cookie") or "").split(";"):
            if "=" in part:
                k, v = part.strip().split("=", 1)
                out[k] = v
        return out

    def __repr__(self):
        return "<%s %s %s>" % (self.api, self.method, self.target)


class Response(fakes.Response):
    """A fakes.Response whose Content-Type travels in `headers` (None body: empty)."""

    def __init__(self, status=200, body=None, headers=None, content_type="application/json"):
        super().__init__(status, b"" if body is None else body, None, headers=headers)
        if self.body and content_type:
            self.headers.setdefault("Content-Type", content_type)


def reply(data, status=200, **headers):
    return Response(status, data, headers)


class HTTPFake(fakes.FakeService):
    """A fakes.FakeService whose `handler(request)` (default: `route`) returns a Response and
    whose requests carry the API's name. `fail(method, path, status, body)` overrides one route."""
    name = "fake"

    def __init__(self, handler=None, name=None):
        self.handler = handler or self.route
        self.name = name or self.name
        self.request_class = functools.partial(Request, self.name)
        super().__init__()

    def dispatch(self, request):
        with self.lock:
            self.record(request)
        return self.failures.get((request.method, request.path)) or self.handler(request)

    def record(self, request):
        """Hook: called (under the lock) for every request."""

    def route(self, request):
        return Response(404, {"error": "not found"})



    def last(self, path=None, method=None):
        with self.lock:
            found = [r for r in self.requests
                     if (path is None or r.path == path) and (method is None or r.method == method)]
        assert found, "no %s request%s reached %s" % (method or "", " to " + path if path else "", self.name)
        return found[-1]



# ---------------------------------------------------------------------------------------
# The Ory stack
# ---------------------------------------------------------------------------------------

APIS = ("hydra_public", "hydra_admin", "kratos_public", "kratos_admin", "keto_read", "keto_write")

KETO_NAMESPACES = ("Role", "Group", "Document", "App")

LOGIN_UI = "http://login.example.test/login"
CONSENT_UI = "http://login.example.test/consent"
LOGOUT_UI = "http://login.example.test/logout"
KRATOS_UI = "http://login.example.test/ui"

IDENTITY_SCHEMA = {
    "$id": "https://schemas.example.test/person.schema.json",
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Person",
    "type": "object",
    "properties": {"traits": {"type": "object", "properties": {
        "email": {"type": "string", "format": "email", "title": "E-Mail",
                  "ory.sh/kratos": {"credentials": {"password": {"identifier": True}}}},
        "name": {"type": "object", "properties": {"first": {"type": "string"}, "last": {"type": "string"}}},
    }, "required": ["email"]}},
}


def now_iso(offset=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def b64url_uint(n):
    data = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hydra_error(status, error, description):
    return reply({"error": error, "error_description": description, "status_code": status}, status)


def kratos_error(status, reason, message=None):
    names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
             410: "Gone"}
    return reply({"error": {"code": status, "status": names.get(status, "Error"),
                            "reason": reason, "message": message or reason}}, status)


def keto_error(status, message):
    names = {400: "Bad Request", 404: "Not Found"}
    return reply({"error": {"code": status, "status": names.get(status, "Error"), "message": message}}, status)


class FakeOry:
    def __init__(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
        self.public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        numbers = key.public_key().public_numbers()
        self.kid = "hydra-test-key-1"
        self.jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                    "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}
        self.lock = threading.RLock()
        self.requests = []
        self.apis = {}
        for name in APIS:
            api = HTTPFake(self._handler(name), name)
            api.record = self._recorder()
            self.apis[name] = api
            setattr(self, name, api)
        self.seed()

    # --- test controls ----------------------------------------------------------------
    def api(self, name):
        return self.apis[name]

    def url(self, name):
        return self.apis[name].url

    def placeholders(self):
        """{"HYDRA_PUBLIC": url, ...} for fakes.lua_with: `$HYDRA_PUBLIC` etc. in Lua code."""
        return {name.upper(): api.url for name, api in self.apis.items()}

    @property
    def issuer(self):
        return self.hydra_public.url + "/"

    def fail(self, api, method, path, status, body="", content_type="text/plain"):
        self.apis[api].fail(method, path, status, body, content_type)

    def last(self, api, path=None, method=None):
        return self.apis[api].last(path, method)

    def reset(self):
        with self.lock:
            self.requests = []
        for api in self.apis.values():
            api.reset()
        self.seed()

    def close(self):
        threads = [threading.Thread(target=api.close) for api in self.apis.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _recorder(self):
        def record(request):
            with self.lock:
                self.requests.append(request)
        return record

    def _handler(self, name):
        route = getattr(self, "route_" + name)

        def handle(request):
            with self.lock:
                return route(request)
        return handle

    # --- seeded state -----------------------------------------------------------------
    def seed(self):
        with self.lock:
            # Hydra
            self.clients = {}
            self.challenges = {}       # challenge -> {"kind": login|consent|logout, ...}
            self.verifiers = {}        # verifier -> challenge
            self.codes = {}            # code -> grant
            self.access_tokens = {}    # token -> grant
            self.refresh_tokens = {}   # token -> grant
            for spec in ({"client_id": "example-app", "client_name": "Example App", "client_secret": "example-secret",
                          "redirect_uris": ["https://app.example.com/callback"],
                          "grant_types": ["authorization_code", "refresh_token"],
                          "response_types": ["code"], "scope": "openid offline_access profile email",
                          "token_endpoint_auth_method": "client_secret_post"},
                         {"client_id": "basic-app", "client_name": "Basic App", "client_secret": "basic-secret",
                          "redirect_uris": ["https://basic.example.com/cb"], "grant_types": ["authorization_code"],
                          "response_types": ["code"], "scope": "openid"}):
                self._store_client(spec)
            # Kratos
            self.identities = {}
            self.passwords = {}        # identity id -> password
            self.sessions = {}         # session token -> session
            self.flows = {}            # flow id -> flow
            self._add_identity("user-123", {"email": "alice@example.com", "name": {"first": "Alice", "last": "Smith"}},
                               "alice-password")
            self._add_identity("user-456", {"email": "bob@example.com", "name": {"first": "Bob", "last": "Jones"}},
                               "bob-password")
            # Keto
            self.tuples = []

    # Hydra helpers ------------------------------------------------------------------------
    def _store_client(self, spec):
        client = {
            "client_id": spec.get("client_id") or str(uuid.uuid4()),
            "client_name": spec.get("client_name", ""),
            "redirect_uris": spec.get("redirect_uris") or [],
            "grant_types": spec.get("grant_types") or ["authorization_code"],
            "response_types": spec.get("response_types") or ["code"],
            "scope": spec.get("scope", "offline_access offline openid"),
            "audience": spec.get("audience") or [],
            "owner": spec.get("owner", ""),
            "token_endpoint_auth_method": spec.get("token_endpoint_auth_method") or "client_secret_basic",
            "metadata": spec.get("metadata") or {},
            "created_at": now_iso(),
            "updated_at": now_iso(),
        }
        secret = spec.get("client_secret")
        if secret is None and client["token_endpoint_auth_method"] != "none":
            secret = secrets.token_urlsafe(24)
        self.clients[client["client_id"]] = dict(client, _secret=secret)
        return dict(client, client_secret=secret) if secret else client

    def public_client(self, client_id):
        client = self.clients[client_id]
        return {k: v for k, v in client.items() if not k.startswith("_")}

    def add_login_request(self, challenge, client_id="example-app", scope=("openid", "profile", "email"),
                          subject="", request_url=None, skip=False):
        self.challenges[challenge] = {
            "kind": "login", "challenge": challenge, "client": self.public_client(client_id),
            "requested_scope": list(scope), "requested_access_token_audience": [], "skip": skip,
            "subject": subject, "oidc_context": {}, "session_id": "sess-" + challenge,
            "request_url": request_url or "%s/oauth2/auth?client_id=%s&response_type=code" % (
                self.hydra_public.url, client_id),
        }
        return self.challenges[challenge]

    def add_consent_request(self, challenge, client_id="example-app", subject="user:alice",
                            scope=("openid", "profile", "email"), params=None):
        self.challenges[challenge] = {
            "kind": "consent", "challenge": challenge, "client": self.public_client(client_id),
            "requested_scope": list(scope), "requested_access_token_audience": [], "skip": False,
            "subject": subject, "oidc_context": {}, "login_challenge": "login-" + challenge,
            "login_session_id": "sess-" + challenge, "acr": "0", "amr": ["pwd"], "context": {},
            "request_url": "%s/oauth2/auth?client_id=%s" % (self.hydra_public.url, client_id),
            "_params": params or {},
        }
        return self.challenges[challenge]

    def add_logout_request(self, challenge, subject="user:alice", client_id="example-app", rp_initiated=True,
                           sid="sid-1"):
        self.challenges[challenge] = {
            "kind": "logout", "challenge": challenge, "subject": subject, "sid": sid,
            "rp_initiated": rp_initiated, "client": self.public_client(client_id) if client_id else None,
            "request_url": "%s/oauth2/sessions/logout?id_token_hint=x" % self.hydra_public.url,
        }
        return self.challenges[challenge]

    def issue_code(self, code, client_id="example-app", subject="user:alice",
                   redirect_uri="https://app.example.com/callback", scope=("openid", "offline_access"),
                   nonce=None, id_token_claims=None):
        self.codes[code] = {"client_id": client_id, "subject": subject, "redirect_uri": redirect_uri,
                            "scope": list(scope), "nonce": nonce, "id_token_claims": id_token_claims or {},
                            "access_token_claims": {}}
        return code

    def _id_token(self, grant):
        import jwt
        now = int(time.time())
        claims = dict(grant.get("id_token_claims") or {})
        claims.update({"iss": self.issuer, "sub": grant["subject"], "aud": [grant["client_id"]],
                       "iat": now, "exp": now + 3600, "auth_time": now, "rat": now,
                       "jti": str(uuid.uuid4()), "sid": "sid-1"})
        if grant.get("nonce"):
            claims["nonce"] = grant["nonce"]
        return jwt.encode(claims, self.signing_pem, algorithm="RS256", headers={"kid": self.kid})

    def _tokens(self, grant):
        access = "ory_at_" + secrets.token_urlsafe(24)
        body = {"access_token": access, "expires_in": 3599, "scope": " ".join(grant["scope"]),
                "token_type": "bearer"}
        self.access_tokens[access] = dict(grant, iat=int(time.time()), exp=int(time.time()) + 3599)
        if "openid" in grant["scope"]:
            body["id_token"] = self._id_token(grant)
        if "offline_access" in grant["scope"] or "offline" in grant["scope"]:
            refresh = "ory_rt_" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = grant
            body["refresh_token"] = refresh
        return body

    def _client_auth(self, r, form):
        """Authenticate the client of a token/revoke request like Hydra does."""
        auth = r.header("Authorization") or ""
        if auth.startswith("Basic "):
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            method = "client_secret_basic"
        elif "client_secret" in form:
            cid, secret, method = form.get("client_id", ""), form["client_secret"], "client_secret_post"
        else:
            cid, secret, method = form.get("client_id", ""), None, "none"
        client = self.clients.get(cid)
        if client is None:
            return None, hydra_error(401, "invalid_client", "Client authentication failed (e.g., unknown "
                                     "client, no client authentication included, or unsupported "
                                     "authentication method). The requested OAuth 2.0 Client does not exist.")
        if client["token_endpoint_auth_method"] != method:
            return None, hydra_error(401, "invalid_client", (
                "Client authentication failed (e.g., unknown client, no client authentication included, or "
                "unsupported authentication method). The OAuth 2.0 Client supports client authentication method "
                "'%s', but method '%s' was requested. You must configure the OAuth 2.0 client's "
                "'token_endpoint_auth_method' value to accept '%s'.") % (
                    client["token_endpoint_auth_method"], method, method))
        if method != "none" and client["_secret"] != secret:
            return None, hydra_error(401, "invalid_client", "Client authentication failed (e.g., unknown "
                                     "client, no client authentication included, or unsupported "
                                     "authentication method). The provided client secret did not match.")
        return client, None

    # Hydra public -------------------------------------------------------------------------
    def route_hydra_public(self, r):
        if r.method == "GET" and r.path == "/.well-known/openid-configuration":
            base = self.hydra_public.url
            return reply({
                "issuer": self.issuer, "authorization_endpoint": base + "/oauth2/auth",
                "token_endpoint": base + "/oauth2/token", "jwks_uri": base + "/.well-known/jwks.json",
                "revocation_endpoint": base + "/oauth2/revoke", "userinfo_endpoint": base + "/userinfo",
                "end_session_endpoint": base + "/oauth2/sessions/logout",
                "response_types_supported": ["code", "code id_token", "id_token", "token id_token", "token"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["offline_access", "offline", "openid"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic",
                                                          "private_key_jwt", "none"],
                "grant_types_supported": ["authorization_code", "implicit", "client_credentials", "refresh_token"],
            })
        if r.method == "GET" and r.path == "/.well-known/jwks.json":
            return reply({"keys": [self.jwk]})
        if r.method == "GET" and r.path == "/oauth2/auth":
            return self._authorize(r)
        if r.method == "POST" and r.path == "/oauth2/token":
            return self._token(r)
        if r.method == "POST" and r.path == "/oauth2/revoke":
            form = r.form()
            client, err = self._client_auth(r, form)
            if err:
                return err
            token = form.get("token", "")
            for store in (self.access_tokens, self.refresh_tokens):
                grant = store.get(token)
                if grant and grant["client_id"] == client["client_id"]:
                    del store[token]
            return Response(200)
        return hydra_error(404, "Not Found", "The requested resource could not be found")

    def _authorize(self, r):
        q = r.query
        client = self.clients.get(q.get("client_id", ""))
        if client is None:
            return hydra_error(401, "invalid_client", "The requested OAuth 2.0 Client does not exist.")
        if q.get("redirect_uri") and q["redirect_uri"] not in client["redirect_uris"]:
            return hydra_error(400, "invalid_request", "The 'redirect_uri' parameter does not match any of the "
                               "OAuth 2.0 Client's pre-registered redirect urls.")
        if "consent_verifier" in q:
            challenge = self.challenges.get(self.verifiers.pop(q["consent_verifier"], ""))
            if not challenge or "_accepted" not in challenge:
                return hydra_error(403, "request_forbidden", "The consent verifier has already been used.")
            grant = dict(challenge["_accepted"])
            code = "ory_ac_" + secrets.token_urlsafe(16)
            self.codes[code] = grant
            target = grant["redirect_uri"] + "?" + urlencode({"code": code, "scope": " ".join(grant["scope"]),
                                                              "state": q.get("state", "")})
            return Response(303, None, {"Location": target})
        if "login_verifier" in q:
            login = self.challenges.get(self.verifiers.pop(q["login_verifier"], ""))
            if not login or "_accepted" not in login:
                return hydra_error(403, "request_forbidden", "The login verifier has already been used.")
            challenge = secrets.token_hex(16)
            consent = self.add_consent_request(challenge, client["client_id"], login["_accepted"]["subject"],
                                               login["requested_scope"], params=login.get("_params"))
            consent["login_challenge"] = login["challenge"]
            return Response(303, None, {"Location": CONSENT_UI + "?consent_challenge=" + challenge})
        if q.get("response_type") != "code":
            return hydra_error(400, "unsupported_response_type", "The authorization server does not support "
                               "obtaining a token using this method.")
        scope = q.get("scope", "").split()
        allowed = client["scope"].split()
        if any(s not in allowed for s in scope):
            return hydra_error(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
        challenge = secrets.token_hex(16)
        login = self.add_login_request(challenge, client["client_id"], scope, request_url=r.target)
        login["_params"] = {"redirect_uri": q.get("redirect_uri") or client["redirect_uris"][0],
                            "state": q.get("state", ""), "nonce": q.get("nonce")}
        return Response(302, None, {"Location": LOGIN_UI + "?login_challenge=" + challenge})

    def _token(self, r):
        if "application/x-www-form-urlencoded" not in (r.header("Content-Type") or ""):
            return hydra_error(400, "invalid_request", "The request is missing a required parameter, includes "
                               "an invalid parameter value, includes a parameter more than once, or is otherwise "
                               "malformed. Unable to parse HTTP body, make sure to send a properly formatted form "
                               "request body.")
        form = r.form()
        client, err = self._client_auth(r, form)
        if err:
            return err
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or grant["client_id"] != client["client_id"]:
                return hydra_error(400, "invalid_grant", "The provided authorization grant (e.g., authorization "
                                   "code, resource owner credentials) or refresh token is invalid, expired, "
                                   "revoked, does not match the redirection URI used in the authorization "
                                   "request, or was issued to another client.")
            if form.get("redirect_uri") != grant["redirect_uri"]:
                return hydra_error(400, "invalid_grant", "The \"redirect_uri\" from this request does not match "
                                   "the one from the authorize request.")
            return reply(self._tokens(grant))
        if grant_type == "refresh_token":
            grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if grant is None or grant["client_id"] != client["client_id"]:
                return hydra_error(400, "invalid_grant", "The provided authorization grant (e.g., authorization "
                                   "code, resource owner credentials) or refresh token is invalid, expired, "
                                   "revoked, does not match the redirection URI used in the authorization "
                                   "request, or was issued to another client.")
            return reply(self._tokens(grant))
        return hydra_error(400, "unsupported_grant_type", "The authorization grant type is not supported by "
                           "the authorization server.")

    # Hydra admin --------------------------------------------------------------------------
    def route_hydra_admin(self, r):
        p = r.path
        if p == "/admin/clients" and r.method == "GET":
            items = [self.public_client(cid) for cid in self.clients]
            size = int(r.query.get("page_size") or 250)
            return reply(items[:size])
        if p == "/admin/clients" and r.method == "POST":
            spec = self._json(r)
            if not isinstance(spec, dict):
                return hydra_error(400, "invalid_request", "Unable to decode the request body")
            if spec.get("client_id") in self.clients:
                return hydra_error(409, "Unable to insert or update resource because a resource with that "
                                   "value exists already", "")
            return reply(self._store_client(spec), 201)
        if p.startswith("/admin/clients/"):
            cid = p[len("/admin/clients/"):]
            if r.method == "GET":
                if cid not in self.clients:
                    return hydra_error(404, "Unable to locate the resource", "")
                return reply(self.public_client(cid))
            if r.method == "PUT":
                if cid not in self.clients:
                    return hydra_error(404, "Unable to locate the resource", "")
                spec = self._json(r)
                if not isinstance(spec, dict):
                    return hydra_error(400, "invalid_request", "Unable to decode the request body")
                created = self.clients[cid]["created_at"]
                secret = spec.get("client_secret") or self.clients[cid]["_secret"]
                stored = self._store_client(dict(spec, client_id=cid, client_secret=secret))
                self.clients[cid]["created_at"] = created
                stored.pop("client_secret", None)
                return reply(dict(stored, created_at=created))
            if r.method == "DELETE":
                if self.clients.pop(cid, None) is None:
                    return hydra_error(404, "Unable to locate the resource", "")
                return Response(204)
        if p == "/admin/oauth2/introspect" and r.method == "POST":
            token = r.form().get("token", "")
            if not token:
                return hydra_error(400, "invalid_request", "The request is missing a required parameter.")
            grant = self.access_tokens.get(token)
            if grant is None:
                return reply({"active": False})
            return reply({"active": True, "client_id": grant["client_id"], "sub": grant["subject"],
                          "scope": " ".join(grant["scope"]), "iat": grant["iat"], "exp": grant["exp"],
                          "nbf": grant["iat"], "iss": self.issuer, "aud": [], "token_type": "Bearer",
                          "token_use": "access_token", "ext": grant.get("access_token_claims") or {}})
        prefix = "/admin/oauth2/auth/requests/"
        if p.startswith(prefix):
            parts = p[len(prefix):].split("/")
            kind = parts[0]
            action = parts[1] if len(parts) > 1 else None
            if kind not in ("login", "consent", "logout") or len(parts) > 2:
                return hydra_error(404, "Not Found", "")
            name = kind + "_challenge"
            if not r.query.get(name):
                return hydra_error(400, "invalid_request", "The request is missing a required parameter, "
                                   "includes an invalid parameter value, includes a parameter more than once, "
                                   "or is otherwise malformed. Query parameter '%s' is not defined but should "
                                   "have been." % name)
            req = self.challenges.get(r.query[name])
            if req is None or req["kind"] != kind:
                return hydra_error(404, "Not Found", "Unable to locate the resource")
            if action is None and r.method == "GET":
                if "_handled" in req:
                    return reply({"redirect_to": req["_handled"]}, 410)
                return reply({k: v for k, v in req.items() if not k.startswith("_") and k != "kind"})
            if action in ("accept", "reject") and r.method == "PUT":
                return self._handle_challenge(r, req, kind, action)
            return hydra_error(405, "Method Not Allowed", "")
        return hydra_error(404, "Not Found", "")

    def _handle_challenge(self, r, req, kind, action):
        if "_handled" in req:
            return hydra_error(409, "request_conflict", "The request could not be completed because the "
                               "state of the target resource has changed or was already handled.")
        body = self._json(r) if r.body else {}
        if not isinstance(body, dict):
            return hydra_error(400, "invalid_request", "Unable to decode body because: json: cannot unmarshal "
                               "array into Go value of type flow.HandledLoginRequest")
        base = self.hydra_public.url
        if kind == "logout":
            req["_handled"] = "done"
            if action == "reject":
                return Response(204)
            return reply({"redirect_to": base + "/oauth2/sessions/logout?logout_verifier=" + secrets.token_hex(8)})
        if action == "reject":
            req["_rejected"] = body
            params = req.get("_params") or {}
            target = (params.get("redirect_uri") or req["client"]["redirect_uris"][0]) + "?" + urlencode(
                {"error": body.get("error", "access_denied"),
                 "error_description": body.get("error_description", "The resource owner denied the request"),
                 "state": params.get("state", "")})
            req["_handled"] = target
            return reply({"redirect_to": target})
        verifier = secrets.token_hex(16)
        self.verifiers[verifier] = req["challenge"]
        params = req.get("_params") or {}
        if kind == "login":
            if not body.get("subject"):
                return hydra_error(400, "invalid_request", "Field 'subject' must not be empty.")
            req["_accepted"] = body
            target = "%s&login_verifier=%s" % (req["request_url"] if "?" in req["request_url"]
                                               else req["request_url"] + "?", verifier)
            if not target.startswith("http"):
                target = base + target
        else:
            scope = body.get("grant_scope") or []
            if not isinstance(scope, list):
                return hydra_error(400, "invalid_request", "grant_scope must be an array")
            session = body.get("session") or {}
            req["_accepted"] = {
                "client_id": req["client"]["client_id"], "subject": req["subject"], "scope": scope,
                "redirect_uri": params.get("redirect_uri") or req["client"]["redirect_uris"][0],
                "nonce": params.get("nonce"), "id_token_claims": session.get("id_token") or {},
                "access_token_claims": session.get("access_token") or {},
            }
            req["_body"] = body
            target = "%s/oauth2/auth?client_id=%s&consent_verifier=%s&state=%s" % (
                base, req["client"]["client_id"], verifier, params.get("state", ""))
        req["_handled"] = target
        return reply({"redirect_to": target})

    # Kratos -------------------------------------------------------------------------------
    def _add_identity(self, iid, traits, password=None, schema_id="default"):
        identity = {
            "id": iid, "schema_id": schema_id,
            "schema_url": "%s/schemas/%s" % (self.kratos_public.url, schema_id),
            "state": "active", "state_changed_at": now_iso(), "traits": traits,
            "verifiable_addresses": [{"id": str(uuid.uuid4()), "value": traits.get("email"), "verified": False,
                                      "via": "email", "status": "pending"}],
            "recovery_addresses": [{"id": str(uuid.uuid4()), "value": traits.get("email"), "via": "email"}],
            "metadata_public": None, "metadata_admin": None, "organization_id": None,
            "created_at": now_iso(), "updated_at": now_iso(),
        }
        self.identities[iid] = identity
        if password:
            self.passwords[iid] = password
        return identity

    def create_session(self, identity_id):
        token = "ory_st_" + secrets.token_urlsafe(16)
        session = {"id": str(uuid.uuid4()), "active": True, "expires_at": now_iso(86400),
                   "authenticated_at": now_iso(), "authenticator_assurance_level": "aal1",
                   "authentication_methods": [{"method": "password", "aal": "aal1", "completed_at": now_iso()}],
                   "issued_at": now_iso(), "identity": self.identities[identity_id],
                   "devices": [{"id": str(uuid.uuid4()), "ip_address": "127.0.0.1", "user_agent": "assay"}]}
        self.sessions[token] = session
        return token, session

    def _flow(self, kind, r):
        fid = str(uuid.uuid4())
        csrf = secrets.token_urlsafe(24)
        q = r.query
        nodes = [
            {"type": "input", "group": "default",
             "attributes": {"name": "csrf_token", "type": "hidden", "value": csrf, "required": True,
                            "disabled": False, "node_type": "input"}, "messages": [], "meta": {}},
            {"type": "input", "group": "default" if kind == "login" else "password",
             "attributes": {"name": "identifier" if kind == "login" else "traits.email", "type": "text",
                            "value": "", "required": True, "disabled": False, "node_type": "input"},
             "messages": [], "meta": {"label": {"id": 1070004, "text": "ID", "type": "info"}}},
            {"type": "input", "group": "password",
             "attributes": {"name": "password", "type": "password", "required": True, "disabled": False,
                            "node_type": "input"}, "messages": [], "meta": {}},
            {"type": "input", "group": "password",
             "attributes": {"name": "method", "type": "submit", "value": "password", "disabled": False,
                            "node_type": "input"}, "messages": [], "meta": {}},
        ]
        flow = {"id": fid, "type": "browser", "expires_at": now_iso(3600), "issued_at": now_iso(),
                "request_url": self.kratos_public.url + r.target, "state": "choose_method",
                "ui": {"action": "%s/self-service/%s?flow=%s" % (self.kratos_public.url, kind, fid),
                       "method": "POST", "nodes": nodes},
                "_kind": kind, "_csrf": csrf}
        if q.get("return_to"):
            flow["return_to"] = q["return_to"]
        if kind == "login":
            flow["refresh"] = q.get("refresh") == "true"
            flow["requested_aal"] = q.get("aal") or "aal1"
            if q.get("login_challenge"):
                flow["oauth2_login_challenge"] = q["login_challenge"]
        self.flows[fid] = flow
        return flow

    def _public_flow(self, flow):
        return {k: v for k, v in flow.items() if not k.startswith("_")}

    def _wants_json(self, r):
        return "application/json" in (r.header("Accept") or "")

    def route_kratos_public(self, r):
        p = r.path
        if p == "/sessions/whoami" and r.method == "GET":
            token = r.cookies().get("ory_kratos_session") or r.header("X-Session-Token")
            session = self.sessions.get(token or "")
            if session is None:
                return kratos_error(401, "No valid session credentials found in the request.",
                                    "The request could not be authorized")
            return reply(session)
        for kind in ("login", "registration"):
            if p == "/self-service/%s/browser" % kind and r.method == "GET":
                flow = self._flow(kind, r)
                cookie = "csrf_token_fake=%s; Path=/; HttpOnly; SameSite=Lax" % flow["_csrf"]
                if not self._wants_json(r):
                    return Response(303, None, {"Location": "%s/%s?flow=%s" % (KRATOS_UI, kind, flow["id"]),
                                                "Set-Cookie": cookie})
                return reply(self._public_flow(flow), 200, **{"Set-Cookie": cookie})
            if p == "/self-service/%s/flows" % kind and r.method == "GET":
                fid = r.query.get("id")
                if not fid:
                    return kratos_error(400, "The flow query parameter is missing or malformed.")
                flow = self.flows.get(fid)
                if flow is None or flow["_kind"] != kind:
                    return kratos_error(404, "The requested resource could not be found",
                                        "Unable to locate the resource")
                return reply(self._public_flow(flow))
        if p == "/self-service/login" and r.method == "POST":
            return self._submit_login(r)
        if p == "/schemas" and r.method == "GET":
            return reply([{"id": "default", "schema": IDENTITY_SCHEMA}])
        if p.startswith("/schemas/") and r.method == "GET":
            if p[len("/schemas/"):] != "default":
                return kratos_error(404, "The requested resource could not be found",
                                    "Unable to locate the resource")
            return reply(IDENTITY_SCHEMA)
        return kratos_error(404, "The requested resource could not be found", "Not Found")

    def _submit_login(self, r):
        flow = self.flows.get(r.query.get("flow", ""))
        if flow is None or flow["_kind"] != "login":
            return kratos_error(404, "The requested resource could not be found", "Unable to locate the resource")
        if "application/json" not in (r.header("Content-Type") or ""):
            return kratos_error(400, "The request Content-Type is not supported.")
        try:
            payload = r.json()
        except ValueError:
            return kratos_error(400, "Unable to decode JSON payload.")
        if payload.get("csrf_token") != flow["_csrf"]:
            return reply({"error": {"id": "security_csrf_violation", "code": 403, "status": "Forbidden",
                                    "reason": "Please retry the flow and optionally clear your cookies.",
                                    "message": "the request was rejected to protect you from Cross-Site-"
                                               "Request-Forgery"}}, 403)
        if payload.get("method") != "password":
            return kratos_error(400, "Could not find a strategy to log you in with.")
        for iid, identity in self.identities.items():
            if identity["traits"].get("email") == payload.get("identifier") and \
                    self.passwords.get(iid) == payload.get("password"):
                token, session = self.create_session(iid)
                return reply({"session": session}, 200, **{
                    "Set-Cookie": "ory_kratos_session=%s; Path=/; HttpOnly; SameSite=Lax" % token})
        flow = self._public_flow(flow)
        flow["ui"] = dict(flow["ui"], messages=[{"id": 4000006, "type": "error", "context": {},
                                                 "text": "The provided credentials are invalid, check for "
                                                         "spelling mistakes in your password or username, "
                                                         "email address, or phone number."}])
        return reply(flow, 400)

    def route_kratos_admin(self, r):
        p = r.path
        if p == "/admin/identities" and r.method == "GET":
            items = list(self.identities.values())
            ident = r.query.get("credentials_identifier")
            if ident is not None:
                items = [i for i in items if i["traits"].get("email") == ident]
            per_page = int(r.query.get("per_page") or 250)
            page = int(r.query.get("page") or 0)
            return reply(items[page * per_page:(page + 1) * per_page])
        if p == "/admin/identities" and r.method == "POST":
            spec = self._json(r)
            if not isinstance(spec, dict) or not isinstance(spec.get("traits"), dict):
                return kratos_error(400, "The request was malformed or contained invalid parameters")
            if spec.get("schema_id") != "default":
                return kratos_error(400, "unable to find JSON Schema ID: %s" % spec.get("schema_id"))
            email = spec["traits"].get("email")
            if not email:
                return kratos_error(400, "I[#/traits] S[#/properties/traits/required] missing properties: \"email\"")
            if any(i["traits"].get("email") == email for i in self.identities.values()):
                return kratos_error(409, "This identity conflicts with another identity that already exists.")
            password = (((spec.get("credentials") or {}).get("password") or {}).get("config") or {}).get("password")
            identity = self._add_identity(str(uuid.uuid4()), spec["traits"], password, spec["schema_id"])
            if spec.get("metadata_public") is not None:
                identity["metadata_public"] = spec["metadata_public"]
            if spec.get("state"):
                identity["state"] = spec["state"]
            return reply(identity, 201)
        if p.startswith("/admin/identities/"):
            rest = p[len("/admin/identities/"):]
            from urllib.parse import unquote
            iid, _, sub = rest.partition("/")
            iid = unquote(iid)
            identity = self.identities.get(iid)
            if identity is None:
                return kratos_error(404, "The requested resource could not be found", "Unable to locate the resource")
            if sub == "sessions":
                if r.method == "GET":
                    return reply([s for s in self.sessions.values() if s["identity"]["id"] == iid])
                if r.method == "DELETE":
                    for token in [t for t, s in self.sessions.items() if s["identity"]["id"] == iid]:
                        del self.sessions[token]
                    return Response(204)
            elif sub == "":
                if r.method == "GET":
                    return reply(identity)
                if r.method == "PUT":
                    spec = self._json(r)
                    if not isinstance(spec, dict) or not isinstance(spec.get("traits"), dict):
                        return kratos_error(400, "The request was malformed or contained invalid parameters")
                    identity.update({"traits": spec["traits"], "updated_at": now_iso()})
                    for key in ("schema_id", "state", "metadata_public", "metadata_admin"):
                        if key in spec:
                            identity[key] = spec[key]
                    return reply(identity)
                if r.method == "DELETE":
                    del self.identities[iid]
                    return Response(204)
            return kratos_error(405, "Method Not Allowed")
        return kratos_error(404, "The requested resource could not be found", "Not Found")

    # Keto ---------------------------------------------------------------------------------
    def add_tuple(self, namespace, obj, relation, subject_id=None, subject_set=None):
        t = {"namespace": namespace, "object": obj, "relation": relation}
        if subject_set is not None:
            t["subject_set"] = dict(zip(("namespace", "object", "relation"), subject_set)) \
                if isinstance(subject_set, (list, tuple)) else subject_set
        else:
            t["subject_id"] = subject_id
        with self.lock:
            if t not in self.tuples:
                self.tuples.append(t)
        return t

    def _matches(self, t, q):
        for key in ("namespace", "object", "relation", "subject_id"):
            if key in q and t.get(key) != q[key]:
                return False
        ss = t.get("subject_set") or {}
        for key in ("namespace", "object", "relation"):
            name = "subject_set_" + key
            if name in q and ss.get(key) != q[name]:
                return False
        return True

    def _unknown_namespace(self, ns):
        if ns is not None and ns not in KETO_NAMESPACES:
            return keto_error(404, "Unknown namespace with name \"%s\"." % ns)
        return None

    def _allowed(self, ns, obj, rel, subject, depth=0):
        if depth > 5:
            return False
        for t in self.tuples:
            if (t["namespace"], t["object"], t["relation"]) != (ns, obj, rel):
                continue
            if "subject_id" in t and t["subject_id"] == subject.get("subject_id"):
                return True
            ss = t.get("subject_set")
            if ss:
                if subject.get("subject_set") == ss:
                    return True
                if self._allowed(ss["namespace"], ss["object"], ss["relation"], subject, depth + 1):
                    return True
        return False

    def _expand(self, ns, obj, rel, depth):
        tree = {"type": "union", "tuple": {"namespace": ns, "object": obj, "relation": rel}, "children": []}
        for t in self.tuples:
            if (t["namespace"], t["object"], t["relation"]) != (ns, obj, rel):
                continue
            if "subject_id" in t:
                tree["children"].append({"type": "leaf", "tuple": dict(t)})
            elif depth > 1:
                ss = t["subject_set"]
                tree["children"].append(self._expand(ss["namespace"], ss["object"], ss["relation"], depth - 1))
            else:
                tree["children"].append({"type": "leaf", "tuple": dict(t)})
        if not tree["children"]:
            tree = {"type": "leaf", "tuple": tree["tuple"]}
        return tree

    def route_keto_read(self, r):
        q = r.query
        err = self._unknown_namespace(q.get("namespace"))
        if r.method != "GET":
            return keto_error(404, "Not Found")
        if r.path == "/relation-tuples":
            if err:
                return err
            found = [t for t in self.tuples if self._matches(t, q)]
            size = int(q.get("page_size") or 100)
            start = int(q.get("page_token") or 0)
            page = found[start:start + size]
            token = str(start + size) if start + size < len(found) else ""
            return reply({"relation_tuples": page, "next_page_token": token})
        if r.path == "/relation-tuples/check":
            if err:
                return err
            if not all(q.get(k) for k in ("namespace", "object", "relation")):
                return keto_error(400, "incomplete tuple: namespace, object and relation are required")
            if q.get("subject_id"):
                subject = {"subject_id": q["subject_id"]}
            elif all(q.get("subject_set_" + k) for k in ("namespace", "object", "relation")):
                subject = {"subject_set": {k: q["subject_set_" + k] for k in ("namespace", "object", "relation")}}
            else:
                return keto_error(400, "Please provide either a subject ID or subject set.")
            allowed = self._allowed(q["namespace"], q["object"], q["relation"], subject)
            return reply({"allowed": allowed}, 200 if allowed else 403)
        if r.path == "/relation-tuples/expand":
            if err:
                return err
            depth = int(q.get("max-depth") or 5)
            return reply(self._expand(q.get("namespace"), q.get("object"), q.get("relation"), depth))
        return keto_error(404, "Not Found")

    def route_keto_write(self, r):
        if r.path != "/admin/relation-tuples":
            return keto_error(404, "Not Found")
        if r.method == "PUT":
            body = self._json(r)
            if not isinstance(body, dict):
                return keto_error(400, "Unable to decode JSON payload")
            err = self._unknown_namespace(body.get("namespace"))
            if err:
                return err
            if not all(body.get(k) for k in ("namespace", "object", "relation")):
                return keto_error(400, "incomplete tuple: namespace, object and relation are required")
            ss = body.get("subject_set")
            if bool(body.get("subject_id")) == bool(ss):
                return keto_error(400, "Please provide either a subject ID or subject set.")
            t = self.add_tuple(body["namespace"], body["object"], body["relation"],
                               subject_id=body.get("subject_id"), subject_set=ss)
            return reply(t, 201)
        if r.method == "DELETE":
            q = r.query
            err = self._unknown_namespace(q.get("namespace"))
            if err:
                return err
            if not q:
                return keto_error(400, "Nothing to delete: please provide at least a namespace")
            self.tuples = [t for t in self.tuples if not self._matches(t, q)]
            return Response(204)
        return keto_error(405, "Method Not Allowed")

    @staticmethod
    def _json(r):
        try:
            return r.json()
        except ValueError:
            return None


# pytest fixtures: one stack per test module, state re-seeded before each test.
def _fixtures():
    import pytest

    @pytest.fixture(scope="module")
    def ory_server():
        fake = FakeOry()
        yield fake
        fake.close()

    @pytest.fixture
    def ory(ory_server):
        ory_server.reset()
        return ory_server

    return ory_server, ory


ory_server, ory = _fixtures()
