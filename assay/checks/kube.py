"""Where the Kubernetes API is, for `type: k8s` checks and `--k8s-event`.

The API itself is spoken by the stdlib's assay.k8s module (see rollout_checks.py);
this module only decides which connection options to hand it:

1. the check's `kubeconfig:` file, when given;
2. the in-cluster service account, when running in a pod (KUBERNETES_SERVICE_HOST);
3. otherwise $KUBECONFIG (its first file) or ~/.kube/config.

A kubeconfig's current context gives the server, CA (file or inline data), bearer
token (inline or token file), client certificate/key (mTLS) and namespace.
"""
import base64
import os
import tempfile


class KubeconfigError(Exception):
    pass


def connection(kubeconfig=None):
    """Options for `k8s.client(url, opts)`: {} for in-cluster, else url/token/ca/cert/namespace.

    Inline certificate data is written to private temporary files listed under
    "_files"; the caller removes them with `cleanup`.
    """
    path = kubeconfig
    if path is None:
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            return {}
        path = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0] or None
        if path is None:
            default = os.path.join(os.path.expanduser("~"), ".kube", "config")
            path = default if os.path.isfile(default) else None
        if path is None:
            return {}
    return _from_kubeconfig(path)


def client_arguments(options):
    """(url, opts) for `k8s.client(url, opts)` from `connection()`'s result."""
    return options.get("url"), {k: v for k, v in options.items() if k not in ("url", "_files")}


def cleanup(options):
    for name in options.get("_files", ()):
        try:
            os.unlink(name)
        except OSError:
            pass


def _from_kubeconfig(path):
    from assay.runtime.text import os_error_text
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        raise KubeconfigError("reading kubeconfig %s: %s" % (path, os_error_text(e))) from None
    try:
        from ruamel.yaml import YAML
        document = YAML(typ="safe", pure=True).load(text)
    except Exception as e:
        raise KubeconfigError("kubeconfig %s is not valid YAML: %s" % (path, " ".join(str(e).split()))) from None
    if not isinstance(document, dict):
        raise KubeconfigError("kubeconfig %s: not a mapping" % path)
    base = os.path.dirname(os.path.abspath(path))
    context_name = document.get("current-context")
    context = _named(document, "contexts", "context", context_name, path)
    cluster = _named(document, "clusters", "cluster", context.get("cluster"), path)
    user = _named(document, "users", "user", context.get("user"), path, optional=True)
    server = cluster.get("server")
    if not server:
        raise KubeconfigError("kubeconfig %s: cluster has no server" % path)
    options = {"url": server, "_files": []}
    if context.get("namespace"):
        options["namespace"] = context["namespace"]
    try:
        if cluster.get("certificate-authority-data"):
            options["ca_cert"] = _decoded(cluster["certificate-authority-data"])
        elif cluster.get("certificate-authority"):
            options["ca_cert_file"] = _relative(base, cluster["certificate-authority"])
        if user.get("exec") or user.get("auth-provider"):
            raise KubeconfigError("kubeconfig %s: exec/auth-provider credentials are not supported; "
                                  "use a token or a client certificate" % path)
        if user.get("token"):
            options["token"] = user["token"]
        elif user.get("tokenFile"):
            with open(_relative(base, user["tokenFile"]), "rb") as f:
                options["token"] = f.read().decode("utf-8", "replace").strip()
        for key, option in (("client-certificate", "client_cert"), ("client-key", "client_key")):
            if user.get(key + "-data"):
                options[option] = _private_file(_decoded(user[key + "-data"]), options["_files"])
            elif user.get(key):
                options[option] = _relative(base, user[key])
    except (ValueError, TypeError) as e:
        cleanup(options)
        raise KubeconfigError("kubeconfig %s: bad certificate data: %s" % (path, e)) from None
    except OSError as e:
        cleanup(options)
        raise KubeconfigError("kubeconfig %s: %s" % (path, os_error_text(e))) from None
    return options


def _named(document, section, key, name, path, optional=False):
    for entry in document.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name and isinstance(entry.get(key), dict):
            return entry[key]
    if optional:
        return {}
    raise KubeconfigError("kubeconfig %s: no %s named %r (current-context)" % (path, key, name))


def _decoded(data):
    return base64.b64decode(data, validate=True).decode("ascii")


def _relative(base, name):
    return name if os.path.isabs(name) else os.path.join(base, name)


def _private_file(text, files):
    handle, name = tempfile.mkstemp(prefix="assay-kube-", suffix=".pem")
    files.append(name)
    with os.fdopen(handle, "w") as f:
        f.write(text)
    return name
