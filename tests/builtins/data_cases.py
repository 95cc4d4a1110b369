# Lua expressions whose results (or errors) are pinned.
def L(s):
    """Lua long-bracket literal of text s."""
    level = 0
    while ("]" + "=" * level + "]") in s + "]":
        level += 1
    return "[" + "=" * level + "[" + s + "]" + "=" * level + "]"

JSON_TEXTS = [
    '{"b":1,"a":[1,2.5,-0,-0.0,1e2,1E-7,0.1,123456789012345678901234567890,-9223372036854775808,9223372036854775807,9223372036854775808,1.7976931348623157e308,5e-324,1e-400]}',
    r'"\"\\\/\b\f\n\r\t\u0000\u001f\u00e9\u20ac\ud83d\ude00\uFFFF\u007f"',
    '"café ✓ 😀 \x7f"',
    ' { "a" : [ { } , [ ] , { "x" : null } ] ,\n\t"b":true , "c":false,\r\n"d" : "" } ',
    '[1,null,3]', '[null,null,3]', '[1,2,null]', '[null]', '[1,null,null,4,null]', 'null', '[]', '{}', '[[],{}]',
    '"x"', '12', '-1.5', 'true', 'false', '0', '-0', '1E5', '0e0', '1e-0', '-1.25e+3', '3.0',
    '{"a":1,"a":2}', '{"1":"a","2":"b"}', '{"":1," ":2}', '["a",{"k":[1,[2,[3,{"z":null}]]]}]',
    '[' + ','.join(str(i) for i in range(100)) + ']',
    '"' + r'ab\n' * 300 + '"',
    '{"k":' * 128 + '1' + '}' * 128,
    '[' * 128 + ']' * 128,
    # errors
    '', ' ', '[1,]', '{"a":1,}', '[1 2]', '01', '1.', '.5', '-', '+1', 'NaN', 'Infinity', '-Infinity',
    '1e400', '-1e400', '1' * 400, '"\\ud800"', '"\\udc00x"', '"\\ud800\\u0041"', '"\x01"', '"a\nb"', '"abc', '[', '{"a"}', '{a:1}',
    'nul', 'tru', '[1]x', '\ufeff[]', r'"\x"', r'"\u12"', r'"\u12G4"', '[' * 129 + ']' * 129,
    '{"k":' * 129 + '1' + '}' * 129, '\u00a0[]', '[1,2', '{"a":1 "b":2}', '{"a" 1}', '[-]', '[1e]', '[1.e5]', '[00]', '[-01]',
    '"\\u00e9\\ud83d"', '[true,]', '{,}', '[,1]', '"tab\there"',
]

# Lua values to encode: (expression, needs setup)
VALUES = [
    'nil', 'true', 'false', '"s"', '1', '1.5', '-0.0', '0.0', '{}', 'json.array({})', 'json.object({})',
    'json.array({1,nil,3})', 'json.array()', 'json.object({1,2})', 'json.object({})',
    '{b=1, a={1,2,3}, c={}, d={x={}}, e={{}, {{}}}}',
    '{0.1, 1/3, 2/3, 1e21, 1e20, 1e22, 1e-7, 1e-5, 1e-4, 123456.789, 2^53, 2^63, 2^64, -2^63, 5e-324, 1.7976931348623157e308,'
    ' 100.0, 3.0, -2.5, 1e16, 1e15, 1e17, 12345678901234567890.0, 0.000123, 1.5e300, -1.5e-300, 9007199254740993.0,'
    ' 0.30000000000000004, 1e23, 8.41e21, 5e-7, 123e-20, 2^-1074*3, 1/0*0 ~= 1/0*0 and 4.35 or 4.35, 100/7, 1e-6, 0.1+0.2}',
    '{math.maxinteger, math.mininteger, 0, -1, 1<<53}',
    '"\\0\\1\\31\\"\\\\/\\127 café ✓ 😀 \\n\\r\\t\\b\\f\\u{2028}\\u{FEFF}\\u{85}\\u{A0}"',
    '{[1]="a", [3]="c"}', '{[1]="a", x="b"}', '{[1.5]="f"}', '{[2]="b"}', '{[-1]="m"}', '{[0]="z", "a"}',
    '{["é"]=1, z=2, A=3, ["_"]=4, ["10"]=5, ["9"]=6, ["a b"]=7, [""]=8}',
    '(function() local t = {} for i = 1, 40 do t = {t, i} end return t end)()',
    '{true, false, "x", {y=false}}',
    '{list={1,2,{a="b"}}, map={k={"v"}}, s="multi\\nline\\ntext", t="trailing\\n", u="  lead", v="x: y", w="- item", '
    'x="#c", y="123", z="true", n="null", q="it\'s", e="", tilde="~", long=string.rep("word ", 40), '
    'f1="1.5", f2="0x1F", f3="0123", f4="1e3", f5=".inf", colon="a:b", dash="-", ques="?", amp="&a", star="*a",'
    'bang="!x", pct="%x", at="@x", bt="`x", brace="{x}", brack="[x]", comma="a,b", quote="\\"q\\"", nl2="a\\n\\nb\\n\\n", cr="a\\rb",'
    'lsp="a \\nb", tab="a\\tb", uni="caf\\u{E9}", ctl="\\1", sp=" ", nlonly="\\n", bs="\\\\", longkey_' + 'k' * 130 + '=1,'
    'multikey={["a\\nb"]=1}, yes="yes", no="No", on="on", off="OFF", y="y", tt="True", nul="Null", ho="0o17", hb="0b11", plus="+1", dot="."}',
    '{[1]=1, [2]=2, [4]=4}', '{n=0/0}', '{i=1/0}', '{i=-1/0}', '{f=print}', '"\\xff"', '{["\\xff"]=1}', '{[true]=1}',
    'json.array({x=1})', 'json.array({[100000]=1})', '(function() local t = {} t.t = t return t end)()',
    '{[1/0]=1}', '{[0.5]=1,[2.0]=2}', '{[1]=json.object({}), [2]=json.array({a=nil})}',
    '{a={b={c={d={e={f={g={h={i={j={}}}}}}}}}}}', 'coroutine.create(print)',
]

