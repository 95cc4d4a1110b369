"""One fake Kubernetes API server for the tests of assay.k8s and the CRD modules
(certmanager, crossplane, eso, flux, kargo, velero).

It behaves like the real kube-apiserver where the modules can tell the difference:

- typed resources and CRDs are addressed as `/api/v1/...` or `/apis/<group>/<version>/...`,
  namespaced (`.../namespaces/<ns>/<plural>[/<name>]`) or cluster-scoped
  (`.../<plural>[/<name>]`); a namespaced plural without a namespace lists all namespaces;
- a group/version or plural the server does not serve answers `404 page not found`
  (text/plain), as the real server does for a CRD that is not installed;
- a missing object answers a `Status` object (`reason: NotFound`, `code: 404`);
- lists are `<Kind>List` objects with `metadata.resourceVersion`; items are ordered by
  namespace and name (the storage key order); built-in types omit `kind`/`apiVersion` in list
  items, custom resources keep them;
- `limit` and `continue` paginate (`metadata.continue`, `remainingItemCount`); `page_size`
  makes the server chunk even without `limit`;
- `labelSelector` (equality and set-based) and `fieldSelector` filter lists, after the query
  string has been percent-decoded;
- POST creates (201, `generateName`, 409 AlreadyExists), PUT replaces (404 when missing, 409 on a
  stale resourceVersion), PATCH understands merge-patch, strategic-merge-patch (built-in types
  only, 415 for custom resources), json-patch and apply-patch (which needs `fieldManager`),
  DELETE answers the deleted object;
- `pods/<name>/log` returns text/plain (`tailLines`, `container`, `previous`);
- a wrong or missing bearer token answers 401 `Unauthorized`;
- optional TLS with a self-signed certificate for 127.0.0.1 (`ca_pem` holds it).

It runs on the shared fake framework (fakes.FakeService). Every request is recorded (method,
raw path, decoded path, query pairs, headers, body). `shared()` returns the one server instance of the test session; the `k8s` fixture resets it
before each test.
"""
import base64
import copy
import datetime
import itertools
import json
import os
import re
import ssl
import tempfile
import threading
import urllib.parse

import pytest

from conftest import ws_frame
from fakes import FakeService, Response

TOKEN = "test-token"

# (apiVersion, Kind) -> (plural, namespaced)
BUILTIN = {
    ("v1", "Pod"): ("pods", True),
    ("v1", "Service"): ("services", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Endpoints"): ("endpoints", True),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("v1", "LimitRange"): ("limitranges", True),
    ("v1", "ResourceQuota"): ("resourcequotas", True),
    ("v1", "Event"): ("events", True),
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "Node"): ("nodes", False),
    ("v1", "PersistentVolume"): ("persistentvolumes", False),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("apps/v1", "StatefulSet"): ("statefulsets", True),
    ("apps/v1", "DaemonSet"): ("daemonsets", True),
    ("apps/v1", "ReplicaSet"): ("replicasets", True),
    ("batch/v1", "Job"): ("jobs", True),
    ("batch/v1", "CronJob"): ("cronjobs", True),
    ("networking.k8s.io/v1", "Ingress"): ("ingresses", True),
    ("networking.k8s.io/v1", "IngressClass"): ("ingressclasses", False),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
    ("storage.k8s.io/v1", "StorageClass"): ("storageclasses", False),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
}

