"""`fs` builtin family (builtins.md §7): FS-01..FS-17."""
import os
import re
import stat

import pytest

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY = 65534  # root ignores permission bits: permission tests run the command as this user


@pytest.fixture
def perm_dir(tmp_path):
    """A directory the permission tests build in; as root, a fresh one under /tmp owned by nobody."""
    if not IS_ROOT:
        return tmp_path
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="assay-fs-perm-")
    os.chmod(d, 0o755)
    os.chown(d, NOBODY, NOBODY)
    yield type(tmp_path)(d)
    shutil.rmtree(d, ignore_errors=True)


def lock(path, mode):
    """chmod `path`; as root also hand it to nobody, so the bits apply to the command."""
    if IS_ROOT:
        os.chown(path, NOBODY, NOBODY)
    path.chmod(mode)


@pytest.fixture
def fs_error(lua_fails, assay, perm_dir):
    """fs_error(code): the error `code` raises; as root, from the command run as nobody."""
    def run(code):
        if not IS_ROOT:
            return lua_fails(code)
        proc = assay("exec", "-e", code, as_uid=NOBODY, extra_env={"HOME": str(perm_dir)})
        assert proc.returncode == 1, proc
        found = re.search(r" ERROR <eval>:1: (.*)$", proc.stderr, re.M)
        assert found, proc.stderr
        return found.group(1)
    return run


def q(path):
    """A Lua string literal for a path (str or bytes), every odd byte escaped."""
    raw = os.fsencode(path) if not isinstance(path, bytes) else path
    out = []
    for b in raw:
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
            out.append(chr(b))
        else:
            out.append("\\%03d" % b)
    return '"%s"' % "".join(out)


# ---------------------------------------------------------------- the family

def test_fs_family_has_the_13_original_functions_and_the_later_additions(lua):
    """FS-01..FS-17 (§7 heading) plus read_bytes/write_bytes/lines/sub_in_file; no private helper leaks."""
    names = lua("local t = {} for k in pairs(fs) do t[#t + 1] = k end table.sort(t) return t")
    assert names == sorted(["read", "write", "remove", "list", "stat", "mkdir", "exists", "copy",
                            "rename", "glob", "tempdir", "chmod", "readdir",
                            "read_bytes", "write_bytes", "lines", "sub_in_file"])


# ---------------------------------------------------------------- FS-01 read

def test_fs_01_read_returns_contents(lua, tmp_path):
    f = tmp_path / "hello.txt"
    f.write_bytes(b"line 1\nline 2\n")
    assert lua("return fs.read(%s)" % q(f)) == "line 1\nline 2\n"


def test_fs_01_read_missing_file_exact_message(lua_fails, tmp_path):
    missing = tmp_path / "missing.txt"
    assert lua_fails("fs.read(%s)" % q(missing)) == \
        'fs.read: failed to read "%s": No such file or directory (os error 2)' % missing


def test_fs_01_read_error_is_a_plain_string_without_position(lua, tmp_path):
    missing = tmp_path / "nope"
    ok, err, kind = lua("local ok, e = pcall(fs.read, %s) return ok, e, type(e)" % q(missing))
    assert (ok, kind) == (False, "string")
    assert err.startswith('fs.read: failed to read "') and err.endswith("(os error 2)")


def test_fs_01_read_path_is_quoted_with_escapes(lua_fails, tmp_path):
    odd = os.path.join(str(tmp_path), 'a"b\\c\nd\te')
    expected_path = str(tmp_path) + '/a\\"b\\\\c\\nd\\te'
    assert lua_fails("fs.read(%s)" % q(odd)) == \
        'fs.read: failed to read "%s": No such file or directory (os error 2)' % expected_path


def test_fs_01_read_invalid_utf8_path_shown_as_hex_escape(lua_fails, tmp_path):
    odd = os.fsencode(str(tmp_path)) + b"/x\xff\x01"
    assert lua_fails("fs.read(%s)" % q(odd)) == \
        'fs.read: failed to read "%s/x\\xFF\\u{1}": No such file or directory (os error 2)' % tmp_path


