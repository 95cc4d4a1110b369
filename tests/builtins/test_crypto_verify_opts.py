"""crypto.jwt_verify's options shape (PEM or JWKS, aud/iss/exp/nbf/leeway) and crypto.hash_file.

Tokens and JWKs are made with PyJWT + cryptography, independently of assay.
"""
import hashlib
import json
import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from test_crypto import lstr, public_pem, rsa_key  # noqa: F401 (fixtures shared with the crypto tests)

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


@pytest.fixture(scope="module")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks(rsa_key, other_key):
    """A JWKS as an issuer publishes it: two RSA keys with kid and alg."""
    keys = []
    for kid, key in (("old", other_key), ("current", rsa_key)):
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid=kid, alg="RS256", use="sig")
        keys.append(jwk)
    return json.dumps({"keys": keys})


def token(key, claims, kid=None, alg="RS256"):
    headers = {"kid": kid} if kid else None
    return pyjwt.encode(claims, key, algorithm=alg, headers=headers)


def future(seconds=600):
    return int(time.time()) + seconds


# ---------------------------------------------------------------- options shape with a PEM

def test_options_shape_returns_header_and_claims(lua, rsa_key, public_pem):
    t = token(rsa_key, {"sub": "svc", "exp": future()}, kid="k1")
    got = lua('local r = crypto.jwt_verify("%s", %s, {}) return r.header.kid, r.header.alg, r.claims.sub'
              % (t, lstr(public_pem)))
    assert got == ("k1", "RS256", "svc")


def test_options_shape_requires_exp_unless_told_otherwise(lua, lua_fails, rsa_key, public_pem):
    t = token(rsa_key, {"sub": "svc"})
    assert lua_fails('crypto.jwt_verify("%s", %s, {})' % (t, lstr(public_pem))) == \
        "crypto.jwt_verify: missing required claim: exp"
    assert lua('return crypto.jwt_verify("%s", %s, {required_claims = {}}).claims.sub'
               % (t, lstr(public_pem))) == "svc"


def test_audience_string_or_list(lua, lua_fails, rsa_key, public_pem):
    t = token(rsa_key, {"aud": ["api", "web"], "exp": future()})
    assert lua('return crypto.jwt_verify("%s", %s, {audience = "web"}).claims.aud[1]'
               % (t, lstr(public_pem))) == "api"
    assert lua('return crypto.jwt_verify("%s", %s, {audience = {"cli", "api"}}) ~= nil'
               % (t, lstr(public_pem))) is True
    assert lua_fails('crypto.jwt_verify("%s", %s, {audience = "billing"})' % (t, lstr(public_pem))) == \
        "crypto.jwt_verify: invalid audience"
    no_aud = token(rsa_key, {"exp": future()})
    assert lua_fails('crypto.jwt_verify("%s", %s, {audience = "api"})' % (no_aud, lstr(public_pem))) == \
        "crypto.jwt_verify: missing required claim: aud"


def test_issuer(lua, lua_fails, rsa_key, public_pem):
    t = token(rsa_key, {"iss": "https://idp.example", "exp": future()})
    assert lua('return crypto.jwt_verify("%s", %s, {issuer = "https://idp.example"}).claims.iss'
               % (t, lstr(public_pem))) == "https://idp.example"
    assert lua_fails('crypto.jwt_verify("%s", %s, {issuer = {"https://other"}})' % (t, lstr(public_pem))) == \
        "crypto.jwt_verify: invalid issuer"


def test_exp_nbf_and_leeway(lua, lua_fails, rsa_key, public_pem):
    expired = token(rsa_key, {"exp": int(time.time()) - 100})
    assert lua_fails('crypto.jwt_verify("%s", %s, {})' % (expired, lstr(public_pem))) == \
        "crypto.jwt_verify: token expired"
    assert lua('return crypto.jwt_verify("%s", %s, {leeway = 1000}).claims.exp > 0'
               % (expired, lstr(public_pem))) is True
    assert lua('return crypto.jwt_verify("%s", %s, {validate_exp = false}) ~= nil'
               % (expired, lstr(public_pem))) is True
    early = token(rsa_key, {"nbf": future(500), "exp": future(1000)})
    assert lua_fails('crypto.jwt_verify("%s", %s, {})' % (early, lstr(public_pem))) == \
        "crypto.jwt_verify: token not yet valid (nbf)"
    assert lua('return crypto.jwt_verify("%s", %s, {validate_nbf = false}) ~= nil'
               % (early, lstr(public_pem))) is True


def test_algorithm_option_and_mismatch(lua, lua_fails):
    t = token("a-long-enough-shared-secret-value", {"exp": future()}, alg="HS384")
    assert lua('return crypto.jwt_verify("%s", "a-long-enough-shared-secret-value", {algorithm = "HS384"})'
               '.header.alg' % t) == "HS384"
    assert lua_fails('crypto.jwt_verify("%s", "a-long-enough-shared-secret-value", {})' % t) == \
        "crypto.jwt_verify: algorithm mismatch: token uses HS384, expected RS256"


def test_option_type_errors(lua_fails, rsa_key, public_pem):
    t = token(rsa_key, {"exp": future()})
    assert lua_fails('crypto.jwt_verify("%s", %s, {audience = 5})' % (t, lstr(public_pem))) == \
        "crypto.jwt_verify: opts.audience must be a string or an array of strings"
    assert lua_fails('crypto.jwt_verify("%s", %s, {validate_exp = "no"})' % (t, lstr(public_pem))) == \
        "crypto.jwt_verify: opts.validate_exp must be a boolean"
    assert lua_fails('crypto.jwt_verify("%s", %s, {}, {})' % (t, lstr(public_pem))) == \
        "crypto.jwt_verify: with an options table as third argument there is no fourth"


