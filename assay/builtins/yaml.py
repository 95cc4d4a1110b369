"""`yaml.parse(text)` / `yaml.encode(value)`.

Parsing: libyaml (through PyYAML, when installed) or ruamel.yaml, imported on
first use, only turn the text into events; this module builds the value itself so that plain scalars are resolved
the way the original does (YAML 1.2 core schema as implemented by serde_yaml:
`true/false` booleans only, `null`/`~`/empty → nil, decimal/`0x`/`0o`/`0b`
integers, floats incl. `.inf`/`.nan`, leading-zero digit strings like `0123`
stay strings). Mapping keys are the keys' text. A stream with more than one
document is an error.

Encoding: a block-style emitter written for JSON-shaped values that lays the
text out like the original (serde_yaml on libyaml): sorted keys, 2-space
nested mappings, sequences at their key's indentation, `[]` for empty arrays,
strings quoted only when a plain scalar would read back as something else or
is not allowed (`'123'`, `'true'`, `''`), multi-line strings as `|` literal
blocks, long lines folded at spaces after column 80, no `---`, final newline.
"""
import math
import re

from assay.builtins.json import lua_ready, utf8_arg
from assay.runtime.convert import Multi, to_py
from assay.runtime.errors import BuiltinError
from assay.runtime.jsontext import format_float

from . import lua_file

# -- plain scalar resolution (shared by parse and encode) ---------------------

_NULLS = ("", "~", "null", "Null", "NULL")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_RADIX = (("0x", 16, "0123456789abcdefABCDEF"), ("0o", 8, "01234567"), ("0b", 2, "01"))
# patterns are compiled on first use (by re's cache), not at start-up
_FLOAT = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z"
_U128 = (1 << 128) - 1
_I128 = -(1 << 127)


def _digits_but_not_number(s):
    """Leading zeros followed by digits (`0123`): a string under YAML 1.2."""
    if s[:1] in ("+", "-"):
        s = s[1:]
    return len(s) > 1 and s[0] == "0" and s[1:].isdigit() and s.isascii()


def _digits(s, alphabet):
    return bool(s) and all(c in alphabet for c in s)


def _parse_int(s):
    unsigned = s[1:] if s.startswith("+") else s
    if not unsigned.startswith(("+", "-")):
        for prefix, radix, alphabet in _RADIX:
            if unsigned.startswith(prefix):
                rest = unsigned[2:]
                if rest.startswith("+"):
                    return None
                if _digits(rest, alphabet):
                    value = int(rest, radix)
                    return value if value <= _U128 else None
                break
        else:
            if not _digits_but_not_number(s) and _digits(unsigned, "0123456789"):
                value = int(unsigned)
                return value if value <= _U128 else None
    if s.startswith("-"):
        for prefix, radix, alphabet in _RADIX:
            if s.startswith("-" + prefix):
                rest = s[3:]
                if _digits(rest, alphabet):
                    value = -int(rest, radix)
                    return value if value >= _I128 else None
        if not _digits_but_not_number(s) and _digits(s[1:], "0123456789"):
            value = int(s)
            return value if value >= _I128 else None
    return None


def _parse_float(s):
    unsigned = s
    if s.startswith("+"):
        unsigned = s[1:]
        if unsigned.startswith(("+", "-")):
            return None
    if unsigned in (".inf", ".Inf", ".INF"):
        return math.inf
    if s in ("-.inf", "-.Inf", "-.INF"):
        return -math.inf
    if s in (".nan", ".NaN", ".NAN"):
        return math.nan
    if re.match(_FLOAT, unsigned):
        value = float(unsigned)
        if math.isfinite(value):
            return value
    return None


def resolve_plain(s):
    """The value of an untagged plain scalar."""
    if s in _NULLS:
        return None
    if s in _BOOLS:
        return _BOOLS[s]
    value = _parse_int(s)
    if value is not None:
        return value
    if not _digits_but_not_number(s):
        value = _parse_float(s)
        if value is not None:
            return value
    return s


# -- parse --------------------------------------------------------------------

_CORE = "tag:yaml.org,2002:"
_ALIAS_LIMIT = 1_000_000  # nodes copied through aliases (defeats "billion laughs")


