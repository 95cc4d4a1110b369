"""tar.create/list/read/extract and compress.* (upstream-delta §1), path-traversal refusals.

Archives are written and read back with Python's tarfile/gzip/lzma and zstandard, so
the formats are checked independently of assay; hostile archives are built by hand.
"""
import gzip
import io
import lzma
import os
import tarfile

import pytest
import zstandard


def q(path):
    return '"%s"' % str(path).replace("\\", "\\\\").replace('"', '\\"')


def make_tar(path, members, mode="w"):
    """members: [(TarInfo kwargs, content bytes or None)]."""
    with tarfile.open(path, mode) as tf:
        for fields, content in members:
            info = tarfile.TarInfo(fields.pop("name"))
            for k, v in fields.items():
                setattr(info, k, v)
            if content is not None:
                info.size = len(content)
                tf.addfile(info, io.BytesIO(content))
            else:
                tf.addfile(info)


def tree(root):
    out = []
    for base, dirs, files in os.walk(root):
        out += [os.path.relpath(os.path.join(base, n), root) for n in dirs + files]
    return sorted(out)


# ---------------------------------------------------------------- create / list / read

@pytest.mark.parametrize("name, opener", [
    ("bundle.tar.gz", lambda p: tarfile.open(p, "r:gz")),
    ("bundle.tgz", lambda p: tarfile.open(p, "r:gz")),
    ("bundle.tar.xz", lambda p: tarfile.open(p, "r:xz")),
    ("bundle.tar", lambda p: tarfile.open(p, "r:")),
    ("bundle.tar.zst", lambda p: tarfile.open(fileobj=io.BytesIO(
        zstandard.ZstdDecompressor().stream_reader(open(p, "rb")).read()), mode="r:")),
])
def test_create_writes_a_real_archive_in_the_format_of_the_extension(lua, tmp_path, name, opener):
    out = tmp_path / name
    assert lua('return tar.create(%s, {["app/main.lua"] = "print(1)", ["config.toml"] = "port = 1\\n"})'
               % q(out)) is True
    with opener(str(out)) as tf:
        assert sorted(tf.getnames()) == ["app/main.lua", "config.toml"]
        assert tf.extractfile("app/main.lua").read() == b"print(1)"


def test_create_gzip_option_and_compression_option(lua, tmp_path):
    lua('tar.create(%s, {a = "1"}, {gzip = false})' % q(tmp_path / "plain.tgz"))
    assert (tmp_path / "plain.tgz").read_bytes()[:2] != b"\x1f\x8b"
    lua('tar.create(%s, {a = "1"}, {compression = "xz"})' % q(tmp_path / "x.bin"))
    assert (tmp_path / "x.bin").read_bytes()[:6] == b"\xfd7zXZ\x00"


def test_list_and_read_round_trip_binary_content(lua, tmp_path):
    out = tmp_path / "b.tar.gz"
    got = lua("""
      local blob = {} for i = 0, 255 do blob[#blob + 1] = string.char(i) end
      blob = table.concat(blob)
      tar.create(%s, {["bin/blob"] = blob, ["README"] = "hi"})
      local files = tar.read(%s)
      return tar.list(%s), files["bin/blob"] == blob, files["README"]
    """ % (q(out), q(out), q(out)))
    assert got == (["README", "bin/blob"], True, "hi")


def test_list_reads_archives_made_elsewhere_with_directories(lua, tmp_path):
    path = tmp_path / "ext.tar.xz"
    make_tar(str(path), [({"name": "d", "type": tarfile.DIRTYPE}, None), ({"name": "d/f"}, b"x")], "w:xz")
    assert lua("return tar.list(%s)" % q(path)) == ["d", "d/f"]
    assert lua("return tar.read(%s)" % q(path)) == {"d/f": "x"}


def test_create_refuses_escaping_names_and_bad_content(lua_fails, tmp_path):
    out = tmp_path / "e.tar"
    assert lua_fails('tar.create(%s, {["../x"] = "1"})' % q(out)) == 'tar.create: refusing "../x": path contains \'..\''
    assert lua_fails('tar.create(%s, {["/etc/x"] = "1"})' % q(out)) == 'tar.create: refusing "/etc/x": absolute path'
    assert lua_fails('tar.create(%s, {a = {}})' % q(out)) == 'tar.create: content of "a" must be a string, got table'
    assert lua_fails('tar.create(%s, "x")' % q(out)) == "tar.create: files must be a table of {path = content}, got string"
    assert lua_fails('tar.create(%s, {a = "1"}, {compression = "rar"})' % q(out)) == \
        "tar.create: unsupported compression rar (gz, xz, zstd, none)"
    assert not out.exists()


