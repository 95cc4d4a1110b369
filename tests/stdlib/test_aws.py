"""assay.aws.sts / eks / ecr / ec2 / s3 against a real AWS API (moto's server, signatures checked)."""
import base64
import json
import os
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from aws_moto import moto, moto_unsigned  # noqa: F401 (fixtures)

ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def role(moto):
    iam = moto.client("iam")
    arn = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName="deployer", PolicyName="all", PolicyDocument=ROLE_POLICY)
    return arn


def keys(moto, **extra):
    opts = dict(moto.creds, **extra)
    return "{%s}" % ", ".join("%s = %s" % (k, json.dumps(v)) for k, v in opts.items())


# ---- sts ------------------------------------------------------------------------------

def test_sts_caller_identity_with_explicit_keys(lua, moto):
    got = lua('local sts = require("assay.aws.sts")\n'
              'local id = sts.client("%s", %s):get_caller_identity()\n'
              'return id.account, id.arn' % (moto.url, keys(moto)))
    assert got == ("123456789012", "arn:aws:iam::123456789012:user/assay")


def test_sts_wrong_secret_is_rejected_with_the_standard_error(lua_fails, moto):
    msg = lua_fails('return require("assay.aws.sts").get_caller_identity(%s)'
                    % keys(moto, secret_key="wrong", sts_endpoint=moto.url))
    assert msg.startswith("aws.sts: POST / HTTP 403: ") and "SignatureDoesNotMatch" in msg


def test_sts_env_keys_and_assume_role_cached_until_expiry(lua, moto, role, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto.creds["access_key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto.creds["secret_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto.url)
    got = lua('local sts = require("assay.aws.sts")\n'
              'local a = sts.assume_role("%s", {session_name = "ci"})\n'
              'local b = sts.assume_role("%s", {session_name = "ci"})\n'
              'local id = sts.get_caller_identity({credentials = a})\n'
              'return a.access_key == b.access_key, a.access_key:sub(1, 4), type(a.expires_at), id.arn,'
              ' a.expires_at > time()' % (role, role))
    assert got == (True, "ASIA", "number", "arn:aws:sts::123456789012:assumed-role/deployer/ci", True)


def test_sts_profile_role_chain_from_aws_files(lua, moto, role, clean_env):
    aws = clean_env / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                     % (moto.creds["access_key"], moto.creds["secret_key"]))
    (aws / "config").write_text("# comment\n[profile deploy]\nrole_arn = %s\nsource_profile = base\n"
                                "role_session_name = from-profile\nregion = us-east-1\n"
                                "[profile loop-a]\nrole_arn = %s\nsource_profile = loop-b\n"
                                "[profile loop-b]\nrole_arn = %s\nsource_profile = loop-a\n" % (role, role, role))
    code = ('local sts = require("assay.aws.sts")\n'
            'return sts.get_caller_identity({profile = "deploy", sts_endpoint = "%s"}).arn' % moto.url)
    assert lua(code) == "arn:aws:sts::123456789012:assumed-role/deployer/from-profile"


def test_sts_profile_errors(lua_fails, clean_env):
    aws = clean_env / ".aws"
    aws.mkdir()
    (aws / "config").write_text("[profile a]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = b\n"
                                "[profile b]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = a\n"
                                "[profile sso]\nsso_session = corp\n")
    assert "profile 'a' is part of a source_profile cycle" in lua_fails(
        'return require("assay.aws.sts").credentials({profile = "a"})')
    assert "profile 'nope' not found in " in lua_fails('return require("assay.aws.sts").credentials({profile = "nope"})')
    assert "uses credential_process or SSO" in lua_fails('return require("assay.aws.sts").credentials({profile = "sso"})')
    assert "no AWS credentials found" in lua_fails('return require("assay.aws.sts").credentials()')


