"""The compression codecs shared by `compress` and `tar`: gzip and xz from the standard
library, zstd from the `zstandard` package, each imported by the call that needs it.
Decompressed output is capped at the Lua heap size: a larger string could not live in
the VM anyway, and the cap keeps a small "zip bomb" from eating the host's memory first.
"""
from assay.runtime import args
from assay.runtime.errors import BuiltinError
from assay.runtime.vm import LUA_MEMORY_LIMIT

OUTPUT_LIMIT = LUA_MEMORY_LIMIT
CHUNK = 1 << 16

# magic bytes at the start of a compressed stream
_MAGIC = ((b"\x1f\x8b", "gz"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zst"))
NAMES = {"gz": "gzip", "xz": "xz", "zst": "zstd"}
_ALIASES = {"gz": "gz", "gzip": "gz", "tgz": "gz", "xz": "xz", "zst": "zst", "zstd": "zst", "none": None}


def sniff(head):
    """The compression of a stream from its first bytes: "gz", "xz", "zst" or None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def compression_name(value, who):
    """A `compression` option ("gz", "gzip", "xz", "zst", "zstd", "none") as "gz"/"xz"/"zst"/None."""
    if not isinstance(value, bytes) or value.decode("ascii", "replace").lower() not in _ALIASES:
        shown = value.decode("utf-8", "replace") if isinstance(value, bytes) else args.type_name(value)
        raise BuiltinError("%s: unsupported compression %s (gz, xz, zstd, none)" % (who, shown))
    return _ALIASES[value.decode("ascii").lower()]


def reader(kind, fileobj):
    """A readable file object that decompresses `fileobj` (any number of concatenated frames)."""
    if kind is None:
        return fileobj
    if kind == "gz":
        import gzip
        return gzip.GzipFile(fileobj=fileobj, mode="rb")
    if kind == "xz":
        import lzma
        return lzma.LZMAFile(fileobj, mode="rb")
    return _zstd().ZstdDecompressor().stream_reader(fileobj, read_across_frames=True)


def writer(kind, fileobj, level=None):
    """A writable file object compressing into `fileobj`; close it to finish the stream."""
    if kind is None:
        return fileobj
    if kind == "gz":
        import gzip
        return gzip.GzipFile(fileobj=fileobj, mode="wb", compresslevel=9 if level is None else level, mtime=0)
    if kind == "xz":
        import lzma
        return lzma.LZMAFile(fileobj, mode="wb", preset=6 if level is None else level)
    return _zstd().ZstdCompressor(level=3 if level is None else level).stream_writer(fileobj, closefd=False)


def _zstd():
    import zstandard
    return zstandard


def stream_errors():
    """The exception classes a corrupt or truncated compressed stream raises."""
    import gzip
    import lzma
    import zlib
    found = [EOFError, OSError, zlib.error, lzma.LZMAError, gzip.BadGzipFile, ValueError]
    try:
        found.append(_zstd().ZstdError)
    except ImportError:
        pass
    return tuple(found)


def one_line(e):
    text = " ".join(str(e).split())
    if text.startswith("zstd decompress error: "):
        text = text[len("zstd decompress error: "):]
    return text or type(e).__name__.lower()


def read_limited(stream, who, limit=OUTPUT_LIMIT):
    parts, total = [], 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > limit:
            raise BuiltinError("%s: decompressed data larger than %d MiB" % (who, limit >> 20))
        parts.append(chunk)
