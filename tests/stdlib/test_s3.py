"""assay.s3 (spec stdlib/s3.md, S3-01..21) against the in-memory S3 API of fake_s3.py.

The fake verifies every request's Signature V4 with botocore's signer (test-only dependency),
after canonicalising the path and query it received the way S3 does.
"""
import hashlib
import hmac
import json
import re
import time

import pytest

from fake_s3 import ACCESS_KEY, SECRET_KEY, FakeS3

botocore = pytest.importorskip("botocore")  # under CI=true a missing botocore fails (tests/conftest.py)

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PREFIX = re.compile(r"^assay/s3\.lua:\d+: ")
AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<ak>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/s3/aws4_request, "
                  r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$")
UNUSUAL_KEYS = [
    "with space.txt",
    "dir/sub dir/ünïcødé ✓.txt",
    "plus+sign=equals.txt",
    "a/b/c/deep/key",
    "percent%25 and %.txt",
    "question?mark#hash&amp;.bin",
    "tilde~under_score-dash.dot",
    "emoji 🚀/日本語",
    "folder/",
]


@pytest.fixture
def s3():
    fake = FakeS3(region="us-east-1").start()
    yield fake
    fake.stop()


@pytest.fixture
def s3_eu():
    fake = FakeS3(region="eu-central-2").start()
    yield fake
    fake.stop()