def test_sts_web_identity_from_projected_token_file(lua, moto_unsigned, monkeypatch, clean_env):
    moto = moto_unsigned
    role = moto.client("iam").create_role(RoleName="irsa", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    token_file = clean_env / "token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDphcHAifQ.c2ln\n")
    monkeypatch.setenv("AWS_ROLE_ARN", role)
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "irsa")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto.url)
    got = lua('local c = require("assay.aws.sts").credentials()\n'
              'return c.access_key:sub(1, 4), c.session_token ~= nil, c.assumed_role_arn')
    assert got == ("ASIA", True, "arn:aws:sts::123456789012:assumed-role/irsa/irsa")


def test_sts_parse_ini(lua):
    got = lua('return require("assay.aws.sts")._parse_ini("[default]\\nregion = eu-west-1 \\n; c\\n'
              's3 =\\n  max_concurrent_requests = 2\\n[profile x]\\nAWS_Access_Key_Id=AK\\n")')
    assert got == {"default": {"region": "eu-west-1", "s3": ""}, "profile x": {"aws_access_key_id": "AK"}}


# ---- eks ------------------------------------------------------------------------------

def test_eks_token_is_a_presigned_get_caller_identity(lua):
    """The token wraps a presigned STS GetCallerIdentity URL bound to the cluster name (moto
    cannot route a presigned STS call; the signature is compared with botocore's below)."""
    token, expires = lua('return require("assay.aws.eks").client("https://sts.example.test:8443", '
                         '{access_key = "AKEKS", secret_key = "s", region = "eu-west-1"}):get_token("prod")')
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    raw = token[len("k8s-aws-v1."):]
    url = urlsplit(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode())
    assert (url.scheme, url.netloc, url.path) == ("https", "sts.example.test:8443", "/")
    q = parse_qs(url.query)
    assert q["Action"] == ["GetCallerIdentity"] and q["X-Amz-Expires"] == ["60"]
    assert q["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]
    assert q["X-Amz-Credential"][0].startswith("AKEKS/") and "/eu-west-1/sts/aws4_request" in q["X-Amz-Credential"][0]
    assert isinstance(expires, int)


def test_eks_token_signature_matches_botocore(lua, monkeypatch):
    import datetime

    import botocore.auth
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: datetime.datetime(2024, 5, 1, 12, 0, 0))
    token, _ = lua('return require("assay.aws.eks").get_token("c1", {access_key = "AK", secret_key = "SK",'
                   ' session_token = "ST", region = "eu-central-1", time = 1714564800})')
    raw = token[len("k8s-aws-v1."):]
    ours = parse_qs(urlsplit(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()).query)
    req = AWSRequest(method="GET", url="https://sts.eu-central-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
                     headers={"x-k8s-aws-id": "c1"})
    SigV4QueryAuth(Credentials("AK", "SK", "ST"), "sts", "eu-central-1", expires=60).add_auth(req)
    assert ours == parse_qs(urlsplit(req.url).query)


# ---- ecr, ec2, s3 -------------------------------------------------------------------------

def test_ecr_authorization_token(lua, moto):
    got = lua('local a = require("assay.aws.ecr").client("%s", %s):get_authorization_token()\n'
              'return a.username, #a.token > 0, a.proxy_endpoint, base64.decode(a.authorization_token)'
              % (moto.url, keys(moto)))
    assert got[0] == "AWS" and got[1] is True and got[2].startswith("https://")
    assert got[3].startswith("AWS:")


