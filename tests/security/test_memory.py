"""The 64 MiB Lua heap: a builtin whose result does not fit is a clean, catchable
error naming the size; the process neither hangs nor panics afterwards."""
import pytest

from conftest import run_assay

BIG = "string.rep('x', 40 * 1024 * 1024)"


@pytest.mark.parametrize("call", [
    "json.encode({%s})" % BIG,
    "yaml.encode({%s})" % BIG,
    "base64.encode(string.rep('x', 30 * 1024 * 1024))",
])
def test_builtin_result_too_big_is_catchable(tmp_path, call):
    fn = call.split("(")[0]
    script = tmp_path / "m.lua"
    script.write_text("local ok, err = pcall(function() return %s end)\n"
                      "print(ok, err)\nprint('after')\n" % call)
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 0, r.stderr
    first, second = r.stdout.splitlines()
    assert first.startswith("false\t%s: not enough memory (a value of " % fn)
    assert second == "after"


def test_fs_read_of_a_file_bigger_than_the_heap(tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(70_000_000)
    script = tmp_path / "m.lua"
    script.write_text("print(pcall(fs.read, %r))\nprint('after')\n" % str(big))
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("false\tfs.read: not enough memory (a value of 70000")
    assert r.stdout.endswith("after\n")


def test_uncaught_result_too_big_exits_1_and_names_the_builtin(tmp_path):
    script = tmp_path / "m.lua"
    script.write_text("local s = json.encode({%s})\n" % BIG)
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 1
    assert "m.lua:1: json.encode: not enough memory" in r.stderr