def _tagged(value, tag, style):
    """A scalar's value given its tag (None = untagged)."""
    if tag is None:
        return resolve_plain(value) if not style else value
    tag = str(tag)
    if tag == "!" or tag == _CORE + "str" or tag == _CORE + "binary":
        return value
    if tag == _CORE + "null":
        if value in _NULLS:
            return None
        raise BuiltinError("yaml.parse: invalid value for !!null: %r" % value)
    if tag == _CORE + "bool":
        if value in _BOOLS:
            return _BOOLS[value]
        raise BuiltinError("yaml.parse: invalid value for !!bool: %r" % value)
    if tag == _CORE + "int":
        result = _parse_int(value)
        if result is None:
            raise BuiltinError("yaml.parse: invalid value for !!int: %r" % value)
        return result
    if tag == _CORE + "float":
        result = _parse_int(value)
        if result is None:
            result = _parse_float(value)
        if result is None:
            raise BuiltinError("yaml.parse: invalid value for !!float: %r" % value)
        return float(result)
    return resolve_plain(value) if not style else value  # unknown tag: ignored


def _mark(mark):
    return " at line %d column %d" % (mark.line + 1, mark.column + 1)


def _error_text(e):
    problem = getattr(e, "problem", None)
    if problem:
        text = problem
        if getattr(e, "problem_mark", None) is not None:
            text += _mark(e.problem_mark)
        context = getattr(e, "context", None)
        if context:
            text += ", " + context
            if getattr(e, "context_mark", None) is not None:
                text += _mark(e.context_mark)
        return text
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


class _Frame:
    __slots__ = ("value", "anchor", "size", "key", "is_map")

    def __init__(self, value, anchor, is_map):
        self.value, self.anchor, self.is_map = value, anchor, is_map
        self.size, self.key = 1, _NO_KEY


_NO_KEY = object()


def _build(events, who="yaml.parse", documents_out=None):
    """The single document's value from a PyYAML or ruamel.yaml event stream.

    With `documents_out` (a list), a stream of any number of documents is read
    instead: each document's value is appended to it, empty (null) documents
    left out, and None is returned.
    """
    anchors = {}  # name -> (value, size, key text or None)
    stack = []
    root = None
    documents = 0
    copied = 0

    def add(value, size, key_text):
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        top.size += size
        if not top.is_map:
            top.value.append(value)
        elif top.key is _NO_KEY:
            if key_text is None:
                raise BuiltinError(who + ": mapping keys must be strings, found a collection")
            top.key = key_text
        else:
            top.value[top.key] = value
            top.key = _NO_KEY

    for event in events:
        kind = type(event).__name__
        if kind == "ScalarEvent":
            value = _tagged(event.value, event.tag, event.style)
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1, event.value)
            add(value, 1, event.value)
        elif kind == "MappingStartEvent" or kind == "SequenceStartEvent":
            is_map = kind == "MappingStartEvent"
            if stack and stack[-1].is_map and stack[-1].key is _NO_KEY:
                raise BuiltinError(who + ": mapping keys must be strings, found a %s%s" % (
                    "mapping" if is_map else "sequence", _mark(event.start_mark)))
            stack.append(_Frame({} if is_map else [], event.anchor, is_map))
        elif kind == "MappingEndEvent" or kind == "SequenceEndEvent":
            frame = stack.pop()
            if frame.anchor is not None:
                anchors[frame.anchor] = (frame.value, frame.size, None)
            add(frame.value, frame.size, None)
        elif kind == "AliasEvent":
            if event.anchor not in anchors:
                raise BuiltinError(who + ": unknown anchor%s" % _mark(event.start_mark))
            value, size, key_text = anchors[event.anchor]
            copied += size
            if copied > _ALIAS_LIMIT:
                raise BuiltinError(who + ": repetition limit exceeded")
            add(value, size, key_text)
        elif kind == "DocumentEndEvent" and documents_out is not None:
            if root is not None:
                documents_out.append(root)
            root = None
            anchors.clear()  # an anchor belongs to its own document
        elif kind == "DocumentStartEvent":
            documents += 1
            if documents > 1 and documents_out is None:
                raise BuiltinError("yaml.parse: deserializing from YAML containing more than one "
                                   "document is not supported")
    return root


PREFER_LIBYAML = True  # tests switch this off to exercise the ruamel.yaml path


def _libyaml_events(parser):
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


