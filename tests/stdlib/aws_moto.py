"""moto's server for the assay.aws.* tests, started the one way (tests/realservers.py).

`moto` (module-scoped) checks every SigV4 signature after the three set-up calls that create the
test user: `.url`, `.creds` {access_key, secret_key, region}, `.client(service)` a botocore client
signed with those keys. `moto_unsigned` checks nothing (AssumeRoleWithWebIdentity is unsigned).
"""
import pytest

import realservers


def find_moto():
    return realservers.find_binary("moto_server", "pip install 'moto[server]'; " + realservers.INSTALL_HINT)


def Moto(auth=True):
    return realservers.start_moto(auth)


@pytest.fixture(scope="module")
def moto():
    yield from realservers.serve(realservers.start_moto)


@pytest.fixture(scope="module")
def moto_unsigned():
    """moto without signature checks: its access control rejects every request without an
    Authorization header, including AssumeRoleWithWebIdentity, which AWS (and botocore) send
    unsigned."""
    yield from realservers.serve(lambda: realservers.start_moto(auth=False))
