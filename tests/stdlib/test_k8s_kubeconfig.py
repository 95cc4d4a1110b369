"""assay.k8s kubeconfig contexts: file loading and merging, contexts()/use_context/ASSAY_K8S_CONTEXT,
static and file tokens, CA data, client certificates (mTLS), exec credential plugins (aws eks
get-token minted in-process, others run as commands), and the errors for what cannot work."""
import base64
import json
import os
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from fake_k8s import k8s, k8s_mtls, k8s_tls, obj  # noqa: F401 (fixtures)


def b64(text):
    return base64.b64encode(text.encode()).decode()


def kubeconfig(path, contexts, users, clusters, current=None):
    doc = {"apiVersion": "v1", "kind": "Config",
           "contexts": [{"name": n, "context": c} for n, c in contexts.items()],
           "users": [{"name": n, "user": u} for n, u in users.items()],
           "clusters": [{"name": n, "cluster": c} for n, c in clusters.items()]}
    if current:
        doc["current-context"] = current
    path.write_text(yaml.safe_dump(doc))
    return str(path)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("KUBECONFIG", "ASSAY_K8S_CONTEXT", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def two_clusters(tmp_path, k8s, token="ctx-token"):
    """~/.kube/config with contexts dev (token, namespace team-a) and prod (another token)."""
    (tmp_path / ".kube").mkdir()
    return kubeconfig(tmp_path / ".kube" / "config",
                      {"dev": {"cluster": "local", "user": "dev-user", "namespace": "team-a"},
                       "prod": {"cluster": "local", "user": "prod-user"}},
                      {"dev-user": {"token": token}, "prod-user": {"token": "prod-token"}},
                      {"local": {"server": k8s.url + "/"}}, current="dev")


def test_contexts_lists_names_and_current_from_home_kubeconfig(lua, k8s, clean_env):
    two_clusters(clean_env, k8s)
    assert lua('return require("assay.k8s").contexts()') == (["dev", "prod"], "dev")


def test_kubeconfig_env_list_is_merged_first_file_wins(lua, k8s, clean_env, monkeypatch):
    a = kubeconfig(clean_env / "a.yaml", {"one": {"cluster": "c", "user": "u"}}, {"u": {"token": "a"}},
                   {"c": {"server": k8s.url}}, current="one")
    b = kubeconfig(clean_env / "b.yaml", {"one": {"cluster": "x", "user": "u"}, "two": {"cluster": "c", "user": "u"}},
                   {"u": {"token": "b"}}, {"c": {"server": "http://127.0.0.1:1"}}, current="two")
    monkeypatch.setenv("KUBECONFIG", a + ":" + b + ":" + str(clean_env / "missing.yaml"))
    assert lua('return require("assay.k8s").contexts()') == (["one", "two"], "one")
    k8s.token = "a"
    k8s.add(obj("v1", "Namespace", "kube-system"))
    assert lua('return require("assay.k8s").get("/api/v1/namespaces/kube-system", {context = "two"}).metadata.name') \
        == "kube-system"


def test_context_per_call_use_context_and_env_default(lua, k8s, clean_env, monkeypatch):
    two_clusters(clean_env, k8s, token="ctx-token")
    k8s.token = "ctx-token"
    k8s.add(obj("v1", "ConfigMap", "settings", "team-a", data={"mode": "blue"}))
    code = ('local k8s = require("assay.k8s")\n'
            'local a = k8s.get_configmap("team-a", "settings", {context = "dev"}).mode\n'
            'k8s.use_context("dev")\n'
            'local b = k8s.get_configmap("team-a", "settings").mode\n'
            'local c = k8s.client():configmap("settings").data.mode  -- the context namespace\n'
            'local ok, err = pcall(k8s.get_configmap, "team-a", "settings", {context = "prod"})\n'
            'return a, b, c, ok, err')
    a, b, c, ok, err = lua(code)
    assert (a, b, c, ok) == ("blue", "blue", "blue", False)
    assert "k8s.get: HTTP 401" in err
    assert k8s.requests[0].headers["authorization"] == "Bearer ctx-token"
    monkeypatch.setenv("ASSAY_K8S_CONTEXT", "dev")
    assert lua('return require("assay.k8s").get_configmap("team-a", "settings").mode') == "blue"


def test_unknown_context_cluster_and_missing_file_errors(lua_fails, k8s, clean_env):
    assert "no kubeconfig at %s/.kube/config (set KUBECONFIG or pass opts.kubeconfig)" % clean_env in lua_fails(
        'return require("assay.k8s").contexts()')
    two_clusters(clean_env, k8s)
    msg = lua_fails('return require("assay.k8s").get("/api/v1/pods", {context = "staging"})')
    assert "k8s: context 'staging' not found in kubeconfig %s/.kube/config (contexts: dev, prod)" % clean_env in msg
    path = kubeconfig(clean_env / "bad.yaml", {"x": {"cluster": "gone", "user": "u"}}, {"u": {"token": "t"}}, {})
    msg = lua_fails('return require("assay.k8s").client(nil, {kubeconfig = "%s", context = "x"})' % path)
    assert "k8s: context 'x' refers to cluster 'gone', which is missing from the kubeconfig or has no server" in msg


def test_ca_data_and_token_file_against_tls_server(lua, lua_fails, k8s_tls, clean_env):
    (clean_env / "token").write_text("file-token\n")
    k8s_tls.token = "file-token"
    k8s_tls.add(obj("v1", "Namespace", "default"))
    path = kubeconfig(clean_env / "kc", {"tls": {"cluster": "c", "user": "u"}},
                      {"u": {"tokenFile": "token"}},  # relative to the kubeconfig's directory
                      {"c": {"server": k8s_tls.url, "certificate-authority-data": b64(k8s_tls.ca_pem)}}, current="tls")
    assert lua('return require("assay.k8s").client(nil, {kubeconfig = "%s"}):namespace("default").metadata.name'
               % path) == "default"
    untrusted = kubeconfig(clean_env / "kc2", {"tls": {"cluster": "c", "user": "u"}}, {"u": {"token": "x"}},
                           {"c": {"server": k8s_tls.url}}, current="tls")
    msg = lua_fails('return require("assay.k8s").get("/api/v1/namespaces", {kubeconfig = "%s"})' % untrusted)
    assert "certificate verify failed" in msg


def test_client_certificate_data_authenticates_without_a_token(lua, k8s_mtls, clean_env):
    k8s_mtls.add(obj("v1", "Namespace", "default"))
    path = kubeconfig(clean_env / "kc", {"admin": {"cluster": "c", "user": "admin"}},
                      {"admin": {"client-certificate-data": b64(k8s_mtls.client_cert_pem),
                                 "client-key-data": b64(k8s_mtls.client_key_pem)}},
                      {"c": {"server": k8s_mtls.url, "certificate-authority-data": b64(k8s_mtls.ca_pem)}})
    got = lua('return require("assay.k8s").get("/api/v1/namespaces/default", {kubeconfig = "%s", context = "admin"})'
              '.metadata.name' % path)
    assert got == "default"
    req = k8s_mtls.last()
    assert req.client_cn == "admin" and "authorization" not in req.headers


def test_client_certificate_files(lua, k8s_mtls, clean_env):
    (clean_env / "admin.crt").write_text(k8s_mtls.client_cert_pem)
    (clean_env / "admin.key").write_text(k8s_mtls.client_key_pem)
    (clean_env / "ca.crt").write_text(k8s_mtls.ca_pem)
    k8s_mtls.add(obj("v1", "Namespace", "default"))
    path = kubeconfig(clean_env / "kc", {"admin": {"cluster": "c", "user": "admin"}},
                      {"admin": {"client-certificate": "admin.crt", "client-key": str(clean_env / "admin.key")}},
                      {"c": {"server": k8s_mtls.url, "certificate-authority": "ca.crt"}}, current="admin")
    assert lua('return require("assay.k8s").namespace_exists("default", {kubeconfig = "%s"})' % path) is True
    assert k8s_mtls.last().client_cn == "admin"


def eks_kubeconfig(tmp_path, k8s, args=None):
    return kubeconfig(tmp_path / "kc", {"eks": {"cluster": "c", "user": "eks"}},
                      {"eks": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
                                        "args": args or ["--region", "eu-west-1", "eks", "get-token",
                                                         "--cluster-name", "prod"],
                                        "env": [{"name": "AWS_PROFILE", "value": "ops"}]}}},
                      {"c": {"server": k8s.url}}, current="eks")