def opts(fake, **extra):
    fields = {"endpoint": fake.url, "region": fake.region, "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    fields.update(extra)
    return "{" + ", ".join("%s = %s" % (k, json.dumps(v)) for k, v in fields.items()) + "}"


def run(lua, fake, code, **extra):
    return lua('local s3 = require("assay.s3")\nlocal c = s3.client(%s)\n' % opts(fake, **extra) + code)


def fails(lua_fails, fake, code, **extra):
    return lua_fails('local s3 = require("assay.s3")\nlocal c = s3.client(%s)\n' % opts(fake, **extra) + code)


def all_signed_ok(fake):
    bad = [(r, r.sig_error) for r in fake.requests if not r.sig_ok]
    assert not bad, bad
    return True


def lua_str(s):
    """A Lua string literal for any text (decimal escapes for non-ASCII bytes)."""
    out = []
    for b in s.encode("utf-8"):
        if 32 <= b < 127 and chr(b) not in '"\\':
            out.append(chr(b))
        else:
            out.append("\\%d" % b)
    return '"' + "".join(out) + '"'


# ---- constructor --------------------------------------------------------------------

def test_s3_01_module_has_client(lua):
    assert lua('return type(require("assay.s3").client)') == "function"


@pytest.mark.parametrize("fields,missing", [
    ({}, "endpoint"),
    ({"endpoint": "http://x"}, "region"),
    ({"endpoint": "http://x", "region": "r"}, "access_key"),
    ({"endpoint": "http://x", "region": "r", "access_key": "a"}, "secret_key"),
    ({"region": "r", "access_key": "a", "secret_key": "s"}, "endpoint"),
])
def test_s3_02_required_fields(lua_fails, fields, missing):
    table = "{" + ", ".join("%s = %s" % (k, json.dumps(v)) for k, v in fields.items()) + "}"
    err = lua_fails('return require("assay.s3").client(%s)' % table)
    assert PREFIX.match(err) and err.endswith("s3.client: %s is required" % missing)


def test_s3_03_path_style_default_and_trailing_slash(lua, s3):
    s3.add_object("bkt", "k.txt", "v")
    assert run(lua, s3, 'return c:get_object("bkt", "k.txt")', endpoint=s3.url + "//") == "v"
    req = s3.last()
    assert req.target == "/bkt/k.txt" and req.host == "127.0.0.1:%d" % s3.port
    assert lua('return require("assay.s3").client(%s).path_style' % opts(s3)) is True
    assert all_signed_ok(s3)


def test_s3_documented_client_form(lua, s3):
    """The documented form s3.client({endpoint, region, access_key, secret_key}): a whole session."""
    result = run(lua, s3, '''
        assert.eq(c:create_bucket("docs"), true)
        assert.eq(c:put_object("docs", "readme.md", "# hi", {content_type = "text/markdown"}), true)
        local listing = c:list_objects("docs")
        local copied = c:copy_object("docs", "readme.md", "docs", "copy.md")
        local body = c:get_object("docs", "copy.md")
        c:delete_object("docs", "readme.md")
        c:delete_object("docs", "copy.md")
        return listing.objects[1].key, copied, body, c:delete_bucket("docs"), c:bucket_exists("docs")
    ''')
    assert result == ("readme.md", True, "# hi", True, False)
    assert s3.buckets == {}
    assert all_signed_ok(s3)


def test_s3_issue12_endpoint_first_form(lua, s3):
    """Issue 12: s3.client(endpoint, opts) takes the endpoint URL first."""
    s3.add_object("b", "x", "payload")
    code = ('local c = require("assay.s3").client(%s, {region = "us-east-1", access_key = %s, secret_key = %s})\n'
            'return c:get_object("b", "x"), c.endpoint'
            % (json.dumps(s3.url + "/"), json.dumps(ACCESS_KEY), json.dumps(SECRET_KEY)))
    assert lua(code) == ("payload", s3.url)
    assert all_signed_ok(s3)


# ---- buckets -------------------------------------------------------------------------------

def test_s3_04_create_bucket_location_constraint(lua, s3_eu):
    assert run(lua, s3_eu, 'return c:create_bucket("test-bucket")') is True
    req = s3_eu.last()
    assert (req.method, req.target) == ("PUT", "/test-bucket")
    assert req.body == (b'<?xml version="1.0" encoding="UTF-8"?><CreateBucketConfiguration '
                        b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-central-2'
                        b'</LocationConstraint></CreateBucketConfiguration>')
    assert req.headers["content-type"] == "application/xml"
    assert req.headers["x-amz-content-sha256"] == hashlib.sha256(req.body).hexdigest()
    assert AUTH.match(req.headers["authorization"]).group("signed") == \
        "content-type;host;x-amz-content-sha256;x-amz-date"
    assert "test-bucket" in s3_eu.buckets and all_signed_ok(s3_eu)


def test_s3_05_create_bucket_us_east_1_empty_body(lua, s3):
    assert run(lua, s3, 'return c:create_bucket("east")') is True
    req = s3.last()
    assert req.body == b"" and req.headers["x-amz-content-sha256"] == EMPTY
    assert req.headers["content-type"] == "application/xml"
    assert "east" in s3.buckets and all_signed_ok(s3)


def test_s3_06_delete_bucket(lua, lua_fails, s3):
    s3.add_bucket("gone")
    assert run(lua, s3, 'return c:delete_bucket("gone")') is True  # 204
    assert (s3.last().method, s3.last().target) == ("DELETE", "/gone") and "gone" not in s3.buckets
    s3.respond("DELETE", "/ok200", 200)
    assert run(lua, s3, 'return c:delete_bucket("ok200")') is True
    s3.add_object("full", "k", "v")
    err = fails(lua_fails, s3, 'return c:delete_bucket("full")')
    assert PREFIX.match(err) and "s3: DELETE /full HTTP 409: <?xml" in err and "BucketNotEmpty" in err


def test_s3_07_list_buckets(lua, s3):
    s3.add_bucket("alpha", created=1700000000)
    s3.add_bucket("beta", created=1700003600)
    assert run(lua, s3, "return c:list_buckets()") == [
        {"name": "alpha", "creation_date": "2023-11-14T22:13:20.000Z"},
        {"name": "beta", "creation_date": "2023-11-14T23:13:20.000Z"}]
    req = s3.last()
    assert (req.method, req.target) == ("GET", "/") and all_signed_ok(s3)


def test_s3_07_list_buckets_skips_blocks_without_name(lua, s3):
    s3.respond("GET", "/", 200, '<ListAllMyBucketsResult><Buckets><Bucket><CreationDate>x</CreationDate></Bucket>'
                                '<Bucket><Name>only</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate>'
                                '</Bucket></Buckets></ListAllMyBucketsResult>')
    assert run(lua, s3, "return c:list_buckets()") == [{"name": "only", "creation_date": "2024-01-01T00:00:00.000Z"}]


# ---- objects -------------------------------------------------------------------------------

def test_s3_08_put_object(lua, s3):
    s3.add_bucket("my-bucket")
    assert run(lua, s3, 'return c:put_object("my-bucket", "hello.txt", "Hello World!", {content_type = "text/plain"})') is True
    req = s3.last()
    assert (req.method, req.target, req.body) == ("PUT", "/my-bucket/hello.txt", b"Hello World!")
    assert req.headers["content-type"] == "text/plain"
    assert req.headers["x-amz-content-sha256"] == hashlib.sha256(b"Hello World!").hexdigest()
    assert "content-type;" in req.headers["authorization"]
    assert s3.buckets["my-bucket"]["objects"]["hello.txt"].content_type == "text/plain"
    assert all_signed_ok(s3)


def test_s3_08_put_object_default_empty_body(lua, s3):
    s3.add_bucket("b")
    assert run(lua, s3, 'return c:put_object("b", "empty")') is True
    req = s3.last()
    assert req.body == b"" and req.headers["x-amz-content-sha256"] == EMPTY
    assert "content-type" not in req.headers
    assert s3.buckets["b"]["objects"]["empty"].body == b"" and all_signed_ok(s3)


def test_s3_09_get_object(lua, s3):
    s3.add_object("my-bucket", "hello.txt", "Hello World!")
    assert run(lua, s3, 'return c:get_object("my-bucket", "hello.txt")') == "Hello World!"
    assert (s3.last().method, s3.last().target) == ("GET", "/my-bucket/hello.txt")
    assert run(lua, s3, 'return c:get_object("my-bucket", "missing.txt") == nil') is True
    assert all_signed_ok(s3)


def test_s3_09_binary_object_round_trip(lua, s3):
    s3.add_bucket("bin")
    data = bytes(range(256))
    lua_bytes = '"' + "".join("\\%d" % b for b in data) + '"'
    assert run(lua, s3, 'local b = %s\nc:put_object("bin", "blob", b)\nreturn c:get_object("bin", "blob") == b, #b' % lua_bytes) \
        == (True, 256)
    assert s3.buckets["bin"]["objects"]["blob"].body == data and all_signed_ok(s3)


def test_s3_10_delete_object(lua, s3):
    s3.add_object("my-bucket", "hello.txt", "x")
    assert run(lua, s3, 'return c:delete_object("my-bucket", "hello.txt")') is True
    req = s3.last()
    assert (req.method, req.target) == ("DELETE", "/my-bucket/hello.txt")
    assert s3.buckets["my-bucket"]["objects"] == {} and all_signed_ok(s3)


def test_s3_11_list_objects(lua, s3):
    s3.add_object("my-bucket", "a.bin", b"x" * 1024)
    s3.add_object("my-bucket", "b.bin", b"y" * 1024)
    result = run(lua, s3, '''
        local r = c:list_objects("my-bucket")
        return #r.objects, r.objects[1].key, r.objects[2].size, math.type(r.objects[1].size),
               r.is_truncated, r.key_count, r.next_continuation_token == nil, r.objects[1].last_modified
    ''')
    assert result[:7] == (2, "a.bin", 1024, "integer", False, 2, True)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$", result[7])
    req = s3.last()
    assert req.target == "/my-bucket?list-type=2" and all_signed_ok(s3)


def test_s3_12_list_objects_options_and_pagination(lua, s3):
    for i in range(5):
        s3.add_object("pages", "logs/2024 01/%d+x.log" % i, "z")
    s3.add_object("pages", "other", "z")
    result = run(lua, s3, '''
        local keys, pages, token = {}, 0, nil
        repeat
          local r = c:list_objects("pages", {prefix = "logs/2024 01/", max_keys = 2, continuation_token = token})
          pages = pages + 1
          for _, o in ipairs(r.objects) do keys[#keys + 1] = o.key end
          token = r.next_continuation_token
          assert.eq(r.is_truncated, token ~= nil)
        until token == nil
        return keys, pages
    ''')
    assert result == (["logs/2024 01/%d+x.log" % i for i in range(5)], 3)
    first = [r for r in s3.requests][0]
    assert first.target == "/pages?list-type=2&prefix=logs%2F2024%2001%2F&max-keys=2"
    second = s3.requests[1]
    assert second.raw_query.startswith("list-type=2&prefix=logs%2F2024%2001%2F&max-keys=2&continuation-token=")
    token = second.raw_query.split("continuation-token=")[1]
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]*", token)  # percent-encoded (base64 '=' and '+' encoded)
    assert all_signed_ok(s3)