def test_ec2_describe_instances_volumes_security_groups(lua, moto):
    ec2 = moto.client("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    made = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, InstanceType="t3.micro",
                             TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web & api"}]}])
    ids = sorted(i["InstanceId"] for i in made["Instances"])
    ec2.stop_instances(InstanceIds=[ids[1]])
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, VolumeType="gp3")["VolumeId"]
    sg = ec2.create_security_group(GroupName="web", Description="web <tier>")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    code = ('local c = require("assay.aws.ec2").client("%s", %s)\n'
            'local all = c:describe_instances({instance_ids = {"%s", "%s"}})\n'
            'table.sort(all, function(a, b) return a.instance_id < b.instance_id end)\n'
            'local running = c:describe_instances({filters = {{name = "instance-state-name", values = {"running"}},'
            ' {name = "tag:Name", values = {"web & api"}}}})\n'
            'local v = c:describe_volumes({volume_ids = {"%s"}})\n'
            'local g = c:describe_security_groups({group_ids = {"%s"}})\n'
            'return {all[1].instance_id, all[1].instance_type, all[1].state, all[1].tags.Name, all[2].state,'
            ' #running, running[1].instance_id, type(all[1].private_ip), all[1].availability_zone,'
            ' v[1].volume_id, v[1].size, v[1].volume_type, g[1].group_name, g[1].description,'
            ' g[1].ingress[1].from_port, g[1].ingress[1].cidrs[1]}'
            % (moto.url, keys(moto), ids[0], ids[1], vol, sg))
    got = lua(code)
    assert got == [ids[0], "t3.micro", "running", "web & api", "stopped", 1, ids[0], "string", got[8],
                   vol, 8, "gp3", "web", "web <tier>", 443, "10.0.0.0/8"]
    assert got[8].startswith("us-east-1")


def test_ec2_unknown_instance_is_the_standard_error(lua_fails, moto):
    msg = lua_fails('return require("assay.aws.ec2").client("%s", %s):describe_instances({instance_ids = {"i-00000000"}})'
                    % (moto.url, keys(moto)))
    assert msg.startswith("aws.ec2: GET / HTTP 400: ") and "InvalidInstanceID.NotFound" in msg


def test_s3_list_head_presign(lua, moto):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="inventory")
    for key in ("a&b.txt", "logs/1 one.txt", "logs/2.txt"):
        s3.put_object(Bucket="inventory", Key=key, Body=b"data:" + key.encode())
    code = ('local c = require("assay.aws.s3").client("%s", %s)\n'
            'local names = {}\n'
            'for _, b in ipairs(c:list_buckets()) do names[#names + 1] = b.name end\n'
            'local page = c:list_objects("inventory", {max_keys = 2})\n'
            'local all = c:list_objects("inventory", {max_keys = 1, all = true})\n'
            'local logs = c:list_objects("inventory", {prefix = "logs/"})\n'
            'local head = c:head_object("inventory", "logs/1 one.txt")\n'
            'return {names, #page.objects, page.is_truncated, #all.objects, all.objects[1].key, #logs.objects,'
            ' head.headers["content-length"], c:head_object("inventory", "missing") == nil}' % (moto.url, keys(moto)))
    got = lua(code)
    assert got == [["inventory"], 2, True, 3, "a&b.txt", 2, "19", True]


def test_s3_presigned_url_fetches_the_object(lua, moto_unsigned):
    """The presigned URL's path and query reach the object (moto checks no presigned signatures;
    test_aws_sigv4 compares them with botocore's)."""
    moto_unsigned.client("s3").create_bucket(Bucket="share")
    moto_unsigned.client("s3").put_object(Bucket="share", Key="dir/a b+c.txt", Body=b"shared")
    url = lua('return require("assay.aws.s3").client("%s", %s):presign("share", "dir/a b+c.txt", {expires = 120})'
              % (moto_unsigned.url, keys(moto_unsigned)))
    assert "X-Amz-Expires=120" in url and "/share/dir/a%20b%2Bc.txt?" in url
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.read() == b"shared"


def test_aws_clients_use_the_credential_chain(assay, moto, tmp_path):
    """No keys in the script: the command resolves them from AWS_* like the AWS CLI."""
    script = tmp_path / "who.lua"
    script.write_text('local id = require("assay.aws.sts").get_caller_identity()\nprint(id.arn)\n'
                      'print(#require("assay.aws.s3").client(env.get("S3_URL")):list_buckets() >= 0)\n')
    proc = assay(script, extra_env={"AWS_ACCESS_KEY_ID": moto.creds["access_key"],
                                    "AWS_SECRET_ACCESS_KEY": moto.creds["secret_key"],
                                    "AWS_ENDPOINT_URL_STS": moto.url, "S3_URL": moto.url,
                                    "AWS_PROFILE": "", "AWS_REGION": "us-east-1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "arn:aws:iam::123456789012:user/assay\ntrue\n"
