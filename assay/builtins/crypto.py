"""`crypto`: hash, hmac, random, jwt_sign, jwt_decode, jwt_verify.

Hashes and HMACs come from the standard library; RSA and EC JWT signatures use
pycryptodome (`Crypto`), imported only when such a key is needed (PEM reading is in
`_pem_keys`). Tokens are assembled here byte by byte (header JSON in the original's
field order, claims as compact sorted JSON, unpadded base64url) so RS* tokens are
identical to the original's.
"""
from assay.runtime import args
from assay.runtime.convert import Multi
from assay.runtime.errors import BuiltinError
from . import lua_file

HASHES = ("sha224", "sha256", "sha384", "sha512", "sha3-224", "sha3-256", "sha3-384", "sha3-512")
_SUPPORTED = ", ".join(HASHES)

# JWS algorithm -> (family, hash name)
JWT_ALGORITHMS = {
    "RS256": ("RSA", "SHA256"), "RS384": ("RSA", "SHA384"), "RS512": ("RSA", "SHA512"),
    "HS256": ("HMAC", "sha256"), "HS384": ("HMAC", "sha384"), "HS512": ("HMAC", "sha512"),
    "ES256": ("EC", "SHA256"), "ES384": ("EC", "SHA384"),
}
# ES algorithm -> (curve name, bytes per signature half, JOSE curve name)
_EC_CURVES = {"ES256": ("secp256r1", 32, "P-256"), "ES384": ("secp384r1", 48, "P-384")}

_SEGMENTS = "token must have three '.'-separated segments (header.payload.signature)"

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# 248 = 4 × 62: random bytes below 248 map uniformly onto the alphabet, the rest are dropped
_RANDOM_MAP = bytes(_ALPHABET[i % 62] for i in range(248)) + bytes(8)
_RANDOM_DROP = bytes(range(248, 256))
_RANDOM_MAX = 64 << 20  # the Lua heap limit: longer strings could not exist anyway


# ---------------------------------------------------------------------------
# hash / hmac / random

def _hash_constructor(algorithm, who, position):
    import hashlib
    if algorithm is None:
        return hashlib.sha256
    if not isinstance(algorithm, bytes):
        raise BuiltinError("%s: %s argument must be an algorithm string or nil" % (who, position))
    name = algorithm.decode("utf-8", "replace").lower()
    if name not in HASHES:
        raise BuiltinError("%s: unsupported algorithm: %s (supported: %s)" % (who, name, _SUPPORTED))
    return getattr(hashlib, name.replace("-", "_"))


def hash_(data=None, algorithm=None):
    if not isinstance(data, bytes):
        raise BuiltinError("crypto.hash: first argument must be a string")
    constructor = _hash_constructor(algorithm, "crypto.hash", "second")
    return constructor(data).hexdigest()


def hmac_(key=None, data=None, algorithm=None, raw=None):
    import hmac
    if not isinstance(key, bytes):
        raise BuiltinError("crypto.hmac: first argument must be a string (key)")
    if not isinstance(data, bytes):
        raise BuiltinError("crypto.hmac: second argument must be a string (data)")
    constructor = _hash_constructor(algorithm, "crypto.hmac", "third")
    if raw is not None and not isinstance(raw, bool):
        raise BuiltinError("crypto.hmac: fourth argument must be a boolean or nil")
    mac = hmac.new(key, data, constructor)
    return mac.digest() if raw else mac.hexdigest()