def _event_source(source):
    """(error class, event iterator) for UTF-8 `source`: libyaml through PyYAML when it is
    installed (the original's parser, and ~10x faster; it reads the bytes as they are),
    else ruamel.yaml's pure parser."""
    if PREFER_LIBYAML:
        try:
            import yaml as pyyaml
            parser = pyyaml.CBaseLoader(source)
        except (ImportError, AttributeError):
            pass
        else:
            return pyyaml.YAMLError, _libyaml_events(parser)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    return YAMLError, YAML(typ="safe", pure=True).parse(source.decode("utf-8"))


def _parse_value(text):
    source = utf8_arg(text, "yaml.parse", "parse")
    error, events = _event_source(source)
    try:
        return _build(events)
    except error as e:
        raise BuiltinError("yaml.parse: %s" % _error_text(e)) from None
    except RecursionError:
        raise BuiltinError("yaml.parse: recursion limit exceeded") from None


def parse(text=None):
    return lua_ready(_parse_value(text), "yaml.parse")


def parse_flat(text=None):
    """(True, the document as compact JSON text) for the Lua JSON decoder, which builds
    the tables far faster than converting value by value; (False, the value) when JSON
    cannot carry it exactly (NaN, infinities, lone surrogates)."""
    import json
    value = _parse_value(text)
    try:
        # ASCII text (non-ASCII as \u escapes) takes a byte per character, half of what
        # Python needs for text with characters past U+00FF; a lone surrogate becomes an
        # escape the decoder declines, and the Python path then reports it.
        flat = json.dumps(value, allow_nan=False, check_circular=False, separators=(",", ":"))
    except (ValueError, RecursionError):
        return Multi((False, lua_ready(value, "yaml.parse")))
    del value  # the document is freed before its text is copied to bytes
    return Multi((True, flat.encode("ascii")))


# yaml.parse through the JSON decoder; if it declines (e.g. nesting past the limit),
# the plain Python path parses again and decides.


def parse_all(text=None):
    source = utf8_arg(text, "yaml.parse_all", "parse_all")
    error, events = _event_source(source)
    documents = []
    try:
        _build(events, "yaml.parse_all", documents)
    except error as e:
        raise BuiltinError("yaml.parse_all: %s" % _error_text(e)) from None
    except RecursionError:
        raise BuiltinError("yaml.parse_all: recursion limit exceeded") from None
    return [lua_ready(doc, "yaml.parse_all") for doc in documents]


# -- encode -------------------------------------------------------------------

BEST_INDENT = 2
BEST_WIDTH = 80
_BREAKS = "\r\n\x85\u2028\u2029"
_ESCAPE = {"\0": "0", "\x07": "a", "\b": "b", "\t": "t", "\n": "n", "\x0b": "v", "\x0c": "f",
           "\r": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_",
           "\u2028": "L", "\u2029": "P"}
PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"


def _printable(ch):
    o = ord(ch)
    if 0x20 <= o <= 0x7E or o == 0x0A:
        return True
    if o < 0xA0:
        return False
    if o <= 0xD7FF:
        return o not in (0x2028, 0x2029)  # line/paragraph separators: escaped, never raw
    return (0xE000 <= o <= 0xFFFD and o != 0xFEFF) or o >= 0x10000


def _blankz(s, i):
    return i >= len(s) or s[i] in " \t\0" or s[i] in _BREAKS


def _needs_quotes(s):
    """True if `s` written plain would read back as another type (or as 0123 digits)."""
    if s and s[0] not in "0123456789+-.~nNtTfF":
        return False  # cannot be a null, a boolean or a number
    return not isinstance(resolve_plain(s), str) or _digits_but_not_number(s)


# strings any style can carry and that may be plain (checked before the full analysis)
_SIMPLE = r"[A-Za-z0-9_/.()=+~^$-](?:[A-Za-z0-9_/.()<>=+~^$ -]*[A-Za-z0-9_/.()<>=+~^$-])?\Z"


class _Analysis:
    __slots__ = ("multiline", "block_plain", "single", "block")