# ---------------------------------------------------------------- JWKS

def test_jwks_key_picked_by_kid(lua, rsa_key, other_key, jwks):
    current = token(rsa_key, {"sub": "a", "exp": future()}, kid="current")
    old = token(other_key, {"sub": "b", "exp": future()}, kid="old")
    got = lua('local jwks = json.parse(%s) '
              'return crypto.jwt_verify("%s", jwks).claims.sub, crypto.jwt_verify("%s", jwks, {}).claims.sub'
              % (lstr(jwks), current, old))
    assert got == ("a", "b")


def test_jwks_signature_from_the_wrong_key_fails(lua_fails, other_key, jwks):
    forged = token(other_key, {"exp": future()}, kid="current")
    assert lua_fails('crypto.jwt_verify("%s", json.parse(%s))' % (forged, lstr(jwks))) == \
        "crypto.jwt_verify: invalid signature"


def test_jwks_unknown_or_missing_kid(lua_fails, rsa_key, jwks):
    unknown = token(rsa_key, {"exp": future()}, kid="rotated-away")
    assert lua_fails('crypto.jwt_verify("%s", json.parse(%s))' % (unknown, lstr(jwks))) == \
        "crypto.jwt_verify: no key in the JWKS matches kid 'rotated-away'"
    no_kid = token(rsa_key, {"exp": future()})
    assert lua_fails('crypto.jwt_verify("%s", json.parse(%s))' % (no_kid, lstr(jwks))) == \
        "crypto.jwt_verify: token header has no kid (needed to pick a key from the JWKS)"


def test_jwks_refuses_hs_token_against_rsa_key(lua_fails, jwks):
    confused = token("secret-secret-secret-secret-secret", {"exp": future()}, kid="current", alg="HS256")
    assert lua_fails('crypto.jwt_verify("%s", json.parse(%s))' % (confused, lstr(jwks))) == \
        "crypto.jwt_verify: algorithm mismatch: token uses HS256, expected RS256"


def test_malformed_jwks_names_the_field(lua_fails, rsa_key):
    t = token(rsa_key, {"exp": future()}, kid="k")
    assert lua_fails('crypto.jwt_verify("%s", {})' % t) == \
        "crypto.jwt_verify: invalid JWKS: keys must be an array of JWK tables"
    assert lua_fails('crypto.jwt_verify("%s", {keys = {{kid = "k", kty = "RSA", e = "AQAB"}}})' % t) == \
        "crypto.jwt_verify: invalid JWKS: keys[1].n must be a non-empty string"
    assert lua_fails('crypto.jwt_verify("%s", {keys = {{kid = "k", kty = "RSA", n = "!!", e = "AQAB"}}})' % t) \
        .startswith("crypto.jwt_verify: invalid JWKS: keys[1].n: invalid base64url")
    assert lua_fails('crypto.jwt_verify("%s", {keys = {{kid = "k", kty = "OKP"}}})' % t) == \
        "crypto.jwt_verify: invalid JWKS: keys[1].kty 'OKP' is not supported (RSA, EC, oct)"


def test_jwks_ec_key(lua):
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    jwk["kid"] = "e1"
    t = token(key, {"sub": "ec", "exp": future()}, kid="e1", alg="ES256")
    assert lua('return crypto.jwt_verify("%s", {keys = {json.parse(%s)}}).claims.sub'
               % (t, lstr(json.dumps(jwk)))) == "ec"


# ---------------------------------------------------------------- older shape keeps working

def test_algorithm_string_shape_still_returns_the_claims(lua, rsa_key, public_pem):
    t = token(rsa_key, {"sub": "x"}, kid="k9")
    got = lua('local c = crypto.jwt_verify("%s", %s, "RS256") '
              'local keys = {} for k in pairs(c) do keys[#keys + 1] = k end '
              'return c.sub, #keys, c.claims.sub, c.header.kid' % (t, lstr(public_pem)))
    # the claims themselves; `.claims` / `.header` also answer for scripts written for {header, claims}
    assert got == ("x", 1, "x", "k9")


# ---------------------------------------------------------------- hash_file

def test_hash_file_default_sha256_and_other_algorithms(lua, tmp_path):
    f = tmp_path / "release.tar.gz"
    data = bytes(range(256)) * 20000  # several read chunks
    f.write_bytes(data)
    assert lua('return crypto.hash_file("%s")' % f) == hashlib.sha256(data).hexdigest()
    assert lua('return crypto.hash_file("%s", "sha512")' % f) == hashlib.sha512(data).hexdigest()
    assert lua('return crypto.hash_file("%s", "SHA3-256")' % f) == hashlib.sha3_256(data).hexdigest()
    assert lua('return crypto.hash_file("%s") == crypto.hash(fs.read("%s"))' % (f, f)) is True


def test_hash_file_errors(lua_fails, tmp_path):
    missing = tmp_path / "gone.bin"
    assert lua_fails('crypto.hash_file("%s")' % missing) == \
        'crypto.hash_file: failed to read "%s": No such file or directory (os error 2)' % missing
    assert lua_fails("crypto.hash_file(nil)") == "crypto.hash_file: path must be a string, got nil"
    (tmp_path / "f").write_bytes(b"x")
    assert lua_fails('crypto.hash_file("%s", "md5")' % (tmp_path / "f")).startswith(
        "crypto.hash_file: unsupported algorithm: md5 (supported: sha224")
