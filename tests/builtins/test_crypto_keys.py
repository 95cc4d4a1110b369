"""crypto.jwt_sign / jwt_verify key handling (RSA and EC keys through pycryptodome).

Known answers come from RFC 7515 (appendix A.2: RS256, A.3: ES256), whose tokens were
signed by other implementations. Keys, certificates and PEM files in other formats are
written with the `cryptography` package, which assay itself no longer uses, so each
check compares against an independent implementation.
"""
import base64
import datetime
import json

import jwt as pyjwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from test_crypto import lstr

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

PEM = serialization.Encoding.PEM
PKCS8 = serialization.PrivateFormat.PKCS8
TRADITIONAL = serialization.PrivateFormat.TraditionalOpenSSL
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
PLAIN = serialization.NoEncryption()


def b64int(text):
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


# RFC 7515 appendix A.2 (RS256) and A.3 (ES256): the same payload, exp 1300819380
RFC_PAYLOAD = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
A2_TOKEN = ("eyJhbGciOiJSUzI1NiJ9." + RFC_PAYLOAD + "."
            "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
            "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
            "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO"
            "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw")
A2_N = ("ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4"
         "d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5re"
         "xMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxX"
         "FvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ")
A3_TOKEN = ("eyJhbGciOiJFUzI1NiJ9." + RFC_PAYLOAD + "."
            "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q")
A3_X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
A3_Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
A3_D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
NO_EXP = "{verify_exp = false}"


@pytest.fixture(scope="module")
def a2_public():
    return rsa.RSAPublicNumbers(65537, b64int(A2_N)).public_key()


@pytest.fixture(scope="module")
def a3_private():
    public = ec.EllipticCurvePublicNumbers(b64int(A3_X), b64int(A3_Y), ec.SECP256R1())
    return ec.EllipticCurvePrivateNumbers(b64int(A3_D), public).private_key()


def certificate(key, signer=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "assay-test")])
    start = datetime.datetime(2024, 1, 1)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .sign(signer or key, hashes.SHA256()).public_bytes(PEM).decode())


def flipped(token):
    """`token` with one bit of its signature changed."""
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[5] ^= 1
    return "%s.%s.%s" % (head, body, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode())


def es256_token():
    """A token whose header asks for ES256 (its signature is never reached)."""
    hs = pyjwt.encode({}, "k", algorithm="HS256")
    return base64.urlsafe_b64encode(b'{"alg":"ES256"}').rstrip(b"=").decode() + hs[hs.index("."):]


def verify(token, key, alg):
    return 'return crypto.jwt_verify("%s", %s, "%s", %s).iss' % (token, lstr(key), alg, NO_EXP)


# ---------------------------------------------------------------- RFC 7515 known answers

def test_rfc7515_rs256_token_verifies_with_spki_and_pkcs1_public_keys(lua, lua_fails, a2_public):
    for fmt in (SPKI, serialization.PublicFormat.PKCS1):
        pem = a2_public.public_bytes(PEM, fmt).decode()
        assert lua(verify(A2_TOKEN, pem, "RS256")) == "joe"
        assert lua_fails('crypto.jwt_verify("%s", %s, "RS256", %s)' % (flipped(A2_TOKEN), lstr(pem), NO_EXP)) == \
            "crypto.jwt_verify: invalid signature"


def test_rfc7515_es256_token_verifies(lua, lua_fails, a3_private):
    public_pem = a3_private.public_key().public_bytes(PEM, SPKI).decode()
    assert lua(verify(A3_TOKEN, public_pem, "ES256")) == "joe"
    # the private key in both PEM forms (SEC1 and PKCS#8) verifies with its public half
    for fmt in (TRADITIONAL, PKCS8):
        pem = a3_private.private_bytes(PEM, fmt, PLAIN).decode()
        assert lua(verify(A3_TOKEN, pem, "ES256")) == "joe"
    assert lua_fails('crypto.jwt_verify("%s", %s, "ES256", %s)' % (flipped(A3_TOKEN), lstr(public_pem), NO_EXP)) == \
        "crypto.jwt_verify: invalid signature"


