"""assay.s3 against a real S3 protocol server (moto, every SigV4 signature checked)."""
import pytest

pytestmark = pytest.mark.real_server("moto")

CLIENT = """
local s3 = require("assay.s3")
local c = s3.client(env.get("S3_ENDPOINT"), {region = "us-east-1", access_key = env.get("S3_ACCESS_KEY"),
  secret_key = env.get("S3_SECRET_KEY"), path_style = true})
local bucket = env.get("BUCKET")
"""


@pytest.fixture
def s3env(real_s3, uid):
    return dict(S3_ENDPOINT=real_s3.url, S3_ACCESS_KEY=real_s3.creds["access_key"],
                S3_SECRET_KEY=real_s3.creds["secret_key"], BUCKET=uid)


def test_bucket_lifecycle(flow, s3env):
    out = flow(CLIENT + """
local before = c:bucket_exists(bucket)
c:create_bucket(bucket)
local listed = false
for _, b in ipairs(c:list_buckets()) do if b.name == bucket then listed = b.creation_date ~= nil end end
local exists = c:bucket_exists(bucket)
c:delete_bucket(bucket)
print(json.encode({before = before, listed = listed, exists = exists, after = c:bucket_exists(bucket)}))
""", **s3env)
    assert out == {"before": False, "listed": True, "exists": True, "after": False}


def test_objects_nested_and_non_ascii_keys(flow, s3env):
    out = flow(CLIENT + """
c:create_bucket(bucket)
local keys = {"top.txt", "a/b/c/deep.json", "dir with space/file+plus.txt", "unicode/ümlaut-日本.txt",
              "odd/semi;colon,comma=eq.txt"}
for i, key in ipairs(keys) do
  c:put_object(bucket, key, "body " .. i, {content_type = "text/plain"})
end
local bodies = {}
for i, key in ipairs(keys) do bodies[i] = c:get_object(bucket, key) end
local head = c:head_object(bucket, "a/b/c/deep.json")
local all = c:list_objects(bucket)
local nested = c:list_objects(bucket, {prefix = "a/b/"})
local names = {}
for _, o in ipairs(all.objects) do names[#names + 1] = o.key end
c:copy_object(bucket, "unicode/ümlaut-日本.txt", bucket, "copies/ümlaut.txt")
local copied = c:get_object(bucket, "copies/ümlaut.txt")
local binary = string.char(0, 255, 10, 13, 128) .. "tail"
c:put_object(bucket, "bin/blob", binary)
local bin_ok = c:get_object(bucket, "bin/blob") == binary
c:delete_object(bucket, "top.txt")
print(json.encode({bodies = bodies, status = head.status, length = head.headers["content-length"] or
  head.headers["Content-Length"], names = names, nested = #nested.objects, nested_key = nested.objects[1].key,
  truncated = all.is_truncated, copied = copied, bin_ok = bin_ok,
  deleted = c:get_object(bucket, "top.txt") == nil, missing_head = c:head_object(bucket, "nope") == nil}))
""", **s3env)
    assert out["bodies"] == ["body %d" % i for i in range(1, 6)]
    assert out["status"] == 200 and str(out["length"]) == "6"
    assert sorted(out["names"]) == sorted(["top.txt", "a/b/c/deep.json", "dir with space/file+plus.txt",
                                           "unicode/ümlaut-日本.txt", "odd/semi;colon,comma=eq.txt"])
    assert out["nested"] == 1 and out["nested_key"] == "a/b/c/deep.json"
    assert out["truncated"] is False
    assert out["copied"] == "body 4" and out["bin_ok"] is True
    assert out["deleted"] is True and out["missing_head"] is True


def test_listing_pages(flow, s3env):
    out = flow(CLIENT + """
c:create_bucket(bucket)
for i = 1, 5 do c:put_object(bucket, string.format("logs/%02d.log", i), "x") end
local page = c:list_objects(bucket, {prefix = "logs/", max_keys = 2})
print(json.encode({n = #page.objects, truncated = page.is_truncated, first = page.objects[1].key}))
""", **s3env)
    assert out == {"n": 2, "truncated": True, "first": "logs/01.log"}


def test_wrong_secret_is_rejected_by_the_signature_check(flow_fails, s3env):
    err = flow_fails(CLIENT + "c:list_buckets()\n", **dict(s3env, S3_SECRET_KEY="wrong-secret"))
    assert "403" in err and "SignatureDoesNotMatch" in err
    assert "Traceback" not in err


GENERATIONS = {
    "0.8.3": """
c:create_bucket(bucket)
c:put_object(bucket, "a&b.txt", "hello")
local key = c:list_objects(bucket).objects[1].key
local out = {c:bucket_exists(bucket), key, c:get_object(bucket, key), c:head_object(bucket, key).status,
             c:copy_object(bucket, key, bucket, "copy.txt") ~= nil, #c:list_objects(bucket, {prefix = "copy"}).objects}
c:delete_object(bucket, key); c:delete_object(bucket, "copy.txt")
out[#out + 1] = c:get_object(bucket, key) == nil
c:delete_bucket(bucket)
out[#out + 1] = c:bucket_exists(bucket)
print(json.encode(out))
""",
    "0.19": """
c.buckets:create(bucket)
c.objects:put(bucket, "a&b.txt", "hello")
local key = c.objects:list(bucket).objects[1].key
local out = {c.buckets:exists(bucket), key, c.objects:get(bucket, key), c.objects:head(bucket, key).status,
             c.objects:copy(bucket, key, bucket, "copy.txt") ~= nil, #c.objects:list(bucket, {prefix = "copy"}).objects}
c.objects:delete(bucket, key); c.objects:delete(bucket, "copy.txt")
out[#out + 1] = c.objects:get(bucket, key) == nil
c.buckets:delete(bucket)
out[#out + 1] = c.buckets:exists(bucket)
print(json.encode(out))
""",
}


def test_both_generations_on_the_real_server(flow, s3env):
    """The same flow written with 0.8.3's flat methods and 0.19's groups gives the same answers
    (the `a&b.txt` key comes back XML-decoded from a real listing)."""
    results = {gen: flow(CLIENT + code, **dict(s3env, BUCKET=s3env["BUCKET"] + gen.replace(".", "")))
               for gen, code in GENERATIONS.items()}
    assert results["0.8.3"] == results["0.19"] == [True, "a&b.txt", "hello", 200, True, 1, True, False]