def test_missing_and_corrupt_archives_name_the_path(lua_fails, tmp_path):
    missing = tmp_path / "none.tar.gz"
    assert lua_fails("tar.list(%s)" % q(missing)) == \
        'tar.list: failed to open "%s": No such file or directory (os error 2)' % missing
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(gzip.compress(b"definitely not a tar header" * 3))
    err = lua_fails("tar.extract(%s, %s)" % (q(bad), q(tmp_path / "out")))
    assert err.startswith('tar.extract: "%s" is not a valid tar archive: ' % bad) and "\n" not in err
    assert not (tmp_path / "out").exists()
    truncated = tmp_path / "cut.tar.gz"
    make_tar(str(truncated), [({"name": "f"}, os.urandom(100000))], "w:gz")
    truncated.write_bytes(truncated.read_bytes()[:50000])
    assert lua_fails("tar.read(%s)" % q(truncated)).startswith('tar.read: "%s" is not a valid tar archive: ' % truncated)


# ---------------------------------------------------------------- extract and traversal

def test_extract_unpacks_files_and_directories(lua, tmp_path):
    path = tmp_path / "ok.tar.gz"
    make_tar(str(path), [({"name": "site", "type": tarfile.DIRTYPE, "mode": 0o755}, None),
                         ({"name": "site/index.html"}, b"<h1>hi</h1>"),
                         ({"name": "site/current", "type": tarfile.SYMTYPE, "linkname": "index.html"}, None)],
             "w:gz")
    dest = tmp_path / "out"
    assert lua("return tar.extract(%s, %s)" % (q(path), q(dest))) is True
    assert (dest / "site" / "index.html").read_bytes() == b"<h1>hi</h1>"
    assert os.readlink(dest / "site" / "current") == "index.html"


@pytest.mark.parametrize("members, reason", [
    ([({"name": "../evil.sh"}, b"x")], "path contains '..'"),
    ([({"name": "ok/../../evil.sh"}, b"x")], "path contains '..'"),
    ([({"name": "/tmp/evil.sh"}, b"x")], "absolute path"),
    ([({"name": "etc", "type": tarfile.SYMTYPE, "linkname": "/etc"}, None)], 'link to absolute path "/etc"'),
    ([({"name": "up", "type": tarfile.SYMTYPE, "linkname": "../.."}, None)], 'link "../.." points outside the destination'),
    ([({"name": "a/b", "type": tarfile.SYMTYPE, "linkname": "../../x"}, None)], 'link "../../x" points outside the destination'),
    ([({"name": "h", "type": tarfile.LNKTYPE, "linkname": "../outside"}, None)], 'link "../outside" points outside the destination'),
    ([({"name": "in", "type": tarfile.SYMTYPE, "linkname": "sub"}, None), ({"name": "in/f"}, b"x")],
     'path goes through the archive\'s symlink "in"'),
    ([({"name": "null", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}, None)], "special file (device, FIFO)"),
])
def test_extract_refuses_members_that_leave_the_destination(lua_fails, tmp_path, members, reason):
    path = tmp_path / "evil.tar"
    # a harmless member first: nothing at all may be written when a later one is refused
    make_tar(str(path), [({"name": "harmless.txt"}, b"ok")] + members)
    dest = tmp_path / "out"
    err = lua_fails("tar.extract(%s, %s)" % (q(path), q(dest)))
    assert err.startswith('tar.extract: refusing "') and err.endswith(reason), err
    assert not dest.exists()
    assert sorted(os.listdir(tmp_path)) == ["evil.tar"]


def test_extract_refuses_writing_through_a_symlink_already_in_the_destination(lua_fails, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "conf")
    path = tmp_path / "a.tar"
    make_tar(str(path), [({"name": "conf/app.yaml"}, b"x")])
    err = lua_fails("tar.extract(%s, %s)" % (q(path), q(dest)))
    assert err.startswith('tar.extract: refusing a member of "%s": ' % path)
    assert os.listdir(outside) == []


# ---------------------------------------------------------------- compress

