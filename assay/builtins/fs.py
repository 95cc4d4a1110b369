"""`fs` — the filesystem family. Every function is blocking.

Paths are Lua strings and stay bytes all the way to the OS calls, so any file
name round-trips (names returned by `fs.list`, `fs.readdir` and `fs.glob` are the
raw bytes). `fs.read`/`fs.write` are binary-safe (a deliberate
change: the original required UTF-8). Error texts quote paths like Rust's `{:?}` and end with the OS error
as `<text> (os error N)`.
"""
import itertools
import os
import stat as _stat
import time as _time

from assay.runtime import args, sandbox
from assay.runtime.errors import BuiltinError
from assay.runtime.text import debug_quote as quote, os_error_text
from . import lua_file

_NUL_BYTE = "file name contained an unexpected NUL byte"
_NOT_A_FILE = "the source path is neither a regular file nor a symlink to a regular file"


# --------------------------------------------------------------------------
# Shared helpers

def os_error(e):
    """The original's text for a failed OS call: `No such file or directory (os error 2)`."""
    if isinstance(e, ValueError):  # Python's "embedded null byte"
        return _NUL_BYTE
    return os_error_text(e)


def _string_arg(v, n, name):
    return args.string_param(v, n, name)


def _join(base, name):
    if not base:
        return name
    if base.endswith(b"/"):
        return base + name
    return base + b"/" + name


def _parent(path):
    """Rust's Path::parent for the cases that matter here; None for `/` (and for ``)."""
    trimmed = path.rstrip(b"/")
    if not trimmed:
        return None
    cut = trimmed.rfind(b"/")
    if cut < 0:
        return b""
    return trimmed[:cut].rstrip(b"/") or b"/"


def _is_dir(path):
    try:
        return _stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _create_dir_all(path):
    """`mkdir -p` with the semantics of Rust's create_dir_all (raises OSError/ValueError)."""
    if not path:
        return
    try:
        os.mkdir(path)
        return
    except FileNotFoundError:
        pass
    except OSError:
        if _is_dir(path):
            return
        raise
    parent = _parent(path)
    if parent is not None:
        _create_dir_all(parent)
    try:
        os.mkdir(path)
    except OSError:
        if not _is_dir(path):
            raise


def _entry_type(entry):
    if entry.is_symlink():
        return "symlink"
    if entry.is_dir(follow_symlinks=False):
        return "directory"
    return "file"


# --------------------------------------------------------------------------
# The 13 functions

def read(path=None):
    return _read_file(_string_arg(path, 1, "read"), "fs.read")


def _read_file(path, who):
    try:
        with open(path, "rb") as f:
            return _read_within_heap(f)
    except (OSError, ValueError) as e:
        raise BuiltinError("%s: failed to read %s: %s" % (who, quote(path), os_error(e))) from None


def _read_within_heap(f):
    """The whole file, refused before it is read if it cannot fit in the script's heap.

    The size is checked first; a file whose size is not known up front (a pipe, a
    device, one that grows) is read no further than the room there is.
    """
    free = sandbox.room()
    if free is None:
        return f.read()
    size = os.fstat(f.fileno()).st_size
    if size > free:
        raise sandbox.too_big(size, free)
    data = f.read(free + 1)
    if len(data) > free:
        raise sandbox.too_big(free, free, more=True)
    return data


def write(path=None, content=None):
    _write_file(_string_arg(path, 1, "write"), _string_arg(content, 2, "write"), "fs.write")


def _write_file(path, content, who):
    _make_parents(path, who)
    try:
        with open(path, "wb") as f:
            f.write(content)
    except (OSError, ValueError) as e:
        raise BuiltinError("%s: failed to write %s: %s" % (who, quote(path), os_error(e))) from None


def _make_parents(path, who):
    parent = _parent(path)
    if parent is not None:
        try:
            _create_dir_all(parent)
        except (OSError, ValueError) as e:
            raise BuiltinError("%s: failed to create directories for %s: %s"
                               % (who, quote(path), os_error(e))) from None