@pytest.mark.parametrize("fmt", [TRADITIONAL, PKCS8], ids=["sec1", "pkcs8"])
def test_es256_signing_with_the_rfc_key_verifies_elsewhere(lua, a3_private, fmt):
    pem = a3_private.private_bytes(PEM, fmt, PLAIN).decode()
    assert ("BEGIN EC PRIVATE KEY" in pem) == (fmt is TRADITIONAL)
    token = lua('return crypto.jwt_sign({sub="ec"}, %s, "ES256", {kid="rfc"})' % lstr(pem))
    assert pyjwt.decode(token, a3_private.public_key(), algorithms=["ES256"]) == {"sub": "ec"}
    jwks = json.dumps({"keys": [{"kty": "EC", "kid": "rfc", "crv": "P-256", "x": A3_X, "y": A3_Y}]})
    assert lua('return crypto.jwt_verify("%s", json.parse(%s), {required_claims = {}}).claims.sub'
               % (token, lstr(jwks))) == "ec"


# ---------------------------------------------------------------- other implementations' signatures

@pytest.mark.parametrize("alg, curve", [("ES256", ec.SECP256R1()), ("ES384", ec.SECP384R1())])
def test_es_tokens_from_pyjwt_verify_with_pem_and_certificate(lua, lua_fails, alg, curve):
    key = ec.generate_private_key(curve)
    token = pyjwt.encode({"iss": "other"}, key, algorithm=alg)
    for pem in (key.public_key().public_bytes(PEM, SPKI).decode(), certificate(key),
                key.private_bytes(PEM, TRADITIONAL, PLAIN).decode()):
        assert lua(verify(token, pem, alg)) == "other"
    other = ec.generate_private_key(curve).public_key().public_bytes(PEM, SPKI).decode()
    assert lua_fails('crypto.jwt_verify("%s", %s, "%s")' % (token, lstr(other), alg)) == \
        "crypto.jwt_verify: invalid signature"


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_rs_token_verifies_with_a_certificate_chain(lua, alg):
    key = rsa.generate_private_key(65537, 2048)
    issuer = ec.generate_private_key(ec.SECP256R1())
    token = pyjwt.encode({"iss": "cert"}, key, algorithm=alg)
    chain = certificate(key, signer=issuer) + certificate(issuer)  # the first certificate is used
    assert lua(verify(token, chain, alg)) == "cert"


def test_rs_signature_is_byte_identical_for_every_pem_layout(lua, a2_public):
    key = rsa.generate_private_key(65537, 2048)
    pem = key.private_bytes(PEM, PKCS8, PLAIN).decode()
    expected = lua('return crypto.jwt_sign({a=1}, %s)' % lstr(pem))
    signing_input = expected.rsplit(".", 1)[0].encode()
    from cryptography.hazmat.primitives.asymmetric import padding
    reference = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    assert expected.rsplit(".", 1)[1] == base64.urlsafe_b64encode(reference).rstrip(b"=").decode()
    variants = ["note before the key\n" + pem, pem.replace("\n", "\r\n"),
                key.private_bytes(PEM, TRADITIONAL, PLAIN).decode(),
                key.public_key().public_bytes(PEM, SPKI).decode() + pem]
    for variant in variants:
        assert lua('return crypto.jwt_sign({a=1}, %s)' % lstr(variant)) == expected


# ---------------------------------------------------------------- error texts

def test_wrong_kind_of_key_is_named(lua_fails):
    ed = ed25519.Ed25519PrivateKey.generate()
    ed_private = ed.private_bytes(PEM, PKCS8, PLAIN).decode()
    ed_public = ed.public_key().public_bytes(PEM, SPKI).decode()
    assert lua_fails("crypto.jwt_sign({}, %s)" % lstr(ed_private)) == \
        "crypto.jwt_sign: invalid PEM key: RS256 needs an RSA key, got a Ed25519PrivateKey key"
    assert lua_fails('crypto.jwt_verify("%s", %s, "ES256")' % (es256_token(), lstr(ed_public))) == \
        "crypto.jwt_verify: invalid PEM key: ES256 needs an EC key, got a Ed25519PublicKey key"
    k1 = ec.generate_private_key(ec.SECP256K1()).private_bytes(PEM, TRADITIONAL, PLAIN).decode()
    assert lua_fails('crypto.jwt_sign({}, %s, "ES256")' % lstr(k1)) == \
        "crypto.jwt_sign: invalid PEM key: ES256 needs a P-256 key, got curve secp256k1"
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(PEM, PKCS8, PLAIN).decode()
    assert lua_fails('crypto.jwt_sign({}, %s, "ES256")' % lstr(p384)) == \
        "crypto.jwt_sign: invalid PEM key: ES256 needs a P-256 key, got curve secp384r1"
    assert lua_fails('crypto.jwt_sign({}, %s, "RS256")' % lstr(p384)) == \
        "crypto.jwt_sign: invalid PEM key: RS256 needs an RSA key, got a EC key"


