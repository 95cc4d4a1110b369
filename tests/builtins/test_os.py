"""`os` builtin (builtins.md §20, runtime.md §2): OS-01..03, RT-07 (incl. os.exit)."""
import platform as py_platform
import socket
import sys

import pytest

from assay.builtins.os_info import rust_arch, rust_platform

RUST_ARCHES = {"x86_64", "x86", "aarch64", "arm", "riscv64", "riscv32", "powerpc64", "powerpc",
               "s390x", "loongarch64", "sparc64", "mips", "mips64"}


def test_os_01_hostname_non_empty_string(lua):
    name = lua("return os.hostname()")
    assert isinstance(name, str) and name
    assert name == socket.gethostname()


def test_os_02_arch_rust_name(lua):
    arch = lua("return os.arch()")
    assert arch in RUST_ARCHES
    machine = py_platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        assert arch == ("x86_64" if sys.maxsize > 2 ** 32 else "x86")
    if machine in ("aarch64", "arm64"):
        assert arch == ("aarch64" if sys.maxsize > 2 ** 32 else "arm")


@pytest.mark.parametrize("machine, bits, expected", [
    ("x86_64", 64, "x86_64"), ("AMD64", 64, "x86_64"), ("amd64", 64, "x86_64"),
    ("arm64", 64, "aarch64"), ("aarch64", 64, "aarch64"), ("i686", 32, "x86"), ("i386", 32, "x86"),
    ("armv7l", 32, "arm"), ("riscv64", 64, "riscv64"), ("ppc64le", 64, "powerpc64"),
    ("s390x", 64, "s390x"), ("x86_64", 32, "x86"),
])
def test_os_02_arch_mapping(machine, bits, expected):
    assert rust_arch(machine, bits) == expected


@pytest.mark.parametrize("name, expected", [
    ("linux", "linux"), ("darwin", "macos"), ("win32", "windows"), ("cygwin", "windows"),
    ("freebsd14", "freebsd"), ("openbsd7", "openbsd"), ("sunos5", "solaris"),
])
def test_os_03_platform_mapping(name, expected):
    assert rust_platform(name) == expected


def test_os_03_platform_of_this_host(lua):
    value = lua("return os.platform()")
    expected = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform)
    if expected:
        assert value == expected
    assert value and value == value.lower()


def test_rt_07_os_table_contents(lua):
    code = """
      local names = {}
      for _, k in ipairs({"hostname", "arch", "platform", "exit", "time", "date", "clock",
                          "getenv", "difftime", "tmpname", "remove", "rename"}) do
        names[#names + 1] = k .. "=" .. type(os[k])
      end
      return table.concat(names, " "), os.execute == nil, require("os") == os
    """
    listing, no_execute, required = lua(code)
    assert listing == ("hostname=function arch=function platform=function exit=function "
                       "time=function date=function clock=function getenv=function "
                       "difftime=function tmpname=function remove=function rename=function")
    assert no_execute and required


def test_rt_07_kept_standard_functions_work(lua, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_OS_T", "v")
    src, dst = tmp_path / "a", tmp_path / "b"
    src.write_text("x")
    code = """
      local ok1 = os.rename(%r, %r)
      local ok2 = os.remove(%r)
      return math.type(os.time()), os.date("!%%Y", 0), os.getenv("ASSAY_OS_T"),
             os.difftime(10, 4), type(os.clock()), ok1, ok2
    """ % (str(src), str(dst), str(dst))
    assert lua(code) == ("integer", "1970", "v", 6.0, "number", True, True)
    assert not dst.exists()


@pytest.mark.parametrize("arg, code", [("", 0), ("true", 0), ("nil", 0), ("false", 1),
                                       ("7", 7), ("0", 0), ("3.0", 3), ("'5'", 5)])
def test_rt_07_os_exit_codes(assay, arg, code):
    result = assay("exec", "-e", 'print("before"); os.exit(%s); print("after")' % arg)
    assert result.returncode == code, result.stderr
    assert result.stdout == "before\n"
    assert "Traceback" not in result.stderr


def test_rt_07_os_exit_flushes_unterminated_output_and_files(assay, tmp_path):
    target = tmp_path / "out.txt"
    script = tmp_path / "exit.lua"
    script.write_text("""
      io.write("partial line")
      io.stderr:write("to stderr")
      local f = io.open(%r, "w")
      f:write("buffered file content")
      os.exit(4)
    """ % str(target))
    result = assay(script)
    assert result.returncode == 4
    assert result.stdout == "partial line"
    assert "to stderr" in result.stderr
    assert target.read_text() == "buffered file content"


def test_rt_07_os_exit_from_async_task(assay):
    code = ('async.spawn(function() sleep(0.01) io.write("task") os.exit(9) end) '
            'sleep(5) print("not reached")')
    result = assay("exec", "-e", code)
    assert result.returncode == 9, result.stderr
    assert result.stdout == "task"


def test_rt_07_os_exit_bad_argument(lua_fails):
    assert "bad argument #1 to 'exit'" in lua_fails("os.exit({})")
    assert "no integer representation" in lua_fails("os.exit(1.5)")
