"""`crypto` builtin (builtins.md §8): CRYPTO-01..18, plus the jwt_verify / HS* / ES* superset.

Keys are generated here; tokens are checked with PyJWT + cryptography and against
token bytes assembled independently from the spec (header order, sorted claims,
unpadded base64url, RSASSA-PKCS1-v1_5).
"""
import base64
import hashlib
import hmac
import json
import re
import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

# short HMAC secrets keep the Lua snippets readable
pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

SUPPORTED = "sha224, sha256, sha384, sha512, sha3-224, sha3-256, sha3-384, sha3-512"


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def lstr(text):
    """A Lua long-string literal holding `text`."""
    return "[==[" + text + "]==]"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pkcs8(rsa_key):
    return rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def pkcs1(rsa_key):
    pem = rsa_key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    assert "BEGIN RSA PRIVATE KEY" in pem
    return pem


@pytest.fixture(scope="module")
def public_pem(rsa_key):
    return rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def expected_rs_token(key, header_json, claims_json, hash_cls):
    signing_input = b64url(header_json.encode()) + "." + b64url(claims_json.encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hash_cls())
    return signing_input + "." + b64url(signature)


# --- hash -------------------------------------------------------------------

def test_crypto_01_hash_default_sha256_vectors(lua):
    assert lua('return crypto.hash("hello")') == \
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert lua('return crypto.hash("")') == \
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_crypto_01_hash_binary_input(lua):
    assert lua(r'return crypto.hash("\0\255\254abc")') == hashlib.sha256(b"\0\xff\xfeabc").hexdigest()


@pytest.mark.parametrize("alg", ["sha224", "sha256", "sha384", "sha512",
                                 "sha3-224", "sha3-256", "sha3-384", "sha3-512"])
def test_crypto_02_hash_algorithms_case_insensitive(lua, alg):
    expected = hashlib.new(alg.replace("-", "_"), b"hello").hexdigest()
    assert lua('return crypto.hash("hello", "%s")' % alg) == expected
    assert lua('return crypto.hash("hello", "%s")' % alg.upper()) == expected


def test_crypto_02_hash_known_lengths(lua):
    assert lua('return crypto.hash("hello","sha3-256")') == \
        "3338be694f50c5f338814986cdf0686453a888b84f424d792af4b9202398f392"
    sha512 = lua('return crypto.hash("hello","sha512")')
    assert sha512.startswith("9b71d224") and len(sha512) == 128
    assert len(lua('return crypto.hash("hello","sha224")')) == 56


@pytest.mark.parametrize("alg, shown", [("md5", "md5"), ("SHA1", "sha1"), ("Blake2", "blake2")])
def test_crypto_03_hash_unsupported(lua_fails, alg, shown):
    assert lua_fails('crypto.hash("x", "%s")' % alg) == \
        "crypto.hash: unsupported algorithm: %s (supported: %s)" % (shown, SUPPORTED)


def test_crypto_03_hash_argument_types(lua_fails):
    assert lua_fails("crypto.hash(nil)") == "crypto.hash: first argument must be a string"
    assert lua_fails("crypto.hash({})") == "crypto.hash: first argument must be a string"
    assert lua_fails('crypto.hash("x", 5)') == \
        "crypto.hash: second argument must be an algorithm string or nil"


# --- hmac -------------------------------------------------------------------

def test_crypto_04_hmac_rfc4231_vectors(lua):
    assert lua('return crypto.hmac("Jefe", "what do ya want for nothing?", "sha256")') == \
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert lua('return crypto.hmac("Jefe", "what do ya want for nothing?", "sha512")') == (
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a"
        "6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")
    assert lua('return crypto.hmac("Jefe", "what do ya want for nothing?")') == \
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_crypto_04_hmac_binary_key_and_data(lua):
    # RFC 4231 test case 1: key = 20 × 0x0b
    assert lua(r'return crypto.hmac(string.rep("\x0b", 20), "Hi There", "SHA256")') == \
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    expected = hmac.new(b"\xff\x00k", b"\x80\x00d", hashlib.sha3_384).hexdigest()
    assert lua(r'return crypto.hmac("\255\0k", "\128\0d", "sha3-384")') == expected


