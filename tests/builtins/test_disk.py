"""`disk` builtin (builtins.md §19): DISK-01..DISK-04."""
import os
import time


def lstr(text):
    return "[==[" + str(text) + "]==]"


# ------------------------------------------------------------------ DISK-01

def test_disk_01_usage_fields(lua, tmp_path):
    """DISK-01: integer total/free/used with used = total - free, float percent in (0, 100]."""
    code = """
    local u = disk.usage(%s)
    return u.total, u.free, u.used, u.percent, math.type(u.total), math.type(u.free), math.type(u.used),
           math.type(u.percent)
    """ % lstr(tmp_path)
    total, free, used, percent, *types = lua(code)
    assert types == ["integer", "integer", "integer", "float"]
    assert used == total - free
    st = os.statvfs(tmp_path)
    assert total == st.f_blocks * st.f_frsize
    assert abs(free - st.f_bfree * st.f_frsize) < 64 * 1024 * 1024  # the disk may change meanwhile
    assert 0 < percent <= 100
    assert abs(percent - used / total * 100) < 1e-9


def test_disk_01_usage_of_a_file_path(lua, tmp_path):
    """DISK-01: any path on the filesystem works, also a file."""
    f = tmp_path / "f.txt"
    f.write_text("x")
    assert lua("return disk.usage(%s).total > 0" % lstr(f)) is True


# ------------------------------------------------------------------ DISK-02

def test_disk_02_missing_path(lua_fails, tmp_path):
    """DISK-02: a missing path raises `disk.usage: failed to stat "<path>": <os error>`."""
    missing = tmp_path / "missing"
    assert lua_fails("disk.usage(%s)" % lstr(missing)) == \
        'disk.usage: failed to stat "%s": No such file or directory (os error 2)' % missing


def test_disk_02_path_is_quoted(lua_fails, tmp_path):
    """DISK-02: the path is quoted with escapes."""
    missing = str(tmp_path / 'q"x')
    assert lua_fails("disk.usage(%s)" % lstr(missing)) == \
        'disk.usage: failed to stat "%s": No such file or directory (os error 2)' % missing.replace('"', '\\"')


# ------------------------------------------------------------------ DISK-03

def _age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t), follow_symlinks=False)


def test_disk_03_sweep_removes_old_entries(lua, tmp_path):
    """DISK-03: entries older than age seconds are removed (dirs recursively); returns the count."""
    (tmp_path / "old.log").write_text("old")
    (tmp_path / "new.log").write_text("new")
    (tmp_path / "olddir").mkdir()
    (tmp_path / "olddir" / "inner.txt").write_text("x")
    _age(tmp_path / "old.log", 7200)
    _age(tmp_path / "olddir", 7200)
    code = "local n = disk.sweep(%s, 3600) return n, math.type(n)" % lstr(tmp_path)
    assert lua(code) == (2, "integer")
    assert sorted(os.listdir(tmp_path)) == ["new.log"]


def test_disk_03_sweep_age_zero_removes_everything_older_than_now(lua, tmp_path):
    """DISK-03: age 0 removes everything modified before now."""
    for name in ("a", "b", "c"):
        (tmp_path / name).write_text(name)
        _age(tmp_path / name, 5)
    assert lua("return disk.sweep(%s, 0)" % lstr(tmp_path)) == 3
    assert os.listdir(tmp_path) == []


def test_disk_03_sweep_nothing_old(lua, tmp_path):
    """DISK-03: nothing older than the age → 0 removed."""
    (tmp_path / "fresh").write_text("x")
    assert lua("return disk.sweep(%s, 3600)" % lstr(tmp_path)) == 0
    assert os.listdir(tmp_path) == ["fresh"]


def test_disk_03_sweep_errors_propagate(lua_fails, tmp_path):
    """§19: fs errors propagate (missing dir → fs.list error)."""
    missing = tmp_path / "nope"
    assert lua_fails("disk.sweep(%s, 1)" % lstr(missing)).startswith("fs.list: ")


def test_disk_03_sweep_uses_globals_at_call_time(lua, tmp_path):
    """§19: the helpers call the globals fs and time when they run."""
    (tmp_path / "a").write_text("x")
    code = """
    local real = time
    time = function() return real() + 7200 end   -- pretend two hours passed
    local n = disk.sweep(%s, 3600)
    time = real
    return n
    """ % lstr(tmp_path)
    assert lua(code) == 1


# ------------------------------------------------------------------ DISK-04

def test_disk_04_dir_size_counts_regular_files_recursively(lua, tmp_path):
    """DISK-04: total bytes of regular files, recursive; symlinks not counted."""
    (tmp_path / "a.bin").write_bytes(b"x" * 100)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"y" * 23)
    (tmp_path / "sub" / "deeper").mkdir()
    (tmp_path / "sub" / "deeper" / "c.bin").write_bytes(b"z" * 7)
    os.symlink(tmp_path / "a.bin", tmp_path / "link.bin")
    code = "local n = disk.dir_size(%s) return n, math.type(n)" % lstr(tmp_path)
    assert lua(code) == (130, "integer")


def test_disk_04_empty_dir_is_zero(lua, tmp_path):
    """DISK-04: an empty directory has size 0."""
    assert lua("return disk.dir_size(%s)" % lstr(tmp_path)) == 0


def test_disk_usage_is_blocking_builtin_in_tasks(lua, tmp_path):
    """RT-35: disk functions work inside tasks."""
    code = "return async.spawn(function() return disk.dir_size(%s) end).await()[1]" % lstr(tmp_path)
    assert lua(code) == 0
