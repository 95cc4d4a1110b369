"""An in-memory Vault/OpenBao HTTP API on 127.0.0.1 for the assay.vault tests.

It records every request and answers like the real service for the endpoints the
module uses: X-Vault-Token checks (403 `permission denied`), KV v2 (`secret/`) and
KV v1 (`kv/`) mounts, LIST via `?list=true` (404 when there is nothing to list),
sys/health status codes, seal status, ACL policies, auth methods and roles,
secrets engines and tuning, tokens, transit (reversible fake encryption, base64
plaintext) and PKI. Write endpoints answer 204 without a body, as Vault does; a
request body that is not a JSON object is refused with 400, as Vault does.

`fake.respond(method, path, status, body)` overrides one endpoint (path without
the query string); `fake.requests` lists what was received.
"""
import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

from fakes import FakeService, Response

ROOT_TOKEN = "root-token"
UNAUTHENTICATED = ("/v1/sys/health", "/v1/sys/seal-status")

CA_PEM = ("-----BEGIN CERTIFICATE-----\n"
          "MIIBfakeCAcertificateForTestsOnlyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
          "-----END CERTIFICATE-----\n")


class Request:
    def __init__(self, method, raw_path, headers, body):
        parts = urlsplit(raw_path)
        self.method = method
        self.raw_path = raw_path
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%s %s>" % (self.method, self.raw_path)