YAML_TEXTS = [
    'a: 1\nb: [1, 2, 3]\nc: {x: y}\n',
    'i: 42\nf: 1.5\ne: 1e3\nz: 0.0\nneg: -7\nhex: 0x1F\noct: 0o17\nbin: 0b11\nlz: 0123\nplus: +12\ninf: .inf\nbig: 340282366920938463463374607431768211455\nbig2: 99999999999999999999\n',
    'n1: null\nn2: ~\nn3:\nb1: true\nb2: False\nb3: yes\nb4: on\ns1: "quoted"\ns2: \'single\'\ns3: "123"\ns4: !!str 12\ni2: !!int "7"\nfl: !!float 3\n',
    'list:\n- a\n- b:\n    c: d\n- - x\n  - y\n- []\n- {}\n- null\n- ~\n',
    'lit: |\n  line one\n  line two\nfold: >\n  folded\n  text\nkeep: |+\n  keep\n\nstrip: |-\n  strip\n',
    'base: &b\n  x: 1\n  y: [1, 2]\nother: *b\nscalar: &s hello\nref: *s\n',
    '[1, null, 3]\n', '- 1\n- null\n- 3\n', '"just a string"\n', '42\n', '', '---\n', '~\n', '{}\n', '[]\n',
    'unicode: "caf\\u00e9 \\U0001F600"\nraw: café ✓\nesc: "\\t\\n\\x41"\n',
    '? complex\n: value\n"quoted key": 1\n1: int key\ntrue: bool key\nnull: null key\n1.5: float key\n',
    'a: 1\na: 2\n', 'nan: .nan\n',
    # errors
    'a: [1, 2\n', '---\na: 1\n---\nb: 2\n', 'a: *nope\n', '? [a]\n: 1\n', '{[1]: 2}\n', 'a: !!int abc\n', 'a: !!bool maybe\n',
    '\t- bad\n', 'key: "unterminated\n', 'a:\n  - 1\n - 2\n',
]

# json.parse / yaml.parse arguments that are not text literals
PARSE_ARGS = ['"\\xff"', '"[\\"\\xc3\\"]"', '"[\\"\\xed\\xa0\\x80\\"]"', '12', '1.5', '{}', 'nil', 'true']

# A canonical text of any Lua value: types (integer/float), every key, `#` of tables.
DUMP = r"""
local function dump(v)
  local t = type(v)
  if t == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      if type(a) ~= type(b) then return type(a) < type(b) end
      return a < b
    end)
    local parts = {}
    for _, k in ipairs(keys) do
      parts[#parts + 1] = (math.type(k) or type(k)) .. ":" .. tostring(k) .. "=" .. dump(v[k])
    end
    return "{#" .. #v .. " " .. table.concat(parts, ",") .. "}"
  elseif t == "number" then
    return math.type(v) .. ":" .. string.format("%.17g", v)
  elseif t == "string" then
    return string.format("%q", v)
  end
  return tostring(v)
end
local function show(ok, ...)
  if not ok then return "ERR " .. tostring((...)) end
  return dump((...))
end
return function(f) return show(pcall(f)) end
"""


def cases():
    """name -> Lua expression whose value (or error) is pinned."""
    out = {}
    for i, text in enumerate(JSON_TEXTS):
        out["json.parse #%d" % i] = "json.parse(%s)" % L(text)
        out["json.roundtrip #%d" % i] = "json.encode(json.parse(%s))" % L(text)
    for i, arg in enumerate(PARSE_ARGS):
        out["json.parse arg #%d" % i] = "json.parse(%s)" % arg
        out["yaml.parse arg #%d" % i] = "yaml.parse(%s)" % arg
    for i, value in enumerate(VALUES):
        out["json.encode #%d" % i] = "json.encode(%s)" % value
        out["yaml.encode #%d" % i] = "yaml.encode(%s)" % value
    for i, text in enumerate(YAML_TEXTS):
        out["yaml.parse #%d" % i] = "yaml.parse(%s)" % L(text)
        out["yaml.roundtrip #%d" % i] = "yaml.encode(yaml.parse(%s))" % L(text)
        out["yaml.parse_all #%d" % i] = "yaml.parse_all(%s)" % L(text)
    for i, text in enumerate(JSON_TEXTS[:20]):
        out["yaml.from_json #%d" % i] = "yaml.encode(json.parse(%s))" % L(text)
    return out


def run_cases(selected):
    """name -> pinned text, running every case in one VM."""
    from assay.builtins import new_runtime
    rt = new_runtime()
    try:
        show = rt.run_source(DUMP.encode(), "=dump")[0]
        results = {}
        for name, expr in selected.items():
            fn = rt.compile("return %s" % expr, "=" + name)
            results[name] = show(fn).decode("utf-8", "backslashreplace")
        return results
    finally:
        rt.close()
