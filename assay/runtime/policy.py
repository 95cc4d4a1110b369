"""The policy file (`ASSAY_POLICY_FILE`): what a run may require, read and reach.

    version: 1
    modules: {allow: ["assay.vault", "assay.k8s*"]}      # require-able modules
    env:     {allow: ["HOME", "APP_*"]}                   # readable environment keys
    http:
      max_response_bytes: 1048576
      redact: [password, token, authorization]           # JSON keys and header names
      rules:
        - hosts: ["api.example.com", "*.svc.cluster.local:8200"]
          methods: [GET, POST]                           # default: any
          paths: ["/v1/"]                                # prefixes; default: any
    credentials:
      vault_token: {env: VAULT_TOKEN}                    # or {file: /run/secrets/token}

A missing section allows everything of its kind; a present one allows only what it
lists. The file is read once per process and checked whole before any script runs:
an unknown key, a wrong type or a malformed pattern is a `FILE:LINE: …` error.
Patterns use `*` for any run of characters (and nothing else is special).
"""
import os
import re
from urllib.parse import urlsplit

POLICY_ENV = "ASSAY_POLICY_FILE"
REDACTED = "[redacted]"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_HOST = re.compile(r"^[A-Za-z0-9*]([A-Za-z0-9.*-]*)(:([0-9]+|\*))?$")
_MODULE = re.compile(r"^[A-Za-z0-9_*][A-Za-z0-9_.*-]*$")
_ENV_KEY = re.compile(r"^[A-Za-z0-9_*]+$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class PolicyError(Exception):
    """The policy file is unusable; str() is `FILE:LINE: reason`."""


class PolicyDenied(Exception):
    """A request the policy does not allow (the text is the script's error)."""


def _glob(pattern):
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.IGNORECASE)


class Rule:
    def __init__(self, hosts, methods, paths, classify):
        self.hosts = [_glob(h if ":" in h else h + ":*") for h in hosts]
        self.methods = methods
        self.paths = paths
        self.classify = classify

    def matches(self, method, host_port, path):
        return (any(h.match(host_port) for h in self.hosts)
                and (not self.methods or method in self.methods)
                and (not self.paths or any(path.startswith(p) for p in self.paths)))


class Policy:
    def __init__(self, path):
        self.path = path
        self.modules = None        # None: any module; else compiled globs
        self.env = None
        self.rules = None          # None: any request
        self.max_response_bytes = None
        self.redact = set()        # lower-case JSON keys / header names
        self.credentials = {}      # name -> ("env", VAR) | ("file", PATH)
        self._text_pattern = None  # redact_text's pattern, built on first use

    # ---- checks -------------------------------------------------------------------
    def allows_module(self, name):
        # a private helper (`assay._http`) is part of the modules that use it
        private = any(part.startswith("_") for part in name.split("."))
        return self.modules is None or private or any(g.match(name) for g in self.modules)

    def allows_env(self, key):
        return self.env is None or any(g.match(key) for g in self.env)

    def check_request(self, method, url):
        """Raise PolicyDenied unless a rule allows `method url` (every redirect hop too)."""
        if self.rules is None:
            return
        method, host_port, path = _target(method, url)
        if not any(rule.matches(method, host_port, path) for rule in self.rules):
            raise PolicyDenied("policy: %s %s is not allowed (no http rule matches %s %s%s)"
                               % (method, _without_query(url), method, host_port, path))

    def classify(self, method, url):
        """"read"/"write" when a matching rule declares the target so, else None
        (lets read-only mode admit, say, a login POST the operator marked as a read)."""
        target = _target(method, url)
        for rule in self.rules or ():
            if rule.classify and rule.matches(*target):
                return rule.classify
        return None

    def redirect_hook(self, method):
        """A requests response hook refusing to follow a redirect to a target this
        policy forbids (requests calls it for each response before the next hop)."""
        from urllib.parse import urljoin

        def check(response, *args, **kwargs):
            location = response.headers.get("location") if response.is_redirect else None
            if location:
                keeps = response.status_code in (307, 308) or method.upper() == "HEAD"
                self.check_request(method.upper() if keeps else "GET", urljoin(response.url, location))
            return response

        return check

    # ---- redaction --------------------------------------------------------------------
    def redact_response(self, headers, data):
        """(headers, body bytes) as a script or a check may see them."""
        if not self.redact:
            return headers, data
        return self.redact_headers(headers), self.redact_body(data)

    def redact_headers(self, headers):
        return {k: (REDACTED if k.lower() in self.redact else v) for k, v in headers.items()}

    def redact_body(self, data):
        """A JSON body with the redacted keys' values replaced; anything else unchanged."""
        if not self.redact or not data or data.lstrip()[:1] not in (b"{", b"["):
            return data
        import json
        try:
            doc = json.loads(data)
        except ValueError:
            return data
        changed = [False]

        def walk(v):
            if isinstance(v, dict):
                out = {}
                for k, item in v.items():
                    if k.lower() in self.redact:
                        out[k], changed[0] = REDACTED, True
                    else:
                        out[k] = walk(item)
                return out
            if isinstance(v, list):
                return [walk(i) for i in v]
            return v

        doc = walk(doc)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8") if changed[0] else data

    def redact_text(self, text):
        """Free text (a log line, a check message) with the value of every redacted name
        hidden where it appears as a JSON member (`"token":"…"`, also inside a quoted,
        backslash-escaped log field), a header (`X-Api-Key: …`) or a `name=value` pair
        (log fields, query strings). A script can log whatever it built itself, so the
        names are hidden in every line, not only in what the HTTP layer returned."""
        if not self.redact or not text:
            return text
        if self._text_pattern is None:
            names = "|".join(re.escape(n) for n in sorted(self.redact, key=len, reverse=True))
            self._text_pattern = re.compile(
                r'(?P<json>(?P<q>\\?")(?:%(n)s)(?P=q)\s*:\s*)'
                r'(?:"(?:[^"\\]|\\.)*"|\\"(?:[^"\\]|\\[^"])*\\"|[-+0-9.eE]+|true|false|null)'
                r'|(?P<header>(?<![\w-])(?:%(n)s)\s*:[ \t]*)[^\r\n,;"}]+'
                r'|(?P<pair>(?<![\w-])(?:%(n)s)=)(?:"(?:[^"\\]|\\.)*"|[^\s&,;"]+)' % {"n": names},
                re.IGNORECASE)
        return self._text_pattern.sub(_hide_value, text)


