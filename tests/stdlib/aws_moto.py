"""A real AWS API for the assay.aws.* tests: moto's server (`pip install 'moto[server]'`) on a free
loopback port, checking every SigV4 signature after the three unauthenticated calls that create the
test user (IAM user `assay` with an allow-all policy and an access key).

`moto` (module-scoped fixture) is the running server: `.url`, `.creds` {access_key, secret_key,
region}, `.client(service)` a botocore client signed with those keys (to set up state). A missing
moto_server skips the tests; under CI=true it fails them.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_moto():
    local = os.path.join(os.path.dirname(sys.executable), "moto_server")
    found = local if os.path.exists(local) else shutil.which("moto_server")
    if not found:
        reason = "moto_server is not installed (pip install 'moto[server]')"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must provide it)")
        pytest.skip(reason)
    return found


def unauthenticated_iam(url, action, **params):
    from urllib.parse import urlencode
    body = urlencode(dict(params, Action=action, Version="2010-05-08")).encode()
    req = urllib.request.Request(url + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=setup/20200101/us-east-1/iam/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()


class Moto:
    def __init__(self, auth=True):
        binary = find_moto()
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.dir = tempfile.mkdtemp(prefix="assay-moto-")
        self.log = open(os.path.join(self.dir, "moto.log"), "wb")
        self.proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(self.port)], cwd=self.dir,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3" if auth else "inf"))
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=2).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("moto_server did not start (see %s)" % self.dir)
                time.sleep(0.2)
        unauthenticated_iam(self.url, "CreateUser", UserName="assay")
        unauthenticated_iam(self.url, "PutUserPolicy", UserName="assay", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        created = unauthenticated_iam(self.url, "CreateAccessKey", UserName="assay")
        self.creds = {"access_key": re.search(r"<AccessKeyId>([^<]+)<", created).group(1),
                      "secret_key": re.search(r"<SecretAccessKey>([^<]+)<", created).group(1),
                      "region": "us-east-1"}

    def client(self, service):
        import botocore.session
        session = botocore.session.get_session()
        return session.create_client(service, region_name="us-east-1", endpoint_url=self.url,
                                     aws_access_key_id=self.creds["access_key"],
                                     aws_secret_access_key=self.creds["secret_key"])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if os.environ.get("ASSAY_KEEP_MOTO") is None:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def moto():
    server = Moto()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def moto_unsigned():
    """moto without signature checks: its access control rejects every request without an
    Authorization header, including AssumeRoleWithWebIdentity, which AWS (and botocore) send
    unsigned."""
    server = Moto(auth=False)
    yield server
    server.stop()
