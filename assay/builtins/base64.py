"""`base64.encode(s)` / `base64.decode(s)`.

Standard alphabet with `=` padding, strict decoding. Binary-safe both ways (the
spec's Note, B64-03): `encode` accepts any bytes and `decode` returns the decoded
bytes as they are, UTF-8 or not.
"""
import binascii

from assay.builtins.json import string_arg
from assay.runtime.errors import BuiltinError

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}


def encode(s=None):
    return binascii.b2a_base64(string_arg(s, "encode"), newline=False)


def _check(data):
    """Raise BuiltinError unless `data` is canonical padded standard base64."""
    n = len(data)
    pad_at = data.find(b"=")
    body = data if pad_at < 0 else data[:pad_at]
    for i, c in enumerate(body):
        if c not in _VALUE:
            raise BuiltinError("base64.decode: Invalid symbol %d, offset %d." % (c, i))
    if pad_at >= 0:
        for i in range(pad_at, n):
            if data[i] != 0x3D:  # data after padding
                raise BuiltinError("base64.decode: Invalid symbol %d, offset %d." % (data[i], i))
    if len(body) % 4 == 1:
        raise BuiltinError("base64.decode: Invalid input length: %d" % n)
    if n % 4 or n - len(body) != (4 - len(body) % 4) % 4:
        raise BuiltinError("base64.decode: Invalid padding")
    rest = len(body) % 4
    if rest:  # the unused low bits of the last symbol must be zero
        last = body[-1]
        if _VALUE[last] & (0x0F if rest == 2 else 0x03):
            raise BuiltinError("base64.decode: Invalid last symbol %d, offset %d." % (last, len(body) - 1))


def decode(s=None):
    data = string_arg(s, "decode")
    _check(data)
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error as e:  # not expected after _check
        raise BuiltinError("base64.decode: %s" % e) from None


def install(bridge):
    bridge.define("base64", {"encode": encode, "decode": decode})