class FakeVault(FakeService):
    name = "vault"
    request_class = Request

    def __init__(self, token=ROOT_TOKEN):
        self.overrides = {}
        self.root_token = token
        self.tokens = {token: {"id": token, "policies": ["root"], "display_name": "root", "ttl": 0,
                               "accessor": "acc-root", "renewable": False}}
        self.sealed = False
        self.initialized = True
        self.standby = False
        self.mounts = {
            "secret/": {"type": "kv", "description": "key/value secret storage", "options": {"version": "2"},
                        "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}},
            "secrets/": {"type": "kv", "description": "", "options": {"version": "2"},
                         "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}},
            "kv/": {"type": "kv", "description": "KV version 1", "options": {"version": "1"},
                    "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}},
            "transit/": {"type": "transit", "description": "", "options": None, "config": {}},
            "pki/": {"type": "pki", "description": "", "options": None, "config": {}},
            "sys/": {"type": "system", "description": "system endpoints", "options": None, "config": {}},
            "cubbyhole/": {"type": "cubbyhole", "description": "per-token private secret storage",
                           "options": None, "config": {}},
        }
        self.auth = {"token/": {"type": "token", "description": "token based credentials",
                                "accessor": "auth_token_1", "config": {}}}
        self.auth_config = {}
        self.roles = {}           # (auth path, role) -> config
        self.policies = {"default": 'path "auth/token/lookup-self" { capabilities = ["read"] }', "root": ""}
        self.kv2 = {}             # (mount, key) -> list of {data, created_time, deletion_time}
        self.kv1 = {}             # (mount, key) -> data
        self.transit_keys = {}    # name -> {type}
        self.pki_roles = {}       # (mount, role) -> opts
        self._serial = 0
        super().__init__()  # starts serving; `self.lock` guards the state above as well

    # ---- lifecycle (the server itself is fakes.FakeService) ---------------
    def start(self):
        return self

    def stop(self):
        self.close()

    def route(self, req):
        with self.lock:
            status, payload, ctype = self.answer(req)
        data = payload if isinstance(payload, bytes) else (
            b"" if payload is None else
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        return Response(status, data, ctype if data or status not in (204, 304) else None)

    # ---- test helpers -------------------------------------------------------
    def respond(self, method, path, status, body=None, content_type="application/json"):
        """Answer `method path` with a fixed response (body: dict/list → JSON, str verbatim)."""
        self.overrides[(method.upper(), path)] = (status, body, content_type)

    def last(self, method=None, path=None):
        for r in reversed(self.requests):
            if (method is None or r.method == method) and (path is None or r.path == path):
                return r
        raise AssertionError("no request %s %s in %r" % (method, path, self.requests))

    def put_secret(self, mount, key, data):
        self.kv2.setdefault((mount, key), []).append(
            {"data": data, "created_time": _now(), "deletion_time": ""})

    # ---- routing ------------------------------------------------------------
    def answer(self, req):
        override = self.overrides.get((req.method, req.path))
        if override is not None:
            status, body, ctype = override
            return status, body, ctype
        path = req.path
        if not path.startswith("/v1/"):
            return 404, {"errors": []}, "application/json"
        rel = path[len("/v1/"):]
        method = req.method
        is_list = method == "LIST" or (method == "GET" and req.query.get("list") == "true")

        if path == "/v1/sys/health":
            return self._health(req)
        if path == "/v1/sys/seal-status":
            return 200, self._seal_status(), "application/json"
        if method == "GET" and rel.endswith("/ca/pem"):
            return 200, CA_PEM, "application/pem-certificate-chain"

        token = req.headers.get("x-vault-token")
        if token not in self.tokens:
            return 403, {"errors": ["permission denied"]}, "application/json"
        if self.sealed:
            return 503, {"errors": ["Vault is sealed"]}, "application/json"
        if method in ("POST", "PUT") and req.body:
            if not isinstance(req.json, dict):
                detail = "json: cannot unmarshal array into Go value of type map[string]interface {}" \
                    if isinstance(req.json, list) else "invalid character"
                return 400, {"errors": ["failed to parse JSON input: " + detail]}, "application/json"
        body = req.json if isinstance(req.json, dict) else {}

        handler = None
        if rel.startswith("sys/"):
            handler = self._sys
        elif rel.startswith("auth/token/"):
            handler = self._token
        elif rel.startswith("auth/"):
            handler = self._auth
        else:
            handler = self._mounted
        status, payload = handler(method, rel, body, is_list, req)
        return status, payload, "application/json"

    # ---- sys ----------------------------------------------------------------
    def _health(self, req):
        q = req.query
        body = {"initialized": self.initialized, "sealed": self.sealed, "standby": self.standby,
                "performance_standby": False, "replication_performance_mode": "disabled",
                "replication_dr_mode": "disabled", "server_time_utc": int(time.time()),
                "version": "1.15.0", "cluster_name": "vault-cluster-fake", "cluster_id": "fake-id"}
        if not self.initialized:
            status = int(q.get("uninitcode", 501))
        elif self.sealed:
            status = int(q.get("sealedcode", 503))
        elif self.standby:
            status = 200 if q.get("standbyok") == "true" else int(q.get("standbycode", 429))
        else:
            status = int(q.get("activecode", 200))
        return status, body, "application/json"

    def _seal_status(self):
        return {"type": "shamir", "initialized": self.initialized, "sealed": self.sealed, "t": 1, "n": 1,
                "progress": 0, "nonce": "", "version": "1.15.0", "build_date": "2023-09-22T16:53:10Z",
                "migration": False, "recovery_seal": False, "storage_type": "inmem"}

    def _sys(self, method, rel, body, is_list, req):
        if rel == "sys/policies/acl" or rel == "sys/policies/acl/":
            if is_list:
                return 200, _listing(sorted(self.policies))
            return 405, {"errors": ["unsupported operation"]}
        if rel.startswith("sys/policies/acl/"):
            name = rel[len("sys/policies/acl/"):]
            if method == "GET":
                if name not in self.policies:
                    return 404, {"errors": []}
                return 200, _secret({"name": name, "policy": self.policies[name]})
            if method in ("PUT", "POST"):
                if "policy" not in body:
                    return 400, {"errors": ["'policy' parameter not supplied or empty"]}
                self.policies[name] = body["policy"]
                return 204, None
            if method == "DELETE":
                self.policies.pop(name, None)
                return 204, None
        if rel == "sys/auth" and method == "GET":
            data = {k: dict(v) for k, v in self.auth.items()}
            out = _secret(data)
            out.update(data)  # Vault repeats the map at the top level
            return 200, out
        if rel.startswith("sys/auth/"):
            path = rel[len("sys/auth/"):].rstrip("/") + "/"
            if method == "POST":
                if not body.get("type"):
                    return 400, {"errors": ["backend type must be specified as a string"]}
                if path in self.auth:
                    return 400, {"errors": ["path is already in use at " + path]}
                self.auth[path] = {"type": body["type"], "description": body.get("description", ""),
                                   "accessor": "auth_%s_%d" % (body["type"], len(self.auth)),
                                   "config": body.get("config") or {}}
                return 204, None
            if method == "DELETE":
                self.auth.pop(path, None)
                return 204, None
        if rel == "sys/mounts" and method == "GET":
            data = {k: dict(v) for k, v in self.mounts.items()}
            out = _secret(data)
            out.update(data)
            return 200, out
        if rel.startswith("sys/mounts/") and rel.endswith("/tune"):
            path = rel[len("sys/mounts/"):-len("/tune")] + "/"
            if path not in self.mounts:
                return 400, {"errors": ["cannot fetch sysview for path %r" % path]}
            if method == "POST":
                self.mounts[path]["config"].update(body)
                return 204, None
            return 200, _secret(self.mounts[path]["config"])
        if rel.startswith("sys/mounts/"):
            path = rel[len("sys/mounts/"):].rstrip("/") + "/"
            if method == "POST":
                if not body.get("type"):
                    return 400, {"errors": ["backend type must be specified as a string"]}
                if path in self.mounts:
                    return 400, {"errors": ["path is already in use at " + path]}
                self.mounts[path] = {"type": body["type"], "description": body.get("description", ""),
                                     "options": body.get("options"), "config": body.get("config") or {}}
                return 204, None
            if method == "DELETE":
                self.mounts.pop(path, None)
                return 204, None
        return 404, {"errors": ["no handler for route \"%s\". route entry not found." % rel]}

    # ---- tokens -------------------------------------------------------------
    def _token(self, method, rel, body, is_list, req):
        caller = req.headers.get("x-vault-token")
        if rel == "auth/token/create" and method == "POST":
            self._serial += 1
            new = "hvs.fake%04d" % self._serial
            policies = body.get("policies") or ["default"]
            info = {"id": new, "policies": policies, "display_name": "token", "ttl": 3600,
                    "accessor": "acc-%d" % self._serial, "renewable": bool(body.get("renewable", True)),
                    "meta": body.get("meta")}
            self.tokens[new] = info
            return 200, {"request_id": "r", "lease_id": "", "renewable": False, "lease_duration": 0,
                         "data": None, "wrap_info": None, "warnings": None,
                         "auth": {"client_token": new, "accessor": info["accessor"], "policies": policies,
                                  "token_policies": policies, "metadata": body.get("meta"),
                                  "lease_duration": 3600, "renewable": info["renewable"],
                                  "entity_id": "", "token_type": "service", "orphan": False}}
        if rel == "auth/token/lookup" and method == "POST":
            info = self.tokens.get(body.get("token"))
            if info is None:
                return 403, {"errors": ["bad token"]}
            return 200, _secret(info)
        if rel == "auth/token/lookup-self" and method == "GET":
            return 200, _secret(self.tokens[caller])
        if rel == "auth/token/revoke" and method == "POST":
            if "token" not in body:
                return 400, {"errors": ["missing token"]}
            self.tokens.pop(body["token"], None)
            return 204, None
        if rel == "auth/token/revoke-self" and method == "POST":
            self.tokens.pop(caller, None)
            return 204, None
        return 404, {"errors": ["unsupported path"]}

    # ---- auth methods -------------------------------------------------------
    def _auth(self, method, rel, body, is_list, req):
        rest = rel[len("auth/"):]
        mount = None
        for path in sorted(self.auth, key=len, reverse=True):
            if rest.startswith(path) or rest + "/" == path:
                mount = path
                break
        if mount is None:
            return 404, {"errors": ["no handler for route \"%s\". route entry not found." % rel]}
        sub = rest[len(mount):] if rest.startswith(mount) else ""
        if sub == "config":
            if method == "POST":
                self.auth_config.setdefault(mount, {}).update(body)
                return 204, None
            return 200, _secret(self.auth_config.get(mount, {}))
        if sub in ("role", "role/") and is_list:
            names = sorted(r for (m, r) in self.roles if m == mount)
            if not names:
                return 404, {"errors": []}
            return 200, _listing(names)
        if sub.startswith("role/"):
            name = sub[len("role/"):]
            if method == "POST":
                self.roles[(mount, name)] = dict(body)
                return 204, None
            if method == "GET":
                if (mount, name) not in self.roles:
                    return 404, {"errors": []}
                return 200, _secret(self.roles[(mount, name)])
            if method == "DELETE":
                self.roles.pop((mount, name), None)
                return 204, None
        return 405, {"errors": ["unsupported operation"]}

    # ---- secrets engines ----------------------------------------------------
    def _mounted(self, method, rel, body, is_list, req):
        mount = None
        for path in sorted(self.mounts, key=len, reverse=True):
            if rel.startswith(path):
                mount = path
                break
        if mount is None:
            return 404, {"errors": ["no handler for route \"%s\". route entry not found." % rel]}
        info = self.mounts[mount]
        sub = rel[len(mount):]
        name = mount.rstrip("/")
        if info["type"] == "kv" and (info.get("options") or {}).get("version") == "2":
            return self._kv2(name, method, sub, body, is_list)
        if info["type"] == "kv":
            return self._kv1(name, method, sub, body, is_list)
        if info["type"] == "transit":
            return self._transit(method, sub, body, is_list)
        if info["type"] == "pki":
            return self._pki(name, method, sub, body, is_list)
        return 405, {"errors": ["unsupported operation"]}

    def _kv2(self, mount, method, sub, body, is_list):
        if sub.startswith("data/"):
            key = sub[len("data/"):]
            versions = self.kv2.get((mount, key))
            if method == "GET":
                if not versions or versions[-1]["deletion_time"]:
                    return 404, {"errors": []}
                v = versions[-1]
                return 200, _secret({"data": v["data"], "metadata": {
                    "created_time": v["created_time"], "custom_metadata": None,
                    "deletion_time": "", "destroyed": False, "version": len(versions)}})
            if method in ("POST", "PUT"):
                if not isinstance(body.get("data"), dict):
                    return 400, {"errors": ["no data provided"]}
                entry = {"data": body["data"], "created_time": _now(), "deletion_time": ""}
                self.kv2.setdefault((mount, key), []).append(entry)
                n = len(self.kv2[(mount, key)])
                return 200, _secret({"created_time": entry["created_time"], "custom_metadata": None,
                                     "deletion_time": "", "destroyed": False, "version": n})
            if method == "DELETE":
                if versions:
                    versions[-1]["deletion_time"] = _now()
                return 204, None
        if sub.startswith("metadata/") or sub == "metadata":
            prefix = sub[len("metadata/"):] if sub.startswith("metadata/") else ""
            if is_list:
                keys = _children((k for (m, k), vs in self.kv2.items() if m == mount), prefix)
                if not keys:
                    return 404, {"errors": []}
                return 200, _listing(keys)
            if method == "GET":
                versions = self.kv2.get((mount, prefix))
                if not versions:
                    return 404, {"errors": []}
                return 200, _secret({
                    "cas_required": False, "created_time": versions[0]["created_time"],
                    "current_version": len(versions), "custom_metadata": None, "delete_version_after": "0s",
                    "max_versions": 0, "oldest_version": 0, "updated_time": versions[-1]["created_time"],
                    "versions": {str(i + 1): {"created_time": v["created_time"],
                                              "deletion_time": v["deletion_time"], "destroyed": False}
                                 for i, v in enumerate(versions)}})
            if method == "DELETE":
                self.kv2.pop((mount, prefix), None)
                return 204, None
        return 404, {"errors": []}

    def _kv1(self, mount, method, key, body, is_list):
        if is_list:
            keys = _children((k for (m, k) in self.kv1 if m == mount), key)
            if not keys:
                return 404, {"errors": []}
            return 200, _listing(keys)
        if method == "GET":
            if (mount, key) not in self.kv1:
                return 404, {"errors": []}
            return 200, _secret(self.kv1[(mount, key)], lease=2764800)
        if method in ("POST", "PUT"):
            self.kv1[(mount, key)] = dict(body)
            return 204, None
        if method == "DELETE":
            self.kv1.pop((mount, key), None)
            return 204, None
        return 405, {"errors": ["unsupported operation"]}

    def _transit(self, method, sub, body, is_list):
        if sub in ("keys", "keys/") and is_list:
            if not self.transit_keys:
                return 404, {"errors": []}
            return 200, _listing(sorted(self.transit_keys))
        if sub.startswith("keys/"):
            name = sub[len("keys/"):]
            if method == "POST":
                self.transit_keys.setdefault(name, {"type": body.get("type", "aes256-gcm96")})
                return 204, None
            if method == "GET":
                if name not in self.transit_keys:
                    return 404, {"errors": []}
                return 200, _secret({"name": name, "type": self.transit_keys[name]["type"],
                                     "latest_version": 1})
        if sub.startswith("encrypt/") and method in ("POST", "PUT"):
            name = sub[len("encrypt/"):]
            try:
                plain = base64.b64decode(body.get("plaintext", ""), validate=True)
            except Exception:
                return 400, {"errors": ["failed to base64-decode plaintext"]}
            self.transit_keys.setdefault(name, {"type": "aes256-gcm96"})  # upsert, like Vault
            return 200, _secret({"ciphertext": "vault:v1:" + base64.b64encode(_scramble(plain)).decode(),
                                 "key_version": 1})
        if sub.startswith("decrypt/") and method in ("POST", "PUT"):
            name = sub[len("decrypt/"):]
            text = body.get("ciphertext", "")
            if name not in self.transit_keys:
                return 400, {"errors": ["encryption key not found"]}
            if not text.startswith("vault:v1:"):
                return 400, {"errors": ["invalid ciphertext: no prefix"]}
            plain = _scramble(base64.b64decode(text[len("vault:v1:"):]))
            return 200, _secret({"plaintext": base64.b64encode(plain).decode()})
        return 405, {"errors": ["unsupported operation"]}

    def _pki(self, mount, method, sub, body, is_list):
        if sub.startswith("roles/"):
            role = sub[len("roles/"):]
            if method == "POST":
                self.pki_roles[(mount, role)] = dict(body)
                return 204, None
            if method == "GET":
                if (mount, role) not in self.pki_roles:
                    return 404, {"errors": []}
                return 200, _secret(self.pki_roles[(mount, role)])
        if sub.startswith("issue/") and method in ("POST", "PUT"):
            role = sub[len("issue/"):]
            if (mount, role) not in self.pki_roles:
                return 400, {"errors": ["unknown role: " + role]}
            if not body.get("common_name"):
                return 400, {"errors": ["the common_name field is required"]}
            self._serial += 1
            return 200, _secret({
                "certificate": "-----BEGIN CERTIFICATE-----\nCN=%s\n-----END CERTIFICATE-----" % body["common_name"],
                "issuing_ca": CA_PEM.strip(), "ca_chain": [CA_PEM.strip()],
                "private_key": "-----BEGIN RSA PRIVATE KEY-----\nfake\n-----END RSA PRIVATE KEY-----",
                "private_key_type": "rsa", "serial_number": "4f:%02x" % self._serial,
                "expiration": int(time.time()) + 3600})
        return 405, {"errors": ["unsupported operation"]}


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


def _secret(data, lease=0):
    return {"request_id": "req-fake", "lease_id": "", "renewable": False, "lease_duration": lease,
            "data": data, "wrap_info": None, "warnings": None, "auth": None}


def _listing(keys):
    return _secret({"keys": list(keys)})


def _children(keys, prefix):
    """Vault LIST semantics: direct children of `prefix`, folders with a trailing slash."""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    out = set()
    for key in keys:
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix):]
        if "/" in rest:
            out.add(rest.split("/", 1)[0] + "/")
        elif rest:
            out.add(rest)
    return sorted(out)


def _scramble(data):
    return bytes(b ^ 0x5A for b in data)
