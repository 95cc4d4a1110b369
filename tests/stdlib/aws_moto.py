"""moto's server for the assay.aws.* tests, started the one way (tests/realservers.py).

`moto` (module-scoped) checks every SigV4 signature after the three set-up calls that create the
test user: `.url`, `.creds` {access_key, secret_key, region}, `.client(service)` a botocore client
signed with those keys. `moto_unsigned` checks nothing (AssumeRoleWithWebIdentity is unsigned).
"""
import realservers


def find_moto():
    return realservers.find_binary("moto_server", "pip install 'moto[server]'; " + realservers.INSTALL_HINT)


def Moto(auth=True):
    return realservers.start_moto(auth)


moto = realservers.server_fixture("moto", realservers.start_moto, scope="module")
# moto without signature checks: its access control rejects every request without an
# Authorization header, including AssumeRoleWithWebIdentity, which AWS (and botocore) send unsigned.
moto_unsigned = realservers.server_fixture("moto_unsigned", lambda: realservers.start_moto(auth=False),
                                            scope="module")