# --------------------------------------------------------------------------
# Later additions (read_bytes, write_bytes, lines, sub_in_file). Their argument
# errors use the `fs.<name>: <what> must be ...` form.

def _path_arg(v, who, what="path"):
    return args.string(v, "%s: %s must be a string, got %s" % (who, what, args.type_name(v)))


def read_bytes(path=None):
    return _read_file(_path_arg(path, "fs.read_bytes"), "fs.read_bytes")


def write_bytes(path=None, content=None):
    path = _path_arg(path, "fs.write_bytes")
    content = _path_arg(content, "fs.write_bytes", "data")
    _write_file(path, content, "fs.write_bytes")


def lines(path=None):
    """The file's lines without their `\n` / `\r\n`; the Lua side makes the array iterable."""
    data = _read_file(_path_arg(path, "fs.lines"), "fs.lines")
    if not data:
        return []
    out = data.split(b"\n")
    if out[-1] == b"":  # a final newline ends the last line, it does not start a new one
        out.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in out]


def _sub_read(path=None):
    return _read_file(_path_arg(path, "fs.sub_in_file"), "fs.sub_in_file")


def _sub_write(path, content):
    """Replace the file's content atomically (temp file + rename), keeping its mode."""
    replace_file(path, content, "fs.sub_in_file")


def replace_file(path, content, who):
    """Write `content` to a temp file beside `path`, then rename it over `path`.

    `content` is bytes or an iterable of byte chunks (a stream is copied without
    holding it whole). A reader sees the old or the new file, never half of one;
    the permission bits of an existing file are kept. Raises BuiltinError naming
    `path`; any other exception from `content` propagates, the temp file removed.
    """
    directory = _parent(path) or b"."
    tmp = _join(directory, b".%s.assay-%x.tmp" % (os.path.basename(path), _time.time_ns()))
    try:
        try:
            mode = _stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = None
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            for chunk in [content] if isinstance(content, bytes) else content:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            if mode is not None:
                os.fchmod(fd, mode)
            else:
                os.fchmod(fd, 0o666 & ~_umask())
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except (OSError, ValueError) as e:
        _discard(tmp)
        raise BuiltinError("%s: failed to write %s: %s" % (who, quote(path), os_error(e))) from None
    except BaseException:
        _discard(tmp)
        raise