def test_crypto_05_hmac_raw_key_chaining(lua):
    code = r"""
      local k = crypto.hmac("AWS4secret", "20150830", nil, true)
      k = crypto.hmac(k, "us-east-1", "sha256", true)
      k = crypto.hmac(k, "iam", "sha256", true)
      k = crypto.hmac(k, "aws4_request", "sha256", true)
      local hex = k:gsub(".", function(c) return string.format("%02x", c:byte()) end)
      return #k, hex, crypto.hmac(k, "msg")
    """
    length, hex_key, final = lua(code)
    key = b"AWS4secret"
    for part in (b"20150830", b"us-east-1", b"iam", b"aws4_request"):
        key = hmac.new(key, part, hashlib.sha256).digest()
    assert length == 32
    assert hex_key == key.hex()
    assert final == hmac.new(key, b"msg", hashlib.sha256).hexdigest()


def test_crypto_05_hmac_raw_false_is_hex(lua):
    assert lua('return crypto.hmac("key", "", "sha256", false)') == \
        "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"


def test_crypto_06_hmac_unsupported_and_type_errors(lua_fails):
    assert lua_fails('crypto.hmac("k", "d", "MD5")') == \
        "crypto.hmac: unsupported algorithm: md5 (supported: %s)" % SUPPORTED
    assert lua_fails('crypto.hmac(nil, "d")') == "crypto.hmac: first argument must be a string (key)"
    assert lua_fails('crypto.hmac("k", 5)') == "crypto.hmac: second argument must be a string (data)"
    assert lua_fails('crypto.hmac("k", "d", true)') == \
        "crypto.hmac: third argument must be an algorithm string or nil"
    assert lua_fails('crypto.hmac("k", "d", nil, "yes")') == \
        "crypto.hmac: fourth argument must be a boolean or nil"


def test_crypto_07_hmac_empty_data(lua):
    assert lua('return crypto.hmac("key", "")') == \
        "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"


# --- random -----------------------------------------------------------------

def test_crypto_08_random_default_and_length(lua):
    a, b, c, d = lua("return crypto.random(), crypto.random(), crypto.random(7), crypto.random(1000)")
    assert re.fullmatch(r"[A-Za-z0-9]{32}", a) and re.fullmatch(r"[A-Za-z0-9]{32}", b)
    assert a != b
    assert re.fullmatch(r"[A-Za-z0-9]{7}", c)
    assert re.fullmatch(r"[A-Za-z0-9]{1000}", d)
    # 62 symbols, not hex: 1000 draws practically always include a non-hex character
    assert set(d) - set("0123456789abcdef")


def test_crypto_08_random_integral_float_accepted(lua):
    assert len(lua("return crypto.random(16.0)")) == 16


def test_crypto_08_random_uses_whole_alphabet(lua):
    sample = lua("return crypto.random(20000)")
    assert set(sample) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def test_crypto_09_random_non_positive(lua_fails):
    assert lua_fails("crypto.random(0)") == "crypto.random: length must be positive, got 0"
    assert lua_fails("crypto.random(-1)") == "crypto.random: length must be positive, got -1"


def test_crypto_09_random_bad_types(lua_fails):
    for arg in ('"16"', "1.5", "true", "{}"):
        assert lua_fails("crypto.random(%s)" % arg) == \
            "crypto.random: first argument must be a positive integer or nil"


# --- jwt_sign ---------------------------------------------------------------

def test_crypto_10_jwt_sign_rs256_verifies(lua, pkcs8, public_pem):
    token = lua('return crypto.jwt_sign({sub="alice", n=1}, %s)' % lstr(pkcs8))
    decoded = pyjwt.decode(token, public_pem, algorithms=["RS256"])
    assert decoded == {"sub": "alice", "n": 1}
    assert "=" not in token and token.count(".") == 2


def test_crypto_10_jwt_sign_byte_identical(lua, rsa_key, pkcs8, pkcs1):
    """Header in the original's order, claims compact with sorted keys, PKCS#1 v1.5."""
    claims_json = '{"a":[1,2.5,true],"iss":"x","n":[],"nested":{"z":"é"}}'
    expected = expected_rs_token(rsa_key, '{"typ":"JWT","alg":"RS256"}', claims_json, hashes.SHA256)
    code = 'return crypto.jwt_sign({iss="x", nested={z="é"}, n={}, a={1, 2.5, true}}, %s)'
    assert lua(code % lstr(pkcs8)) == expected
    assert lua(code % lstr(pkcs1)) == expected  # PKCS#1 and PKCS#8 give the same token


def test_crypto_10_jwt_sign_empty_claims_is_object(lua, rsa_key, pkcs8):
    token = lua("return crypto.jwt_sign({}, %s)" % lstr(pkcs8))
    assert token.split(".")[1] == b64url(b"{}")
    assert token == expected_rs_token(rsa_key, '{"typ":"JWT","alg":"RS256"}', "{}", hashes.SHA256)


