"""An in-memory Zitadel instance on 127.0.0.1 for the assay.zitadel tests.

Like a real instance it is reached through a virtual host: every request must carry
`Host: auth.<domain>` (else 404 "instance not found"). It serves:

- `POST /oauth/v2/token`: the RFC 7523 JWT bearer grant. The assertion is verified with
  PyJWT against the public half of a registered machine key (by `kid`): RS256, `iss` = `sub`
  = the key's userId, `aud` = the instance issuer `https://auth.<domain>`, integer `iat`/`exp`,
  at most one hour of lifetime. Issues opaque access tokens.
- Management/admin API calls need `Authorization: Bearer <issued token or PAT>` (401 otherwise)
  and a JSON object body where a body is expected (an array is refused with 400, as the
  grpc-gateway does): org domains (the management API `/management/v1/orgs/me/domains...`, and
  the original module's `/admin/v1/orgs/me/domains...` paths while `legacy_domain_api` is on),
  projects, OIDC apps (`old_app_search` makes the app search refuse name queries, as older
  versions did), IdP templates, Google/generic OIDC IdPs, login policy and its IdPs, users.

`fake.machine_key()` returns a machine-key JSON object as Zitadel downloads it.
"""
import json
import re
import secrets
import time

from fake_ory import HTTPFake, reply

PAT = "pat-admin-token"


def grpc_error(status, code, message):
    return reply({"code": code, "message": message, "details": []}, status)