CUSTOM = {
    ("argoproj.io/v1alpha1", "Application"): ("applications", True),
    ("cert-manager.io/v1", "Certificate"): ("certificates", True),
    ("cert-manager.io/v1", "Issuer"): ("issuers", True),
    ("cert-manager.io/v1", "ClusterIssuer"): ("clusterissuers", False),
    ("cert-manager.io/v1", "CertificateRequest"): ("certificaterequests", True),
    ("acme.cert-manager.io/v1", "Order"): ("orders", True),
    ("acme.cert-manager.io/v1", "Challenge"): ("challenges", True),
    ("pkg.crossplane.io/v1", "Provider"): ("providers", False),
    ("pkg.crossplane.io/v1", "ProviderRevision"): ("providerrevisions", False),
    ("pkg.crossplane.io/v1", "Configuration"): ("configurations", False),
    ("pkg.crossplane.io/v1beta1", "Function"): ("functions", False),
    ("apiextensions.crossplane.io/v1", "CompositeResourceDefinition"): ("compositeresourcedefinitions", False),
    ("apiextensions.crossplane.io/v1", "Composition"): ("compositions", False),
    ("s3.aws.upbound.io/v1beta1", "Bucket"): ("buckets", False),
    ("external-secrets.io/v1beta1", "ExternalSecret"): ("externalsecrets", True),
    ("external-secrets.io/v1beta1", "SecretStore"): ("secretstores", True),
    ("external-secrets.io/v1beta1", "ClusterSecretStore"): ("clustersecretstores", False),
    ("external-secrets.io/v1beta1", "ClusterExternalSecret"): ("clusterexternalsecrets", False),
    ("source.toolkit.fluxcd.io/v1", "GitRepository"): ("gitrepositories", True),
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"): ("helmrepositories", True),
    ("source.toolkit.fluxcd.io/v1", "HelmChart"): ("helmcharts", True),
    ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository"): ("ocirepositories", True),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"): ("kustomizations", True),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"): ("helmreleases", True),
    ("notification.toolkit.fluxcd.io/v1beta3", "Alert"): ("alerts", True),
    ("notification.toolkit.fluxcd.io/v1beta3", "Provider"): ("providers", True),
    ("notification.toolkit.fluxcd.io/v1", "Receiver"): ("receivers", True),
    ("image.toolkit.fluxcd.io/v1beta2", "ImagePolicy"): ("imagepolicies", True),
    ("kargo.akuity.io/v1alpha1", "Stage"): ("stages", True),
    ("kargo.akuity.io/v1alpha1", "Freight"): ("freight", True),
    ("kargo.akuity.io/v1alpha1", "Promotion"): ("promotions", True),
    ("kargo.akuity.io/v1alpha1", "Warehouse"): ("warehouses", True),
    ("kargo.akuity.io/v1alpha1", "Project"): ("projects", False),
    ("velero.io/v1", "Backup"): ("backups", True),
    ("velero.io/v1", "Restore"): ("restores", True),
    ("velero.io/v1", "Schedule"): ("schedules", True),
    ("velero.io/v1", "BackupStorageLocation"): ("backupstoragelocations", True),
    ("velero.io/v1", "VolumeSnapshotLocation"): ("volumesnapshotlocations", True),
    ("velero.io/v1", "BackupRepository"): ("backuprepositories", True),
}


class Resource:
    def __init__(self, api_version, kind, plural, namespaced, custom):
        self.api_version, self.kind, self.plural = api_version, kind, plural
        self.namespaced, self.custom = namespaced, custom

    @property
    def group(self):
        return self.api_version.rpartition("/")[0]