def _analyze(s):
    """Which scalar styles can carry `s` (libyaml's rules, block context)."""
    a = _Analysis()
    if re.match(_SIMPLE, s) and s != "-" and not s.startswith(("- ", "---", "...")):
        a.multiline, a.block_plain, a.single, a.block = False, True, True, True
        return a
    if not s:
        a.multiline, a.block_plain, a.single, a.block = False, True, True, False
        return a
    block_ind = s.startswith(("---", "..."))
    preceded_ws = True
    followed_ws = _blankz(s, 1)
    line_breaks = special = False
    leading = trailing_space = trailing_break = False
    break_space = space_break = prev_space = prev_break = False
    last = len(s) - 1
    for i, ch in enumerate(s):
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                block_ind = True
            elif ch in "?:" and followed_ws:
                block_ind = True
            elif ch == "-" and followed_ws:
                block_ind = True
        elif ch == ":" and followed_ws:
            block_ind = True
        elif ch == "#" and preceded_ws:
            block_ind = True
        if not _printable(ch):
            special = True
        if ch in _BREAKS:
            line_breaks = True
        if ch == " ":
            if i == 0:
                leading = True
            if i == last:
                trailing_space = True
            if prev_break:
                break_space = True
            prev_space, prev_break = True, False
        elif ch in _BREAKS:
            if i == 0:
                leading = True
            if i == last:
                trailing_break = True
            if prev_space:
                space_break = True
            prev_space, prev_break = False, True
        else:
            prev_space = prev_break = False
        preceded_ws = ch in " \t\0" or ch in _BREAKS
        followed_ws = _blankz(s, i + 2)
    a.multiline = line_breaks
    a.block_plain = a.single = a.block = True
    if leading or trailing_space or trailing_break:
        a.block_plain = False
    if trailing_space:
        a.block = False
    if break_space:
        a.block_plain = a.single = False
    if space_break or special:
        a.block_plain = a.single = a.block = False
    if line_breaks or block_ind:
        a.block_plain = False
    return a


