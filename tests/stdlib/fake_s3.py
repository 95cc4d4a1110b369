"""An in-memory S3 API on 127.0.0.1 for the assay.s3 tests.

Like the real service it

- checks every request's AWS Signature Version 4 the way S3 does: the server decodes the
  path and query it received, re-encodes them canonically, takes the headers named in
  `SignedHeaders` as received and signs that with botocore's S3 SigV4 signer (an
  independent implementation; the test-only dependency) — a mismatch answers 403
  `SignatureDoesNotMatch`; it also checks the credential scope, that `host`,
  `x-amz-date` and `x-amz-content-sha256` are signed, the clock skew and the payload hash
  (`XAmzContentSHA256Mismatch`);
- serves path-style (`/bucket/key`) and virtual-hosted-style (`Host: bucket.<endpoint host>`)
  requests; a proxy-form request line (`GET http://bucket.s3.test:port/key`) works too, so
  tests can reach made-up virtual-host names through `HTTP_PROXY`;
- implements CreateBucket (LocationConstraint rules of the fake's region), DeleteBucket,
  ListBuckets, PutObject, GetObject, HeadObject, DeleteObject, CopyObject
  (`x-amz-copy-source` percent-decoded), ListObjectsV2 (prefix, max-keys,
  continuation-token) with S3's XML documents and error documents.

Every request is recorded in `fake.requests` (method, target, host, path, query pairs,
headers, body, bucket, key, `sig_ok`, `sig_error`). `fake.respond(method, path, status,
body, headers)` overrides one route (path as the client sent it, without the query).
"""
import base64
import datetime
import hashlib
import time
import uuid
from email.utils import formatdate
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit
from xml.sax.saxutils import escape

from fakes import FakeService, Response

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.headers = {k.lower(): v for k, v in headers.items()}
        if target.startswith(("http://", "https://")):  # proxy form
            parts = urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        self.raw_path, _, self.raw_query = target.partition("?")
        self.path = unquote(self.raw_path)
        self.query = []
        if self.raw_query:
            for item in self.raw_query.split("&"):
                k, _, v = item.partition("=")
                self.query.append((unquote(k), unquote(v)))
        self.host = self.headers.get("host", "")
        self.body = body
        self.bucket = None
        self.key = None
        self.sig_ok = None
        self.sig_error = None
        self.canonical_request = None

    def param(self, name):
        for k, v in self.query:
            if k == name:
                return v
        return None

    def __repr__(self):
        return "<%s %s host=%s>" % (self.method, self.target, self.host)