def random(length=None):
    import secrets
    bad_type = "crypto.random: first argument must be a positive integer or nil"
    if length is None:
        n = 32
    elif isinstance(length, bool) or not isinstance(length, (int, float)):
        raise BuiltinError(bad_type)
    elif isinstance(length, float):
        if not length.is_integer():
            raise BuiltinError(bad_type)
        n = int(length)
    else:
        n = length
    if n <= 0:
        raise BuiltinError("crypto.random: length must be positive, got %d" % n)
    if n > _RANDOM_MAX:
        raise BuiltinError("crypto.random: length too large, got %d" % n)
    out = bytearray()
    while len(out) < n:
        missing = n - len(out)
        out += secrets.token_bytes(missing + missing // 16 + 8).translate(_RANDOM_MAP, _RANDOM_DROP)
    return bytes(out[:n])


# ---------------------------------------------------------------------------
# base64url and JSON pieces shared by the JWT functions

def b64url(raw):
    import base64
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


_B64URL_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_decode(segment):
    """Strict unpadded base64url; ValueError with a base64-crate-like detail."""
    for i, byte in enumerate(segment):
        if byte not in _B64URL_CHARS:
            if byte == 0x3D:  # '='
                raise ValueError("Invalid padding")
            raise ValueError("Invalid symbol %d, offset %d." % (byte, i))
    if len(segment) % 4 == 1:
        raise ValueError("Invalid input length.")
    import base64
    raw = base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    if b64url(raw) != segment:  # non-zero unused bits in the last symbol
        last = len(segment) - 1
        raise ValueError("Invalid last symbol %d, offset %d." % (segment[last], last))
    return raw


def _reject_constant(name):
    raise ValueError("%s is not valid JSON" % name)


def _parse_float(text):
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def parse_json(raw):
    """JSON bytes -> Python value ready for Lua (strings as bytes); ValueError on bad input."""
    import json
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError("invalid UTF-8: %s" % e) from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float)
    except json.JSONDecodeError as e:
        raise ValueError("%s at line %d column %d" % (e.msg, e.lineno, e.colno)) from None
    except RecursionError:
        raise ValueError("recursion limit exceeded") from None
    return _lua_ready(value)


def _lua_ready(value):
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("lone surrogate in string") from None
    if isinstance(value, list):
        return [_lua_ready(v) for v in value]
    if isinstance(value, dict):
        return {_lua_ready(k): _lua_ready(v) for k, v in value.items() if v is not None}
    return value


def _json_segment(segment, who, part):
    try:
        raw = b64url_decode(segment)
    except ValueError as e:
        raise BuiltinError("%s: %s: invalid base64url: %s" % (who, part, e)) from None
    try:
        return parse_json(raw)
    except ValueError as e:
        raise BuiltinError("%s: %s: invalid JSON: %s" % (who, part, e)) from None


def _split_token(token, who):
    parts = token.split(b".")
    if len(parts) != 3:
        raise BuiltinError("%s: %s" % (who, _SEGMENTS))
    return parts


def _one_line(text):
    return " ".join(str(text).split())


def _algorithm(value, who, default="RS256"):
    if value is None:
        return default
    if not isinstance(value, bytes):
        raise BuiltinError("%s: third argument must be an algorithm string or nil" % who)
    name = value.decode("utf-8", "replace").upper()
    if name not in JWT_ALGORITHMS:
        raise BuiltinError("%s: unsupported algorithm: %s" % (who, name))
    return name