def _discard(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove(path=None):
    path = _string_arg(path, 1, "remove")
    try:
        is_dir = _stat.S_ISDIR(os.lstat(path).st_mode)
    except (OSError, ValueError):
        is_dir = False  # unlink below reports the error
    if is_dir:
        import shutil
        try:
            shutil.rmtree(path)
        except (OSError, ValueError) as e:
            raise BuiltinError("fs.remove: failed to remove directory %s: %s"
                               % (quote(path), os_error(e))) from None
        return
    try:
        os.unlink(path)
    except (OSError, ValueError) as e:
        raise BuiltinError("fs.remove: failed to remove %s: %s" % (quote(path), os_error(e))) from None


def list_(path=None):
    path = _string_arg(path, 1, "list")
    try:
        with os.scandir(path) as it:
            return [{"name": entry.name, "type": _entry_type(entry)} for entry in it]
    except (OSError, ValueError) as e:
        raise BuiltinError("fs.list: failed to list %s: %s" % (quote(path), os_error(e))) from None


def _secs(ns):
    """Rust's Duration::as_secs_f64 of a since-epoch time in nanoseconds."""
    secs, nanos = divmod(ns, 1_000_000_000)
    return float(secs) + float(nanos) / 1e9


def stat(path=None):
    path = _string_arg(path, 1, "stat")
    try:
        st = os.stat(path)
    except (OSError, ValueError) as e:
        raise BuiltinError("fs.stat: failed to stat %s: %s" % (quote(path), os_error(e))) from None
    try:
        is_symlink = _stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        is_symlink = False
    info = {
        "size": st.st_size,
        "is_file": _stat.S_ISREG(st.st_mode),
        "is_dir": _stat.S_ISDIR(st.st_mode),
        "is_symlink": is_symlink,
    }
    if st.st_mtime_ns >= 0:
        info["modified"] = _secs(st.st_mtime_ns)
    born = _birth_time_ns(path, st)
    if born is not None and born >= 0:
        info["created"] = _secs(born)
    return info


_statx = []  # [function or None], resolved on first use


def _birth_time_ns(path, st):
    """Birth time in ns when the platform reports one (st_birthtime, or Linux statx)."""
    birth = getattr(st, "st_birthtime", None)
    if birth is not None:
        return getattr(st, "st_birthtime_ns", None) or int(birth * 1e9)
    if not _statx:
        _statx.append(_load_statx())
    statx = _statx[0]
    if statx is None:
        return None
    import ctypes
    import struct
    buf = ctypes.create_string_buffer(256)
    # AT_FDCWD, follow symlinks, want STATX_BTIME (0x800)
    if statx(-100, path, 0, 0x800, buf) != 0:
        return None
    if not struct.unpack_from("=I", buf.raw, 0)[0] & 0x800:
        return None
    secs, nanos = struct.unpack_from("=qI", buf.raw, 80)  # stx_btime
    return secs * 1_000_000_000 + nanos


def _load_statx():
    try:
        import ctypes
        fn = ctypes.CDLL(None, use_errno=True).statx
    except (OSError, AttributeError, ImportError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_char_p]
    fn.restype = ctypes.c_int
    return fn


def mkdir(path=None):
    path = _string_arg(path, 1, "mkdir")
    try:
        _create_dir_all(path)
    except (OSError, ValueError) as e:
        raise BuiltinError("fs.mkdir: failed to create %s: %s" % (quote(path), os_error(e))) from None


def exists(path=None):
    path = _string_arg(path, 1, "exists")
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


class _CopyError(Exception):
    pass


def copy(src=None, dst=None):
    src = _string_arg(src, 1, "copy")
    dst = _string_arg(dst, 2, "copy")
    try:
        return _copy_file(src, dst)
    except (OSError, ValueError) as e:
        detail = os_error(e)
    except _CopyError as e:
        detail = str(e)
    raise BuiltinError("fs.copy: failed to copy %s to %s: %s" % (quote(src), quote(dst), detail))


def _copy_file(src, dst):
    """Content and permission bits, like Rust's std::fs::copy; returns the bytes copied."""
    fd_in = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd_in)
        if not _stat.S_ISREG(st.st_mode):
            raise _CopyError(_NOT_A_FILE)
        mode = _stat.S_IMODE(st.st_mode)
        fd_out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        try:
            if _stat.S_ISREG(os.fstat(fd_out).st_mode):
                os.fchmod(fd_out, mode)
            return _copy_data(fd_in, fd_out)
        finally:
            os.close(fd_out)
    finally:
        os.close(fd_in)


def _copy_data(fd_in, fd_out):
    total = 0
    try:
        while True:
            sent = os.sendfile(fd_out, fd_in, None, 1 << 30)
            if sent == 0:
                return total
            total += sent
    except OSError:
        if total:
            raise
    while True:  # sendfile unsupported between these two: plain read/write
        chunk = os.read(fd_in, 1 << 20)
        if not chunk:
            return total
        view = memoryview(chunk)
        while view:
            written = os.write(fd_out, view)
            view = view[written:]
        total += len(chunk)


def rename(src=None, dst=None):
    src = _string_arg(src, 1, "rename")
    dst = _string_arg(dst, 2, "rename")
    try:
        os.rename(src, dst)
    except (OSError, ValueError) as e:
        raise BuiltinError("fs.rename: failed to rename %s to %s: %s"
                           % (quote(src), quote(dst), os_error(e))) from None


_tempdir_counter = itertools.count()