def test_crypto_10_jwt_sign_adds_no_claims(lua, pkcs8, public_pem):
    token = lua('return crypto.jwt_sign({only="me"}, %s)' % lstr(pkcs8))
    assert pyjwt.decode(token, public_pem, algorithms=["RS256"]) == {"only": "me"}


@pytest.mark.parametrize("alg, given, hash_cls", [("RS384", "rs384", hashes.SHA384),
                                                  ("RS512", "Rs512", hashes.SHA512),
                                                  ("RS256", "rs256", hashes.SHA256)])
def test_crypto_11_jwt_sign_rs_variants(lua, rsa_key, pkcs8, public_pem, alg, given, hash_cls):
    token = lua('return crypto.jwt_sign({x=1}, %s, "%s")' % (lstr(pkcs8), given))
    assert pyjwt.decode(token, public_pem, algorithms=[alg]) == {"x": 1}
    assert token == expected_rs_token(rsa_key, '{"typ":"JWT","alg":"%s"}' % alg, '{"x":1}', hash_cls)


@pytest.mark.parametrize("alg", ["ps256", "none", "ES512", "RS1024", "hs128"])
def test_crypto_11_jwt_sign_rejects_other_algorithms(lua_fails, pkcs8, alg):
    assert lua_fails('crypto.jwt_sign({x=1}, %s, "%s")' % (lstr(pkcs8), alg)) == \
        "crypto.jwt_sign: unsupported algorithm: %s" % alg.upper()


def test_crypto_12_jwt_sign_kid_header(lua, rsa_key, pkcs8, public_pem):
    token = lua('return crypto.jwt_sign({x=1}, %s, "RS256", {kid="key-1", other="ignored"})' % lstr(pkcs8))
    header = token.split(".")[0]
    assert base64.urlsafe_b64decode(header + "==") == b'{"typ":"JWT","alg":"RS256","kid":"key-1"}'
    assert pyjwt.get_unverified_header(token) == {"typ": "JWT", "alg": "RS256", "kid": "key-1"}
    assert token == expected_rs_token(rsa_key, '{"typ":"JWT","alg":"RS256","kid":"key-1"}',
                                      '{"x":1}', hashes.SHA256)
    assert pyjwt.decode(token, public_pem, algorithms=["RS256"]) == {"x": 1}


def test_crypto_12_jwt_sign_header_without_kid(lua, pkcs8):
    token = lua('return crypto.jwt_sign({x=1}, %s, nil, {})' % lstr(pkcs8))
    assert base64.urlsafe_b64decode(token.split(".")[0] + "==") == b'{"typ":"JWT","alg":"RS256"}'


def test_crypto_13_jwt_sign_bad_key(lua_fails, rsa_key, public_pem):
    prefix = "crypto.jwt_sign: invalid PEM key: "
    for key in ("not a pem", "-----BEGIN PRIVATE KEY-----\nYWJjZA==\n-----END PRIVATE KEY-----\n",
                public_pem):
        message = lua_fails("crypto.jwt_sign({x=1}, %s)" % lstr(key))
        assert message.startswith(prefix) and len(message) > len(prefix) and "\n" not in message
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    assert lua_fails("crypto.jwt_sign({x=1}, %s)" % lstr(ec_pem)).startswith(prefix)


def test_crypto_14_jwt_sign_argument_errors(lua_fails, pkcs8):
    key = lstr(pkcs8)
    assert lua_fails('crypto.jwt_sign("x", %s)' % key) == \
        "crypto.jwt_sign: first argument must be a claims table"
    assert lua_fails("crypto.jwt_sign(nil, %s)" % key) == \
        "crypto.jwt_sign: first argument must be a claims table"
    assert lua_fails("crypto.jwt_sign({})") == "crypto.jwt_sign: second argument must be a PEM key string"
    assert lua_fails("crypto.jwt_sign({}, {})") == "crypto.jwt_sign: second argument must be a PEM key string"
    assert lua_fails("crypto.jwt_sign({}, %s, 256)" % key) == \
        "crypto.jwt_sign: third argument must be an algorithm string or nil"
    assert lua_fails('crypto.jwt_sign({}, %s, "RS256", "kid")' % key) == \
        "crypto.jwt_sign: fourth argument must be an options table or nil"


# --- jwt_decode -------------------------------------------------------------