def test_encrypted_keys_are_refused(lua_fails):
    key = rsa.generate_private_key(65537, 2048)
    for fmt in (PKCS8, TRADITIONAL):
        pem = key.private_bytes(PEM, fmt, serialization.BestAvailableEncryption(b"pw")).decode()
        assert lua_fails("crypto.jwt_sign({}, %s)" % lstr(pem)) == \
            "crypto.jwt_sign: invalid PEM key: Password was not given but private key is encrypted"


def test_pem_framing_errors(lua_fails, a2_public):
    prefix = "crypto.jwt_sign: invalid PEM key: "
    public = a2_public.public_bytes(PEM, SPKI).decode()
    cases = {
        "no PEM block found (expected -----BEGIN ... PRIVATE KEY-----)": "just text",
        "Valid PEM but no BEGIN/END delimiters for a private key found": public,
        "Unable to load PEM file: MalformedFraming": "-----BEGIN PRIVATE KEY-----\nAAAA\n",
        'Unable to load PEM file: MismatchedTags("PRIVATE KEY", "RSA PRIVATE KEY")':
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        "Unable to load PEM file: InvalidData(Invalid symbol 33, offset 0.)":
            "-----BEGIN PRIVATE KEY-----\n!AAA\n-----END PRIVATE KEY-----\n",
    }
    for detail, pem in cases.items():
        assert lua_fails("crypto.jwt_sign({}, %s)" % lstr(pem)) == prefix + detail
    garbage = "-----BEGIN PRIVATE KEY-----\nYWJjZA==\n-----END PRIVATE KEY-----\n"
    assert lua_fails("crypto.jwt_sign({}, %s)" % lstr(garbage)).startswith(
        prefix + "Could not deserialize key data: ASN.1 parsing error: ")
    hs = pyjwt.encode({}, "k", algorithm="HS256")
    rs = base64.urlsafe_b64encode(b'{"alg":"RS256"}').rstrip(b"=").decode() + hs[hs.index("."):]
    wrong_label = public.replace("PUBLIC KEY", "SOME KEY")
    assert lua_fails('crypto.jwt_verify("%s", %s)' % (rs, lstr(wrong_label))) == \
        "crypto.jwt_verify: invalid PEM key: Valid PEM but no BEGIN PUBLIC KEY/END PUBLIC KEY delimiters"


def test_jwk_numbers_are_checked(lua_fails):
    hs = pyjwt.encode({}, "k", algorithm="HS256", headers={"kid": "a"})
    head = {"RS256": base64.urlsafe_b64encode(b'{"alg":"RS256","kid":"a"}').rstrip(b"=").decode(),
            "ES256": base64.urlsafe_b64encode(b'{"alg":"ES256","kid":"a"}').rstrip(b"=").decode()}
    cases = [
        ({"kty": "RSA", "n": "AA", "e": "AQAB"}, "RS256", "n must be >= 3."),
        ({"kty": "RSA", "n": "AQAB", "e": "AQ"}, "RS256", "e must be >= 3 and < n."),
        ({"kty": "RSA", "n": "AQAB", "e": "AAQ"}, "RS256", "e must be odd."),
        ({"kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ"}, "ES256",
         "Invalid EC key. Point is not on the curve specified."),
        ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, "ES256",  # the point at infinity
         "Invalid EC key. Point is not on the curve specified."),
    ]
    for jwk, alg, detail in cases:
        jwk["kid"] = "a"
        token = head[alg] + hs[hs.index("."):]
        assert lua_fails('crypto.jwt_verify("%s", json.parse(%s))' % (token, lstr(json.dumps({"keys": [jwk]})))) == \
            "crypto.jwt_verify: invalid JWKS: keys[1]: " + detail