def tempdir():
    base = os.environb.get(b"TMPDIR") or b"/tmp"
    name = b"assay-%x-%d" % (_time.time_ns(), next(_tempdir_counter))
    path = _join(base, name)
    try:
        os.mkdir(path)
    except (OSError, ValueError) as e:
        raise BuiltinError("fs.tempdir: failed to create %s: %s" % (quote(path), os_error(e))) from None
    return path


def chmod(path=None, mode=None):
    path = _string_arg(path, 1, "chmod")
    mode = _mode_arg(mode)
    try:
        os.chmod(path, mode & 0o7777)
    except (OSError, ValueError) as e:
        raise BuiltinError("fs.chmod: failed to chmod %s: %s" % (quote(path), os_error(e))) from None


def _mode_arg(mode):
    message = ("bad argument #2 to 'chmod': error converting Lua %s to integer "
               "(expected an integer mode such as 493 for 0o755)" % args.type_name(mode))
    value = args.number(mode, message)
    if isinstance(value, float):
        if not value.is_integer():
            raise BuiltinError(message)
        value = int(value)
    if not 0 <= value <= 0xFFFFFFFF:
        raise BuiltinError(message)
    return value


def readdir(path=None, opts=None):
    if path is None:
        raise BuiltinError("fs.readdir: path required")
    path = _string_arg(path, 1, "readdir")
    max_depth = _depth_option(opts)
    result = []
    # depth-first pre-order: a stack of (directory entries, next index, depth, prefix)
    stack = [(_read_dir(path), 0, 1, b"")]
    while stack:
        entries, index, depth, prefix = stack.pop()
        if index >= len(entries):
            continue
        stack.append((entries, index + 1, depth, prefix))
        name, kind, full = entries[index]
        rel = prefix + name
        result.append({"path": rel, "type": kind})
        if kind == "directory" and (max_depth is None or depth < max_depth):
            stack.append((_read_dir(full), 0, depth + 1, rel + b"/"))
    return result


def _read_dir(path):
    try:
        with os.scandir(path) as it:
            return [(e.name, _entry_type(e), _join(path, e.name)) for e in it]
    except (OSError, ValueError) as e:
        raise BuiltinError("fs.readdir: failed to read %s: %s" % (quote(path), os_error(e))) from None


def _depth_option(opts):
    """opts.depth as a positive int, or None (unlimited); bad values are ignored."""
    if not args.is_table(opts):
        return None
    depth = args.field(opts, "depth")
    if isinstance(depth, bool) or depth is None:
        return None
    if isinstance(depth, bytes):
        depth = args.parse_lua_number(depth)
    if isinstance(depth, float):
        if depth != depth or depth == float("inf"):
            return None
        depth = int(depth) if depth > 0 else 0
    if not isinstance(depth, int):
        return None
    return max(depth, 1)


# --------------------------------------------------------------------------
# fs.glob

class _GlobReadError(Exception):
    pass


def glob(pattern=None):
    pattern = _string_arg(pattern, 1, "glob")
    text = pattern.decode("utf-8", "surrogateescape")
    try:
        root, parts, dirs_only = _parse_pattern(text)
    except ValueError as e:
        raise BuiltinError("fs.glob: invalid pattern %s: %s" % (quote(pattern), e)) from None
    if not parts:  # "" matches nothing, "/" the root
        return [b"/"] if root else []
    found = set()
    try:
        _glob_walk(root.encode("utf-8", "surrogateescape"), parts, 0, dirs_only, found)
    except _GlobReadError as e:
        raise BuiltinError("fs.glob: error reading entry: %s" % e) from None
    return sorted(found, key=lambda p: p.split(b"/"))


def _parse_pattern(text):
    """(root, [component matcher], dirs_only). A matcher is bytes (literal), `**` or a regex."""
    root = "/" if text.startswith("/") else ""
    dirs_only = len(text) > 1 and text.endswith("/")
    parts = []
    offset = 0
    for comp in text.split("/"):
        if comp:
            parts.append(_compile_component(comp, offset))
        offset += len(comp) + 1
    return root, parts, dirs_only