def test_crypto_15_jwt_decode_without_verification(lua):
    header = b64url(b'{"alg":"HS256","typ":"JWT","kid":"k"}')
    payload = b64url(b'{"sub":"1234567890","name":"John","iat":1516239022,"f":1.0,"l":[1,null,3]}')
    for signature in ("bogus-signature", ""):
        token = "%s.%s.%s" % (header, payload, signature)
        code = ('local d = crypto.jwt_decode("%s") '
                'return d.header, d.claims.sub, d.claims.name, math.type(d.claims.iat), '
                'math.type(d.claims.f), d.claims.l[3], d.claims.l[2] == nil' % token)
        h, sub, name, iat_type, f_type, third, hole = lua(code)
        assert h == {"alg": "HS256", "typ": "JWT", "kid": "k"}
        assert (sub, name, iat_type, f_type, third, hole) == \
            ("1234567890", "John", "integer", "float", 3, True)


def test_crypto_15_jwt_decode_non_object_claims(lua):
    token = "%s.%s.x" % (b64url(b'{"alg":"none"}'), b64url(b'[1,"two"]'))
    assert lua('return crypto.jwt_decode("%s").claims' % token) == [1, "two"]


def test_crypto_16_jwt_decode_segment_count(lua_fails):
    message = ("crypto.jwt_decode: token must have three '.'-separated segments "
               "(header.payload.signature)")
    for token in ("abc", "a.b", "a.b.c.d", ""):
        assert lua_fails('crypto.jwt_decode("%s")' % token) == message


def test_crypto_17_jwt_decode_bad_base64url(lua_fails):
    good = b64url(b'{"a":1}')
    for part, token in (("header", "a=.%s.x" % good), ("header", "a+b/.%s.x" % good),
                        ("payload", "%s.eyJ=.x" % good), ("payload", "%s.a.x" % good)):
        message = lua_fails('crypto.jwt_decode("%s")' % token)
        assert message.startswith("crypto.jwt_decode: %s: invalid base64url: " % part), message


def test_crypto_17_jwt_decode_bad_json(lua_fails):
    good = b64url(b'{"a":1}')
    assert lua_fails('crypto.jwt_decode("%s.%s.x")' % (b64url(b"not json"), good)) \
        .startswith("crypto.jwt_decode: header: invalid JSON: ")
    assert lua_fails('crypto.jwt_decode("%s.%s.x")' % (good, b64url(b'{"a":'))) \
        .startswith("crypto.jwt_decode: payload: invalid JSON: ")
    assert lua_fails('crypto.jwt_decode("%s.%s.x")' % (good, b64url(b'{"a":NaN}'))) \
        .startswith("crypto.jwt_decode: payload: invalid JSON: ")


# --- round trip -------------------------------------------------------------

def test_crypto_18_sign_decode_round_trip(lua, pkcs1):
    code = """
      local token = crypto.jwt_sign({sub="bob", roles={"a","b"}, exp=1700000000, ratio=0.5},
                                    %s, "rs512", {kid="rotated-7"})
      local d = crypto.jwt_decode(token)
      return d.header.alg, d.header.typ, d.header.kid, d.claims
    """ % lstr(pkcs1)
    alg, typ, kid, claims = lua(code)
    assert (alg, typ, kid) == ("RS512", "JWT", "rotated-7")
    assert claims == {"sub": "bob", "roles": ["a", "b"], "exp": 1700000000, "ratio": 0.5}


# --- superset: HS*/ES* signing, jwt_verify (issue 6) ------------------------

@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_crypto_superset_jwt_sign_hs(lua, alg):
    token = lua('return crypto.jwt_sign({u=1}, "s3cret", "%s", {kid="h"})' % alg.lower())
    assert pyjwt.decode(token, "s3cret", algorithms=[alg]) == {"u": 1}
    assert pyjwt.get_unverified_header(token) == {"typ": "JWT", "alg": alg, "kid": "h"}
    signing_input = token.rsplit(".", 1)[0]
    digest = hmac.new(b"s3cret", signing_input.encode(), getattr(hashlib, "sha" + alg[2:])).digest()
    assert token.rsplit(".", 1)[1] == b64url(digest)