def _hide_value(match):
    if match.group("json") is not None:
        quote = match.group("q")
        return match.group("json") + quote + REDACTED + quote
    return (match.group("header") or match.group("pair")) + REDACTED


def _target(method, url):
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    except ValueError:
        port = 0
    return method.upper(), "%s:%d" % ((parts.hostname or "").lower(), port), parts.path or "/"


def _without_query(url):
    return url.split("?", 1)[0]


# ---- loading ----------------------------------------------------------------------------
_loaded = {}


def current():
    """The policy named by ASSAY_POLICY_FILE (loaded once), or None. Raises PolicyError."""
    path = os.environ.get(POLICY_ENV)
    if not path:
        return None
    if path not in _loaded:
        _loaded[path] = load(path)
    return _loaded[path]


def load(path):
    from assay.runtime.text import os_error_text
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        raise PolicyError("%s: %s" % (path, os_error_text(e))) from None
    except UnicodeDecodeError:
        raise PolicyError("%s: not UTF-8 text" % path) from None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    try:
        root = YAML(typ="rt", pure=True).compose(text)
    except MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 1
        raise PolicyError("%s:%d: invalid YAML: %s" % (path, line, e.problem or e.context)) from None
    except YAMLError as e:
        raise PolicyError("%s: invalid YAML: %s" % (path, " ".join(str(e).split()))) from None
    return _Reader(path).policy(root)