def test_s3_13_head_object(lua, s3):
    s3.add_object("b", "doc.json", '{"a":1}', content_type="application/json")
    result = run(lua, s3, '''
        local h = c:head_object("b", "doc.json")
        return h.status, h.headers["content-type"], h.headers["etag"], h.headers["content-length"],
               c:head_object("b", "nope") == nil, http.head ~= nil
    ''')
    status, ctype, etag, length, missing_nil, has_head = result
    assert (status, ctype, length, missing_nil) == (200, "application/json", "7", True)
    assert etag == '"%s"' % hashlib.md5(b'{"a":1}').hexdigest()
    req = s3.requests[0]
    # HEAD when the http builtin offers it; otherwise the signed GET of the original
    assert req.method == ("HEAD" if has_head else "GET") and req.target == "/b/doc.json"
    assert all_signed_ok(s3)


def test_s3_14_copy_object(lua, s3):
    s3.add_object("src", "key", "data", content_type="text/plain")
    s3.add_bucket("dst")
    assert run(lua, s3, 'return c:copy_object("src", "key", "dst", "copied/key")') is True
    req = s3.last()
    assert (req.method, req.target, req.body) == ("PUT", "/dst/copied/key", b"")
    assert req.headers["x-amz-copy-source"] == "/src/key"
    assert req.headers["x-amz-content-sha256"] == EMPTY
    assert AUTH.match(req.headers["authorization"]).group("signed") == "host;x-amz-content-sha256;x-amz-copy-source;x-amz-date"
    assert s3.buckets["dst"]["objects"]["copied/key"].body == b"data" and all_signed_ok(s3)


