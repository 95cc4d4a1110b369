"""fs.lines, fs.sub_in_file, fs.read_bytes/fs.write_bytes (upstream-delta §1)."""
import os
import stat

from test_fs import q


# ---------------------------------------------------------------- fs.lines

def test_lines_strip_newlines_and_keep_a_last_line_without_newline(lua, tmp_path):
    f = tmp_path / "log.txt"
    f.write_bytes(b"alpha\nbeta\r\n\ngamma")
    assert lua("return fs.lines(%s)" % q(f)) == ["alpha", "beta", "", "gamma"]


def test_lines_final_newline_does_not_add_an_empty_line(lua, tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"one\ntwo\n")
    assert lua("return #fs.lines(%s)" % q(f)) == 2


def test_lines_of_an_empty_file_is_an_empty_array(lua, tmp_path):
    f = tmp_path / "empty"
    f.write_bytes(b"")
    assert lua("local l = fs.lines(%s) return #l, next(l) == nil" % q(f)) == (0, True)


def test_lines_works_as_a_for_in_iterator_and_with_ipairs(lua, tmp_path):
    f = tmp_path / "app.log"
    f.write_bytes(b"INFO start\nERROR disk\nINFO ok\nERROR net\n")
    got = lua("""
      local errors, seen = 0, {}
      for line in fs.lines(%s) do if line:match("ERROR") then errors = errors + 1 end end
      for i, line in ipairs(fs.lines(%s)) do seen[i] = line:sub(1, 4) end
      return errors, table.concat(seen, ",")
    """ % (q(f), q(f)))
    assert got == (2, "INFO,ERRO,INFO,ERRO")


def test_lines_missing_file_names_the_path(lua_fails, tmp_path):
    missing = tmp_path / "nope.txt"
    assert lua_fails("fs.lines(%s)" % q(missing)) == \
        'fs.lines: failed to read "%s": No such file or directory (os error 2)' % missing


def test_lines_rejects_a_non_string_path(lua_fails):
    assert lua_fails("fs.lines({})") == "fs.lines: path must be a string, got table"


# ---------------------------------------------------------------- fs.sub_in_file

def test_sub_in_file_replaces_every_match_and_returns_the_count(lua, tmp_path):
    f = tmp_path / "values.yaml"
    f.write_bytes(b"image: foo:v1.2.3\nsidecar: foo:v1.0.0\n")
    n = lua('return fs.sub_in_file(%s, "foo:v%%d+%%.%%d+%%.%%d+", "foo:v2.0.0")' % q(f))
    assert n == 2
    assert f.read_bytes() == b"image: foo:v2.0.0\nsidecar: foo:v2.0.0\n"


def test_sub_in_file_captures_and_function_replacement(lua, tmp_path):
    f = tmp_path / "kv.txt"
    f.write_bytes(b"a=1 b=2")
    assert lua('return fs.sub_in_file(%s, "(%%w)=(%%d)", "%%2=%%1")' % q(f)) == 2
    assert f.read_bytes() == b"1=a 2=b"
    assert lua('return fs.sub_in_file(%s, "%%d", function(d) return tostring(d * 10) end)' % q(f)) == 2
    assert f.read_bytes() == b"10=a 20=b"


def test_sub_in_file_without_a_match_leaves_the_file_untouched(lua, tmp_path):
    f = tmp_path / "same.txt"
    f.write_bytes(b"nothing here")
    os.utime(f, (1_000_000, 1_000_000))
    assert lua('return fs.sub_in_file(%s, "absent", "x")' % q(f)) == 0
    assert f.read_bytes() == b"nothing here"
    assert os.stat(f).st_mtime == 1_000_000


def test_sub_in_file_keeps_the_permission_bits(lua, tmp_path):
    f = tmp_path / "run.sh"
    f.write_bytes(b"echo old\n")
    os.chmod(f, 0o750)
    lua('return fs.sub_in_file(%s, "old", "new")' % q(f))
    assert f.read_bytes() == b"echo new\n"
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["run.sh"]  # no temp file left


def test_sub_in_file_bad_pattern_is_a_one_line_error_and_the_file_is_unchanged(lua_fails, tmp_path):
    f = tmp_path / "c.txt"
    f.write_bytes(b"100%")
    assert lua_fails('fs.sub_in_file(%s, "%%", "x")' % q(f)) == \
        "fs.sub_in_file: malformed pattern (ends with '%')"
    assert f.read_bytes() == b"100%"


def test_sub_in_file_error_in_replacement_function_leaves_the_file_unchanged(lua_fails, tmp_path):
    f = tmp_path / "d.txt"
    f.write_bytes(b"abc")
    err = lua_fails('fs.sub_in_file(%s, "b", function() error("no way", 0) end)' % q(f))
    assert err == "fs.sub_in_file: no way"
    assert f.read_bytes() == b"abc"


def test_sub_in_file_argument_errors(lua_fails, tmp_path):
    f = tmp_path / "e.txt"
    f.write_bytes(b"x")
    assert lua_fails('fs.sub_in_file(nil, "a", "b")') == "fs.sub_in_file: path must be a string, got nil"
    assert lua_fails('fs.sub_in_file(%s, nil, "b")' % q(f)) == "fs.sub_in_file: pattern must be a string, got nil"
    assert lua_fails('fs.sub_in_file(%s, "a", true)' % q(f)) == \
        "fs.sub_in_file: replacement must be a string, table or function, got boolean"
    missing = tmp_path / "missing"
    assert lua_fails('fs.sub_in_file(%s, "a", "b")' % q(missing)) == \
        'fs.sub_in_file: failed to read "%s": No such file or directory (os error 2)' % missing


# ---------------------------------------------------------------- read_bytes / write_bytes

def test_bytes_round_trip_every_byte_value(lua, tmp_path):
    f = tmp_path / "sub" / "blob.bin"
    lua("""
      local t = {}
      for i = 0, 255 do t[#t + 1] = string.char(i) end
      fs.write_bytes(%s, table.concat(t))
    """ % q(f))
    assert f.read_bytes() == bytes(range(256))
    assert lua("local s = fs.read_bytes(%s) return #s, s:byte(1), s:byte(256)" % q(f)) == (256, 0, 255)


def test_bytes_errors_name_the_function_and_path(lua_fails, tmp_path):
    missing = tmp_path / "none.bin"
    assert lua_fails("fs.read_bytes(%s)" % q(missing)) == \
        'fs.read_bytes: failed to read "%s": No such file or directory (os error 2)' % missing
    assert lua_fails("fs.write_bytes(%s, nil)" % q(missing)) == "fs.write_bytes: data must be a string, got nil"
    assert lua_fails("fs.write_bytes(nil, 'x')") == "fs.write_bytes: path must be a string, got nil"
