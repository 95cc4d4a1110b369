"""PEM keys for crypto's JWT functions: which kind of key a PEM text holds, and the
pycryptodome key object for the RSA and EC ones.

The PEM framing and the outer ASN.1 (PKCS#8, SEC1, SubjectPublicKeyInfo, X.509) are
read here so that a key of the wrong kind or on another curve is named exactly
("got a Ed25519PrivateKey key", "got curve secp256k1") even when pycryptodome could
not load it; only RSA and EC keys on the curves it supports are handed to it. The
detail texts match the ones assay gave when it used the `cryptography` package.
Every failure is a ValueError carrying a one-line detail.
"""
import binascii
import re

PRIVATE_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY",
                  "ENCRYPTED PRIVATE KEY")
PUBLIC_LABELS = ("PUBLIC KEY", "RSA PUBLIC KEY")
CERTIFICATE_LABELS = ("CERTIFICATE", "X509 CERTIFICATE")

_ENCRYPTED = "Password was not given but private key is encrypted"
_UNREADABLE = "Could not deserialize key data"

# key algorithm OID -> the kind of key (RSA and EC are the ones JWT signing uses;
# the others are only named in the error that says which kind was expected)
_KINDS = {
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.10045.2.1": "EC",
    "1.3.101.112": "Ed25519",
    "1.3.101.113": "Ed448",
    "1.3.101.110": "X25519",
    "1.3.101.111": "X448",
    "1.2.840.10040.4.1": "DSA",
}
# named-curve OID -> curve name (the names OpenSSL and the old messages use)
_CURVES = {
    "1.2.840.10045.3.1.7": "secp256r1",
    "1.3.132.0.34": "secp384r1",
    "1.3.132.0.35": "secp521r1",
    "1.3.132.0.10": "secp256k1",
    "1.2.840.10045.3.1.1": "secp192r1",
    "1.3.132.0.33": "secp224r1",
    "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
    "1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
    "1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
}
# curves pycryptodome can load (the others can only be named in an error)
_LOADABLE_CURVES = ("secp256r1", "secp384r1", "secp521r1", "secp256k1")

_BLOCK = re.compile(rb"-----BEGIN ([^\r\n]*?)-----(.*?)-----END ([^\r\n]*?)-----", re.S)
_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


class Key:
    """A key read from PEM: `kind` ("RSA", "EC" or e.g. "Ed25519PublicKey"), `curve`
    for EC keys, and `key`, the pycryptodome object (None for kinds JWT cannot use)."""

    def __init__(self, kind, curve=None, key=None):
        self.kind, self.curve, self.key = kind, curve, key


def private_key(pem):
    label, headers, der = _find(pem, PRIVATE_LABELS, "Valid PEM but no BEGIN/END delimiters for a private key found")
    if label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in headers:
        raise ValueError(_ENCRYPTED)
    if label == "RSA PRIVATE KEY":
        _pkcs1(der, 9)
        return _load("RSA", None, der, True)
    if label == "DSA PRIVATE KEY":
        return Key("DSAPrivateKey")
    if label == "EC PRIVATE KEY":
        return _load("EC", _sec1_curve(der), der, True)
    try:
        from Crypto.IO import PKCS8
        oid, _, params = PKCS8.unwrap(der)
    except (ValueError, TypeError, IndexError) as e:
        raise ValueError(_asn1_error(e)) from None
    return _from_algorithm(oid, params, der, True)


def public_key(pem):
    """The public key of a public-key PEM, a certificate, or a private key."""
    if b"CERTIFICATE-----" in pem:
        _, _, der = _find(pem, CERTIFICATE_LABELS, "Valid PEM but no BEGIN CERTIFICATE/END CERTIFICATE delimiters")
        try:
            from Crypto.PublicKey import _extract_subject_public_key_info
            spki = _extract_subject_public_key_info(der)
        except (ValueError, TypeError, IndexError):
            raise ValueError("error parsing asn1 value") from None
        return _from_spki(spki)
    if b"PRIVATE KEY-----" in pem:
        key = private_key(pem)
        if key.key is not None:
            key.key = key.key.public_key()
        key.kind = key.kind.replace("PrivateKey", "PublicKey")
        return key
    label, _, der = _find(pem, PUBLIC_LABELS, "Valid PEM but no BEGIN PUBLIC KEY/END PUBLIC KEY delimiters")
    if label == "RSA PUBLIC KEY":
        _pkcs1(der, 2)
        return _load("RSA", None, der, False)
    return _from_spki(der)


# ---------------------------------------------------------------------------