def test_gzip_xz_zstd_round_trip_and_interoperate(lua):
    data = "line of text\n" * 500
    gz, xz, zs = lua('local s = string.rep("line of text\\n", 500) '
                     'return compress.gzip(s), compress.xz(s, 1), compress.zstd(s, 19)')
    for blob in (gz, xz, zs):
        assert len(blob) < len(data)
    assert lua('local s = string.rep("x", 1000) '
               'return compress.gunzip(compress.gzip(s)) == s, compress.unxz(compress.xz(s)) == s, '
               'compress.unzstd(compress.zstd(s)) == s') == (True, True, True)


def test_decompress_data_made_by_other_tools(lua, tmp_path):
    payloads = {"gz": gzip.compress(b"from gzip"), "xz": lzma.compress(b"from xz"),
                "zst": zstandard.ZstdCompressor().compress(b"from zstd")}
    for name, blob in payloads.items():
        (tmp_path / name).write_bytes(blob)
    got = lua('return compress.gunzip(fs.read(%s)), compress.unxz(fs.read(%s)), compress.unzstd(fs.read(%s))'
              % (q(tmp_path / "gz"), q(tmp_path / "xz"), q(tmp_path / "zst")))
    assert got == ("from gzip", "from xz", "from zstd")


def test_gunzip_reads_concatenated_members(lua, tmp_path):
    (tmp_path / "cat.gz").write_bytes(gzip.compress(b"one ") + gzip.compress(b"two"))
    assert lua("return compress.gunzip(fs.read(%s))" % q(tmp_path / "cat.gz")) == "one two"


def test_invalid_input_is_a_one_line_error(lua_fails):
    assert lua_fails('compress.gunzip("garbage")').startswith("compress.gunzip: invalid gzip data: ")
    assert lua_fails('compress.unxz("garbage")').startswith("compress.unxz: invalid xz data: ")
    assert lua_fails('compress.unzstd("garbage")').startswith("compress.unzstd: invalid zstd data: ")
    assert lua_fails('compress.gunzip(compress.gzip(string.rep("a", 5000)):sub(1, 30))') \
        .startswith("compress.gunzip: invalid gzip data: ")
    assert lua_fails("compress.gzip(nil)") == "compress.gzip: data must be a string, got nil"
    assert lua_fails('compress.zstd("x", 99)') == "compress.zstd: level must be an integer from 1 to 22"


def test_decompression_bomb_is_refused(lua_fails, tmp_path):
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(b"\0" * (80 << 20)))
    assert lua_fails("compress.gunzip(fs.read(%s))" % q(tmp_path / "bomb.gz")) == \
        "compress.gunzip: decompressed data larger than 64 MiB"


def test_untar_writes_one_member_and_returns_its_size(lua, tmp_path):
    path = tmp_path / "release.tar.xz"
    make_tar(str(path), [({"name": "myapp/bin/myapp", "mode": 0o755}, b"#!/bin/sh\necho hi\n"),
                         ({"name": "myapp/README"}, b"readme")], "w:xz")
    dest = tmp_path / "usr" / "local" / "bin" / "myapp"
    assert lua('return compress.untar(%s, %s, {member = "myapp/bin/myapp"})' % (q(path), q(dest))) == 18
    assert dest.read_bytes() == b"#!/bin/sh\necho hi\n"
    assert sorted(os.listdir(dest.parent)) == ["myapp"]


def test_untar_errors(lua_fails, tmp_path):
    path = tmp_path / "r.tar.gz"
    make_tar(str(path), [({"name": "d", "type": tarfile.DIRTYPE}, None), ({"name": "d/f"}, b"x")], "w:gz")
    dest = tmp_path / "out" / "f"
    assert lua_fails('compress.untar(%s, %s, {member = "nope"})' % (q(path), q(dest))) == \
        'compress.untar: member "nope" not found in "%s"' % path
    assert lua_fails('compress.untar(%s, %s, {member = "d"})' % (q(path), q(dest))) == \
        'compress.untar: member "d" in "%s" is not a regular file' % path
    assert lua_fails('compress.untar(%s, %s, {})' % (q(path), q(dest))) == \
        "compress.untar: opts.member is required (the path inside the archive)"
    assert lua_fails('compress.untar(%s, %s)' % (q(path), q(dest))) == \
        "compress.untar: third argument must be an options table with 'member'"
    assert lua_fails('compress.untar(%s, %s, {member = "d/f", compression = "xz"})' % (q(path), q(dest))) \
        .startswith('compress.untar: "%s" is not a valid tar archive: ' % path)
    assert not dest.exists()