def test_fs_01_read_directory_reports_os_error(lua_fails, tmp_path):
    assert lua_fails("fs.read(%s)" % q(tmp_path)) == \
        'fs.read: failed to read "%s": Is a directory (os error 21)' % tmp_path


def test_fs_01_read_nul_byte_in_path(lua_fails):
    assert lua_fails('fs.read("a\\0b")') == \
        'fs.read: failed to read "a\\0b": file name contained an unexpected NUL byte'


def test_fs_01_read_number_path_is_coerced(lua, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "42").write_text("answer")
    assert lua("return fs.read(42)") == "answer"


def test_fs_01_read_rejects_table_argument(lua_fails):
    message = lua_fails("fs.read({})")
    assert "bad argument #1 to 'read'" in message and "table" in message


def test_fs_01_relative_paths_use_working_directory(lua, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lua('fs.write("rel/x.txt", "relative")')
    assert (tmp_path / "rel" / "x.txt").read_text() == "relative"
    assert lua('return fs.read("rel/x.txt")') == "relative"


# ---------------------------------------------------------------- FS-02 write

def test_fs_02_write_creates_file(lua, tmp_path):
    f = tmp_path / "new.txt"
    assert lua("return fs.write(%s, 'content')" % q(f)) is None
    assert f.read_bytes() == b"content"


def test_fs_02_write_creates_missing_parents(lua, tmp_path):
    f = tmp_path / "a" / "b" / "c" / "deep.txt"
    lua("fs.write(%s, 'deep')" % q(f))
    assert f.read_text() == "deep"


def test_fs_02_write_truncates_existing_file(lua, tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("a much longer previous content")
    lua("fs.write(%s, 'short')" % q(f))
    assert f.read_text() == "short"


def test_fs_02_write_empty_and_number_content(lua, tmp_path):
    f = tmp_path / "n.txt"
    lua("fs.write(%s, 12.5)" % q(f))
    assert f.read_text() == "12.5"
    lua("fs.write(%s, '')" % q(f))
    assert f.read_bytes() == b""


# ---------------------------------------------------------------- FS-03 write errors

def test_fs_03_write_parent_is_a_file(lua_fails, tmp_path):
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "sub" / "x.txt"
    assert lua_fails("fs.write(%s, 'x')" % q(target)) == \
        'fs.write: failed to create directories for "%s": Not a directory (os error 20)' % target


def test_fs_03_write_to_a_directory(lua_fails, tmp_path):
    assert lua_fails("fs.write(%s, 'x')" % q(tmp_path)) == \
        'fs.write: failed to write "%s": Is a directory (os error 21)' % tmp_path


def test_fs_03_write_nil_content_is_a_conversion_error(lua_fails, tmp_path):
    assert lua_fails("fs.write(%s)" % q(tmp_path / "x")) == \
        "bad argument #2 to 'write': error converting Lua nil to String (expected string or number)"
    assert not (tmp_path / "x").exists()


def test_fs_03_write_permission_denied(fs_error, perm_dir):
    locked = perm_dir / "locked"
    locked.mkdir()
    lock(locked, 0o500)
    try:
        assert fs_error("fs.write(%s, 'x')" % q(locked / "f")) == \
            'fs.write: failed to write "%s": Permission denied (os error 13)' % (locked / "f")
    finally:
        locked.chmod(0o700)


# ---------------------------------------------------------------- FS-04 exists

def test_fs_04_exists_true_and_false(lua, tmp_path):
    (tmp_path / "f").write_text("x")
    assert lua("return fs.exists(%s), fs.exists(%s), fs.exists(%s)"
               % (q(tmp_path / "f"), q(tmp_path), q(tmp_path / "nope"))) == (True, True, False)


def test_fs_04_exists_follows_symlinks(lua, tmp_path):
    (tmp_path / "target").write_text("x")
    os.symlink(tmp_path / "target", tmp_path / "good")
    os.symlink(tmp_path / "gone", tmp_path / "dangling")
    assert lua("return fs.exists(%s), fs.exists(%s)"
               % (q(tmp_path / "good"), q(tmp_path / "dangling"))) == (True, False)


def test_fs_04_exists_never_raises_for_odd_paths(lua, tmp_path):
    (tmp_path / "file").write_text("x")
    code = ("return fs.exists(%s), fs.exists('a\\0b'), fs.exists(''), fs.exists(%s)"
            % (q(tmp_path / "file" / "under"), q("/" + "x" * 5000)))
    assert lua(code) == (False, False, False, False)


# ---------------------------------------------------------------- FS-05 mkdir

def test_fs_05_mkdir_is_recursive(lua, tmp_path):
    d = tmp_path / "x" / "y" / "z"
    assert lua("return fs.mkdir(%s)" % q(d)) is None
    assert d.is_dir()


def test_fs_05_mkdir_is_idempotent(lua, tmp_path):
    d = tmp_path / "again"
    lua("fs.mkdir(%s) fs.mkdir(%s)" % (q(d), q(d)))
    assert d.is_dir()


def test_fs_05_mkdir_over_a_file_raises(lua_fails, tmp_path):
    f = tmp_path / "plain"
    f.write_text("x")
    assert lua_fails("fs.mkdir(%s)" % q(f)) == \
        'fs.mkdir: failed to create "%s": File exists (os error 17)' % f
    assert lua_fails("fs.mkdir(%s)" % q(f / "sub")) == \
        'fs.mkdir: failed to create "%s": Not a directory (os error 20)' % (f / "sub")


# ---------------------------------------------------------------- FS-06 remove

def test_fs_06_remove_file(lua, tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    lua("fs.remove(%s)" % q(f))
    assert not f.exists()


def test_fs_06_remove_directory_recursively(lua, tmp_path):
    d = tmp_path / "tree"
    (d / "a" / "b").mkdir(parents=True)
    (d / "a" / "b" / "f.txt").write_text("x")
    (d / "top.txt").write_text("x")
    lua("fs.remove(%s)" % q(d))
    assert not d.exists()


def test_fs_06_remove_symlink_to_directory_keeps_target(lua, tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    link = tmp_path / "link"
    os.symlink(target, link)
    lua("fs.remove(%s)" % q(link))
    assert not os.path.lexists(link)
    assert (target / "keep.txt").read_text() == "keep"


def test_fs_06_remove_symlink_to_file_keeps_target(lua, tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("keep")
    link = tmp_path / "l"
    os.symlink(target, link)
    lua("fs.remove(%s)" % q(link))
    assert not os.path.lexists(link) and target.read_text() == "keep"


def test_fs_06_remove_missing_raises(lua_fails, tmp_path):
    missing = tmp_path / "missing"
    assert lua_fails("fs.remove(%s)" % q(missing)) == \
        'fs.remove: failed to remove "%s": No such file or directory (os error 2)' % missing


def test_fs_06_remove_directory_error_message(fs_error, perm_dir):
    d = perm_dir / "d"
    (d / "inner").mkdir(parents=True)
    (d / "inner" / "f").write_text("x")
    if IS_ROOT:
        os.chown(d, NOBODY, NOBODY)
    lock(d / "inner", 0o500)
    try:
        message = fs_error("fs.remove(%s)" % q(d))
    finally:
        (d / "inner").chmod(0o700)
    assert message == 'fs.remove: failed to remove directory "%s": Permission denied (os error 13)' % d


def test_fs_06_remove_directory_failure_uses_directory_message(lua_fails, tmp_path, monkeypatch):
    """FS-06: a failing recursive removal reports `failed to remove directory` (simulated EACCES)."""
    import shutil

    def refuse(path, *a, **k):
        raise PermissionError(13, os.strerror(13), path)

    monkeypatch.setattr(shutil, "rmtree", refuse)
    d = tmp_path / "d"
    d.mkdir()
    assert lua_fails("fs.remove(%s)" % q(d)) == \
        'fs.remove: failed to remove directory "%s": Permission denied (os error 13)' % d


# ---------------------------------------------------------------- FS-07 stat

def test_fs_07_stat_file_fields_and_types(lua, tmp_path):
    f = tmp_path / "five.txt"
    f.write_bytes(b"12345")
    info, size_type, mod_type = lua(
        "local s = fs.stat(%s) return s, math.type(s.size), math.type(s.modified)" % q(f))
    assert (size_type, mod_type) == ("integer", "float")
    assert info["size"] == 5
    assert (info["is_file"], info["is_dir"], info["is_symlink"]) == (True, False, False)
    assert abs(info["modified"] - os.stat(f).st_mtime) < 1e-3
    assert set(info) <= {"size", "is_file", "is_dir", "is_symlink", "modified", "created"}


def test_fs_07_stat_directory(lua, tmp_path):
    info = lua("return fs.stat(%s)" % q(tmp_path))
    assert (info["is_file"], info["is_dir"], info["is_symlink"]) == (False, True, False)


def test_fs_07_stat_symlink_follows_target_but_reports_link(lua, tmp_path):
    target = tmp_path / "target.txt"
    target.write_bytes(b"abcdefgh")
    link = tmp_path / "link"
    os.symlink(target, link)
    info = lua("return fs.stat(%s)" % q(link))
    assert info["size"] == 8 and info["is_file"] is True and info["is_symlink"] is True


def test_fs_07_stat_created_when_available(lua, tmp_path):
    f = tmp_path / "born"
    f.write_text("x")
    info, created_type = lua("local s = fs.stat(%s) return s, math.type(s.created)" % q(f))
    if "created" not in info:
        pytest.skip("this filesystem reports no birth time")
    assert created_type == "float"
    assert abs(info["created"] - os.stat(f).st_mtime) < 5


def test_fs_07_stat_missing_raises(lua_fails, tmp_path):
    missing = tmp_path / "missing"
    assert lua_fails("fs.stat(%s)" % q(missing)) == \
        'fs.stat: failed to stat "%s": No such file or directory (os error 2)' % missing


def test_fs_07_stat_dangling_symlink_raises(lua_fails, tmp_path):
    link = tmp_path / "dangling"
    os.symlink(tmp_path / "gone", link)
    assert lua_fails("fs.stat(%s)" % q(link)) == \
        'fs.stat: failed to stat "%s": No such file or directory (os error 2)' % link


# ---------------------------------------------------------------- FS-08 list

def test_fs_08_list_entries_and_types(lua, tmp_path):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "dir").mkdir()
    os.symlink(tmp_path / "dir", tmp_path / "link")
    (tmp_path / ".dot").write_text("x")
    entries = lua("return fs.list(%s)" % q(tmp_path))
    got = sorted((e["name"], e["type"]) for e in entries)
    assert got == [(".dot", "file"), ("dir", "directory"), ("file.txt", "file"), ("link", "symlink")]
    assert all(set(e) == {"name", "type"} for e in entries)


def test_fs_08_list_not_recursive_and_empty(lua, tmp_path):
    (tmp_path / "d" / "inner").mkdir(parents=True)
    assert lua("return fs.list(%s)" % q(tmp_path)) == [{"name": "d", "type": "directory"}]
    assert lua("return #fs.list(%s)" % q(tmp_path / "d" / "inner")) == 0


def test_fs_08_list_missing_raises(lua_fails, tmp_path):
    missing = tmp_path / "nope"
    assert lua_fails("fs.list(%s)" % q(missing)) == \
        'fs.list: failed to list "%s": No such file or directory (os error 2)' % missing


def test_fs_08_list_odd_names_round_trip(lua, tmp_path):
    raw_dir = os.fsencode(str(tmp_path))
    with open(raw_dir + b"/odd\xffname", "wb") as f:
        f.write(b"odd")
    # the name from fs.list opens the same file again
    assert lua("local e = fs.list(%s)[1] return fs.read(%s .. '/' .. e.name)"
               % (q(raw_dir), q(raw_dir))) == "odd"


# ---------------------------------------------------------------- FS-09 copy

def test_fs_09_copy_returns_byte_count_and_keeps_source(lua, tmp_path):
    src, dst = tmp_path / "src.bin", tmp_path / "dst.bin"
    data = os.urandom(300000)
    src.write_bytes(data)
    n, kind = lua("local n = fs.copy(%s, %s) return n, math.type(n)" % (q(src), q(dst)))
    assert (n, kind) == (300000, "integer")
    assert src.read_bytes() == data and dst.read_bytes() == data


def test_fs_09_copy_overwrites_and_copies_permissions(lua, tmp_path):
    src, dst = tmp_path / "script.sh", tmp_path / "copy.sh"
    src.write_text("#!/bin/sh\n")
    src.chmod(0o751)
    dst.write_text("old content that is longer")
    dst.chmod(0o600)
    assert lua("return fs.copy(%s, %s)" % (q(src), q(dst))) == 10
    assert dst.read_text() == "#!/bin/sh\n"
    assert stat.S_IMODE(os.stat(dst).st_mode) == 0o751


def test_fs_09_copy_empty_file(lua, tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    assert lua("return fs.copy(%s, %s)" % (q(tmp_path / "empty"), q(tmp_path / "e2"))) == 0
    assert (tmp_path / "e2").read_bytes() == b""


def test_fs_09_copy_missing_source_raises(lua_fails, tmp_path):
    src, dst = tmp_path / "nope", tmp_path / "dst"
    assert lua_fails("fs.copy(%s, %s)" % (q(src), q(dst))) == \
        'fs.copy: failed to copy "%s" to "%s": No such file or directory (os error 2)' % (src, dst)
    assert not dst.exists()


def test_fs_09_copy_missing_destination_parent_raises(lua_fails, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "no" / "dst"
    src.write_text("x")
    assert lua_fails("fs.copy(%s, %s)" % (q(src), q(dst))) == \
        'fs.copy: failed to copy "%s" to "%s": No such file or directory (os error 2)' % (src, dst)


def test_fs_09_copy_directory_source_raises(lua_fails, tmp_path):
    dst = tmp_path / "dst"
    message = lua_fails("fs.copy(%s, %s)" % (q(tmp_path), q(dst)))
    assert message.startswith('fs.copy: failed to copy "%s" to "%s": ' % (tmp_path, dst))
    assert not dst.exists()


# ---------------------------------------------------------------- FS-10 rename

def test_fs_10_rename_moves_file(lua, tmp_path):
    src, dst = tmp_path / "a.txt", tmp_path / "b.txt"
    src.write_text("moved")
    assert lua("return fs.rename(%s, %s)" % (q(src), q(dst))) is None
    assert not src.exists() and dst.read_text() == "moved"


def test_fs_10_rename_replaces_existing_and_moves_directories(lua, tmp_path):
    (tmp_path / "new").write_text("new")
    (tmp_path / "old").write_text("old")
    (tmp_path / "d1").mkdir()
    (tmp_path / "d1" / "in").write_text("in")
    lua("fs.rename(%s, %s) fs.rename(%s, %s)" % (q(tmp_path / "new"), q(tmp_path / "old"),
                                                q(tmp_path / "d1"), q(tmp_path / "d2")))
    assert (tmp_path / "old").read_text() == "new"
    assert (tmp_path / "d2" / "in").read_text() == "in" and not (tmp_path / "d1").exists()


def test_fs_10_rename_missing_source_raises(lua_fails, tmp_path):
    src, dst = tmp_path / "nope", tmp_path / "dst"
    assert lua_fails("fs.rename(%s, %s)" % (q(src), q(dst))) == \
        'fs.rename: failed to rename "%s" to "%s": No such file or directory (os error 2)' % (src, dst)


# ---------------------------------------------------------------- FS-11 glob

@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A small tree, with the working directory at its root."""
    for rel in ["dir/top.txt", "dir/sub/nested.txt", "dir/sub/deeper/x.txt", "dir/sub/note.md",
                "dir/.hidden.txt", "dir/.git/config", "a1.log", "a2.log", "b1.log", "ab.log",
                "c.log", "A1.log"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fs_11_glob_star_is_sorted_and_relative(lua, tree):
    assert lua('return fs.glob("*.log")') == ["A1.log", "a1.log", "a2.log", "ab.log", "b1.log", "c.log"]


def test_fs_11_glob_question_mark(lua, tree):
    assert lua('return fs.glob("a?.log")') == ["a1.log", "a2.log", "ab.log"]


def test_fs_11_glob_character_classes(lua, tree):
    assert lua('return fs.glob("[ab]1.log")') == ["a1.log", "b1.log"]
    assert lua('return fs.glob("a[0-9].log")') == ["a1.log", "a2.log"]
    assert lua('return fs.glob("a[!0-9].log")') == ["ab.log"]
    assert lua('return fs.glob("[!a]*.log")') == ["A1.log", "b1.log", "c.log"]


def test_fs_11_glob_is_case_sensitive(lua, tree):
    assert lua('return fs.glob("A*")') == ["A1.log"]


def test_fs_11_glob_star_matches_dotfiles(lua, tree):
    assert lua('return fs.glob("dir/*")') == ["dir/.git", "dir/.hidden.txt", "dir/sub", "dir/top.txt"]
    assert lua('return fs.glob("dir/*.txt")') == ["dir/.hidden.txt", "dir/top.txt"]


def test_fs_11_glob_double_star_any_depth_including_none(lua, tree):
    assert lua('return fs.glob("dir/**/*.txt")') == [
        "dir/.hidden.txt", "dir/sub/deeper/x.txt", "dir/sub/nested.txt", "dir/top.txt"]
    assert lua('return fs.glob("**/config")') == ["dir/.git/config"]


def test_fs_11_glob_star_stays_within_one_component(lua, tree):
    assert lua('return fs.glob("dir/*.md")') == []
    assert lua('return fs.glob("dir/*/*.md")') == ["dir/sub/note.md"]


def test_fs_11_glob_no_match_is_empty_table(lua, tree):
    assert lua('local r = fs.glob("*.nothing") return type(r), #r') == ("table", 0)
    assert lua('return #fs.glob("missing/dir/*")') == 0


def test_fs_11_glob_absolute_pattern_gives_absolute_paths(lua, tree):
    assert lua("return fs.glob(%s)" % q(str(tree) + "/dir/sub/*.txt")) == [str(tree) + "/dir/sub/nested.txt"]


def test_fs_11_glob_literal_pattern_matches_existing_path_only(lua, tree):
    assert lua('return fs.glob("dir/top.txt")') == ["dir/top.txt"]
    assert lua('return #fs.glob("dir/absent.txt")') == 0


def test_fs_11_glob_sorted_by_component(lua, tree):
    """FS-11: results are in alphabetical order (a directory's contents stay together)."""
    (tree / "z").mkdir()
    (tree / "z" / "b").write_text("x")
    (tree / "z.txt").write_text("x")
    (tree / "y").mkdir()
    (tree / "y" / "q").write_text("x")
    assert lua('return fs.glob("[yz]*/*")') == ["y/q", "z/b"]
    assert lua('return fs.glob("z*")') == ["z", "z.txt"]


def test_fs_11_glob_metacharacters_in_brackets_are_literal(lua, tree):
    (tree / "what?.txt").write_text("x")
    (tree / "whatX.txt").write_text("x")
    assert lua('return fs.glob("what[?].txt")') == ["what?.txt"]


# ---------------------------------------------------------------- FS-12 glob errors

def test_fs_12_glob_unterminated_bracket_raises(lua_fails, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert lua_fails('fs.glob("[invalid")').startswith('fs.glob: invalid pattern "[invalid": ')


@pytest.mark.parametrize("pattern", ["a**", "**a", "dir/x**/y", "***"])
def test_fs_12_glob_double_star_not_a_whole_component_raises(lua_fails, tmp_path, monkeypatch, pattern):
    monkeypatch.chdir(tmp_path)
    assert lua_fails('fs.glob("%s")' % pattern).startswith('fs.glob: invalid pattern "%s": ' % pattern)


def test_fs_12_glob_unreadable_directory_raises(fs_error, perm_dir):
    locked = perm_dir / "locked"
    locked.mkdir()
    lock(locked, 0)
    try:
        message = fs_error("fs.glob(%s)" % q(str(locked) + "/*"))
    finally:
        locked.chmod(0o700)
    assert message.startswith("fs.glob: error reading entry: ")


def test_fs_12_glob_read_error_simulated(lua_fails, tmp_path, monkeypatch):
    """FS-12 (`error reading entry`): an unreadable directory met while globbing raises."""
    from assay.builtins import fs as fs_module
    real_scandir = os.scandir
    locked = os.fsencode(str(tmp_path / "locked"))
    os.mkdir(locked)

    def scandir(path="."):
        if path == locked:
            raise PermissionError(13, os.strerror(13), path)
        return real_scandir(path)

    monkeypatch.setattr(fs_module.os, "scandir", scandir)
    assert lua_fails("fs.glob(%s)" % q(str(tmp_path) + "/*/*")) == (
        'fs.glob: error reading entry: attempting to read "%s/locked" resulted in an error: '
        "Permission denied (os error 13)" % tmp_path)


# ---------------------------------------------------------------- FS-13 tempdir

def test_fs_13_tempdir_under_tmpdir(lua, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    first, second = lua("return fs.tempdir(), fs.tempdir()")
    for path in (first, second):
        assert os.path.dirname(path) == str(tmp_path)
        assert re.fullmatch(r"assay-[0-9a-f]+-[0-9]+", os.path.basename(path))
        assert os.path.isdir(path)
    assert first != second
    assert os.listdir(first) == []


def test_fs_13_tempdir_counter_increases(lua, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    paths = lua("return {fs.tempdir(), fs.tempdir(), fs.tempdir()}")
    counters = [int(p.rsplit("-", 1)[1]) for p in paths]
    assert counters == sorted(counters) and len(set(counters)) == 3


def test_fs_13_tempdir_defaults_to_tmp(lua, monkeypatch):
    monkeypatch.delenv("TMPDIR", raising=False)
    path = lua("return fs.tempdir()")
    try:
        assert path.startswith("/tmp/assay-") and os.path.isdir(path)
    finally:
        os.rmdir(path)


def test_fs_13_tempdir_failure_message(lua_fails, tmp_path, monkeypatch):
    base = tmp_path / "absent"
    monkeypatch.setenv("TMPDIR", str(base))
    message = lua_fails("fs.tempdir()")
    assert re.fullmatch(r'fs\.tempdir: failed to create "%s/assay-[0-9a-f]+-[0-9]+": '
                        r"No such file or directory \(os error 2\)" % re.escape(str(base)), message)


# ---------------------------------------------------------------- FS-14 chmod

def test_fs_14_chmod_sets_permission_bits(lua, tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    lua("fs.chmod(%s, 493)" % q(f))
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o755
    lua("fs.chmod(%s, 420)" % q(f))
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o644


def test_fs_14_chmod_accepts_integral_float_and_numeric_string(lua, tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    lua("fs.chmod(%s, 384.0)" % q(f))
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    lua("fs.chmod(%s, '448')" % q(f))
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o700


def test_fs_14_chmod_missing_raises(lua_fails, tmp_path):
    missing = tmp_path / "missing"
    assert lua_fails("fs.chmod(%s, 420)" % q(missing)) == \
        'fs.chmod: failed to chmod "%s": No such file or directory (os error 2)' % missing


def test_fs_14_chmod_bad_mode_raises(lua_fails, tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    for bad in ("nil", "1.5", "'rwx'", "{}", "-1"):
        assert "bad argument #2 to 'chmod'" in lua_fails("fs.chmod(%s, %s)" % (q(f), bad))


# ---------------------------------------------------------------- FS-15 readdir

def _check_preorder(entries):
    """Every entry's parent directory appears earlier, and a directory's subtree is contiguous."""
    paths = [e["path"] for e in entries]
    for i, p in enumerate(paths):
        if "/" in p:
            parent = p.rsplit("/", 1)[0]
            j = paths.index(parent)
            assert j < i
            assert all(q_.startswith(parent + "/") for q_ in paths[j + 1:i])


def test_fs_15_readdir_recursive_preorder(lua, tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "b.txt").write_text("x")
    (tmp_path / "sub" / "deeper" / "c.txt").write_text("x")
    (tmp_path / "z").mkdir()
    entries = lua("return fs.readdir(%s)" % q(tmp_path))
    got = {e["path"]: e["type"] for e in entries}
    assert got == {"a.txt": "file", "sub": "directory", "sub/b.txt": "file",
                   "sub/deeper": "directory", "sub/deeper/c.txt": "file", "z": "directory"}
    assert len(entries) == 6
    _check_preorder(entries)


def test_fs_15_readdir_spec_example(lua, tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("x")
    entries = lua("return fs.readdir(%s)" % q(tmp_path))
    paths = [e["path"] for e in entries]
    assert sorted(paths) == ["a.txt", "sub", "sub/b.txt"]
    assert paths.index("sub/b.txt") == paths.index("sub") + 1


def test_fs_15_readdir_symlinked_directory_listed_not_descended(lua, tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "inside.txt").write_text("x")
    base = tmp_path / "base"
    base.mkdir()
    os.symlink(target, base / "link")
    assert lua("return fs.readdir(%s)" % q(base)) == [{"path": "link", "type": "symlink"}]


def test_fs_15_readdir_trailing_slash_and_empty_dir(lua, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    assert lua("return fs.readdir(%s)" % q(str(tmp_path) + "/")) == [
        {"path": "d", "type": "directory"}, {"path": "d/f", "type": "file"}]
    assert lua("return #fs.readdir(%s)" % q(tmp_path / "d")) == 1


# ---------------------------------------------------------------- FS-16 readdir depth / errors

@pytest.fixture
def deep(tmp_path):
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c" / "f.txt").write_text("x")
    (tmp_path / "top.txt").write_text("x")
    return tmp_path


def test_fs_16_readdir_depth_one_lists_direct_children(lua, deep):
    entries = lua("return fs.readdir(%s, {depth = 1})" % q(deep))
    assert sorted(e["path"] for e in entries) == ["a", "top.txt"]
    entries0 = lua("return fs.readdir(%s, {depth = 0})" % q(deep))
    assert sorted(e["path"] for e in entries0) == ["a", "top.txt"]


def test_fs_16_readdir_depth_two_and_unlimited(lua, deep):
    two = lua("return fs.readdir(%s, {depth = 2})" % q(deep))
    assert sorted(e["path"] for e in two) == ["a", "a/b", "top.txt"]
    unlimited = lua("return fs.readdir(%s, {})" % q(deep))
    assert sorted(e["path"] for e in unlimited) == ["a", "a/b", "a/b/c", "a/b/c/f.txt", "top.txt"]


def test_fs_16_readdir_non_table_options_ignored(lua, deep):
    entries = lua("return fs.readdir(%s, 1)" % q(deep))
    assert len(entries) == 5


def test_fs_16_readdir_missing_dir_raises(lua_fails, tmp_path):
    missing = tmp_path / "missing"
    assert lua_fails("fs.readdir(%s, {depth = 1})" % q(missing)) == \
        'fs.readdir: failed to read "%s": No such file or directory (os error 2)' % missing


def test_fs_16_readdir_without_path_raises(lua_fails):
    assert lua_fails("fs.readdir()") == "fs.readdir: path required"


# ---------------------------------------------------------------- FS-17 binary safety

def test_fs_17_read_and_write_are_binary_safe(lua, tmp_path):
    data = bytes(range(256)) * 4
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    dst = tmp_path / "out.bin"
    n = lua("local d = fs.read(%s) fs.write(%s, d) return #d" % (q(src), q(dst)))
    assert n == 1024
    assert dst.read_bytes() == data


def test_fs_17_write_accepts_lua_escapes(lua, tmp_path):
    f = tmp_path / "w.bin"
    lua('fs.write(%s, "\\0\\255\\254abc\\128")' % q(f))
    assert f.read_bytes() == b"\x00\xff\xfeabc\x80"
    assert lua("return fs.read(%s) == '\\0\\255\\254abc\\128'" % q(f)) is True


def test_fs_17_binary_round_trip_through_the_command(assay, tmp_path):
    src = tmp_path / "img.bin"
    src.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff" * 10)
    code = ("local d = fs.read(%s) fs.write(%s, d) print(#d)"
            % (q(src), q(tmp_path / "copy.bin")))
    result = assay("exec", "-e", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "100"
    assert (tmp_path / "copy.bin").read_bytes() == src.read_bytes()