class Request:
    """One recorded request."""
    client_cn = None  # the CN of a verified client certificate (mTLS)

    def __init__(self, method, raw_path, headers, body):
        self.method = method
        self.raw_path = raw_path
        split = urllib.parse.urlsplit(raw_path)
        self.raw_query = split.query
        self.path = urllib.parse.unquote(split.path)
        self.query = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def param(self, name):
        """First value of a query parameter (as Go's url.Values.Get), or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None

    def params(self, name):
        return [value for key, value in self.query if key == name]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%s %s>" % (self.method, self.raw_path)


def status_object(code, reason, message, details=None):
    obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code}
    if details:
        obj["details"] = details
    return obj


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeK8s(FakeService):
    name = "k8s"
    request_class = Request

    def __init__(self, tls=False, mtls=False):
        self.tls = tls or mtls
        self.mtls = mtls
        self.ca_pem = None
        # mTLS: the client certificate the server trusts (a user "admin" in group system:masters)
        self.client_cert_pem = self.client_key_pem = None
        self._lock = threading.RLock()
        super().__init__(ssl_context=self._tls_context() if self.tls else None)
        self.reset()

    # ---- state -------------------------------------------------------------

    def reset(self):
        with self._lock:
            self.token = TOKEN
            self.resources = {}
            for table, custom in ((BUILTIN, False), (CUSTOM, True)):
                for (api_version, kind), (plural, namespaced) in table.items():
                    self.resources[(api_version, plural)] = Resource(api_version, kind, plural, namespaced, custom)
            self.objects = {}        # (apiVersion, plural, namespace or None, name) -> object
            self.requests = []
            self.logs = {}           # (namespace, pod, container or None, previous) -> text
            self.failures = []       # [method, path, status, body, times]
            self.sequences = {}      # path -> [object | status code, ...]
            self.page_size = None
            # pods/<name>/exec: (namespace, pod, container, command) -> (stdout, stderr, exit code)
            self.exec_handler = lambda ns, pod, container, command: (" ".join(command) + "\n", "", 0)
            self.exec_stdin = None  # what the last exec sent on stdin (bytes), None without stdin
            self._rv = itertools.count(1000)
            self._uid = itertools.count(1)

    def uninstall(self, api_version):
        """Stop serving a group/version, as when a CRD is not installed."""
        with self._lock:
            for key in [k for k in self.resources if k[0] == api_version]:
                del self.resources[key]

    def _resource_of(self, obj):
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        for res in self.resources.values():
            if res.api_version == api_version and res.kind == kind:
                return res
        raise KeyError("fake k8s serves no %s %s" % (api_version, kind))

    def add(self, *objs):
        """Store objects as given (plus the metadata the API server always sets)."""
        with self._lock:
            for obj in objs:
                obj = copy.deepcopy(obj)
                res = self._resource_of(obj)
                meta = obj.setdefault("metadata", {})
                if res.namespaced:
                    meta.setdefault("namespace", "default")
                else:
                    meta.pop("namespace", None)
                self._stamp(meta)
                self.objects[self._key(res, meta.get("namespace"), meta["name"])] = obj
        return self

    def get(self, api_version, plural, namespace, name):
        with self._lock:
            return copy.deepcopy(self.objects.get((api_version, plural, namespace, name)))

    def set_log(self, namespace, pod, text, container=None, previous=False):
        self.logs[(namespace, pod, container, bool(previous))] = text

    def fail(self, path, status, body=None, method="GET", times=None):
        """Answer `status` (a Status object unless `body` is given) for method+path."""
        with self._lock:
            self.failures.append([method, path, status, body, times])

    def sequence(self, path, steps):
        """Successive GETs of `path` answer the next step (an object, or a status code);
        the last step repeats."""
        with self._lock:
            self.sequences[path] = list(steps)

    def _stamp(self, meta):
        meta.setdefault("uid", "uid-%04d" % next(self._uid))
        meta.setdefault("creationTimestamp", now())
        meta.setdefault("generation", 1)
        meta["resourceVersion"] = str(next(self._rv))

    def _key(self, res, namespace, name):
        return (res.api_version, res.plural, namespace if res.namespaced else None, name)

    # ---- queries on recorded requests ---------------------------------------

    def last(self, method=None):
        for req in reversed(self.requests):
            if method is None or req.method == method:
                return req
        raise AssertionError("no %s request recorded" % (method or "HTTP"))

    def paths(self, method="GET"):
        return [r.path for r in self.requests if method is None or r.method == method]

    # ---- server ------------------------------------------------------------

    def dispatch(self, req):
        if (req.headers.get("upgrade") or "").lower() == "websocket":
            return self._serve_exec(req)
        with self._lock:
            status, ctype, payload = self.handle(req)
        if not isinstance(payload, (bytes, str)):
            payload = json.dumps(payload, separators=(",", ":"))
        return Response(status, payload, ctype)

    def _tls_context(self):
        cert_pem, key_pem = self_signed_cert()
        self.ca_pem = cert_pem.decode()
        with tempfile.TemporaryDirectory() as tmp:
            cert_file, key_file = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
            with open(cert_file, "wb") as f:
                f.write(cert_pem)
            with open(key_file, "wb") as f:
                f.write(key_pem)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert_file, key_file)
        if self.mtls:
            # like kube-apiserver's --client-ca-file: a verified client certificate authenticates
            # the request as its CN; without one the bearer token is checked
            cert, key = self_signed_cert("admin")
            self.client_cert_pem, self.client_key_pem = cert.decode(), key.decode()
            ctx.verify_mode = ssl.CERT_OPTIONAL
            ctx.load_verify_locations(cadata=self.client_cert_pem)
        return ctx

    def _serve_exec(self, req):
        """pods/<name>/exec over WebSocket with the v5 (or v4) .channel.k8s.io subprotocol: stdin
        read from channel 0 (v5 ends it with a close signal), stdout on channel 1, stderr on 2,
        the v1.Status with the exit code on 3, then a close frame."""
        import base64 as b64
        import hashlib

        def plain(status, text):
            return Response(status, text, "text/plain")

        with self._lock:
            authorized = req.client_cn is not None or self.token is None or \
                req.headers.get("authorization") == "Bearer " + self.token
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/exec", req.path)
            pod = m and self.objects.get(self._key(self.resources[("v1", "pods")], m.group(1), m.group(2)))
        if not authorized:
            return plain(401, "Unauthorized")
        protocols = [p.strip() for p in (req.headers.get("sec-websocket-protocol") or "").split(",")]
        if m is None or req.method != "GET":
            return plain(404, "404 page not found")
        protocol = next((p for p in ("v5.channel.k8s.io", "v4.channel.k8s.io") if p in protocols), None)
        if protocol is None:
            return plain(400, "no supported subprotocol requested")
        if pod is None:
            return plain(404, 'pods "%s" not found' % m.group(2))
        command = [v for k, v in req.query if k == "command"]
        if not command or req.param("stdout") != "true":
            return plain(400, "you must specify at least 1 of stdin, stdout, stderr and a command")
        accept = b64.b64encode(hashlib.sha1(req.headers["sec-websocket-key"].encode()
                                            + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()).decode()
        headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": accept,
                   "Sec-WebSocket-Protocol": protocol}
        namespace, name, container = m.group(1), m.group(2), req.param("container")

        def conversation(rfile, wfile):
            self.exec_stdin = None
            if req.param("stdin") == "true":  # channel 0 frames, until v5's close signal for it
                self.exec_stdin = b""
                while protocol == "v5.channel.k8s.io":
                    payload = _client_frame(rfile)
                    if payload is None or payload == b"\xff\x00":
                        break
                    if payload[:1] == b"\x00":
                        self.exec_stdin += payload[1:]
            out, err, code = self.exec_handler(namespace, name, container, command)
            if code is None:  # a command that never answers (the client's timeout must end it)
                import time
                time.sleep(3)
                return
            wfile.write(self._exec_frames(out, err, code))
        return Response(101, b"", None, headers=headers, upgraded=conversation)

    @staticmethod
    def _exec_frames(out, err, code):
        if code == 0:
            status = {"metadata": {}, "status": "Success"}
        else:
            status = {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
                      "message": "command terminated with non-zero exit code: exit status %d" % code,
                      "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
        frames = []
        if out:
            frames.append(b"\x01" + out.encode())
        if err:
            frames.append(b"\x02" + err.encode())
        frames.append(b"\x03" + json.dumps(status).encode())
        return b"".join(ws_frame(0x2, payload) for payload in frames) + ws_frame(0x8, b"\x03\xe8")

    # ---- request handling (under the lock) ---------------------------------

    JSON = "application/json"

    def _status(self, code, reason, message, details=None):
        return code, self.JSON, status_object(code, reason, message, details)

    def handle(self, req):
        if req.client_cn is None and self.token is not None and \
                req.headers.get("authorization") != "Bearer " + self.token:
            return self._status(401, "Unauthorized", "Unauthorized")
        for failure in self.failures:
            method, path, status, body, times = failure
            if method in (req.method, None) and path == req.path and times != 0:
                if times is not None:
                    failure[4] = times - 1
                if body is None:
                    return self._status(status, "InternalError" if status >= 500 else "BadRequest",
                                        "injected failure")
                return status, "text/plain", body
        if req.method == "GET" and req.path in self.sequences:
            steps = self.sequences[req.path]
            step = steps.pop(0) if len(steps) > 1 else steps[0]
            if isinstance(step, int):
                return self._status(step, "NotFound" if step == 404 else "InternalError", "sequence step")
            return 200, self.JSON, step
        route = self._route(req.path)
        if route is None:
            return 404, "text/plain; charset=utf-8", "404 page not found\n"
        res, namespace, name, sub = route
        if sub == "log" and res.plural == "pods" and name:
            return self._log(req, namespace, name)
        if sub is not None:
            return 404, "text/plain; charset=utf-8", "404 page not found\n"
        if name is None:
            if req.method == "GET":
                return self._list(req, res, namespace)
            if req.method == "POST":
                if namespace is None and res.namespaced:
                    return 405, self.JSON, status_object(405, "MethodNotAllowed", "the server does not allow this method")
                return self._create(req, res, namespace)
            return self._status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        key = self._key(res, namespace, name)
        current = self.objects.get(key)
        label = "%s%s \"%s\" not found" % (res.plural, "." + res.group if res.group else "", name)
        details = {"name": name, "group": res.group, "kind": res.plural}
        if req.method == "POST":
            return self._status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if current is None:
            return self._status(404, "NotFound", label, details)
        if req.method == "GET":
            return 200, self.JSON, current
        if req.method == "DELETE":
            del self.objects[key]
            return 200, self.JSON, current
        if req.method == "PUT":
            return self._replace(req, res, key, current)
        if req.method == "PATCH":
            return self._patch(req, res, key, current)
        return self._status(405, "MethodNotAllowed", "method not allowed")

    def _route(self, path):
        """(resource, namespace, name, subresource) for an API path, or None."""
        parts = [p for p in path.split("/")][1:]
        if parts[:2] == ["api", "v1"]:
            api_version, rest = "v1", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            api_version, rest = parts[1] + "/" + parts[2], parts[3:]
        else:
            return None
        if not rest or "" in rest:
            return None
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        res = self.resources.get((api_version, rest[0]))
        if res is None or (namespace is not None and not res.namespaced) or len(rest) > 3:
            return None
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if name is not None and res.namespaced and namespace is None:
            return None
        return res, namespace, name, sub

    def _list(self, req, res, namespace):
        items = []
        for key in sorted(k for k in self.objects if k[:2] == (res.api_version, res.plural)):
            if res.namespaced and namespace is not None and key[2] != namespace:
                continue
            items.append(self.objects[key])
        try:
            items = [o for o in items if label_match(o, req.param("labelSelector"))
                     and field_match(o, req.param("fieldSelector"))]
        except ValueError as e:
            return self._status(400, "BadRequest", str(e))
        offset = 0
        token = req.param("continue")
        if token:
            try:
                offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
            except Exception:
                return self._status(400, "BadRequest", "continue key is not valid: %s" % token)
        limit = req.param("limit")
        size = int(limit) if limit and int(limit) > 0 else None
        if self.page_size and (size is None or self.page_size < size):
            size = self.page_size
        page = items[offset:offset + size] if size else items[offset:]
        meta = {"resourceVersion": str(next(self._rv))}
        end = offset + len(page)
        if end < len(items):
            meta["continue"] = base64.urlsafe_b64encode(json.dumps({"offset": end}).encode()).decode()
            meta["remainingItemCount"] = len(items) - end
        out_items = []
        for obj in page:
            obj = copy.deepcopy(obj)
            if not res.custom:
                obj.pop("kind", None)
                obj.pop("apiVersion", None)
            out_items.append(obj)
        return 200, self.JSON, {"kind": res.kind + "List", "apiVersion": res.api_version, "metadata": meta,
                                "items": out_items}

    def _body_json(self, req):
        try:
            return json.loads(req.body or b"null")
        except ValueError as e:
            raise BadRequest("couldn't get version/kind; json parse error: %s" % e)

    def _create(self, req, res, namespace):
        try:
            obj = self._body_json(req)
        except BadRequest as e:
            return self._status(400, "BadRequest", str(e))
        if not isinstance(obj, dict):
            return self._status(400, "BadRequest", "the body of the request was in an unknown format")
        if obj.get("kind") not in (None, res.kind) or obj.get("apiVersion") not in (None, res.api_version):
            return self._status(400, "BadRequest", "the API version in the data (%s) does not match the expected API version (%s)"
                                % (obj.get("apiVersion"), res.api_version))
        obj.setdefault("kind", res.kind)
        obj.setdefault("apiVersion", res.api_version)
        meta = obj.setdefault("metadata", {})
        if res.namespaced:
            if meta.get("namespace") not in (None, namespace):
                return self._status(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = namespace
        if not meta.get("name"):
            if not meta.get("generateName"):
                return self._status(422, "Invalid", "%s \"\" is invalid: metadata.name: Required value: name or generateName is required" % res.kind)
            meta["name"] = meta["generateName"] + "%05x" % (next(self._uid) * 7919 % 0xfffff)
        key = self._key(res, namespace, meta["name"])
        if key in self.objects:
            return self._status(409, "AlreadyExists", "%s \"%s\" already exists" % (res.plural, meta["name"]))
        self._stamp(meta)
        self.objects[key] = obj
        return 201, self.JSON, obj

    def _replace(self, req, res, key, current):
        try:
            obj = self._body_json(req)
        except BadRequest as e:
            return self._status(400, "BadRequest", str(e))
        if not isinstance(obj, dict):
            return self._status(400, "BadRequest", "the body of the request was in an unknown format")
        meta = obj.setdefault("metadata", {})
        if meta.get("name") not in (None, key[3]):
            return self._status(400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)"
                                % (meta.get("name"), key[3]))
        rv = meta.get("resourceVersion")
        if rv is not None and rv != current["metadata"]["resourceVersion"]:
            return self._status(409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": the object has been modified; "
                                "please apply your changes to the latest version and try again" % (res.plural, key[3]))
        obj.setdefault("kind", res.kind)
        obj.setdefault("apiVersion", res.api_version)
        meta["name"] = key[3]
        if res.namespaced:
            meta["namespace"] = key[2]
        for field in ("uid", "creationTimestamp"):
            meta[field] = current["metadata"].get(field)
        meta["generation"] = current["metadata"].get("generation", 1) + (obj.get("spec") != current.get("spec"))
        meta["resourceVersion"] = str(next(self._rv))
        self.objects[key] = obj
        return 200, self.JSON, obj

    def _patch(self, req, res, key, current):
        ctype = (req.headers.get("content-type") or "").split(";")[0].strip()
        try:
            if ctype == "application/merge-patch+json":
                patched = merge_patch(current, self._body_json(req))
            elif ctype == "application/strategic-merge-patch+json":
                if res.custom:
                    return self._status(415, "UnsupportedMediaType",
                                        "the body of the request was in an unknown format - accepted media types include: "
                                        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
                patched = merge_patch(current, self._body_json(req))
            elif ctype == "application/json-patch+json":
                patched = json_patch(current, self._body_json(req))
            elif ctype == "application/apply-patch+yaml":
                if not req.param("fieldManager"):
                    return self._status(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                                        "Required value: is required for apply patch")
                patched = merge_patch(current, self._body_json(req))
            else:
                return self._status(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                                    "accepted media types include: application/json-patch+json, "
                                    "application/merge-patch+json, application/apply-patch+yaml")
        except BadRequest as e:
            return self._status(400, "BadRequest", str(e))
        if patched.get("spec") != current.get("spec"):
            patched["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        patched["metadata"]["resourceVersion"] = str(next(self._rv))
        self.objects[key] = patched
        return 200, self.JSON, patched

    def _log(self, req, namespace, pod_name):
        pod = self.objects.get(("v1", "pods", namespace, pod_name))
        if pod is None:
            return self._status(404, "NotFound", "pods \"%s\" not found" % pod_name,
                                {"name": pod_name, "kind": "pods"})
        if req.method != "GET":
            return self._status(405, "MethodNotAllowed", "method not allowed")
        containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        container = req.param("container")
        if container is None and len(containers) > 1:
            return self._status(400, "BadRequest", "a container name must be specified for pod %s, choose one of: [%s]"
                                % (pod_name, " ".join(containers)))
        if container is not None and containers and container not in containers:
            return self._status(400, "BadRequest", "container %s is not valid for pod %s" % (container, pod_name))
        previous = req.param("previous") == "true"
        text = self.logs.get((namespace, pod_name, container, previous))
        if text is None:
            text = self.logs.get((namespace, pod_name, None, previous))
        if text is None and previous:
            return self._status(400, "BadRequest", "previous terminated container \"%s\" in pod \"%s\" not found"
                                % (container or (containers or ["main"])[0], pod_name))
        text = text or ""
        tail = req.param("tailLines")
        if tail is not None:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-int(tail):]) if int(tail) > 0 else ""
        return 200, "text/plain", text


class BadRequest(Exception):
    pass


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def json_patch(target, ops):
    """A subset of RFC 6902: add, replace, remove, test."""
    if not isinstance(ops, list):
        raise BadRequest("json patch must be an array of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        kind = op["op"]
        if kind in ("add", "replace"):
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(index, op["value"])
                else:
                    parent[index] = op["value"]
            else:
                if kind == "replace" and last not in parent:
                    raise BadRequest("replace operation does not apply: doc is missing key: %s" % op["path"])
                parent[last] = op["value"]
        elif kind == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            elif last in parent:
                del parent[last]
            else:
                raise BadRequest("remove operation does not apply: doc is missing path: %s" % op["path"])
        elif kind == "test":
            value = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if value != op["value"]:
                raise BadRequest("testing value %s failed" % op["path"])
        else:
            raise BadRequest("unexpected kind: %s" % kind)
    return doc


# ---- selectors ---------------------------------------------------------------

def _split_terms(selector):
    terms, depth, cur = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        terms.append(cur.strip())
    return terms


_SET_TERM = re.compile(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$")
_EQ_TERM = re.compile(r"^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$")
_EXISTS_TERM = re.compile(r"^(!?)([\w./-]+)$")


def label_match(obj, selector):
    if not selector:
        return True
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in _split_terms(selector):
        m = _SET_TERM.match(term)
        if m:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            ok = labels.get(key) in values
            if (op == "in") != ok:
                return False
            continue
        m = _EQ_TERM.match(term)
        if m:
            key, op, value = m.groups()
            ok = labels.get(key) == value
            if (op != "!=") != ok:
                return False
            continue
        m = _EXISTS_TERM.match(term)
        if m:
            if (m.group(1) == "!") == (m.group(2) in labels):
                return False
            continue
        raise ValueError("unable to parse requirement: %s" % term)
    return True


def field_match(obj, selector):
    if not selector:
        return True
    for term in _split_terms(selector):
        m = re.match(r"^([\w.]+)\s*(==|=|!=)\s*(.*)$", term)
        if not m:
            raise ValueError("invalid selector: '%s'; can't understand '%s'" % (selector, term))
        path, op, value = m.groups()
        cur = obj
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        actual = "" if cur is None else str(cur)
        if (op != "!=") != (actual == value):
            return False
    return True


# ---- TLS ---------------------------------------------------------------------

def self_signed_cert(common_name="fake-kube-apiserver"):
    """(cert PEM, key PEM) with an IP SAN 127.0.0.1; a CA certificate itself."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


