"""`tar` — tar archives from `{path = content}` tables and back (blocking calls).

`tar.create(output, files, opts?)` writes an archive (plain, gzip, xz or zstd),
`tar.list(archive)` names its members, `tar.read(archive)` returns its files
as a `{path = content}` table, `tar.extract(archive, dest)` unpacks it.

Extraction refuses, before anything is written, every member that could land
outside `dest`: absolute names, `..` components, links whose target is absolute
or leaves `dest`, members under a symlink of the same archive, and device or
FIFO entries. Python's tarfile "data" filter then checks every member again
while extracting, which also catches symlinks already present in `dest`.
"""
import os
import posixpath
import time

from assay.runtime import args
from assay.runtime.errors import BuiltinError
from assay.runtime.text import debug_quote as quote, os_error_text

from ._codecs import compression_name, one_line, read_limited, reader, sniff, stream_errors, writer

_EXTENSIONS = ((".tar.gz", "gz"), (".tgz", "gz"), (".tar.xz", "xz"), (".txz", "xz"),
               (".tar.zst", "zst"), (".tar.zstd", "zst"), (".tzst", "zst"), (".tar", None))


def archive_error():
    import tarfile
    return (tarfile.TarError,) + stream_errors()


class open_archive:
    """`with open_archive(path, who, kind) as tf:` a streaming TarFile for reading.

    `kind` "auto" recognises the compression from the first bytes.
    """

    def __init__(self, path, who, kind="auto"):
        self.path, self.who, self.kind = path, who, kind

    def __enter__(self):
        import tarfile
        try:
            self.raw = open(self.path, "rb")
        except (OSError, ValueError) as e:
            detail = os_error_text(e) if isinstance(e, OSError) else "file name contained an unexpected NUL byte"
            raise BuiltinError("%s: failed to open %s: %s" % (self.who, quote(self.path), detail)) from None
        kind = self.kind
        if kind == "auto":
            kind = sniff(self.raw.read(8))
            self.raw.seek(0)
        try:
            self.tf = tarfile.open(fileobj=reader(kind, self.raw), mode="r|")
        except archive_error() as e:
            self.raw.close()
            raise BuiltinError("%s: %s is not a valid tar archive: %s"
                               % (self.who, quote(self.path), one_line(e))) from None
        return self.tf

    def __exit__(self, *exc):
        try:
            self.tf.close()
        except Exception:
            pass
        self.raw.close()


def _path_arg(v, who, what):
    return args.string(v, "%s: %s must be a string, got %s" % (who, what, args.type_name(v)))


def _members(path, who, visit):
    """Call visit(tarfile, info) for every member; archive errors become one line."""
    with open_archive(path, who) as tf:
        try:
            for info in tf:
                visit(tf, info)
        except archive_error() as e:
            raise BuiltinError("%s: %s is not a valid tar archive: %s" % (who, quote(path), one_line(e))) from None


# --------------------------------------------------------------------------
# create

def _member_name(key, who):
    """A file name of the `files` table, checked to stay relative and inside the archive."""
    if not isinstance(key, bytes) or not key:
        raise BuiltinError("%s: files keys must be non-empty path strings, got %s"
                           % (who, quote(key) if isinstance(key, bytes) else args.type_name(key)))
    name = key.decode("utf-8", "surrogateescape")
    problem = _unsafe_name(name)
    if problem:
        raise BuiltinError("%s: refusing %s: %s" % (who, quote(key), problem))
    return posixpath.normpath(name)


def create(output=None, files=None, opts=None):
    who = "tar.create"
    output = _path_arg(output, who, "output path")
    if not args.is_table(files):
        raise BuiltinError("%s: files must be a table of {path = content}, got %s" % (who, args.type_name(files)))
    opts = args.optional_table(opts, who + ": opts must be a table or nil")
    kind = _create_compression(output, opts, who)
    entries = {}
    for key, content in files.items():
        name = _member_name(key, who)
        if not isinstance(content, bytes):
            raise BuiltinError("%s: content of %s must be a string, got %s"
                               % (who, quote(key), args.type_name(content)))
        if name in entries:
            raise BuiltinError("%s: %s appears twice" % (who, quote(key)))
        entries[name] = content

    import io
    import tarfile
    from .fs import replace_file
    now = int(time.time())
    buffer = io.BytesIO()
    stream = writer(kind, buffer)
    with tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        for name in sorted(entries):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(entries[name]), 0o644, now
            tf.addfile(info, io.BytesIO(entries[name]))
    if stream is not buffer:
        stream.close()
    replace_file(output, buffer.getvalue(), who)
    return True