def test_aws_eks_exec_plugin_is_minted_in_process_even_readonly(assay, k8s, clean_env):
    (clean_env / ".aws").mkdir()
    (clean_env / ".aws" / "credentials").write_text("[ops]\naws_access_key_id = AKOPS\naws_secret_access_key = s\n")
    path = eks_kubeconfig(clean_env, k8s)
    k8s.token = None  # the fake cannot verify an EKS token: check what was sent instead
    k8s.add(obj("v1", "Namespace", "default"))
    script = clean_env / "eks.lua"
    script.write_text('local k8s = require("assay.k8s")\n'
                      'print(k8s.namespace_exists("default", {kubeconfig = "%s"}))\n' % path)
    proc = assay("--readonly", script, extra_env={"HOME": str(clean_env), "PATH": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "true\n"
    auth = k8s.last().headers["authorization"]
    assert auth.startswith("Bearer k8s-aws-v1.")
    raw = auth[len("Bearer k8s-aws-v1."):]
    url = urlsplit(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode())
    q = parse_qs(url.query)
    assert url.netloc == "sts.eu-west-1.amazonaws.com" and q["X-Amz-Credential"][0].startswith("AKOPS/")
    assert q["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]


def write_plugin(tmp_path, body):
    plugin = tmp_path / "cred-plugin"
    plugin.write_text("#!/bin/sh\n" + body)
    plugin.chmod(plugin.stat().st_mode | stat.S_IEXEC)
    return str(plugin)


def plugin_kubeconfig(tmp_path, k8s, command):
    return kubeconfig(tmp_path / "kc", {"gke": {"cluster": "c", "user": "u"}},
                      {"u": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": command,
                                      "args": ["--audience", "it's"], "env": [{"name": "PLUGIN_MODE", "value": "ok"}]}}},
                      {"c": {"server": k8s.url}}, current="gke")


def test_other_exec_plugins_run_as_commands(lua, k8s, clean_env):
    plugin = write_plugin(clean_env, 'echo "$@ $PLUGIN_MODE" >> "$(dirname "$0")/calls"\n'
                                     'echo "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/info"\n'
                                     'echo \'{"apiVersion":"client.authentication.k8s.io/v1beta1",'
                                     '"kind":"ExecCredential","status":{"token":"plugin-token",'
                                     '"expirationTimestamp":"2999-01-01T00:00:00Z"}}\'\n')
    path = plugin_kubeconfig(clean_env, k8s, plugin)
    k8s.token = "plugin-token"
    k8s.add(obj("v1", "Namespace", "default"))
    got = lua('local k8s = require("assay.k8s")\nlocal o = {kubeconfig = "%s"}\n'
              'return k8s.namespace_exists("default", o), k8s.namespace_exists("default", o)' % path)
    assert got == (True, True)
    assert (clean_env / "calls").read_text() == "--audience it's ok\n"  # run once: the token is cached
    assert json.loads((clean_env / "info").read_text())["kind"] == "ExecCredential"


def test_exec_plugin_failures_are_clear(assay, lua_fails, k8s, clean_env):
    failing = write_plugin(clean_env, 'echo "login required" >&2\nexit 3\n')
    path = plugin_kubeconfig(clean_env, k8s, failing)
    msg = lua_fails('return require("assay.k8s").get("/api/v1/namespaces", {kubeconfig = "%s"})' % path)
    assert "k8s: exec credential plugin '%s' for context 'gke' exited with 3: login required" % failing in msg
    script = clean_env / "ro.lua"
    script.write_text('require("assay.k8s").get("/api/v1/namespaces", {kubeconfig = "%s"})\n' % path)
    proc = assay("--readonly", script)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "k8s: context 'gke' needs the exec credential plugin '%s', which cannot run here: readonly:" % failing \
        in proc.stderr


def test_auth_provider_and_insecure_are_refused_with_reasons(lua_fails, k8s, clean_env):
    path = kubeconfig(clean_env / "kc", {"old": {"cluster": "c", "user": "u"}, "skip": {"cluster": "i", "user": "t"}},
                      {"u": {"auth-provider": {"name": "gcp"}}, "t": {"token": "x"}},
                      {"c": {"server": k8s.url}, "i": {"server": k8s.url, "insecure-skip-tls-verify": True}})
    assert "uses the auth-provider 'gcp', which is not supported" in lua_fails(
        'return require("assay.k8s").get("/api", {kubeconfig = "%s", context = "old"})' % path)
    assert "insecure-skip-tls-verify is not supported" in lua_fails(
        'return require("assay.k8s").get("/api", {kubeconfig = "%s", context = "skip"})' % path)


# ---- pods:exec over the v4.channel.k8s.io WebSocket ------------------------------------------

def test_pods_exec_demultiplexes_stdout_stderr_and_exit_code(lua, k8s):
    k8s.add(obj("v1", "Pod", "web-1", "default"))

    def handler(ns, pod, container, command):
        if command[-1] == "fail":
            return "partial\n", "boom: disk full\n", 3
        return "hi from %s/%s (%s)\n" % (ns, pod, container), "", 0
    k8s.exec_handler = handler
    code = ('local k8s = require("assay.k8s")\nlocal o = {base_url = "%s", token = "%s"}\n'
            'local ok = k8s.pods:exec("default", "web-1", {"sh", "-c", "echo hi"}, {container = "app", base_url = o.base_url, token = o.token})\n'
            'local bad = k8s.exec("default", "web-1", {"sh", "-c", "fail"}, o)\n'
            'local c = k8s.client(o.base_url, {token = o.token})\n'
            'local single = c.pods:exec("default", "web-1", "date")\n'
            'return ok.stdout, ok.exit_code, bad.stdout, bad.stderr, bad.exit_code, single.stdout'
            % (k8s.url, "test-token"))
    got = lua(code)
    assert got == ("hi from default/web-1 (app)\n", 0, "partial\n", "boom: disk full\n", 3, "hi from default/web-1 (None)\n")
    req = next(r for r in k8s.requests if r.path.endswith("/exec"))
    assert req.query == [("container", "app"), ("command", "sh"), ("command", "-c"), ("command", "echo hi"),
                         ("stdout", "true"), ("stderr", "true"), ("stdin", "false"), ("tty", "false")]
    assert req.headers["sec-websocket-protocol"].replace(" ", "") == "v5.channel.k8s.io,v4.channel.k8s.io"
    assert req.headers["authorization"] == "Bearer test-token"
    assert k8s.exec_stdin is None


def test_pods_exec_sends_stdin_and_ends_it(lua, k8s):
    """opts.stdin goes on channel 0, then v5's close signal, so a command reading stdin ends."""
    k8s.add(obj("v1", "Pod", "web-1", "default"))
    k8s.exec_handler = lambda ns, pod, container, command: (k8s.exec_stdin.decode().upper(), "", 0)
    got = lua('local k8s = require("assay.k8s")\n'
              'local c = k8s.client("%s", {token = "test-token"})\n'
              'local r = c.pods:exec("default", "web-1", {"tr", "a-z", "A-Z"}, {stdin = "line one\\nline two\\n"})\n'
              'return r.stdout, r.exit_code' % k8s.url)
    assert got == ("LINE ONE\nLINE TWO\n", 0)
    assert k8s.exec_stdin == b"line one\nline two\n"
    req = [r for r in k8s.requests if r.path.endswith("/exec")][-1]
    assert ("stdin", "true") in req.query


def test_pods_exec_timeout_ends_a_silent_command(lua_fails, k8s):
    k8s.add(obj("v1", "Pod", "web-1", "default"))
    k8s.exec_handler = lambda ns, pod, container, command: (None, None, None)
    prefix = 'local k8s = require("assay.k8s")\nlocal c = k8s.client("%s", {token = "test-token"})\n' % k8s.url
    err = lua_fails(prefix + 'return c.pods:exec("default", "web-1", "sleep 60", {timeout = 0.5})')
    assert err == ("k8s.exec: default/web-1: no output for 0.5 s (opts.timeout), the command may still "
                   "be running")
    assert lua_fails(prefix + 'return c.pods:exec("default", "web-1", "ls", {timeout = 0})') == \
        "k8s.exec: opts.timeout must be a positive number of seconds"
    assert lua_fails(prefix + 'return c.pods:exec("default", "web-1", "ls", {stdin = 5})') == \
        "k8s.exec: opts.stdin must be a string"


def test_pods_exec_errors(lua_fails, k8s):
    k8s.add(obj("v1", "Pod", "web-1", "default"))
    prefix = 'local k8s = require("assay.k8s")\nlocal o = {base_url = "%s", token = "test-token"}\n' % k8s.url
    assert "k8s.exec: default/ghost: ws.connect: " in lua_fails(prefix + 'return k8s.exec("default", "ghost", "ls", o)')
    assert "k8s.exec: command must be a string or a non-empty list of strings" in lua_fails(
        prefix + 'return k8s.exec("default", "web-1", {}, o)')
    msg = lua_fails(prefix + 'return k8s.exec("default", "web-1", "ls", {base_url = o.base_url, token = "wrong"})')
    assert "k8s.exec: default/web-1: ws.connect: " in msg and "401" in msg


def test_pods_exec_through_a_context_with_client_certificate_over_wss(lua, k8s_mtls, clean_env):
    k8s_mtls.add(obj("v1", "Pod", "db-0", "data"))
    path = kubeconfig(clean_env / "kc", {"admin": {"cluster": "c", "user": "admin", "namespace": "data"}},
                      {"admin": {"client-certificate-data": b64(k8s_mtls.client_cert_pem),
                                 "client-key-data": b64(k8s_mtls.client_key_pem)}},
                      {"c": {"server": k8s_mtls.url, "certificate-authority-data": b64(k8s_mtls.ca_pem)}},
                      current="admin")
    got = lua('local r = require("assay.k8s").client(nil, {kubeconfig = "%s"}).pods:exec("data", "db-0",'
              ' {"pg_isready"})\nreturn r.stdout, r.exit_code' % path)
    assert got == ("pg_isready\n", 0)
    req = next(r for r in k8s_mtls.requests if r.path.endswith("/exec"))
    assert req.client_cn == "admin" and "authorization" not in req.headers