def _text_option(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return args.lua_number_text(value).encode()
    return None


# ---------------------------------------------------------------------------
# keys

def _pem_detail(pem, error):
    if b"-----BEGIN" not in pem:
        return "no PEM block found (expected -----BEGIN ... PRIVATE KEY-----)"
    return _one_line(error)


def _check_key(key, alg, family, who):
    """`key`: a `_pem_keys.Key`; returns its pycryptodome key once kind and curve fit."""
    if key.kind != family:
        raise BuiltinError("%s: invalid PEM key: %s needs an %s key, got a %s key" % (who, alg, family, key.kind))
    if family == "EC":
        curve, _, label = _EC_CURVES[alg]
        if key.curve != curve:
            raise BuiltinError("%s: invalid PEM key: %s needs a %s key, got curve %s"
                               % (who, alg, label, key.curve))
    return key.key


def _private_key(pem, alg, family, who):
    from . import _pem_keys
    try:
        key = _pem_keys.private_key(pem)
    except ValueError as e:
        raise BuiltinError("%s: invalid PEM key: %s" % (who, _pem_detail(pem, e))) from None
    return _check_key(key, alg, family, who)


def _public_key(pem, alg, family, who):
    """A public key from a public-key PEM, a certificate, or a private key."""
    from . import _pem_keys
    try:
        key = _pem_keys.public_key(pem)
    except ValueError as e:
        raise BuiltinError("%s: invalid PEM key: %s" % (who, _pem_detail(pem, e))) from None
    return _check_key(key, alg, family, who)


def _hash(name, data):
    """A pycryptodome hash object of `data` (what its signature schemes take)."""
    from Crypto.Hash import SHA256, SHA384, SHA512  # named, so the executable's build sees them
    return {"SHA256": SHA256, "SHA384": SHA384, "SHA512": SHA512}[name].new(data)


# ---------------------------------------------------------------------------
# jwt_sign / jwt_decode / jwt_verify

def _header_json(alg, kid, extra):
    from json.encoder import encode_basestring
    from assay.runtime.jsontext import encode
    text = '{"typ":"JWT","alg":"%s"' % alg
    if kid is not None:
        text += ',"kid":' + encode_basestring(kid)
    for key in sorted(extra):
        text += ",%s:%s" % (encode_basestring(key), encode(extra[key]))
    return text + "}"


def jwt_sign(claims=None, pem=None, algorithm=None, opts=None):
    from assay.runtime.convert import to_py
    from assay.runtime.jsontext import JsonError, encode
    who = "crypto.jwt_sign"
    if not args.is_table(claims):
        raise BuiltinError(who + ": first argument must be a claims table")
    key_text = _text_option(pem)
    if key_text is None:
        raise BuiltinError(who + ": second argument must be a PEM key string")
    if algorithm is not None and not isinstance(algorithm, bytes):
        raise BuiltinError(who + ": third argument must be an algorithm string or nil")
    opts = args.optional_table(opts, who + ": fourth argument must be an options table or nil")

    kid = _text_option(args.field(opts, "kid"))
    if kid is not None:
        try:
            kid = kid.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BuiltinError("%s: opts.kid: invalid UTF-8: %s" % (who, e)) from None
    extra = {}
    header_opt = args.field(opts, "header")
    if header_opt is not None:
        if not args.is_table(header_opt):
            raise BuiltinError(who + ": opts.header must be a table")
        extra = to_py(header_opt, who + ": opts.header") or {}
        if not isinstance(extra, dict):
            raise BuiltinError(who + ": opts.header must be a table with string keys")
        for reserved in ("typ", "alg", "kid"):
            extra.pop(reserved, None)

    payload = to_py(claims, who)
    if payload == []:
        payload = {}  # Note: empty claims encode as an object

    alg = _algorithm(algorithm, who)
    family, hash_name = JWT_ALGORITHMS[alg]
    key = None
    if family != "HMAC":
        key = _private_key(key_text, alg, family, who)

    try:
        signing_input = (b64url(_header_json(alg, kid, extra).encode("utf-8")) + b"."
                         + b64url(encode(payload).encode("utf-8")))
    except JsonError as e:
        raise BuiltinError("%s: encoding failed: %s" % (who, e)) from None
    try:
        signature = _sign(signing_input, alg, family, hash_name, key, key_text)
    except BuiltinError:
        raise
    except Exception as e:
        raise BuiltinError("%s: encoding failed: %s" % (who, _one_line(e) or type(e).__name__)) from None
    return signing_input + b"." + b64url(signature)


def _sign(signing_input, alg, family, hash_name, key, secret):
    if family == "HMAC":
        import hashlib
        import hmac
        return hmac.new(secret, signing_input, getattr(hashlib, hash_name)).digest()
    if family == "RSA":
        from Crypto.Signature import pkcs1_15
        return pkcs1_15.new(key).sign(_hash(hash_name, signing_input))
    from Crypto.Signature import DSS
    # 'binary' output is the JWS form r‖s, each half padded to the curve's size
    return DSS.new(key, "fips-186-3", encoding="binary").sign(_hash(hash_name, signing_input))


def jwt_decode(token=None):
    who = "crypto.jwt_decode"
    token = args.string(token, who + ": first argument must be a token string")
    header_seg, payload_seg, _ = _split_token(token, who)
    header = _json_segment(header_seg, who, "header")
    claims = _json_segment(payload_seg, who, "payload")
    out = {"header": header}
    if claims is not None:
        out["claims"] = claims
    return out


def jwt_verify(token=None, key=None, third=None, fourth=None):
    """Two call shapes (see docs/builtins/crypto.md):

    - `jwt_verify(token, key, algorithm?, opts?)` returns the claims (assay's
      original superset);
    - `jwt_verify(token, key, opts)` (a table third) or a JWKS table as key returns
      `{header = ..., claims = ...}`, as later Assay releases do, and requires
      `exp` unless `opts.required_claims` says otherwise.
    """
    who = "crypto.jwt_verify"
    token = args.string(token, who + ": first argument must be a token string")
    options_shape = args.is_table(third) or args.is_table(key)
    if args.is_table(third):
        if fourth is not None:
            raise BuiltinError(who + ": with an options table as third argument there is no fourth")
        algorithm, opts = None, third
    else:
        algorithm = third
        opts = args.optional_table(fourth, who + ": fourth argument must be an options table or nil")
    if algorithm is None:
        algorithm = args.field(opts, "algorithm")
    checks = _Checks(opts, options_shape, who)

    header_seg, payload_seg, signature_seg = _split_token(token, who)
    header = _json_segment(header_seg, who, "header")
    claims = _json_segment(payload_seg, who, "payload")
    if not isinstance(header, dict):
        raise BuiltinError(who + ": header is not a JSON object")
    token_alg = header.get(b"alg")
    if not isinstance(token_alg, bytes):
        raise BuiltinError(who + ": header has no alg")

    if args.is_table(key):
        alg, verifier = _jwks_key(key, header, algorithm, who)
    else:
        key_text = _text_option(key)
        if key_text is None:
            raise BuiltinError(who + ": second argument must be a key string or a JWKS table")
        alg = _algorithm(algorithm, who)
        verifier = key_text
    if token_alg != alg.encode():
        raise BuiltinError("%s: algorithm mismatch: token uses %s, expected %s"
                           % (who, token_alg.decode("utf-8", "replace"), alg))
    try:
        signature = b64url_decode(signature_seg)
    except ValueError as e:
        raise BuiltinError("%s: signature: invalid base64url: %s" % (who, e)) from None

    signing_input = header_seg + b"." + payload_seg
    family, hash_name = JWT_ALGORITHMS[alg]
    if not _signature_ok(signing_input, signature, alg, family, hash_name, verifier, who):
        raise BuiltinError(who + ": invalid signature")
    checks.run(claims)
    if options_shape:
        return {"header": header, "claims": claims if claims is not None else {}}
    return Multi((claims, header))  # the Lua side lets these claims answer .header/.claims too


class _Checks:
    """The claim checks of jwt_verify, read from its options table."""

    def __init__(self, opts, options_shape, who):
        self.who = who
        leeway = args.field(opts, "leeway", 0)
        self.leeway = args.number(leeway, who + ": opts.leeway must be a number of seconds")
        verify_all = self._flag(opts, "verify_exp", True)  # the older name: skips exp and nbf
        self.exp = verify_all and self._flag(opts, "validate_exp", True)
        self.nbf = verify_all and self._flag(opts, "validate_nbf", True)
        self.audience = self._names(opts, "audience")
        self.issuer = self._names(opts, "issuer")
        required = args.field(opts, "required_claims")
        if required is None:
            self.required = ["exp"] if options_shape and self.exp else []
        else:
            self.required = self._list(required, "required_claims")

    def _flag(self, opts, name, default):
        value = args.field(opts, name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise BuiltinError("%s: opts.%s must be a boolean" % (self.who, name))
        return value

    def _list(self, value, name):
        if not args.is_table(value):
            raise BuiltinError("%s: opts.%s must be an array of strings" % (self.who, name))
        out = []
        for _, item in sorted(value.items(), key=lambda kv: str(kv[0])):
            if not isinstance(item, bytes):
                raise BuiltinError("%s: opts.%s must be an array of strings" % (self.who, name))
            out.append(item.decode("utf-8", "replace"))
        return out

    def _names(self, opts, name):
        value = args.field(opts, name)
        if value is None:
            return None
        if isinstance(value, bytes):
            return [value.decode("utf-8", "replace")]
        if not args.is_table(value):
            raise BuiltinError("%s: opts.%s must be a string or an array of strings" % (self.who, name))
        return self._list(value, name)

    def run(self, claims):
        import time
        who = self.who
        if not isinstance(claims, dict):
            if self.required or self.audience is not None or self.issuer is not None:
                raise BuiltinError(who + ": payload is not a JSON object")
            return
        for name in self.required:
            if name.encode() not in claims:
                raise BuiltinError("%s: missing required claim: %s" % (who, name))
        now = time.time()
        for name, wanted in ((b"exp", self.exp), (b"nbf", self.nbf)):
            value = claims.get(name)
            if wanted and value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise BuiltinError("%s: invalid %s claim: must be a number" % (who, name.decode()))
        exp, nbf = claims.get(b"exp"), claims.get(b"nbf")
        if self.exp and exp is not None and exp <= now - self.leeway:
            raise BuiltinError(who + ": token expired")
        if self.nbf and nbf is not None and nbf > now + self.leeway:
            raise BuiltinError(who + ": token not yet valid (nbf)")
        if self.audience is not None:
            aud = claims.get(b"aud")
            if aud is None:
                raise BuiltinError(who + ": missing required claim: aud")
            have = [aud] if isinstance(aud, bytes) else aud if isinstance(aud, list) else []
            if not any(isinstance(a, bytes) and a.decode("utf-8", "replace") in self.audience for a in have):
                raise BuiltinError(who + ": invalid audience")
        if self.issuer is not None:
            iss = claims.get(b"iss")
            if iss is None:
                raise BuiltinError(who + ": missing required claim: iss")
            if not isinstance(iss, bytes) or iss.decode("utf-8", "replace") not in self.issuer:
                raise BuiltinError(who + ": invalid issuer")


# JWK key type -> the algorithm family it can verify
_JWK_FAMILY = {"RSA": "RSA", "EC": "EC", "oct": "HMAC"}
_JWK_CURVES = {"P-256": "ES256", "P-384": "ES384"}


def _jwks_key(jwks, header, algorithm, who):
    """(algorithm, public key object or HMAC secret) for the token's `kid` in a JWKS table."""
    from assay.runtime.convert import to_py
    data = to_py(jwks, who + ": invalid JWKS")
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list):
        raise BuiltinError(who + ": invalid JWKS: keys must be an array of JWK tables")
    kid = header.get(b"kid")
    if not isinstance(kid, bytes):
        raise BuiltinError(who + ": token header has no kid (needed to pick a key from the JWKS)")
    kid = kid.decode("utf-8", "replace")
    for index, jwk in enumerate(keys, 1):
        if not isinstance(jwk, dict):
            raise BuiltinError("%s: invalid JWKS: keys[%d] must be a table" % (who, index))
        if jwk.get("kid") == kid:
            return _jwk_key(jwk, "keys[%d]" % index, header, algorithm, who)
    raise BuiltinError("%s: no key in the JWKS matches kid '%s'" % (who, kid))


def _jwk_key(jwk, where, header, algorithm, who):
    def field(name):
        value = jwk.get(name)
        if not isinstance(value, str) or not value:
            raise BuiltinError("%s: invalid JWKS: %s.%s must be a non-empty string" % (who, where, name))
        return value

    def number(name):
        try:
            return int.from_bytes(b64url_decode(field(name).encode()), "big")
        except ValueError as e:
            raise BuiltinError("%s: invalid JWKS: %s.%s: invalid base64url: %s" % (who, where, name, e)) from None

    kty = field("kty")
    family = _JWK_FAMILY.get(kty)
    if family is None:
        raise BuiltinError("%s: invalid JWKS: %s.kty %r is not supported (RSA, EC, oct)" % (who, where, kty))
    # The algorithm comes from the JWK, else the caller; the token's own header is
    # trusted only within the key's family (an RSA key never verifies an HS token).
    chosen = jwk.get("alg") or (algorithm.decode("utf-8", "replace") if isinstance(algorithm, bytes) else None)
    if chosen is None:
        chosen = header.get(b"alg", b"").decode("utf-8", "replace")
        if kty == "EC":
            chosen = _JWK_CURVES.get(jwk.get("crv"), chosen)
    alg = _algorithm(chosen.encode(), who)
    if JWT_ALGORITHMS[alg][0] != family:
        raise BuiltinError("%s: invalid JWKS: %s is a %s key, it cannot verify %s" % (who, where, kty, alg))
    if family == "HMAC":
        try:
            return alg, b64url_decode(field("k").encode())
        except ValueError as e:
            raise BuiltinError("%s: invalid JWKS: %s.k: invalid base64url: %s" % (who, where, e)) from None
    if family == "RSA":
        n, e = number("n"), number("e")
        # the same sanity checks (and texts) as before pycryptodome; its own
        # consistency check would also refuse an even modulus, which the old one accepted
        problem = ("n must be >= 3." if n < 3 else "e must be >= 3 and < n." if not 3 <= e < n
                   else "e must be odd." if e % 2 == 0 else None)
        if problem is None:
            from Crypto.PublicKey import RSA
            try:
                return alg, RSA.construct((n, e), consistency_check=False)
            except ValueError as err:
                problem = _one_line(err)
        raise BuiltinError("%s: invalid JWKS: %s: %s" % (who, where, problem))
    curve_alg = _JWK_CURVES.get(field("crv"))
    if curve_alg != alg:
        raise BuiltinError("%s: invalid JWKS: %s.crv %r does not match %s" % (who, where, jwk.get("crv"), alg))
    from Crypto.PublicKey import ECC
    x, y = number("x"), number("y")
    try:
        public = ECC.construct(curve=_EC_CURVES[alg][2], point_x=x, point_y=y)
    except ValueError:
        public = None
    if public is None or public.pointQ.is_point_at_infinity():
        raise BuiltinError("%s: invalid JWKS: %s: Invalid EC key. Point is not on the curve specified." % (who, where))
    return alg, public


def _signature_ok(signing_input, signature, alg, family, hash_name, key, who):
    """`key`: the HMAC secret or a PEM text (bytes), or a public key object from a JWK."""
    if family == "HMAC":
        import hashlib
        import hmac
        expected = hmac.new(key, signing_input, getattr(hashlib, hash_name)).digest()
        return hmac.compare_digest(expected, signature)
    public = _public_key(key, alg, family, who) if isinstance(key, bytes) else key
    digest = _hash(hash_name, signing_input)
    if family == "RSA":
        from Crypto.Signature import pkcs1_15
        verifier = pkcs1_15.new(public)
    else:
        if len(signature) != 2 * _EC_CURVES[alg][1]:
            return False
        from Crypto.Signature import DSS
        verifier = DSS.new(public, "fips-186-3", encoding="binary")
    try:
        verifier.verify(digest, signature)
    except (ValueError, TypeError):  # pycryptodome: "not authentic", or a modulus too small for the digest
        return False
    return True


# ---------------------------------------------------------------------------
# hash_file

_CHUNK = 1 << 20


def hash_file(path=None, algorithm=None):
    who = "crypto.hash_file"
    path = args.string(path, "%s: path must be a string, got %s" % (who, args.type_name(path)))
    constructor = _hash_constructor(algorithm, who, "second")
    digest = constructor()
    from assay.runtime.text import debug_quote, os_error_text
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
    except (OSError, ValueError) as e:
        detail = os_error_text(e) if isinstance(e, OSError) else "file name contained an unexpected NUL byte"
        raise BuiltinError("%s: failed to read %s: %s" % (who, debug_quote(path), detail)) from None
    return digest.hexdigest()


# In the older call shape the claims table is returned itself; a script written
# for the newer `{header, claims}` result reads `r.claims.sub` / `r.header.kid`,
# so the table answers those two names through its metatable (a real claim of
# the same name wins, and nothing is added to the table's own keys).


def install(bridge):
    bridge.define("crypto", {
        "hash": hash_, "hmac": hmac_, "random": random,
        "jwt_sign": jwt_sign, "jwt_decode": jwt_decode, "jwt_verify": jwt_verify,
        "hash_file": hash_file,
    }, lua=lua_file("crypto"))
