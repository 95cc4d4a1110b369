"""`compress` — gzip, xz and zstd for Lua strings, and one tar member to a file.

`gzip`/`xz`/`zstd` compress, `gunzip`/`unxz`/`unzstd` decompress (the names of
later Assay releases), `untar` copies one member of a (compressed) tar archive
to a path. The codecs come from the standard library (zlib, lzma) and, for
zstd, the `zstandard` package; each is imported by the call that needs it.
Decompressed output is capped at the Lua heap size: a larger string could not
live in the VM anyway, and the cap keeps a small "zip bomb" from eating the
host's memory first.
"""
import io
import os

from assay.runtime import args
from assay.runtime.errors import BuiltinError
from assay.runtime.text import debug_quote as quote, os_error_text
from assay.runtime.vm import LUA_MEMORY_LIMIT

OUTPUT_LIMIT = LUA_MEMORY_LIMIT
_CHUNK = 1 << 16

# magic bytes at the start of a compressed stream
_MAGIC = ((b"\x1f\x8b", "gz"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zst"))
_NAMES = {"gz": "gzip", "xz": "xz", "zst": "zstd"}
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


# --------------------------------------------------------------------------
# Lua-facing functions

def _data_arg(v, who):
    return args.string(v, "%s: data must be a string, got %s" % (who, args.type_name(v)))


def _level_arg(v, who, low, high):
    if v is None:
        return None
    message = "%s: level must be an integer from %d to %d" % (who, low, high)
    level = args.number(v, message)
    if isinstance(level, float):
        if not level.is_integer():
            raise BuiltinError(message)
        level = int(level)
    if not low <= level <= high:
        raise BuiltinError(message)
    return level


def _compress(kind, who, low, high):
    def compress(data=None, level=None):
        data = _data_arg(data, who)
        level = _level_arg(level, who, low, high)
        out = io.BytesIO()
        stream = writer(kind, out, level)
        stream.write(data)
        stream.close()
        return out.getvalue()
    return compress


def _decompress(kind, who):
    def decompress(data=None):
        data = _data_arg(data, who)
        try:
            stream = reader(kind, io.BytesIO(data))
            return read_limited(stream, who)
        except stream_errors() as e:
            raise BuiltinError("%s: invalid %s data: %s" % (who, _NAMES[kind], one_line(e))) from None
    return decompress


def read_limited(stream, who, limit=OUTPUT_LIMIT):
    parts, total = [], 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > limit:
            raise BuiltinError("%s: decompressed data larger than %d MiB" % (who, limit >> 20))
        parts.append(chunk)


def untar(archive=None, dest=None, opts=None):
    who = "compress.untar"
    archive = args.string(archive, who + ": archive path must be a string, got " + args.type_name(archive))
    dest = args.string(dest, who + ": destination path must be a string, got " + args.type_name(dest))
    if not args.is_table(opts):
        raise BuiltinError(who + ": third argument must be an options table with 'member'")
    member = args.field(opts, "member")
    if not isinstance(member, bytes) or not member:
        raise BuiltinError(who + ": opts.member is required (the path inside the archive)")
    compression = args.field(opts, "compression")
    kind = compression_name(compression, who) if compression is not None else "auto"

    from assay.builtins.tar import open_archive, archive_error
    from assay.builtins.fs import replace_file
    name = member.decode("utf-8", "surrogateescape").strip("/")
    parent = os.path.dirname(dest)
    if parent:
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as e:
            raise BuiltinError("%s: failed to create directories for %s: %s"
                               % (who, quote(dest), os_error_text(e))) from None
    written = [0]

    def chunks(stream):
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                return
            written[0] += len(chunk)
            yield chunk

    with open_archive(archive, who, kind) as tf:
        try:
            for info in tf:
                if info.name.strip("/") != name:
                    continue
                if not info.isfile():
                    raise BuiltinError("%s: member %s in %s is not a regular file"
                                       % (who, quote(member), quote(archive)))
                replace_file(dest, chunks(tf.extractfile(info)), who)
                return written[0]
        except archive_error() as e:
            raise BuiltinError("%s: %s is not a valid archive: %s" % (who, quote(archive), one_line(e))) from None
    raise BuiltinError("%s: member %s not found in %s" % (who, quote(member), quote(archive)))


def install(bridge):
    bridge.define("compress", {
        "gzip": _compress("gz", "compress.gzip", 0, 9),
        "gunzip": _decompress("gz", "compress.gunzip"),
        "xz": _compress("xz", "compress.xz", 0, 9),
        "unxz": _decompress("xz", "compress.unxz"),
        "zstd": _compress("zst", "compress.zstd", 1, 22),
        "unzstd": _decompress("zst", "compress.unzstd"),
        "untar": untar,
    })