@pytest.mark.parametrize("alg, curve", [("ES256", ec.SECP256R1()), ("ES384", ec.SECP384R1())])
def test_crypto_superset_jwt_sign_es(lua, lua_fails, alg, curve):
    key = ec.generate_private_key(curve)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    token = lua('return crypto.jwt_sign({u="e"}, %s, "%s")' % (lstr(pem), alg))
    assert pyjwt.decode(token, key.public_key(), algorithms=[alg]) == {"u": "e"}
    wrong_curve = "ES384" if alg == "ES256" else "ES256"
    assert lua_fails('crypto.jwt_sign({}, %s, "%s")' % (lstr(pem), wrong_curve)) \
        .startswith("crypto.jwt_sign: invalid PEM key: ")


def test_crypto_superset_jwt_sign_extra_header(lua):
    token = lua('return crypto.jwt_sign({}, "k", "HS256", {kid="a", header={cty="x", alg="no"}})')
    assert base64.urlsafe_b64decode(token.split(".")[0] + "==") == \
        b'{"typ":"JWT","alg":"HS256","kid":"a","cty":"x"}'


def test_crypto_jwt_verify_rs256(lua, rsa_key, public_pem):
    token = pyjwt.encode({"sub": "v", "n": 3}, rsa_key, algorithm="RS256")
    claims = lua('return crypto.jwt_verify("%s", %s, "RS256")' % (token, lstr(public_pem)))
    assert claims == {"sub": "v", "n": 3}
    # default algorithm is RS256; a private key or its PEM also verifies
    assert lua('return crypto.jwt_verify("%s", %s).n' % (token, lstr(public_pem))) == 3


def test_crypto_jwt_verify_own_tokens(lua, pkcs8, public_pem):
    code = """
      local rs = crypto.jwt_sign({a=1}, %s, "RS384")
      local hs = crypto.jwt_sign({b=2}, "secret", "HS512")
      return crypto.jwt_verify(rs, %s, "rs384").a, crypto.jwt_verify(hs, "secret", "HS512").b
    """ % (lstr(pkcs8), lstr(public_pem))
    assert lua(code) == (1, 2)


def test_crypto_jwt_verify_failures(lua_fails, rsa_key, public_pem):
    token = pyjwt.encode({"sub": "v"}, rsa_key, algorithm="RS256")
    head, body, sig = token.split(".")
    forged = "%s.%s.%s" % (head, b64url(b'{"sub":"admin"}'), sig)
    assert lua_fails('crypto.jwt_verify("%s", %s, "RS256")' % (forged, lstr(public_pem))) == \
        "crypto.jwt_verify: invalid signature"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert lua_fails('crypto.jwt_verify("%s", %s)' % (token, lstr(other))) == \
        "crypto.jwt_verify: invalid signature"
    # algorithm confusion: an HS256 token signed with the public key text must not pass as RS256
    hs = pyjwt.encode({"sub": "x"}, "shared", algorithm="HS256")
    assert lua_fails('crypto.jwt_verify("%s", %s, "RS256")' % (hs, lstr(public_pem))) == \
        "crypto.jwt_verify: algorithm mismatch: token uses HS256, expected RS256"
    assert lua_fails('crypto.jwt_verify("%s", "wrong", "HS256")' % hs) == \
        "crypto.jwt_verify: invalid signature"
    assert lua_fails('crypto.jwt_verify("a.b", "k", "HS256")') == (
        "crypto.jwt_verify: token must have three '.'-separated segments (header.payload.signature)")
    assert lua_fails('crypto.jwt_verify("%s", "k", "PS256")' % hs) == \
        "crypto.jwt_verify: unsupported algorithm: PS256"
    assert lua_fails('crypto.jwt_verify("%s", "garbage", "RS256")' % token) \
        .startswith("crypto.jwt_verify: invalid PEM key: ")


def test_crypto_jwt_verify_expiry(lua, lua_fails):
    expired = pyjwt.encode({"exp": int(time.time()) - 100}, "k", algorithm="HS256")
    assert lua_fails('crypto.jwt_verify("%s", "k", "HS256")' % expired) == "crypto.jwt_verify: token expired"
    assert lua('return crypto.jwt_verify("%s", "k", "HS256", {leeway=1000}).exp' % expired) == \
        json.loads(base64.urlsafe_b64decode(expired.split(".")[1] + "=="))["exp"]
    future = pyjwt.encode({"nbf": int(time.time()) + 1000}, "k", algorithm="HS256")
    assert lua_fails('crypto.jwt_verify("%s", "k", "HS256")' % future) == \
        "crypto.jwt_verify: token not yet valid (nbf)"
    assert lua('return type(crypto.jwt_verify("%s", "k", "HS256", {verify_exp=false}))' % future) == "table"
