"""`credential.get(name)`: an opaque handle for a secret the policy file declares
(see assay.runtime.credentials for what the HTTP layer does with it)."""
from assay.runtime import args
from assay.runtime.errors import BuiltinError


def get(name=None):
    from assay.runtime.credentials import CredentialError, issue
    name = args.text(name, "credential.get: name must be a string")
    try:
        return issue(name)
    except CredentialError as e:
        raise BuiltinError("credential.get: %s" % e) from None


def install(bridge):
    bridge.define("credential", {"get": get})