def test_s3_14_copy_source_is_url_encoded(lua, s3):
    """Spec Note: the copy source is percent-encoded (keeping "/"), as S3 requires."""
    key = "dir/ä b+c.txt"
    s3.add_object("src", key, "data")
    assert run(lua, s3, 'return c:copy_object("src", %s, "src", "plain")' % lua_str(key)) is True
    assert s3.last().headers["x-amz-copy-source"] == "/src/dir/%C3%A4%20b%2Bc.txt"
    assert s3.buckets["src"]["objects"]["plain"].body == b"data" and all_signed_ok(s3)


def test_s3_14_copy_only_200_is_success(lua_fails, s3):
    s3.add_bucket("dst")
    err = fails(lua_fails, s3, 'return c:copy_object("src", "missing", "dst", "k")')
    assert PREFIX.match(err) and "s3: COPY /src/missing -> /dst/k HTTP 404: " in err and "NoSuchKey" in err
    s3.respond("PUT", "/dst/k204", 204)
    err = fails(lua_fails, s3, 'return c:copy_object("src", "a", "dst", "k204")')
    assert err.endswith("s3: COPY /src/a -> /dst/k204 HTTP 204: ")


def test_s3_14_copy_200_with_error_document_raises(lua_fails, s3):
    """Spec Note: S3 can report a failed copy as 200 with an <Error> document."""
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>x</Message></Error>'
    s3.respond("PUT", "/dst/k", 200, body)
    err = fails(lua_fails, s3, 'return c:copy_object("src", "a", "dst", "k")')
    assert err.endswith("s3: COPY /src/a -> /dst/k HTTP 200: " + body)


def test_s3_15_bucket_exists(lua, s3):
    s3.add_bucket("existing-bucket")
    assert run(lua, s3, 'return c:bucket_exists("existing-bucket"), c:bucket_exists("missing")') == (True, False)
    assert s3.requests[0].target == "/existing-bucket?list-type=2&max-keys=0"
    s3.respond("GET", "/forbidden", 403, "<Error><Code>AccessDenied</Code></Error>")
    s3.respond("GET", "/broken", 500, "oops")
    assert run(lua, s3, 'return c:bucket_exists("forbidden"), c:bucket_exists("broken")') == (False, False)
    assert all_signed_ok(s3)


# ---- Signature V4 ------------------------------------------------------------------------------

def test_s3_16_authorization_header_format(lua, s3):
    s3.add_bucket("b")
    run(lua, s3, 'c:bucket_exists("b")')
    req = s3.last()
    m = AUTH.match(req.headers["authorization"])
    assert m, req.headers["authorization"]
    assert m.group("ak") == ACCESS_KEY and m.group("region") == "us-east-1"
    assert m.group("signed") == "host;x-amz-content-sha256;x-amz-date"
    assert m.group("date") == req.headers["x-amz-date"][:8]
    assert all_signed_ok(s3)


