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
