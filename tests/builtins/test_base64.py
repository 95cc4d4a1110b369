"""`base64` builtin (builtins.md §6): B64-01..03."""
import base64

import pytest


# ---------------------------------------------------------------------------
# B64-01 standard padded alphabet

def test_b64_01_known_vectors(lua):
    assert lua('return base64.encode("hello world")') == "aGVsbG8gd29ybGQ="
    assert lua('return base64.encode("")') == ""
    assert lua('return base64.encode("f"), base64.encode("fo"), base64.encode("foo")') == ("Zg==", "Zm8=", "Zm9v")


def test_b64_01_standard_alphabet_not_url_safe(lua):
    # bytes 0xfb 0xff encode with '+' and '/' in the standard alphabet
    assert lua(r'return base64.encode("\251\255\254")') == "+//+"


def test_b64_01_no_line_breaks_in_long_output(lua):
    out = lua('return base64.encode(string.rep("x", 200))')
    assert "\n" not in out and out == base64.b64encode(b"x" * 200).decode()


def test_b64_01_number_argument_coerced(lua):
    assert lua("return base64.encode(12)") == "MTI="


# ---------------------------------------------------------------------------
# B64-02 round trip; invalid input raises `base64.decode: <detail>`

def test_b64_02_round_trip_special_characters(lua):
    code = ('local s = "héllo wörld! @#$%^&*()_+{}|:<>?\\"\\n\\t 世界 😀" '
            'return base64.decode(base64.encode(s)) == s, base64.decode("aGVsbG8gd29ybGQ=")')
    assert lua(code) == (True, "hello world")


@pytest.mark.parametrize("bad", [
    "aGVsbG8gd29ybGQ",      # padding missing
    "aGVs bG8=",            # whitespace
    "aGVsbG8=\n",           # trailing newline
    "a-b_",                 # URL-safe alphabet
    "Zg=",                  # short padding
    "Zg===",                # too much padding
    "Z",                    # impossible length
    "Zg==Zg==",             # data after padding
    "Zh==",                 # non-zero trailing bits
    "=Zg=",                 # leading padding
    "!!!!",
])
def test_b64_02_invalid_input_raises(lua_fails, bad):
    msg = lua_fails('return base64.decode("%s")' % bad.replace("\n", "\\n"))
    assert msg.startswith("base64.decode: "), msg


def test_b64_02_error_is_catchable_string(lua):
    code = 'local ok, err = pcall(base64.decode, "@@@@") return ok, type(err), err:find("base64.decode: ", 1, true) == 1'
    assert lua(code) == (False, "string", True)


def test_b64_02_empty_decodes_to_empty(lua):
    assert lua('return base64.decode("")') == ""


def test_b64_02_bad_argument(lua_fails):
    assert "bad argument #1" in lua_fails("return base64.decode(nil)")
    assert "bad argument #1" in lua_fails("return base64.encode({})")


# ---------------------------------------------------------------------------
# B64-03 binary-safe both ways

def test_b64_03_encode_accepts_arbitrary_bytes(lua):
    assert lua(r'return base64.encode("\0\1\2\255\254")') == base64.b64encode(b"\0\1\2\xff\xfe").decode()


def test_b64_03_decode_returns_raw_bytes(lua):
    code = r'local s = base64.decode("AAEC//4=") return #s, s:byte(1), s:byte(4), s == "\0\1\2\255\254"'
    assert lua(code) == (5, 0, 255, True)


def test_b64_03_all_byte_values_round_trip(lua):
    code = ('local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end local s = table.concat(t) '
            'local e = base64.encode(s) return base64.decode(e) == s, e')
    ok, encoded = lua(code)
    assert ok is True
    assert encoded == base64.b64encode(bytes(range(256))).decode()


def test_b64_03_binary_to_file_via_command(assay, tmp_path):
    target = tmp_path / "out.bin"
    code = ('if io == nil then print("NO-IO") return end '
            'local f = io.open(%r, "wb") f:write(base64.decode("/9j/4AAQ")) f:close()' % str(target))
    result = assay("exec", "-e", code)
    if "NO-IO" in result.stdout:
        pytest.skip("the io library is not available in this build")
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == b"\xff\xd8\xff\xe0\x00\x10"