def _find(pem, labels, none_found):
    """(label, header text, DER bytes) of the first PEM block with one of `labels`."""
    blocks = list(_BLOCK.finditer(pem))
    if not blocks:
        raise ValueError("Unable to load PEM file: MalformedFraming")
    for block in blocks:
        begin, body, end = (block.group(1).decode("latin-1"), block.group(2),
                            block.group(3).decode("latin-1"))
        if begin != end:
            raise ValueError('Unable to load PEM file: MismatchedTags("%s", "%s")' % (begin, end))
        headers, data = _split_headers(body)
        try:
            der = _base64(data)
        except ValueError as e:
            raise ValueError("Unable to load PEM file: InvalidData(%s)" % e) from None
        if begin in labels:
            return begin, headers, der
    raise ValueError(none_found)


def _split_headers(body):
    """RFC 1421 headers ("Proc-Type: ...") before a blank line, then the base64 text."""
    text = body.replace(b"\r\n", b"\n").strip(b"\n")
    head, sep, rest = text.partition(b"\n\n")
    if sep and all(b":" in line for line in head.split(b"\n") if line.strip()):
        return head.decode("latin-1"), rest
    return "", text


def _base64(data):
    """Strict standard base64 with padding, whitespace ignored; the detail texts
    name the symbol and offset as the previous PEM reader did."""
    data = data.translate(None, b" \t\r\n")
    body = data.rstrip(b"=")
    for i, byte in enumerate(body):
        if byte not in _B64:
            raise ValueError("Invalid symbol %d, offset %d." % (byte, i))
    if len(data) - len(body) > 2:
        raise ValueError("Invalid symbol 61, offset %d." % len(body))
    if len(body) % 4 == 1:
        raise ValueError("Invalid input length.")
    if len(data) % 4:
        raise ValueError("Invalid padding")
    raw = binascii.a2b_base64(data)
    if binascii.b2a_base64(raw, newline=False) != data:  # non-zero bits after the last byte
        last = len(body) - 1
        raise ValueError("Invalid last symbol %d, offset %d." % (body[last], last))
    return raw


def _asn1_error(error):
    detail = " ".join(str(error).split()).rstrip(".")
    return "%s: ASN.1 parsing error: %s" % (_UNREADABLE, detail) if detail else _UNREADABLE


def _from_spki(der):
    try:
        from Crypto.PublicKey import _expand_subject_public_key_info
        oid, _, params = _expand_subject_public_key_info(der)
    except (ValueError, TypeError, IndexError) as e:
        raise ValueError(_asn1_error(e)) from None
    return _from_algorithm(oid, params, der, False)


def _from_algorithm(oid, params, der, private):
    kind = _KINDS.get(oid)
    if kind is None:
        raise ValueError("%s: unsupported key type (algorithm %s)" % (_UNREADABLE, oid))
    if kind == "RSA":
        return _load("RSA", None, der, private)
    if kind == "EC":
        return _load("EC", _curve_name(params), der, private)
    return Key(kind + ("PrivateKey" if private else "PublicKey"))


def _curve_name(params):
    from Crypto.Util.asn1 import DerObjectId
    if params is None:
        raise ValueError("%s: EC key without curve parameters" % _UNREADABLE)
    try:
        oid = DerObjectId().decode(params).value
    except (ValueError, TypeError, IndexError):
        raise ValueError("%s: EC curves with explicit parameters are not supported" % _UNREADABLE) from None
    return _CURVES.get(oid, oid)


def _sec1_curve(der):
    """The named curve of a SEC1 ECPrivateKey (its [0] parameters field)."""
    from Crypto.Util.asn1 import DerObjectId, DerSequence
    try:
        fields = DerSequence().decode(der, nr_elements=(2, 3, 4))
    except (ValueError, TypeError, IndexError) as e:
        raise ValueError(_asn1_error(e)) from None
    for field in fields[2:]:
        if field[:1] == b"\xa0":
            try:
                oid = DerObjectId(explicit=0).decode(field).value
            except (ValueError, TypeError, IndexError):
                raise ValueError("%s: EC curves with explicit parameters are not supported" % _UNREADABLE) from None
            return _CURVES.get(oid, oid)
    return _curve_name(None)


def _pkcs1(der, fields):
    """A PKCS#1 RSA key is a SEQUENCE of `fields` INTEGERs (pycryptodome would also
    take a PKCS#8 or SubjectPublicKeyInfo body under the RSA label; the label is kept
    strict as it was)."""
    from Crypto.Util.asn1 import DerSequence
    try:
        DerSequence().decode(der, nr_elements=fields, only_ints_expected=True)
    except (ValueError, TypeError, IndexError) as e:
        raise ValueError(_asn1_error(e)) from None


def _load(kind, curve, der, private):
    if kind == "EC" and curve not in _LOADABLE_CURVES:
        return Key("EC", curve)  # a curve JWT never uses: only its name is needed
    try:
        if kind == "RSA":
            from Crypto.PublicKey import RSA
            key = RSA.import_key(der)
        else:
            from Crypto.PublicKey import ECC
            key = ECC.import_key(der)
    except (ValueError, TypeError, IndexError) as e:
        raise ValueError(_asn1_error(e)) from None
    if key.has_private() != private:
        raise ValueError(_UNREADABLE)
    return Key(kind, curve, key)