# ---- the shared instances and fixtures ------------------------------------------

_shared = {}


def shared(tls=False):
    """The session's one fake API server (plain, TLS, and "mtls": TLS accepting a client
    certificate), started on first use."""
    if tls not in _shared:
        _shared[tls] = FakeK8s(tls=tls is True, mtls=tls == "mtls")
    return _shared[tls]


@pytest.fixture
def k8s():
    fake = shared()
    fake.reset()
    return fake


@pytest.fixture
def k8s_tls():
    fake = shared(tls=True)
    fake.reset()
    return fake


@pytest.fixture
def k8s_mtls():
    fake = shared(tls="mtls")
    fake.reset()
    return fake


# ---- object builders -------------------------------------------------------------

def obj(api_version, kind, name, namespace=None, **fields):
    meta = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(fields.pop("metadata", {}))
    out = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    out.update(fields)
    return out


def cond(type_, status, reason=None, message=None):
    c = {"type": type_, "status": status, "lastTransitionTime": "2026-01-01T00:00:00Z"}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def _client_frame(stream):
    """The payload of one masked client-to-server WebSocket frame, or None at a close
    frame or the end of the stream."""
    import struct
    head = stream.read(2)
    if len(head) < 2:
        return None
    opcode, size = head[0] & 0x0F, head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", stream.read(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", stream.read(8))[0]
    mask = stream.read(4) if head[1] & 0x80 else b"\0\0\0\0"
    data = stream.read(size)
    if opcode == 0x8:
        return None
    return bytes(b ^ mask[i % 4] for i, b in enumerate(data))