class _Emitter:
    """Block-style YAML writer tracking column/indentation the way libyaml does."""

    def __init__(self):
        self.out = []
        self.done = []  # finished parts as UTF-8, so the many small pieces do not pile up
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.indent = -1
        self.indents = []

    # low-level writing
    def put(self, text):
        self.out.append(text)
        self.column += len(text)

    def put_break(self):
        self.out.append("\n")
        self.column = 0
        if len(self.out) > 20000:
            self.done.append("".join(self.out).encode("utf-8"))
            self.out.clear()

    def increase_indent(self, flow, indentless):
        self.indents.append(self.indent)
        if self.indent < 0:
            self.indent = BEST_INDENT if flow else 0
        elif not indentless:
            self.indent += BEST_INDENT

    def pop_indent(self):
        self.indent = self.indents.pop()

    def write_indent(self):
        indent = max(self.indent, 0)
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = True
        self.indention = True

    def indicator(self, text, need_whitespace, is_whitespace, is_indention):
        if need_whitespace and not self.whitespace:
            self.put(" ")
        self.put(text)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention

    # nodes
    def node(self, v, mapping_context=False, simple_key=False):
        if isinstance(v, dict) and v:
            self.block_mapping(v)
        elif isinstance(v, list) and v:
            self.block_sequence(v, mapping_context)
        elif isinstance(v, (dict, list)):
            self.indicator("{" if isinstance(v, dict) else "[", True, True, False)
            self.indicator("}" if isinstance(v, dict) else "]", False, False, False)
        elif isinstance(v, str):
            self.string(v, simple_key)
        else:
            self.scalar(self.scalar_text(v), PLAIN, simple_key)

    @staticmethod
    def scalar_text(v):
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            if math.isnan(v):
                return ".nan"
            if math.isinf(v):
                return ".inf" if v > 0 else "-.inf"
            return format_float(v)
        raise BuiltinError("yaml.encode: unsupported value: %s" % type(v).__name__)

    def block_sequence(self, items, mapping_context):
        self.increase_indent(False, mapping_context and not self.indention)
        for item in items:
            self.write_indent()
            self.indicator("-", True, False, True)
            self.node(item)
        self.pop_indent()

    def block_mapping(self, mapping):
        self.increase_indent(False, False)
        for key in sorted(mapping):
            self.write_indent()
            analysis = _analyze(key)
            if not analysis.multiline and len(key.encode("utf-8")) <= 128:
                self.node(key, mapping_context=True, simple_key=True)
                self.indicator(":", False, False, False)
            else:
                self.indicator("?", True, False, True)
                self.node(key, mapping_context=True)
                self.write_indent()
                self.indicator(":", True, False, True)
            self.node(mapping[key], mapping_context=True)
        self.pop_indent()

    def string(self, s, simple_key):
        if "\n" in s:
            style = LITERAL
        elif _needs_quotes(s):
            style = SINGLE
        else:
            style = PLAIN
        self.scalar(s, style, simple_key)

    def scalar(self, s, style, simple_key):
        a = _analyze(s)
        if style == PLAIN and (not a.block_plain or (not s and simple_key)):
            style = SINGLE
        if style == SINGLE and not a.single:
            style = DOUBLE
        if style == LITERAL and (not a.block or simple_key):
            style = DOUBLE
        self.increase_indent(True, False)
        breaks = not simple_key
        if style == PLAIN:
            self.write_plain(s, breaks)
        elif style == SINGLE:
            self.write_single(s, breaks)
        elif style == DOUBLE:
            self.write_double(s, breaks)
        else:
            self.write_literal(s)
        self.pop_indent()

    # scalar writers
    def write_plain(self, s, allow_breaks):
        if not self.whitespace:
            self.put(" ")
        if not allow_breaks or self.column + s.rfind(" ") <= BEST_WIDTH:  # nothing to fold
            self.put(s)
            self.whitespace = self.indention = False
            return
        spaces = False
        for i, ch in enumerate(s):
            if ch == " ":
                if allow_breaks and not spaces and self.column > BEST_WIDTH and s[i + 1:i + 2] != " ":
                    self.write_indent()
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                self.indention = False
                spaces = False
        self.whitespace = False
        self.indention = False

    def write_single(self, s, allow_breaks):
        self.indicator("'", True, False, False)
        if not allow_breaks or self.column + s.rfind(" ") <= BEST_WIDTH:  # nothing to fold
            self.put(s.replace("'", "''"))
            self.indicator("'", False, False, False)
            return
        spaces = False
        last = len(s) - 1
        for i, ch in enumerate(s):
            if ch == " ":
                if (allow_breaks and not spaces and self.column > BEST_WIDTH and 0 < i < last
                        and s[i + 1] != " "):
                    self.write_indent()
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put("''" if ch == "'" else ch)
                self.indention = False
                spaces = False
        self.indicator("'", False, False, False)

    def write_double(self, s, allow_breaks):
        self.indicator('"', True, False, False)
        spaces = False
        last = len(s) - 1
        for i, ch in enumerate(s):
            if not _printable(ch) or ch == "\ufeff" or ch in _BREAKS or ch in '"\\':
                code = _ESCAPE.get(ch)
                if code is None:
                    o = ord(ch)
                    code = ("x%02X" % o if o <= 0xFF else
                            "u%04X" % o if o <= 0xFFFF else "U%08X" % o)
                self.put("\\" + code)
                spaces = False
            elif ch == " ":
                if allow_breaks and not spaces and self.column > BEST_WIDTH and 0 < i < last:
                    self.write_indent()
                    if s[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                spaces = False
        self.indicator('"', False, False, False)

    def write_literal(self, s):
        self.indicator("|", True, False, False)
        if s and (s[0] == " " or s[0] in _BREAKS):
            self.indicator(str(BEST_INDENT), False, False, False)
        if not s or s[-1] not in _BREAKS:
            chomp = "-"
        elif len(s) == 1 or s[-2] in _BREAKS:
            chomp = "+"
        else:
            chomp = ""
        if chomp:
            self.indicator(chomp, False, False, False)
        self.put_break()
        self.indention = True
        self.whitespace = True
        breaks = True
        for ch in s:
            if ch in _BREAKS:
                self.put_break()
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put(ch)
                self.indention = False
                breaks = False

    def document(self, value):
        self.node(value)
        # implicit document end: libyaml's write_indent at indentation 0, no `...`
        if not self.indention or self.column > 0 or not self.whitespace:
            self.put_break()
        self.done.append("".join(self.out).encode("utf-8"))
        self.out.clear()
        return b"".join(self.done)


def encode(value=None, marks=None):
    data = to_py(value, marks=marks)  # conversion errors keep their own texts, without the function prefix
    return _Emitter().document(data)


def install(bridge):
    from assay.builtins.json import JsonState, honour_marks
    t = bridge.define("yaml", {"parse": parse, "encode": encode, "parse_all": parse_all})
    honour_marks(bridge, t, "encode")
    codec = bridge.state("json", JsonState).codec
    if codec is not None:
        flat = bridge.internals.wrap(bridge.protocol(parse_flat, "yaml.parse"))  # not a new builtin name
        bridge.run_lua_file(lua_file("yaml"), t, flat,
                       codec[b"try_decode"])
