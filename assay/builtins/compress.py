"""`compress` — gzip, xz and zstd for Lua strings, and one tar member to a file.

`gzip`/`xz`/`zstd` compress, `gunzip`/`unxz`/`unzstd` decompress (the names of
later Assay releases), `untar` copies one member of a (compressed) tar archive
to a path. The codecs, and the cap on decompressed output, are in `_codecs`
(shared with `tar`).
"""
import io
import os

from assay.runtime import args
from assay.runtime.errors import BuiltinError
from assay.runtime.text import debug_quote as quote, os_error_text
from ._codecs import CHUNK, NAMES, compression_name, one_line, read_limited, reader, stream_errors, writer

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
            raise BuiltinError("%s: invalid %s data: %s" % (who, NAMES[kind], one_line(e))) from None
    return decompress


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

    from .tar import open_archive, archive_error
    from .fs import replace_file
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
            chunk = stream.read(CHUNK)
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