class _Reader:
    def __init__(self, path):
        self.path = path

    def fail(self, node, message):
        line = node.start_mark.line + 1 if node is not None else 1
        return PolicyError("%s:%d: %s" % (self.path, line, message))

    def mapping(self, node, where, keys):
        if type(node).__name__ != "MappingNode":
            raise self.fail(node, "%s must be a mapping" % where)
        out = {}
        for key, value in node.value:
            name = key.value if type(key).__name__ == "ScalarNode" else None
            if name not in keys:
                raise self.fail(key, "unknown key '%s' in %s (expected one of: %s)"
                                % (name, where, ", ".join(keys)))
            out[name] = value
        return out

    def scalar(self, node, where):
        if type(node).__name__ != "ScalarNode" or str(getattr(node.tag, "value", node.tag)).endswith(":null"):
            raise self.fail(node, "%s must be a string" % where)
        return node.value

    def strings(self, node, where, pattern=None, what="pattern"):
        if type(node).__name__ != "SequenceNode":
            raise self.fail(node, "%s must be a list" % where)
        out = []
        for item in node.value:
            text = self.scalar(item, where + " entries")
            if pattern is not None and not pattern.match(text):
                raise self.fail(item, "malformed %s '%s' in %s" % (what, text, where))
            out.append(text)
        return out

    def integer(self, node, where):
        text = self.scalar(node, where)
        if not text.isdigit():
            raise self.fail(node, "%s must be a non-negative integer" % where)
        return int(text)

    def policy(self, root):
        if root is None:
            raise PolicyError("%s:1: the policy is empty (expected `version: 1`)" % self.path)
        top = self.mapping(root, "the policy", ("version", "modules", "env", "http", "credentials"))
        if "version" not in top:
            raise self.fail(root, "missing key 'version' (expected `version: 1`)")
        if self.scalar(top["version"], "version") != "1":
            raise self.fail(top["version"], "unsupported version %s (this build understands 1)"
                            % top["version"].value)
        policy = Policy(self.path)
        if "modules" in top:
            section = self.mapping(top["modules"], "modules", ("allow",))
            policy.modules = [_glob(p) for p in self.strings(section.get("allow") or _empty(top["modules"]),
                                                             "modules.allow", _MODULE, "module pattern")]
        if "env" in top:
            section = self.mapping(top["env"], "env", ("allow",))
            policy.env = [_glob(p) for p in self.strings(section.get("allow") or _empty(top["env"]),
                                                          "env.allow", _ENV_KEY, "env key pattern")]
        if "http" in top:
            self.http(top["http"], policy)
        if "credentials" in top:
            self.credentials(top["credentials"], policy)
        return policy

    def http(self, node, policy):
        section = self.mapping(node, "http", ("max_response_bytes", "redact", "rules"))
        if "max_response_bytes" in section:
            policy.max_response_bytes = self.integer(section["max_response_bytes"], "http.max_response_bytes")
        if "redact" in section:
            policy.redact = {r.lower() for r in self.strings(section["redact"], "http.redact", _NAME, "name")}
        if "rules" in section:
            if type(section["rules"]).__name__ != "SequenceNode":
                raise self.fail(section["rules"], "http.rules must be a list")
            policy.rules = []
            for i, item in enumerate(section["rules"].value):
                where = "http.rules[%d]" % i
                rule = self.mapping(item, where, ("hosts", "methods", "paths", "classify"))
                if "hosts" not in rule:
                    raise self.fail(item, "%s needs at least one host" % where)
                hosts = self.strings(rule["hosts"], where + ".hosts", _HOST, "host pattern")
                if not hosts:
                    raise self.fail(item, "%s needs at least one host" % where)
                methods = []
                for m in (rule["methods"].value if "methods" in rule and
                          type(rule["methods"]).__name__ == "SequenceNode" else []):
                    text = self.scalar(m, where + ".methods entries").upper()
                    if text not in METHODS:
                        raise self.fail(m, "%s has unknown method '%s'" % (where, m.value))
                    methods.append(text)
                if "methods" in rule and type(rule["methods"]).__name__ != "SequenceNode":
                    raise self.fail(rule["methods"], "%s.methods must be a list" % where)
                paths = self.strings(rule["paths"], where + ".paths") if "paths" in rule else []
                for p, item_node in zip(paths, rule["paths"].value if "paths" in rule else []):
                    if not p.startswith("/"):
                        raise self.fail(item_node, "malformed path prefix '%s' in %s.paths (must start with /)"
                                        % (p, where))
                classify = None
                if "classify" in rule:
                    classify = self.scalar(rule["classify"], where + ".classify")
                    if classify not in ("read", "write"):
                        raise self.fail(rule["classify"], "%s.classify must be read or write" % where)
                policy.rules.append(Rule(hosts, methods, paths, classify))

    def credentials(self, node, policy):
        if type(node).__name__ != "MappingNode":
            raise self.fail(node, "credentials must be a mapping")
        for key, value in node.value:
            name = self.scalar(key, "a credential name")
            if not _NAME.match(name):
                raise self.fail(key, "malformed credential name '%s'" % name)
            source = self.mapping(value, "credentials.%s" % name, ("env", "file"))
            if len(source) != 1:
                raise self.fail(value, "credentials.%s needs exactly one of env, file" % name)
            kind, where = next(iter(source.items()))
            policy.credentials[name] = (kind, self.scalar(where, "credentials.%s.%s" % (name, kind)))


def _empty(node):
    """An empty sequence node standing in for a missing `allow` (allow nothing)."""
    from ruamel.yaml.nodes import SequenceNode
    return SequenceNode("tag:yaml.org,2002:seq", [], node.start_mark, node.end_mark)
