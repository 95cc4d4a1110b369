"""The Lua-side JSON fast paths give exactly the Python reference's text and values."""
import json
import random
import struct

from assay.runtime import jsontext
from assay.builtins import new_runtime


def _floats(n, seed=23):
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        kind = len(out) % 4
        if kind == 0:  # any bit pattern
            v = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
        elif kind == 1:  # short decimals, as written by people
            v = float("%d.%d" % (rnd.randrange(10 ** 6), rnd.randrange(10 ** 4))) * 10.0 ** rnd.randrange(-30, 30)
        elif kind == 2:  # ratios (17 digits) and powers of two
            v = rnd.randrange(1, 10 ** 6) / rnd.randrange(1, 997) if rnd.random() < 0.7 else 2.0 ** rnd.randrange(-1074, 1024)
        else:  # integral floats of every size
            v = float(rnd.randrange(10 ** rnd.randrange(1, 25)))
        if v == v and abs(v) != float("inf"):
            out.append(v)
    return out


def test_encoded_floats_match_the_reference_text():
    floats = _floats(20000)
    rt = new_runtime()
    try:
        table = rt.lua.table_from(floats)
        encode = rt.lua.globals()[b"json"][b"encode"]
        assert encode(table).decode() == jsontext.encode(floats)
    finally:
        rt.close()


def test_parsed_document_round_trips_through_python_json():
    rnd = random.Random(5)
    doc = [{"k%d" % i: [rnd.random() * 10 ** rnd.randrange(-8, 25), rnd.randrange(-2 ** 63, 2 ** 63), "s\u00e9\n%d" % i,
                        None, True, {"x": []}]} for i in range(500)]
    text = json.dumps(doc, indent=1, ensure_ascii=bool(rnd.random() < 0.5))
    rt = new_runtime()
    try:
        g = rt.lua.globals()
        out = g[b"json"][b"encode"](g[b"json"][b"parse"](text.encode())).decode()
        # the reference: the document without nulls (holes), keys sorted
        assert json.loads(out) == [{k: {str(i + 1): x for i, x in enumerate(v) if x is not None}
                                    for k, v in item.items()} for item in doc]
    finally:
        rt.close()


def test_yaml_parse_declined_by_the_json_decoder_is_decided_by_the_python_path(lua, lua_fails):
    # 128 levels fit the decoder's limit; 129 are refused with the Python path's error
    deep = "[" * 128 + "1" + "]" * 128
    assert lua("local v = yaml.parse('%s') for _ = 1, 127 do v = v[1] end return v[1]" % deep) == 1
    assert lua_fails("return yaml.parse('%s')" % ("[" * 129 + "]" * 129)) == "yaml.parse: recursion limit exceeded"
    # values JSON cannot carry (infinities, NaN) take the value path
    assert lua("local t = yaml.parse('a: .inf\\nb: .nan\\nc: 1') return t.a == math.huge, t.b ~= t.b, t.c") == (
        True, True, 1)


def test_codec_is_immune_to_a_script_replacing_the_libraries(lua):
    # the codec is compiled on the first json call, after the script's own changes
    code = ("string.find = nil; string.format = nil; utf8 = nil; table.sort = nil; tonumber = nil "
            "return json.encode(json.parse('{\"b\":[1,2.5],\"a\":\"x\"}'))")
    assert lua(code) == '{"a":"x","b":[1,2.5]}'


def test_codec_escapes_are_pythons():
    from json.encoder import encode_basestring
    from assay.builtins.json import ESCAPES
    assert ESCAPES == {bytes([c]): encode_basestring(chr(c))[1:-1].encode() for c in list(range(32)) + [34, 92]}


def _canonical(v):
    """A parsed value with its Lua types spelled out (integer vs float, -0.0), for comparing
    the fast path's tables with the Python path's result; nulls are absent keys in both."""
    if isinstance(v, (list, tuple)):
        return {i + 1: _canonical(x) for i, x in enumerate(v) if x is not None}
    if isinstance(v, dict):
        return {k: _canonical(x) for k, x in v.items() if x is not None}
    if hasattr(v, "items"):  # a Lua table
        return {k: _canonical(x) for k, x in v.items()}
    return (type(v).__name__, repr(v))