def details():
    return {"sequence": str(int(time.time() * 1000)), "changeDate": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resourceOwner": "org-1"}


def name_matches(value, query):
    if not query:
        return True
    name = query.get("name", "")
    method = query.get("method", "TEXT_QUERY_METHOD_EQUALS")
    if method == "TEXT_QUERY_METHOD_EQUALS":
        return value == name
    if method == "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE":
        return value.lower() == name.lower()
    if method == "TEXT_QUERY_METHOD_CONTAINS":
        return name in value
    return False


class FakeZitadel(HTTPFake):
    name = "zitadel"

    def __init__(self, domain="example.com"):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.domain = domain
        self.host = "auth." + domain
        self.issuer = "https://" + self.host
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption()).decode()
        self.public_key = key.public_key()
        self.key_id = "170104948032274433"
        self.user_id = "170079991923474689"
        super().__init__()
        self.seed()

    def machine_key(self):
        return {"type": "serviceaccount", "keyId": self.key_id, "key": self.key_pem, "userId": self.user_id}

    def reset(self):
        super().reset()
        self.seed()

    def seed(self):
        self.tokens = {PAT: {"sub": "pat-user"}}
        self.assertions = []          # verified JWT claims, in order
        self.legacy_domain_api = True
        self.old_app_search = False
        self.domains = [{"orgId": "org-1", "domainName": "acme.auth." + self.domain, "isVerified": True,
                         "isPrimary": True, "validationType": "DOMAIN_VALIDATION_TYPE_UNSPECIFIED"}]
        self.projects = {}
        self.apps = {}                # project id -> {app id: app}
        self.idps = {}
        self.login_policy = {
            "allowUsernamePassword": True, "allowRegister": True, "allowExternalIdp": True, "forceMfa": False,
            "passwordlessType": "PASSWORDLESS_TYPE_ALLOWED", "hidePasswordReset": False,
            "passwordCheckLifetime": "864000s", "externalLoginCheckLifetime": "864000s",
            "mfaInitSkipLifetime": "2592000s", "secondFactorCheckLifetime": "64800s",
            "multiFactorCheckLifetime": "43200s", "isDefault": True, "idps": [],
        }
        self.users = {
            "u-1": {"id": "u-1", "userName": "alice", "state": "USER_STATE_ACTIVE", "loginNames": ["alice"],
                    "human": {"profile": {"firstName": "Alice", "lastName": "Smith"},
                              "email": {"email": "alice@old.example", "isEmailVerified": False}}},
            "u-2": {"id": "u-2", "userName": "bob", "state": "USER_STATE_ACTIVE", "loginNames": ["bob"],
                    "human": {"profile": {"firstName": "Bob", "lastName": "Jones"},
                              "email": {"email": "bob@example.com", "isEmailVerified": True}}},
        }
        self._ids = 200000000000000000

    def new_id(self):
        self._ids += 1
        return str(self._ids)

    # ---- request plumbing --------------------------------------------------------------
    def route(self, r):
        if r.header("Host") != self.host:
            return grpc_error(404, 5, "unable to set instance using origin %s (ExternalDomain is %s): "
                                      "ID=QUERY-1kIjX Message=Errors.IAM.NotFound" % (r.header("Host"), self.host))
        if r.path == "/oauth/v2/token":
            return self.token(r)
        auth = r.header("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return grpc_error(401, 16, "Errors.Token.Invalid (AUTH-7fs1e)")
        body = None
        if r.method in ("POST", "PUT"):
            try:
                body = json.loads(r.body or b"{}")
            except ValueError:
                return grpc_error(400, 3, "invalid character in request body")
            if not isinstance(body, dict):
                return grpc_error(400, 3, "proto: syntax error (line 1:1): unexpected token [")
        return self.api(r, body)

    def token(self, r):
        import jwt
        if r.method != "POST" or "application/x-www-form-urlencoded" not in (r.header("Content-Type") or ""):
            return reply({"error": "invalid_request", "error_description": "form body required"}, 400)
        form = r.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return reply({"error": "unsupported_grant_type", "error_description": "grant_type not supported"}, 400)
        scopes = form.get("scope", "").split()
        if "openid" not in scopes:
            return reply({"error": "invalid_scope", "error_description": "openid scope required"}, 400)
        assertion = form.get("assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            if header.get("kid") != self.key_id:
                raise jwt.InvalidTokenError("unknown key id %r" % header.get("kid"))
            claims = jwt.decode(assertion, self.public_key, algorithms=["RS256"], audience=self.issuer,
                                issuer=self.user_id, options={"require": ["iss", "sub", "aud", "iat", "exp"]})
            if claims["sub"] != self.user_id:
                raise jwt.InvalidTokenError("sub is not the key's user")
            if not isinstance(claims["iat"], int) or not isinstance(claims["exp"], int):
                raise jwt.InvalidTokenError("iat and exp must be integer seconds")
            if claims["exp"] - claims["iat"] > 3600:
                raise jwt.InvalidTokenError("assertion lifetime too long")
        except jwt.InvalidTokenError as e:
            return reply({"error": "invalid_grant", "error_description": "assertion invalid: %s" % e}, 400)
        self.assertions.append({"header": header, "claims": claims, "scopes": scopes})
        token = "zat_" + secrets.token_urlsafe(24)
        self.tokens[token] = {"sub": claims["sub"], "scopes": scopes}
        return reply({"access_token": token, "token_type": "Bearer", "expires_in": 43199})

    # ---- API ---------------------------------------------------------------------------
    def api(self, r, body):
        p, m = r.path, r.method
        # org domains
        for base, listing in (("/management/v1/orgs/me/domains", ("POST", "/_search")),
                              ("/admin/v1/orgs/me/domains", ("GET", ""))):
            if p == base or p.startswith(base + "/"):
                if base.startswith("/admin") and not self.legacy_domain_api:
                    return grpc_error(404, 5, "Not Found")
                return self.org_domains(m, p[len(base):], body, listing)
        if p == "/management/v1/projects/_search" and m == "POST":
            query = self.first_query(body, "nameQuery")
            found = [pr for pr in self.projects.values() if name_matches(pr["name"], query)]
            return reply({"details": {"totalResult": str(len(found))}, "result": found})
        if p == "/management/v1/projects" and m == "POST":
            if not body.get("name"):
                return grpc_error(400, 3, "invalid AddProjectRequest.Name: value length must be between 1 and 200 runes")
            if any(pr["name"] == body["name"] for pr in self.projects.values()):
                return grpc_error(409, 6, "Errors.Project.AlreadyExists")
            pid = self.new_id()
            self.projects[pid] = {"id": pid, "name": body["name"], "state": "PROJECT_STATE_ACTIVE",
                                  "projectRoleAssertion": bool(body.get("projectRoleAssertion")), "details": details()}
            self.apps[pid] = {}
            return reply({"id": pid, "details": details()})
        mt = re.fullmatch(r"/management/v1/projects/([^/]+)/apps/(_search|oidc)", p)
        if mt and m == "POST":
            pid, what = mt.groups()
            if pid not in self.projects:
                return grpc_error(404, 5, "Errors.Project.NotFound")
            if what == "_search":
                if self.old_app_search and "queries" in body:
                    return grpc_error(400, 3, "unknown field \"queries\" in zitadel.management.v1.ListAppsRequest")
                query = self.first_query(body, "nameQuery")
                found = [a for a in self.apps[pid].values() if name_matches(a["name"], query)]
                limit = int((body.get("query") or {}).get("limit") or 1000)
                return reply({"details": {"totalResult": str(len(found))}, "result": found[:limit]})
            if not body.get("name"):
                return grpc_error(400, 3, "invalid AddOIDCAppRequest.Name: value length must be between 1 and 200 runes")
            if any(a["name"] == body["name"] for a in self.apps[pid].values()):
                return grpc_error(409, 6, "Errors.Project.App.AlreadyExists")
            if not body.get("redirectUris"):
                return grpc_error(400, 3, "Errors.Project.App.OIDCConfigInvalid")
            app_id, client_id = self.new_id(), self.new_id() + "@" + self.projects[pid]["name"]
            secret = secrets.token_urlsafe(32)
            self.apps[pid][app_id] = {"id": app_id, "name": body["name"], "state": "APP_STATE_ACTIVE",
                                      "oidcConfig": dict(body, clientId=client_id), "details": details()}
            return reply({"appId": app_id, "details": details(), "clientId": client_id, "clientSecret": secret,
                          "noneCompliant": False})
        if p == "/admin/v1/idps/templates/_search" and m == "POST":
            query = self.first_query(body, "idpNameQuery")
            found = [i for i in self.idps.values() if name_matches(i["name"], query)]
            return reply({"details": {"totalResult": str(len(found))}, "result": found})
        if p in ("/admin/v1/idps/google", "/admin/v1/idps/generic_oidc") and m == "POST":
            if not body.get("clientId"):
                return grpc_error(400, 3, "invalid request: clientId is required")
            if any(i["name"] == body.get("name") for i in self.idps.values()):
                return grpc_error(409, 6, "Errors.IDPConfig.AlreadyExists")
            iid = self.new_id()
            kind = "IDP_TYPE_GOOGLE" if p.endswith("google") else "IDP_TYPE_OIDC"
            self.idps[iid] = {"id": iid, "name": body.get("name") or "Google", "state": "IDP_STATE_ACTIVE",
                              "type": kind, "config": body, "details": details()}
            return reply({"details": details(), "id": iid})
        mt = re.fullmatch(r"/admin/v1/idps/generic_oidc/([^/]+)", p)
        if mt and m == "PUT":
            idp = self.idps.get(mt.group(1))
            if idp is None:
                return grpc_error(404, 5, "Errors.IDPConfig.NotExisting")
            idp["config"] = body
            idp["name"] = body.get("name", idp["name"])
            return reply({"details": details()})
        if p == "/admin/v1/policies/login" and m == "GET":
            return reply({"policy": dict(self.login_policy)})
        if p == "/admin/v1/policies/login" and m == "PUT":
            unknown = [k for k in body if k not in self.login_policy]
            if unknown:
                return grpc_error(400, 3, "unknown field %r in zitadel.admin.v1.UpdateLoginPolicyRequest" % unknown[0])
            self.login_policy.update(body)
            return reply({"details": details()})
        if p == "/admin/v1/policies/login/idps" and m == "POST":
            if body.get("idpId") not in self.idps:
                return grpc_error(404, 5, "Errors.IDPConfig.NotExisting")
            if body["idpId"] in self.login_policy["idps"]:
                return grpc_error(409, 6, "Errors.IAM.LoginPolicy.IDP.AlreadyExists")
            self.login_policy["idps"].append(body["idpId"])
            return reply({"details": details()})
        if p == "/management/v1/users/_search" and m == "POST":
            found = list(self.users.values())
            for q in body.get("queries") or []:
                if "userNameQuery" in q:
                    found = [u for u in found if name_matches(u["userName"], {
                        "name": q["userNameQuery"].get("userName"), "method": q["userNameQuery"].get("method")})]
                if "emailQuery" in q:
                    found = [u for u in found if name_matches(u["human"]["email"]["email"], {
                        "name": q["emailQuery"].get("emailAddress"), "method": q["emailQuery"].get("method")})]
            return reply({"details": {"totalResult": str(len(found))}, "result": found})
        mt = re.fullmatch(r"/management/v1/users/([^/]+)/email", p)
        if mt and m == "PUT":
            user = self.users.get(mt.group(1))
            if user is None:
                return grpc_error(404, 5, "Errors.User.NotFound")
            if not body.get("email"):
                return grpc_error(400, 3, "invalid UpdateHumanEmailRequest.Email")
            user["human"]["email"] = {"email": body["email"], "isEmailVerified": bool(body.get("isEmailVerified"))}
            return reply({"details": details()})
        return grpc_error(404, 5, "Not Found")

    def org_domains(self, m, rest, body, listing):
        if (m, rest) == listing:
            return reply({"details": {"totalResult": str(len(self.domains))}, "result": self.domains})
        if m == "POST" and rest == "":
            domain = body.get("domain")
            if not domain:
                return grpc_error(400, 3, "invalid AddOrgDomainRequest.Domain")
            if any(d["domainName"] == domain for d in self.domains):
                return grpc_error(409, 6, "Errors.Org.DomainAlreadyExists")
            self.domains.append({"orgId": "org-1", "domainName": domain, "isVerified": False, "isPrimary": False,
                                 "validationType": "DOMAIN_VALIDATION_TYPE_UNSPECIFIED"})
            return reply({"details": details()})
        mt = re.fullmatch(r"/([^/]+)/_set_primary", rest)
        if mt and m == "POST":
            target = [d for d in self.domains if d["domainName"] == mt.group(1)]
            if not target:
                return grpc_error(404, 5, "Errors.Org.DomainNotOnOrg")
            for d in self.domains:
                d["isPrimary"] = d is target[0]
            return reply({"details": details()})
        return grpc_error(404, 5, "Not Found")

    @staticmethod
    def first_query(body, kind):
        for q in (body or {}).get("queries") or []:
            if kind in q:
                return q[kind]
        return None


def _fixtures():
    import pytest

    @pytest.fixture(scope="module")
    def zitadel_server():
        fake = FakeZitadel()
        yield fake
        fake.close()

    @pytest.fixture
    def zitadel(zitadel_server):
        zitadel_server.reset()
        return zitadel_server

    return zitadel_server, zitadel


zitadel_server, zitadel = _fixtures()
