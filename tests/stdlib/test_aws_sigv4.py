"""assay.aws.sigv4: every signature is checked against botocore's signer for the same request."""
import datetime
import json
from urllib.parse import parse_qs, urlsplit

import pytest

ACCESS_KEY, SECRET_KEY = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
AMZ_DATE = "20240229T235959Z"
MOMENT = datetime.datetime(2024, 2, 29, 23, 59, 59)


@pytest.fixture
def frozen(monkeypatch):
    import botocore.auth
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: MOMENT)


def botocore_request(method, url, headers, body):
    from botocore.awsrequest import AWSRequest
    return AWSRequest(method=method, url=url, headers=dict(headers), data=body)


def lua_sign(lua, **opts):
    opts = dict(dict(access_key=ACCESS_KEY, secret_key=SECRET_KEY, amz_date=AMZ_DATE, region="eu-west-1"), **opts)
    return lua('return require("assay.aws.sigv4").sign(json.parse(%s))' % json.dumps(json.dumps(opts)))


CASES = [
    # service, method, path, query, headers, body
    ("sts", "POST", "/", "", {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
     "Action=GetCallerIdentity&Version=2011-06-15"),
    ("ec2", "GET", "/", "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=a%20b",
     {}, ""),
    ("execute-api", "GET", "/stage/items/a b+c", "b=2&a=1&a=0", {"x-custom": "  spaced   value "}, ""),
    ("ecr", "POST", "/", "", {"content-type": "application/x-amz-json-1.1",
                              "x-amz-target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"}, "{}"),
]


@pytest.mark.parametrize("service,method,path,query,headers,body", CASES)
@pytest.mark.parametrize("session_token", [None, "FwoGZXIvYXdzEXAMPLE//token+=="])
def test_sign_matches_botocore(lua, frozen, service, method, path, query, headers, body, session_token):
    from urllib.parse import quote

    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials
    host = "%s.eu-west-1.amazonaws.com" % service
    opts = dict(service=service, method=method, host=host, path=path, query=query, headers=headers, payload=body)
    if session_token:
        opts["session_token"] = session_token
    got = lua_sign(lua, **opts)
    assert got["x-amz-date"] == AMZ_DATE
    if session_token:
        assert got["x-amz-security-token"] == session_token
    for name, value in headers.items():
        assert got[name] == value
    url = "https://%s%s" % (host, quote(path, safe="/~")) + ("?" + query if query else "")
    sent = {k: v for k, v in got.items() if k not in ("authorization", "x-amz-date", "x-amz-security-token")}
    req = botocore_request(method, url, sent, body.encode())
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, session_token), service, "eu-west-1").add_auth(req)
    assert got["authorization"] == req.headers["Authorization"]


@pytest.mark.parametrize("service,path,query,headers", [
    ("s3", "/bucket/some key/é.txt", "", {}),
    ("s3", "/bucket/obj", "versionId=3%2F4", {}),
    ("sts", "/", "Action=GetCallerIdentity&Version=2011-06-15", {"x-k8s-aws-id": "prod-cluster"}),
])
@pytest.mark.parametrize("session_token", [None, "tok/en+=="])
def test_presign_matches_botocore(lua, frozen, service, path, query, headers, session_token):
    from urllib.parse import quote

    from botocore.auth import S3SigV4QueryAuth, SigV4QueryAuth
    from botocore.credentials import Credentials
    host = "%s.us-east-1.amazonaws.com" % service
    opts = dict(service=service, host=host, path=path, query=query, headers=headers, expires=60, region="us-east-1")
    if session_token:
        opts["session_token"] = session_token
    opts = dict(dict(access_key=ACCESS_KEY, secret_key=SECRET_KEY, amz_date=AMZ_DATE), **opts)
    url = lua('return require("assay.aws.sigv4").presign(json.parse(%s))' % json.dumps(json.dumps(opts)))
    ours = urlsplit(url)
    assert (ours.scheme, ours.netloc, ours.path) == ("https", host, quote(path, safe="/~"))
    cls = S3SigV4QueryAuth if service == "s3" else SigV4QueryAuth
    req = botocore_request("GET", "https://%s%s" % (host, quote(path, safe="/~")) + ("?" + query if query else ""),
                           headers, b"")
    cls(Credentials(ACCESS_KEY, SECRET_KEY, session_token), service, "us-east-1", expires=60).add_auth(req)
    theirs = parse_qs(urlsplit(req.url).query)
    mine = parse_qs(ours.query)
    assert mine == theirs
    assert mine["X-Amz-Expires"] == ["60"]


def test_sign_requires_fields(lua_fails):
    msg = lua_fails('return require("assay.aws.sigv4").sign({secret_key = "s", region = "r", service = "s", host = "h"})')
    assert "aws.sigv4.sign: access_key is required" in msg


def test_epoch_of_iso_timestamps(lua):
    got = lua('local s = require("assay.aws.sigv4")\n'
              'return s._epoch("2024-02-29T23:59:59Z"), s._epoch("1970-01-01T00:00:00.000Z"),'
              ' s._epoch("2024-03-01T01:59:59+02:00"), s.amz_date(1709251199)')
    assert got == (1709251199, 0, 1709251199, AMZ_DATE)