_RECURSIVE = "**"


def _compile_component(comp, offset):
    """One path component: literal bytes, _RECURSIVE, or a compiled regex."""
    if comp == "**":
        return _RECURSIVE
    if not any(c in comp for c in "*?["):
        return comp.encode("utf-8", "surrogateescape")
    import re
    out = []
    i, n = 0, len(comp)
    while i < n:
        c = comp[i]
        if c == "*":
            if comp.startswith("**", i):
                raise ValueError("`**` must be a whole path component (position %d)" % (offset + i))
            out.append(".*")
            i += 1
        elif c == "?":
            out.append(".")
            i += 1
        elif c == "[":
            negated = comp.startswith("[!", i)
            start = i + 2 if negated else i + 1
            # the first character of the set is always a member, so `[]]` matches `]`
            close = comp.find("]", start + 1)
            if start >= n or close < 0:
                raise ValueError("unterminated character class at position %d" % (offset + i))
            out.append(_char_class(comp[start:close], negated))
            i = close + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def _char_class(members, negated):
    ranges = []
    i = 0
    while i < len(members):
        if i + 2 < len(members) and members[i + 1] == "-":
            if members[i] <= members[i + 2]:
                ranges.append("\\U%08x-\\U%08x" % (ord(members[i]), ord(members[i + 2])))
            i += 3
        else:
            ranges.append("\\U%08x" % ord(members[i]))
            i += 1
    if not ranges:
        return "." if negated else "(?!)"
    return "[%s%s]" % ("^" if negated else "", "".join(ranges))


def _matches(matcher, name):
    return matcher.fullmatch(name.decode("utf-8", "surrogateescape")) is not None


def _glob_walk(base, parts, index, dirs_only, found):
    if index == len(parts):
        if os.path.lexists(base) if not dirs_only else _is_dir(base):
            found.add(base)
        return
    part = parts[index]
    if isinstance(part, bytes):
        _glob_walk(_join(base, part), parts, index + 1, dirs_only, found)
        return
    if part is _RECURSIVE:
        while index + 1 < len(parts) and parts[index + 1] is _RECURSIVE:
            index += 1
        below = _dirs_below(base)
        if index + 1 == len(parts):  # trailing `**`: every directory below the base
            found.update(below)
            return
        for directory in [base] + below:
            _glob_walk(directory, parts, index + 1, dirs_only, found)
        return
    last = index + 1 == len(parts)
    for name, is_dir, _, full in _glob_list(base):
        if not _matches(part, name):
            continue
        if last:
            if not dirs_only or is_dir:
                found.add(full)
        elif is_dir:
            _glob_walk(full, parts, index + 1, dirs_only, found)


def _glob_list(directory):
    """[(name, is_dir following symlinks, is_symlink, path)] of a directory; [] if not one."""
    try:
        with os.scandir(directory or b".") as it:
            return [(e.name, e.is_dir(), e.is_symlink(), _join(directory, e.name)) for e in it]
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return []
    except OSError as e:
        raise _GlobReadError("attempting to read %s resulted in an error: %s"
                             % (quote(directory or b"."), os_error(e))) from None


def _dirs_below(base):
    """Every directory under `base` (symlinked directories are matched, not descended)."""
    out = []
    pending = [base]
    while pending:
        current = pending.pop()
        for _, is_dir, is_link, full in _glob_list(current):
            if is_dir:
                out.append(full)
                if not is_link:
                    pending.append(full)
    return out


def install(bridge):
    bridge.define("fs", {
        "read": read, "write": write, "remove": remove, "list": list_, "stat": stat,
        "mkdir": mkdir, "exists": exists, "copy": copy, "rename": rename, "glob": glob,
        "tempdir": tempdir, "chmod": chmod, "readdir": readdir,
        "read_bytes": read_bytes, "write_bytes": write_bytes, "lines": lines,
        "_sub_read": _sub_read, "_sub_write": _sub_write,
    }, lua=lua_file("fs"))