class Obj:
    def __init__(self, body, content_type):
        self.body = body
        self.content_type = content_type or "binary/octet-stream"
        self.etag = '"%s"' % hashlib.md5(body).hexdigest()
        self.modified = time.time()


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeS3(FakeService):
    name = "s3"
    request_class = Request

    def __init__(self, region="us-east-1", access_key=ACCESS_KEY, secret_key=SECRET_KEY):
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.buckets = {}          # name -> {"created": ts, "objects": {key: Obj}, "region": str}
        self.overrides = {}
        super().__init__()  # starts serving; `self.lock` guards the state above as well

    # ---- lifecycle (the server itself is fakes.FakeService) ---------------
    def start(self):
        return self

    def stop(self):
        self.close()

    def route(self, req):
        with self.lock:
            status, data, headers = self.answer(req)
        if isinstance(data, str):
            data = data.encode()
        headers = dict(headers or {})
        headers.setdefault("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        content_type = headers.pop("Content-Type", "application/xml" if data else None)
        return Response(status, data, content_type, headers=headers)

    # ---- test helpers -------------------------------------------------------
    def respond(self, method, path, status, body="", headers=None):
        self.overrides[(method.upper(), path)] = (status, body, headers or {})

    def last(self, method=None):
        for r in reversed(self.requests):
            if method is None or r.method == method:
                return r
        raise AssertionError("no %s request in %r" % (method, self.requests))

    def add_bucket(self, name, created=1700000000.0):
        self.buckets[name] = {"created": created, "objects": {}, "region": self.region}

    def add_object(self, bucket, key, body, content_type=None):
        if bucket not in self.buckets:
            self.add_bucket(bucket)
        self.buckets[bucket]["objects"][key] = Obj(body if isinstance(body, bytes) else body.encode(), content_type)

    # ---- SigV4 --------------------------------------------------------------
    def verify(self, req):
        """Return None when the request is signed correctly, else (status, code, message)."""
        auth = req.headers.get("authorization")
        if not auth:
            return 403, "AccessDenied", "Access Denied"
        prefix = "AWS4-HMAC-SHA256 "
        if not auth.startswith(prefix):
            return 400, "InvalidRequest", "Unsupported Authorization Type"
        fields = {}
        for part in auth[len(prefix):].split(", "):
            name, sep, value = part.partition("=")
            if not sep or name in fields:
                return 400, "AuthorizationHeaderMalformed", "The authorization header is malformed: %r" % part
            fields[name] = value
        if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
            return 400, "AuthorizationHeaderMalformed", "The authorization header is malformed"
        cred = fields["Credential"].split("/")
        if len(cred) != 5 or cred[3] != "s3" or cred[4] != "aws4_request":
            return 400, "AuthorizationHeaderMalformed", "bad credential scope %s" % fields["Credential"]
        if cred[0] != self.access_key:
            return 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        if cred[2] != self.region:
            return 400, "AuthorizationHeaderMalformed", \
                "the region '%s' is wrong; expecting '%s'" % (cred[2], self.region)
        amz_date = req.headers.get("x-amz-date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return 403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
        if abs(when.timestamp() - time.time()) > 900:
            return 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."
        if cred[1] != amz_date[:8]:
            return 403, "SignatureDoesNotMatch", "credential date does not match x-amz-date"
        signed = fields["SignedHeaders"].split(";")
        for required in ("host", "x-amz-date", "x-amz-content-sha256"):
            if required not in signed:
                return 403, "AccessDenied", "header %s must be signed" % required
        if signed != sorted(signed):
            return 403, "SignatureDoesNotMatch", "SignedHeaders not sorted"
        payload = req.headers.get("x-amz-content-sha256")
        if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(req.body).hexdigest():
            return 400, "XAmzContentSHA256Mismatch", \
                "The provided 'x-amz-content-sha256' header does not match what was computed."

        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        headers = {}
        for name in signed:
            if name not in req.headers:
                return 403, "AccessDenied", "signed header %s missing" % name
            headers[name] = " ".join(req.headers[name].split())
        canonical_path = quote(unquote_to_bytes(req.raw_path), safe="/~")
        canonical_query = "&".join("%s=%s" % (quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in req.query)
        url = "http://%s%s" % (req.host, canonical_path) + ("?" + canonical_query if canonical_query else "")
        aws_req = AWSRequest(method=req.method, url=url, headers=headers, data=req.body)
        aws_req.context["timestamp"] = amz_date
        signer = S3SigV4Auth(Credentials(self.access_key, self.secret_key), "s3", self.region)
        canonical_request = signer.canonical_request(aws_req)
        req.canonical_request = canonical_request
        expected = signer.signature(signer.string_to_sign(aws_req, canonical_request), aws_req)
        if expected != fields["Signature"]:
            return 403, "SignatureDoesNotMatch", \
                "The request signature we calculated does not match the signature you provided."
        return None

    # ---- routing ------------------------------------------------------------
    def locate(self, req):
        """Bucket and key of a request (virtual-hosted when Host is <bucket>.<endpoint host>)."""
        host = req.host
        endpoint_hosts = ("127.0.0.1:%d" % self.port, "s3.test:%d" % self.port, "localhost:%d" % self.port)
        for base in endpoint_hosts:
            if host.endswith("." + base):
                key = req.path[1:]
                return host[:-len(base) - 1], (key or None)
        parts = req.path[1:].split("/", 1)
        bucket = parts[0] or None
        key = parts[1] if len(parts) > 1 and parts[1] != "" else None
        return bucket, key

    def answer(self, req):
        req.bucket, req.key = self.locate(req)
        failure = self.verify(req)
        req.sig_ok = failure is None
        if failure:
            req.sig_error = failure[2]
        override = self.overrides.get((req.method, req.raw_path))
        if override is not None:
            return override
        if failure:
            status, code, message = failure
            return error(status, code, message, req)
        bucket, key = req.bucket, req.key
        if bucket is None:
            if req.method == "GET":
                return self.list_buckets()
            return error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", req)
        if key is None:
            if req.method == "PUT":
                return self.create_bucket(req, bucket)
            if req.method == "DELETE":
                return self.delete_bucket(req, bucket)
            if req.method in ("GET", "HEAD"):
                if bucket not in self.buckets:
                    return error(404, "NoSuchBucket", "The specified bucket does not exist", req, bucket=bucket)
                if req.method == "HEAD":
                    return 200, b"", {"x-amz-bucket-region": self.region}
                return self.list_objects(req, bucket)
            return error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", req)
        if bucket not in self.buckets:
            return error(404, "NoSuchBucket", "The specified bucket does not exist", req, bucket=bucket)
        objects = self.buckets[bucket]["objects"]
        if req.method == "PUT":
            if "x-amz-copy-source" in req.headers:
                return self.copy_object(req, bucket, key)
            objects[key] = Obj(req.body, req.headers.get("content-type"))
            return 200, b"", {"ETag": objects[key].etag}
        if req.method in ("GET", "HEAD"):
            obj = objects.get(key)
            if obj is None:
                if req.method == "HEAD":
                    return 404, b"", {}
                return error(404, "NoSuchKey", "The specified key does not exist.", req, key=key)
            headers = {"Content-Type": obj.content_type, "ETag": obj.etag, "Accept-Ranges": "bytes",
                       "Last-Modified": formatdate(obj.modified, usegmt=True),
                       "Content-Length": str(len(obj.body))}
            return 200, obj.body, headers
        if req.method == "DELETE":
            objects.pop(key, None)
            return 204, b"", {}
        return error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", req)

    def list_buckets(self):
        items = "".join("<Bucket><Name>%s</Name><CreationDate>%s</CreationDate></Bucket>"
                        % (escape(name), iso(b["created"])) for name, b in sorted(self.buckets.items()))
        body = (XML_HEAD + '<ListAllMyBucketsResult xmlns="%s"><Owner><ID>fake-owner-id</ID>'
                '<DisplayName>fake</DisplayName></Owner><Buckets>%s</Buckets></ListAllMyBucketsResult>' % (NS, items))
        return 200, body, {}

    def create_bucket(self, req, bucket):
        constraint = None
        if req.body:
            text = req.body.decode("utf-8", "replace")
            start, end = text.find("<LocationConstraint>"), text.find("</LocationConstraint>")
            if "<CreateBucketConfiguration" not in text or start < 0 or end < 0:
                return error(400, "MalformedXML", "The XML you provided was not well-formed", req)
            constraint = text[start + len("<LocationConstraint>"):end]
            if constraint == "us-east-1":
                return error(400, "InvalidLocationConstraint", "The specified location-constraint is not valid", req)
        if (constraint or "us-east-1") != self.region:
            return error(400, "IllegalLocationConstraintException",
                         "The %s location constraint is incompatible for the region specific endpoint "
                         "this request was sent to." % (constraint or "unspecified"), req)
        if bucket in self.buckets:
            return error(409, "BucketAlreadyOwnedByYou",
                         "Your previous request to create the named bucket succeeded and you already own it.",
                         req, bucket=bucket)
        self.buckets[bucket] = {"created": time.time(), "objects": {}, "region": self.region}
        return 200, b"", {"Location": "/" + bucket}

    def delete_bucket(self, req, bucket):
        if bucket not in self.buckets:
            return error(404, "NoSuchBucket", "The specified bucket does not exist", req, bucket=bucket)
        if self.buckets[bucket]["objects"]:
            return error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", req, bucket=bucket)
        del self.buckets[bucket]
        return 204, b"", {}

    def copy_object(self, req, bucket, key):
        source = unquote(req.headers["x-amz-copy-source"]).lstrip("/")
        src_bucket, _, src_key = source.partition("/")
        obj = self.buckets.get(src_bucket, {}).get("objects", {}).get(src_key)
        if obj is None:
            return error(404, "NoSuchKey", "The specified key does not exist.", req, key=src_key)
        copy = Obj(obj.body, obj.content_type)
        self.buckets[bucket]["objects"][key] = copy
        body = (XML_HEAD + '<CopyObjectResult xmlns="%s"><LastModified>%s</LastModified><ETag>%s</ETag>'
                '</CopyObjectResult>' % (NS, iso(copy.modified), escape(copy.etag, {'"': "&quot;"})))
        return 200, body, {}

    def list_objects(self, req, bucket):
        if req.param("list-type") != "2":
            return error(400, "InvalidArgument", "only ListObjectsV2 is implemented by the fake", req)
        prefix = req.param("prefix") or ""
        max_keys = int(req.param("max-keys") or 1000)
        token = req.param("continuation-token")
        start_after = base64.b64decode(token).decode() if token else None
        keys = sorted(k for k in self.buckets[bucket]["objects"] if k.startswith(prefix))
        if start_after is not None:
            keys = [k for k in keys if k > start_after]
        page, rest = keys[:max_keys], keys[max_keys:]
        objects = self.buckets[bucket]["objects"]
        contents = "".join(
            "<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag><Size>%d</Size>"
            "<StorageClass>STANDARD</StorageClass></Contents>"
            % (escape(k), iso(objects[k].modified), escape(objects[k].etag, {'"': "&quot;"}), len(objects[k].body))
            for k in page)
        extra = ""
        if token:
            extra += "<ContinuationToken>%s</ContinuationToken>" % escape(token)
        if rest and page:
            extra += "<NextContinuationToken>%s</NextContinuationToken>" % base64.b64encode(page[-1].encode()).decode()
        body = (XML_HEAD + '<ListBucketResult xmlns="%s"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount>'
                "<MaxKeys>%d</MaxKeys><IsTruncated>%s</IsTruncated>%s%s</ListBucketResult>"
                % (NS, escape(bucket), escape(prefix), len(page), max_keys, "true" if rest else "false",
                   contents, extra))
        return 200, body, {}


def error(status, code, message, req, bucket=None, key=None):
    extra = ""
    if bucket:
        extra += "<BucketName>%s</BucketName>" % escape(bucket)
    if key:
        extra += "<Key>%s</Key>" % escape(key)
    body = (XML_HEAD + "<Error><Code>%s</Code><Message>%s</Message>%s<RequestId>%s</RequestId></Error>"
            % (code, escape(message), extra, uuid.uuid4().hex[:16].upper()))
    if req.method == "HEAD":
        return status, b"", {}
    return status, body, {}