def test_s3_17_signing_key_aws_published_vector(lua):
    """AWS documentation: deriving the signing key (secret wJalr..., 20120215, us-east-1, iam)."""
    key = lua('local k = require("assay.s3")._signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", '
              '"20120215", "us-east-1", "iam")\n'
              'return (k:gsub(".", function(ch) return string.format("%02x", ch:byte()) end))')
    assert key == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"

    def h(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()
    assert lua('return crypto.hmac(require("assay.s3")._signing_key("s", "20240102", "eu-west-1"), "msg")') == \
        hmac.new(h(h(h(h(b"AWS4s", "20240102"), "eu-west-1"), "s3"), "aws4_request"), b"msg", hashlib.sha256).hexdigest()


S3_DOC = dict(access_key="AKIAIOSFODNN7EXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
              region="us-east-1", amz_date="20130524T000000Z", host="examplebucket.s3.amazonaws.com")


@pytest.mark.parametrize("request_fields,signature", [
    # the four worked examples of the S3 "Signature Calculations for the Authorization Header" page
    (dict(method="GET", path="/test.txt", headers={"range": "bytes=0-9"}),
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    (dict(method="PUT", path="/test$file.text",
          headers={"date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"},
          payload_hash=hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()),
     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    (dict(method="GET", path="/", query="lifecycle="),
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    (dict(method="GET", path="/", query="max-keys=2&prefix=J"),
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
])
def test_s3_17_aws_published_s3_examples(lua, request_fields, signature):
    fields = dict(S3_DOC, **request_fields)
    table = json.dumps(fields)
    got = lua('local r = json.parse(%s)\nreturn require("assay.s3")._sign(r).signature' % json.dumps(table))
    assert got == signature


def botocore_sign(method, host, path, query, headers, body, amz_date, region="us-east-1"):
    """Canonical request and signature computed by botocore for the same request."""
    from urllib.parse import quote

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = "http://%s%s" % (host, quote(path.encode("utf-8"), safe="/~")) + ("?" + query if query else "")
    all_headers = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": hashlib.sha256(body).hexdigest()}
    all_headers.update(headers)
    req = AWSRequest(method=method, url=url, headers=all_headers, data=body)
    req.context["timestamp"] = amz_date
    signer = S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", region)
    canonical = signer.canonical_request(req)
    return canonical, signer.signature(signer.string_to_sign(req, canonical), req)


@pytest.mark.parametrize("key", UNUSUAL_KEYS)
@pytest.mark.parametrize("method,query,headers,body", [
    ("GET", "", {}, b""),
    ("PUT", "", {"content-type": "text/plain; charset=utf-8"}, "Grüße +=/ body".encode()),
    ("GET", "list-type=2&prefix=a%2Fb%20c%2Bd&max-keys=10", {}, b""),
])
def test_s3_17_19_sign_matches_botocore(lua, key, method, query, headers, body):
    """The module's canonical request and signature equal botocore's for unusual keys."""
    path = "/bucket/" + key if not query else "/bucket"
    lua_headers = "{" + ", ".join("[%s] = %s" % (lua_str(k), lua_str(v)) for k, v in headers.items()) + "}"
    lua_body = '"' + "".join("\\%d" % b for b in body) + '"'
    code = ('local r = require("assay.s3")._sign({method = "%s", host = "127.0.0.1:9000", path = %s, query = %s,\n'
            '  headers = %s, payload_hash = crypto.hash(%s), amz_date = "20240229T235959Z", region = "us-east-1",\n'
            '  access_key = %s, secret_key = %s})\n'
            'return r.canonical_request, r.signature'
            % (method, lua_str(path), lua_str(query), lua_headers, lua_body, lua_str(ACCESS_KEY), lua_str(SECRET_KEY)))
    canonical, signature = lua(code)
    want_canonical, want_signature = botocore_sign(method, "127.0.0.1:9000", path, query, headers, body,
                                                   "20240229T235959Z")
    assert canonical == want_canonical
    assert signature == want_signature


def test_s3_18_bodiless_payload_hash_and_date(lua, s3):
    s3.add_object("b", "k", "v")
    before = time.time()
    run(lua, s3, 'c:get_object("b", "k"); c:delete_object("b", "k")')
    for req in s3.requests:
        assert req.headers["x-amz-content-sha256"] == EMPTY
        assert re.fullmatch(r"\d{8}T\d{6}Z", req.headers["x-amz-date"])
        stamp = time.mktime(time.strptime(req.headers["x-amz-date"], "%Y%m%dT%H%M%SZ")) - time.timezone
        assert before - 2 <= stamp <= time.time() + 1
    assert all_signed_ok(s3)


def test_s3_18_amz_date_formatting(lua):
    assert lua('local s3 = require("assay.s3")\n'
               'return s3._amz_date(0), s3._amz_date(951782400.9), s3._amz_date(1709251199), s3._amz_date(4102444800)') \
        == ("19700101T000000Z", "20000229T000000Z", "20240229T235959Z", "21000101T000000Z")


def test_s3_19_canonical_uri_and_query(lua):
    assert lua('local s3 = require("assay.s3")\n'
               'return s3._canonical_uri("/"), s3._canonical_uri("/b"), s3._canonical_uri("/b/a b+c=d~e_f.g-h"),\n'
               '  s3._canonical_uri("/b//x///y/"), s3._canonical_uri("/b/\\195\\188/%"),\n'
               '  s3._canonical_query("prefix=x&max-keys=2&list-type=2"), s3._canonical_query("")') == (
        "/", "/b", "/b/a%20b%2Bc%3Dd~e_f.g-h", "/b/x/y/", "/b/%C3%BC/%25",
        "list-type=2&max-keys=2&prefix=x", "")


@pytest.mark.parametrize("key", UNUSUAL_KEYS)
def test_s3_19_unusual_keys_end_to_end(lua, s3, key):
    """Spec Note: the module sends the encoded path it signs, so S3 accepts every key (PUT, GET, LIST)."""
    s3.add_bucket("bucket")
    body = "content of " + key
    result = run(lua, s3, '''
        local key = %s
        c:put_object("bucket", key, %s)
        local listed = c:list_objects("bucket", {prefix = key})
        return c:get_object("bucket", key), listed.objects[1].key, listed.key_count
    ''' % (lua_str(key), lua_str(body)))
    got, listed_key, count = result
    assert got == body and count == 1
    assert s3.buckets["bucket"]["objects"][key].body == body.encode()
    # listed keys are XML-entity decoded, so list -> get works for every key (0.8.3 left "&amp;")
    assert listed_key == key
    assert all_signed_ok(s3)
    assert [r.method for r in s3.requests] == ["PUT", "GET", "GET"]


def test_s3_19_wrong_secret_is_rejected(lua_fails, s3):
    """The fake really checks signatures: a wrong secret gives S3's SignatureDoesNotMatch."""
    s3.add_object("b", "k", "v")
    err = fails(lua_fails, s3, 'return c:get_object("b", "k")', secret_key="not-the-secret")
    assert "s3: GET /b/k HTTP 403: " in err and "SignatureDoesNotMatch" in err
    assert s3.last().sig_ok is False


@pytest.fixture
def proxied(monkeypatch, s3):
    """Virtual-host names like bucket.s3.test reach the fake through HTTP_PROXY."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", s3.url)
    monkeypatch.setenv("http_proxy", s3.url)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("no_proxy", "")
    return s3


def test_s3_20_virtual_hosted_style(lua, proxied):
    s3 = proxied
    s3.add_object("my-bucket", "dir/file name.txt", "vh")
    endpoint = "http://s3.test:%d" % s3.port
    result = run(lua, s3, '''
        local ok = c:put_object("my-bucket", "new key+1", "x")
        return c:get_object("my-bucket", "dir/file name.txt"), ok, c:bucket_exists("my-bucket"), #c:list_buckets()
    ''', endpoint=endpoint, path_style=False)
    assert result == ("vh", True, True, 1)
    put, get, exists, buckets = s3.requests
    assert put.host == "my-bucket.s3.test:%d" % s3.port
    assert put.target == "http://my-bucket.s3.test:%d/new%%20key%%2B1" % s3.port
    assert get.raw_path == "/dir/file%20name.txt" and get.host == "my-bucket.s3.test:%d" % s3.port
    assert exists.raw_path == "/" and exists.raw_query == "list-type=2&max-keys=0"
    assert buckets.host == "s3.test:%d" % s3.port and buckets.raw_path == "/"  # no bucket: plain endpoint
    assert s3.buckets["my-bucket"]["objects"]["new key+1"].body == b"x"
    assert all_signed_ok(s3)
    # the signed canonical request used the virtual host and the key-only path
    assert "\n/dir/file%20name.txt\n" in get.canonical_request
    assert "host:my-bucket.s3.test:%d\n" % s3.port in get.canonical_request


def test_s3_20_virtual_hosted_sign(lua):
    """The signed host is <bucket>.<endpoint host> and the path /<key> (checked against botocore)."""
    code = ('local s3 = require("assay.s3")\n'
            'local r = s3._sign({method = "GET", host = "photos.s3.eu-central-2.amazonaws.com", path = "/a b.jpg",\n'
            '  amz_date = "20240101T000000Z", region = "eu-central-2", access_key = %s, secret_key = %s})\n'
            'return r.canonical_request, r.signature' % (lua_str(ACCESS_KEY), lua_str(SECRET_KEY)))
    canonical, signature = lua(code)
    assert (canonical, signature) == botocore_sign("GET", "photos.s3.eu-central-2.amazonaws.com", "/a b.jpg", "",
                                                   {}, b"", "20240101T000000Z", region="eu-central-2")


# ---- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,method,path,label", [
    ('c:create_bucket("b")', "PUT", "/b", "PUT /b"),
    ('c:delete_bucket("b")', "DELETE", "/b", "DELETE /b"),
    ("c:list_buckets()", "GET", "/", "GET /"),
    ('c:put_object("b", "k 1", "x")', "PUT", "/b/k%201", "PUT /b/k 1"),
    ('c:get_object("b", "k 1")', "GET", "/b/k%201", "GET /b/k 1"),
    ('c:delete_object("b", "k")', "DELETE", "/b/k", "DELETE /b/k"),
    ('c:list_objects("b", {prefix = "p"})', "GET", "/b", "GET /b?list-type=2"),
    ('c:head_object("b", "k")', None, "/b/k", "HEAD /b/k"),
    ('c:copy_object("s", "a", "b", "k")', "PUT", "/b/k", "COPY /s/a -> /b/k"),
])
def test_s3_21_error_messages(lua, lua_fails, s3, code, method, path, label):
    if method is None:
        method = "HEAD" if lua("return http.head ~= nil") else "GET"
    s3.respond(method, path, 500, "<Error><Code>InternalError</Code></Error>")
    err = fails(lua_fails, s3, "return " + code)
    assert PREFIX.match(err), err
    assert err.endswith("s3: %s HTTP 500: %s" % (label, "" if method == "HEAD" else "<Error><Code>InternalError</Code></Error>"))


def test_s3_both_generations(lua, s3):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    code = {
        "old": '''local b = "gen-old"
            c:create_bucket(b)
            c:put_object(b, "a&b.txt", "hello")
            local key = c:list_objects(b).objects[1].key
            local out = {c:bucket_exists(b), key, c:get_object(b, key), c:head_object(b, key).status,
                         c:copy_object(b, key, b, "copy.txt"), #c:list_objects(b, {prefix = "copy"}).objects}
            c:delete_object(b, key); c:delete_object(b, "copy.txt")
            out[#out + 1] = c:get_object(b, key) == nil
            c:delete_bucket(b)
            out[#out + 1] = c:bucket_exists(b)
            return out''',
        "new": '''local b = "gen-new"
            c.buckets:create(b)
            c.objects:put(b, "a&b.txt", "hello")
            local key = c.objects:list(b).objects[1].key
            local out = {c.buckets:exists(b), key, c.objects:get(b, key), c.objects:head(b, key).status,
                         c.objects:copy(b, key, b, "copy.txt"), #c.objects:list(b, {prefix = "copy"}).objects}
            c.objects:delete(b, key); c.objects:delete(b, "copy.txt")
            out[#out + 1] = c.objects:get(b, key) == nil
            c.buckets:delete(b)
            out[#out + 1] = c.buckets:exists(b)
            return out''',
    }
    results = {gen: run(lua, s3, text) for gen, text in code.items()}
    assert results["old"] == results["new"] == [True, "a&b.txt", "hello", 200, True, 1, True, False]
    assert run(lua, s3, "return #c:list_buckets() == #c.buckets:list()") is True
    assert all_signed_ok(s3)
