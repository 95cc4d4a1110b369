"""`os` — host information.

The global `os` becomes assay's table: `hostname`, `arch`, `platform` with Rust's
naming. As a documented superset it keeps these standard Lua functions, taken from
the standard library table still registered as `package.loaded.os`:
`time`, `date`, `clock`, `getenv`, `difftime`, `tmpname`, `remove`, `rename`;
and adds `os.exit(code)` which flushes every output stream and ends the process
at once with the code (true/nil → 0, false → 1, integer → that code).
"""
import os
import sys

from assay.runtime import args
from assay.runtime.errors import BuiltinError

from . import lua_file


# Python's machine names (uname, Windows) -> Rust's std::env::consts::ARCH
_ARCH = {
    "x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64",
    "i386": "x86", "i486": "x86", "i586": "x86", "i686": "x86", "x86": "x86", "i86pc": "x86",
    "aarch64": "aarch64", "arm64": "aarch64", "aarch64_be": "aarch64", "armv8l": "arm",
    "riscv64": "riscv64", "riscv32": "riscv32",
    "ppc64le": "powerpc64", "ppc64": "powerpc64", "powerpc64": "powerpc64", "powerpc64le": "powerpc64",
    "ppc": "powerpc", "powerpc": "powerpc",
    "s390x": "s390x", "loongarch64": "loongarch64", "sparc64": "sparc64", "sun4v": "sparc64",
    "mips64": "mips64", "mips": "mips", "mipsel": "mips", "mips64el": "mips64",
}

# sys.platform prefixes -> Rust's std::env::consts::OS
_PLATFORM = (
    ("linux", "linux"), ("darwin", "macos"), ("win32", "windows"), ("cygwin", "windows"),
    ("msys", "windows"), ("freebsd", "freebsd"), ("openbsd", "openbsd"), ("netbsd", "netbsd"),
    ("dragonfly", "dragonfly"), ("sunos", "solaris"), ("illumos", "illumos"), ("aix", "aix"),
    ("android", "android"), ("ios", "ios"), ("haiku", "haiku"), ("emscripten", "emscripten"),
    ("wasi", "wasi"),
)


def _machine():
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform
    return platform.machine()


def rust_arch(machine, pointer_bits=None):
    """Rust's name for a machine string; a 32-bit interpreter on a 64-bit kernel maps down."""
    key = (machine or "").strip().lower()
    arch = _ARCH.get(key)
    if arch is None:
        if key.startswith("arm"):
            arch = "arm"
        elif key.startswith("mips64"):
            arch = "mips64"
        elif key.startswith("mips"):
            arch = "mips"
        else:
            arch = key or "unknown"
    if pointer_bits == 32:
        arch = {"x86_64": "x86", "aarch64": "arm", "powerpc64": "powerpc", "riscv64": "riscv32",
                "mips64": "mips", "sparc64": "sparc"}.get(arch, arch)
    return arch


def rust_platform(name):
    name = (name or "").lower()
    for prefix, rust in _PLATFORM:
        if name.startswith(prefix):
            return rust
    return name or "unknown"


def hostname():
    try:
        import socket
        name = socket.gethostname()
    except OSError as e:
        raise BuiltinError("os.hostname: %s" % e) from None
    if not name:
        raise BuiltinError("os.hostname: empty host name")
    return name.encode("utf-8", "replace")


def arch():
    return rust_arch(_machine(), 32 if sys.maxsize <= 2 ** 32 else 64)


def platform():
    return rust_platform(sys.platform)


def _exit_code(code):
    if code is None or code is True:
        return 0
    if code is False:
        return 1
    bad = "bad argument #1 to 'exit' (number expected, got %s)"
    if isinstance(code, (int, float)) or isinstance(code, bytes):
        value = args.number(code, bad % "string")
        if isinstance(value, float):
            if not value.is_integer():
                raise BuiltinError("bad argument #1 to 'exit' (number has no integer representation)")
            value = int(value)
        return value
    from assay.runtime.luaengine import lua_type
    raise BuiltinError(bad % (lua_type(code) or "value"))


def make_exit(bridge):
    def exit_now(code=None):
        status = _exit_code(code)
        runtime = getattr(bridge, "runtime", None)
        try:
            if runtime is not None:
                runtime.flush()
        except Exception:
            pass
        if not -(1 << 31) <= status < (1 << 31):
            status &= 0xFF
        from assay.runtime.exiting import exit_now as leave
        leave(status)
    return exit_now


def install(bridge):
    bridge.define("os", {"hostname": hostname, "arch": arch, "platform": platform,
                         "_exit": make_exit(bridge)}, lua=lua_file("os"))