def _documents(rnd, n):
    """Documents in every layout the decoder reads differently, and damaged copies."""
    words = ["a", "key", "caf\u00e9", "\u2713", "\U0001F600", '"', "\\", "/", "\n", "\t", "\x00", " ", ":", ",",
             "{", "}", "[", "]", "x" * 45, "\u2028"]

    def value(depth):
        kind = rnd.randrange(10 if depth < 4 else 6)
        if kind == 0:
            return rnd.choice([None, True, False])
        if kind == 1:
            return rnd.choice([0, -1, 7, 10 ** 18, -10 ** 18, 2 ** 63 - 1, -2 ** 63, 2 ** 63, 10 ** 30])
        if kind == 2:
            return rnd.choice([0.0, -0.0, 0.5, -2.25, 1e-7, 1e21, 1 / 3, 123456.789, 5e-324, 1e300])
        if kind in (3, 4, 5):
            return "".join(rnd.choice(words) for _ in range(rnd.randrange(4)))
        if kind in (6, 7):
            return [value(depth + 1) for _ in range(rnd.randrange(4))]
        return {"".join(rnd.choice(words) for _ in range(rnd.randrange(3))): value(depth + 1)
                for _ in range(rnd.randrange(5))}

    for text in ['[01]', '{"a":01}', '[-01]', '{"a":-0,"b":-0.0}', '[1.]', '[.5]', '{"a":1.5e3,"b":1E-2}', '[-]',
                 '{"a":12345678901234567890}', '[1 ,2 , 3 ]', '{ "a" : [ ] , "b":{ } }', '{"a\\"b":1,"c\\\\":2}',
                 '["x\\\\", "y"]', '{"a":"b\\u00e9\\n"}', '{"a":1}x', '{"a":1,}', '[1,]', '{"a" 1}', '[tru]',
                 '{"k":"v","k":null}', '\t[1]\n', '[1]]', '{"a":1.5.5}', '[1e999]', '[0.' + '1' * 400 + ']']:
        yield text.encode()
    for i in range(n):
        text = json.dumps(value(0), ensure_ascii=i % 3 == 0, indent=[None, None, 1, "\t"][i % 4],
                          separators=[None, (",", ":"), (", ", ": "), (" ,", " : ")][i // 4 % 4])
        if i % 2:  # damage it: a character dropped or added, a cut, a number form JSON refuses
            at = rnd.randrange(len(text) + 1)
            text = rnd.choice([
                text[:at] + text[at + 1:], text[:at],
                text[:at] + rnd.choice(' \t\n,:{}[]"\\0-.eE+x\x00\x1f\u00e9') + text[at:],
                text[:at] + rnd.choice(["01", "-", "1.", ".5", "1e", "1E5", "-0.0e-0", "nul", "NaN", "1" * 25,
                                        "\\u00e9", "\\ud800", "\\x", '\\"']) + text[at:]])
        yield text.encode("utf-8", "surrogatepass")


def test_decoder_gives_the_python_paths_value_or_declines():
    from assay.builtins.json import JsonState, parse
    from assay.runtime.errors import BuiltinError
    rt = new_runtime()
    try:
        rt.lua.globals()[b"json"][b"parse"](b"1")  # compiles the codec
        try_decode = rt.bridge.state("json", JsonState).codec[b"try_decode"]
        accepted = 0
        for text in _documents(random.Random(26), 600):
            result = try_decode(text)
            if result is False:
                continue  # declined: the Python path decides, as for json.parse
            value = result[1]
            accepted += 1
            try:
                expected = parse(text)
            except BuiltinError as e:
                raise AssertionError("fast path accepted %r, the Python path says %s" % (text, e))
            assert _canonical(value) == _canonical(expected), text
        assert accepted > 250  # most valid documents take the fast path
    finally:
        rt.close()


def test_encoder_gives_the_python_paths_text_or_declines():
    # same-shaped objects (the encoder remembers their keys), some with a key more or
    # less, a metatable or an array part; marks; keys that are numbers
    from assay.builtins.json import JsonState, encode
    from assay.runtime.errors import BuiltinError
    rt = new_runtime()
    try:
        make = rt.lua.execute(b"""
          local R = math.random
          math.randomseed(26)
          local strs = {"a", "b", "name", "caf\\xc3\\xa9", 'x"y', "\\\\", "\\n", string.rep("z", 45), "1", ""}
          local floats = {0.5, 0.0, -0.0, 1e-7, 1e21, 1/3, 2^53, 1e300, 3.0, -2.5}
          local function val(d)
            local k = R(1, d > 3 and 4 or 8)
            if k == 1 then return strs[R(#strs)] end
            if k == 2 then return R(-1000, 1000) end
            if k == 3 then return floats[R(#floats)] end
            if k == 4 then return R(2) == 1 end
            local t = {}
            if k == 5 then
              for i = 1, R(0, 4) do t[i] = val(d + 1) end
            elseif k == 6 then
              for _ = 1, R(0, 4) do t[strs[R(#strs)]] = val(d + 1) end
            elseif k == 7 then
              t[R(1, 3)] = val(d + 1); t[strs[R(#strs)]] = val(d + 1); t[2.5] = R(2) == 1 and 1 or nil
            else
              for i = 1, R(2, 6) do
                local o = {name = "n" .. i, value = val(d + 1), kind = "k"}
                if R(4) == 1 then o.extra = 1 end
                if R(5) == 1 then o.value = nil end
                if R(6) == 1 then setmetatable(o, {__index = function() return "meta" end}) end
                if R(8) == 1 then o[1] = "one" end
                t[i] = o
              end
            end
            local m = R(1, 10)
            if m == 1 then json.array(t) elseif m == 2 then json.object(t) end
            return t
          end
          return function() local v = val(0) return v, pcall(json.encode, v) end
        """)
        rt.bridge.load("json")  # installed on first use: its marks exist from then on
        marks = rt.bridge.state("json", JsonState).marks
        for _ in range(400):
            value, ok, text = make()
            try:
                expected = encode(value, marks).encode()
            except BuiltinError as e:
                assert not ok and text == str(e).encode()
                continue
            assert ok and text == expected
    finally:
        rt.close()


def test_objects_of_one_kind_with_more_or_fewer_members_decode_exactly():
    # the decoder sizes an object's table by the last object with the same first key
    from assay.builtins.json import parse
    # (members before the expected last are read with the key after them: strings with
    # escapes, numbers with exponents and nulls among them)
    counts = [3, 3, 1, 20, 2, 17, 0, 3, 5, 5]
    kinds = [None, "s%d", 'q"%d\\', "1e%d", "caf\u00e9 %d"]

    def member(i, j):
        kind = kinds[(i + j) % len(kinds)]
        return None if kind is None else float(kind % j) if kind.startswith("1e") else kind % j

    doc = [{"id": i, **{"k%d" % j: member(i, j) for j in range(n)}} for i, n in enumerate(counts)]
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    rt = new_runtime()
    try:
        value = rt.lua.globals()[b"json"][b"parse"](text)
        assert _canonical(value) == _canonical(parse(text))
        count = rt.lua.eval("function(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end")
        assert [count(value[i + 1]) for i in range(len(counts))] == [
            1 + sum(1 for j in range(n) if member(i, j) is not None) for i, n in enumerate(counts)]
    finally:
        rt.close()


def test_utf8_is_checked_across_the_whole_of_a_large_document(lua, lua_fails):
    # valid: a two-byte character on the 64 KiB boundary the check reads at; invalid: a
    # stray byte far into the text (the Python path's error, with its offset)
    pad = "x" * (65536 - len('["') - 1)
    assert lua('return #json.parse(\'["%s\\u{e9}"]\')[1]' % pad) == len(pad) + 2
    assert lua_fails('return json.parse(\'["%s\\xff"]\')' % ("x" * 100000)) == (
        "json.parse: invalid UTF-8 in input: invalid byte at offset 100002")


def test_a_document_that_changes_layout_after_its_first_key_takes_the_fast_path_exactly():
    # the layout (compact or `": `) is judged by the first key; the rest reads right either way
    from assay.builtins.json import JsonState, parse
    texts = [b'{"a":1,"b": {"c" : [1, "x" ,{"d":2.5}], "e":"f" }, "g":null}',
             b'{"a": 1,"b":{"c":[1,"x",{"d":-0.0}],"e":"f"},"g" :true}',
             b'[{"a":"b"}, {"a": "c", "d":[ ]}]']
    rt = new_runtime()
    try:
        rt.lua.globals()[b"json"][b"parse"](b"1")  # compiles the codec
        try_decode = rt.bridge.state("json", JsonState).codec[b"try_decode"]
        for text in texts:
            ok, value = try_decode(text)
            assert ok is True and _canonical(value) == _canonical(parse(text)), text
    finally:
        rt.close()


def test_encoder_refuses_invalid_utf8_anywhere_in_a_large_text(lua, lua_fails):
    # the encoder checks UTF-8 once, on its whole text: a bad byte past the first 64 KiB
    # and a character cut at a string's end are refused with the Python path's error
    code = "local t = {} for i = 1, 3000 do t[i] = 'caf\\u{e9} ' .. i .. string.rep('x', 30) end t[3001] = %s return json.encode(t)"
    assert len(lua(code % "'ok'")) > 100000
    assert lua_fails(code % "'bad \\xff'").startswith("invalid UTF-8 in string: 'utf-8' codec can't decode byte 0xff")
    assert lua_fails(code % "'cut \\xc3'").startswith("invalid UTF-8 in string")
    assert lua_fails(code.replace("t[3001] = %s", "t['k\\xe2\\x9c'] = 1")).startswith("invalid UTF-8 in table key")