def _create_compression(output, opts, who):
    explicit = args.field(opts, "compression")
    if explicit is not None:
        return compression_name(explicit, who)
    gzip_flag = args.field(opts, "gzip")
    if gzip_flag is not None:
        if not isinstance(gzip_flag, bool):
            raise BuiltinError(who + ": opts.gzip must be a boolean")
        return "gz" if gzip_flag else None
    lower = output.decode("utf-8", "replace").lower()
    for ending, kind in _EXTENSIONS:
        if lower.endswith(ending):
            return kind
    return "gz"


# --------------------------------------------------------------------------
# list / read

def list_(archive=None):
    who = "tar.list"
    archive = _path_arg(archive, who, "archive path")
    names = []
    _members(archive, who, lambda tf, info: names.append(info.name))
    return names


def read(archive=None):
    who = "tar.read"
    archive = _path_arg(archive, who, "archive path")
    out = {}
    budget = [0]

    def visit(tf, info):
        if info.isfile():
            budget[0] += info.size
            content = read_limited(tf.extractfile(info), who)
            from ._codecs import OUTPUT_LIMIT
            if budget[0] > OUTPUT_LIMIT:
                raise BuiltinError("%s: archive content larger than %d MiB" % (who, OUTPUT_LIMIT >> 20))
            out[info.name.encode("utf-8", "surrogateescape")] = content

    _members(archive, who, visit)
    return out


# --------------------------------------------------------------------------
# extract

def _unsafe_name(name):
    """Why a member name could leave the destination, or None."""
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "path contains '..'"
    if "\0" in name:
        return "path contains a NUL byte"
    return None


def _check_member(info, symlinks):
    """Why extracting `info` would be unsafe, or None. `symlinks`: names of earlier symlink members."""
    problem = _unsafe_name(info.name)
    if problem:
        return problem
    name = posixpath.normpath(info.name)
    parts = name.split("/")
    for i in range(1, len(parts)):
        if "/".join(parts[:i]) in symlinks:
            return "path goes through the archive's symlink %s" % quote("/".join(parts[:i]))
    if info.issym() or info.islnk():
        target = info.linkname
        if target.startswith("/") or (len(target) > 1 and target[1] == ":"):
            return "link to absolute path %s" % quote(target)
        base = posixpath.dirname(name) if info.issym() else ""
        resolved = posixpath.normpath(posixpath.join(base, target))
        if resolved == ".." or resolved.startswith("../"):
            return "link %s points outside the destination" % quote(target)
        if info.issym():
            symlinks.add(name)
        return None
    if not (info.isfile() or info.isdir()):
        return "special file (device, FIFO)"
    return None


def extract(archive=None, dest=None):
    who = "tar.extract"
    archive = _path_arg(archive, who, "archive path")
    dest = _path_arg(dest, who, "destination")
    symlinks = set()

    def check(tf, info):
        problem = _check_member(info, symlinks)
        if problem:
            raise BuiltinError("%s: refusing %s from %s: %s"
                               % (who, quote(info.name), quote(archive), problem))

    _members(archive, who, check)  # first pass: nothing is written unless every member is safe

    import tarfile
    try:
        os.makedirs(dest, exist_ok=True)
    except (OSError, ValueError) as e:
        raise BuiltinError("%s: failed to create %s: %s" % (who, quote(dest), one_line(e))) from None
    with open_archive(archive, who) as tf:
        try:
            tf.extractall(os.fsdecode(dest), filter="data")
        except tarfile.FilterError as e:
            raise BuiltinError("%s: refusing a member of %s: %s" % (who, quote(archive), one_line(e))) from None
        except archive_error() as e:
            raise BuiltinError("%s: failed to extract %s: %s" % (who, quote(archive), one_line(e))) from None
    return True


def install(bridge):
    bridge.define("tar", {"create": create, "list": list_, "read": read, "extract": extract})
