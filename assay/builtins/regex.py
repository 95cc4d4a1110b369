"""`regex.match/find/find_all/replace(text, pattern[, replacement])`.

The original uses Rust's `regex-lite` crate, a linear-time engine; here patterns run
on RE2 (also linear-time: no pattern and no input can make a match hang). The
syntaxes differ in many details, so patterns are not handed to RE2 as they are:
`_Translator` parses the Rust syntax itself (rejecting what Rust rejects, with
Rust's error texts as the detail) and emits an equivalent RE2 pattern that uses no
flags at all. The differences it takes care of:

- Every character class is computed as explicit code point ranges: `\\d \\w \\s`
  (and `\\D \\W \\S`, POSIX `[[:alpha:]]`...) are ASCII-only, `(?i)` folds only
  ASCII letters, negation is done by complementing the ranges. `.` becomes
  "anything but \\n" (or everything with `(?s)`; "but \\n and \\r" with `(?R)`).
- Anchors: `^`/`\\A` -> `\\A`; `$`/`\\z` -> `\\z`; with `(?m)` RE2's line anchors.
- `\\b \\B` are RE2's (ASCII, as Rust's). RE2 has no `\\< \\> \\b{start}...`: each is
  replaced by what it means given the characters the pattern puts on either side
  (`\\<\\w+` is `\\b\\w+`); where those do not decide it, or for CRLF-aware line
  anchors (`^`/`$` under both `(?m)` and `(?R)`), the pattern is refused with an error
  naming the construct, never run on a backtracking engine.
- Flags `(?imsxRU)` are tracked by the translator: they last to the end of the
  enclosing group (also when set mid-pattern) or apply to `(?flags:...)` only.
  `(?x)` whitespace/comments are dropped while parsing; `(?U)` swaps greediness.
- Named groups `(?P<n>..)`/`(?<n>..)` are emitted as plain groups (Rust allows
  names such as `a.b` that RE2 does not); the name -> number map is kept here.
- Rust-only syntax: `{` always starts a counted repetition (`a{` is an error,
  `a{ 2 }` is valid), quantifiers may follow anything (`^*`, `a**`), hex escapes
  `\\x{...} \\u.... \\U........`, `\\a \\v`. Rejected: look-around, backreferences,
  `\\p{..}`, nested classes, `&& -- ~~` in classes, `[\\b]`, unknown escapes.

Iteration (find_all, replace) follows Rust: an empty match that ends where the
previous match ended is skipped. Replacement strings use Rust's `$` syntax, expanded
here. Texts are Lua strings (bytes): invalid UTF-8 bytes stand in as private-use
code points while matching, so they match as single characters and come back
unchanged.
"""
import functools
import re

from assay.runtime import args
from assay.runtime.errors import BuiltinError

NEST_LIMIT = 50          # regex-lite's default nesting limit
MAX_CP = 0x10FFFF

# Unicode White_Space (Rust's char::is_whitespace), used by (?x) and {m,n}
_WHITESPACE = frozenset("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                        "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_META = frozenset("\\.+*?()|[]{}^$#&-~")
_HEX = frozenset("0123456789abcdefABCDEF")

_POSIX = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)],
    "blank": [(0x09, 0x09), (0x20, 0x20)],
    "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)],
    "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)],
    "word": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
_PERL = {"d": "digit", "s": "space", "w": "word"}
# patterns compiled on first use (re caches them): start-up compiles nothing
_POSIX_CLASS = r"\[:(\^?)([^:]*):\]"

_SPECIAL_BOUNDARIES = {"start": "word_start", "end": "word_end",
                       "start-half": "word_start_half", "end-half": "word_end_half"}


class PatternError(Exception):
    pass


# ---------------------------------------------------------------------------
# Character classes as sorted, merged lists of (first, last) code points.

def _canonical(ranges):
    out = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _negate(ranges):
    out, nxt = [], 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CP:
        out.append((nxt, MAX_CP))
    return out


def _ascii_fold(ranges):
    """Add the other ASCII case of every letter in the ranges (Rust: ASCII-only folding)."""
    extra = []
    for lo, hi in ranges:
        for first, last, delta in ((0x61, 0x7A, -32), (0x41, 0x5A, 32)):
            a, b = max(lo, first), min(hi, last)
            if a <= b:
                extra.append((a + delta, b + delta))
    return _canonical(list(ranges) + extra)


_NEVER = "[^\\x{0}-\\x{10ffff}]"  # an empty class: never matches


def _esc(cp):
    """A code point as a literal that is safe everywhere, inside classes too."""
    c = chr(cp)
    if c.isascii() and c.isalnum():
        return c
    return "\\x{%x}" % cp


def _class_py(ranges):
    if not ranges:
        return _NEVER
    parts = []
    for lo, hi in ranges:
        parts.append(_esc(lo) if lo == hi else "%s-%s" % (_esc(lo), _esc(hi)))
    return "[%s]" % "".join(parts)


# What a character next to an assertion may be: a word character ("w") or anything
# else, the start and end of the text included ("n"), as \b sees them.
_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_ANY = frozenset("wn")


def _kinds(ranges):
    kinds = set()
    covered = 0
    for lo, hi in ranges:
        inside = sum(max(0, min(hi, b) - max(lo, a) + 1) for a, b in _WORD)
        covered += inside
        if inside:
            kinds.add("w")
        if inside < hi - lo + 1:
            kinds.add("n")
    return frozenset(kinds)


# ---------------------------------------------------------------------------
# Parsed pieces. `py` is the `re` text, `height` the depth of the equivalent
# Rust HIR node (for the nesting limit); chars and classes keep their value
# because character-class syntax needs it.

class _Node:
    """`first`/`last`: the kinds of the first and last character the node consumes;
    `nullable`: it can match the empty string. They let a word assertion RE2 lacks
    be decided by its neighbours."""
    __slots__ = ("kind", "py", "height", "cp", "ranges", "first", "last", "nullable", "look")

    def __init__(self, kind, py, height=0, cp=None, ranges=None, first=frozenset(), last=None,
                 nullable=True, look=None):
        self.kind, self.py, self.height, self.cp, self.ranges = kind, py, height, cp, ranges
        self.first, self.last, self.nullable, self.look = first, first if last is None else last, nullable, look


def _char(cp):
    return _Node("char", _esc(cp), cp=cp, first=_kinds([(cp, cp)]), nullable=False)


def _class(ranges):
    return _Node("class", _class_py(ranges), ranges=ranges, first=_kinds(ranges), nullable=False)


# Assertions RE2 has, and how each one that RE2 lacks is true for a (before, after)
# pair of character kinds.
_RE2_LOOKS = {"start": r"\A", "end": r"\z", "start_lf": r"(?m:^)", "end_lf": r"(?m:$)",
              "word": r"\b", "not_word": r"\B"}
_DECIDED = {
    "word_start": lambda b, a: b == "n" and a == "w",
    "word_end": lambda b, a: b == "w" and a == "n",
    "word_start_half": lambda b, a: b == "n",
    "word_end_half": lambda b, a: a == "n",
}
# What RE2 can say instead, tried in this order
_EQUIVALENTS = [("", lambda b, a: True), (_NEVER, lambda b, a: False),
                (r"\b", lambda b, a: b != a), (r"\B", lambda b, a: b == a)]
_SYNTAX = {"word_start": "\\< (or \\b{start})", "word_end": "\\> (or \\b{end})",
           "word_start_half": "\\b{start-half}", "word_end_half": "\\b{end-half}",
           "start_crlf": "^ under both (?m) and (?R)", "end_crlf": "$ under both (?m) and (?R)"}


def _look(name):
    if name in _RE2_LOOKS:
        return _Node("look", _RE2_LOOKS[name])
    return _Node("look", "", look=name)  # decided by `_concat` from its neighbours


def _undecidable(name):
    if name in _DECIDED:
        return PatternError("%s is supported only where the characters on both sides decide it "
                            "(as in \\<\\w+\\>): the linear-time engine has no such assertion" % _SYNTAX[name])
    return PatternError("%s is not supported: the linear-time engine has no CRLF-aware line "
                        "anchors (use (?m) alone, or \\r?$)" % _SYNTAX[name])


def _decide(name, before, after):
    """The RE2 text equal to assertion `name` for every pair of possible neighbours."""
    test = _DECIDED.get(name)
    if test is None:
        raise _undecidable(name)
    pairs = [(b, a) for b in before for a in after]
    for text, equivalent in _EQUIVALENTS:
        if all(test(b, a) == equivalent(b, a) for b, a in pairs):
            return text
    raise _undecidable(name)


def _edge_kinds(nodes, attr):
    """Kinds of the character at the edge of `nodes` (first of them: attr="first")."""
    kinds = set()
    for node in nodes:
        kinds |= getattr(node, attr)
        if not node.nullable:
            return frozenset(kinds)
    return _ANY  # all of it may match empty: the neighbour lies outside


def _concat(nodes):
    for k, node in enumerate(nodes):
        if node.look is not None:
            before = _edge_kinds(reversed(nodes[:k]), "last")
            after = _edge_kinds(nodes[k + 1:], "first")
            nodes[k] = _Node("look", _decide(node.look, before, after))
    if not nodes:
        return _Node("empty", "")
    if len(nodes) == 1:
        return nodes[0]
    return _Node("concat", "".join(n.py for n in nodes), max(n.height for n in nodes) + 1,
                 first=_edge_kinds(nodes, "first") if not all(n.nullable for n in nodes) else
                 frozenset().union(*(n.first for n in nodes)),
                 last=_edge_kinds(reversed(nodes), "last") if not all(n.nullable for n in nodes) else
                 frozenset().union(*(n.last for n in nodes)),
                 nullable=all(n.nullable for n in nodes))


def _wrapped(py, sub, height, kind="group", nullable=None):
    """A group or repetition around `sub`: its neighbours are those of `sub`."""
    return _Node(kind, py, height, first=sub.first, last=sub.last,
                 nullable=sub.nullable if nullable is None else nullable)


def _alternation(branches):
    if len(branches) == 1:
        return branches[0]
    return _Node("alt", "|".join(b.py for b in branches), max(b.height for b in branches) + 1,
                 first=frozenset().union(*(b.first for b in branches)),
                 last=frozenset().union(*(b.last for b in branches)),
                 nullable=any(b.nullable for b in branches))


class _Flags:
    __slots__ = ("i", "m", "s", "U", "R", "x")

    def __init__(self):
        self.i = self.m = self.s = self.U = self.R = self.x = False

    def copy(self):
        f = _Flags()
        f.i, f.m, f.s, f.U, f.R, f.x = self.i, self.m, self.s, self.U, self.R, self.x
        return f


class _Translator:
    """Recursive-descent parser for regex-lite syntax that emits a `re` pattern."""

    def __init__(self, pattern, capture=True):
        self.capture = "(" if capture else "(?:"
        self.p = pattern
        self.n = len(pattern)
        self.i = 0
        self.depth = 0
        self.flags = _Flags()
        self.groups = 0
        self.names = {}

    # -- cursor helpers ------------------------------------------------------
    def done(self):
        return self.i >= self.n

    def ch(self):
        return self.p[self.i]

    def bump(self):
        if self.i >= self.n:
            return False
        self.i += 1
        return self.i < self.n

    def bump_if(self, prefix):
        if self.p.startswith(prefix, self.i):
            self.i += len(prefix)
            return True
        return False

    def bump_space(self):
        """In (?x) mode, skip whitespace and `#` comments."""
        if not self.flags.x:
            return
        while self.i < self.n:
            c = self.p[self.i]
            if c in _WHITESPACE:
                self.i += 1
            elif c == "#":
                end = self.p.find("\n", self.i)
                self.i = self.n if end < 0 else end + 1
            else:
                break

    def bump_and_bump_space(self):
        if not self.bump():
            return False
        self.bump_space()
        return not self.done()

    def peek(self):
        return self.p[self.i + 1] if self.i + 1 < self.n else None

    def peek_space(self):
        if not self.flags.x:
            return self.peek()
        j, in_comment = self.i + 1, False
        while j < self.n:
            c = self.p[j]
            if in_comment:
                in_comment = c != "\n"
            elif c == "#":
                in_comment = True
            elif c not in _WHITESPACE:
                return c
            j += 1
        return None

    # -- grammar -------------------------------------------------------------
    def translate(self):
        node = self.parse_inner()
        if node.height > NEST_LIMIT:
            raise PatternError("pattern has too much nesting")
        return node.py

    def parse_inner(self):
        depth = self.depth
        if depth > NEST_LIMIT:
            raise PatternError("pattern has too much nesting")
        self.depth += 1
        alternates, concat = [], []
        while True:
            self.bump_space()
            if self.done():
                break
            c = self.ch()
            if c == "(":
                saved = self.flags.copy()
                sub = self.parse_group()
                if sub is not None:
                    concat.append(sub)
                    self.flags = saved  # a flag directive `(?i)` instead lasts to the group's end
                if self.done() or self.ch() != ")":
                    raise PatternError("found open group without closing ')'")
                self.bump()
            elif c == ")":
                if depth == 0:
                    raise PatternError("found closing ')' without matching '('")
                break
            elif c == "|":
                alternates.append(_concat(concat))
                concat = []
                self.bump()
            elif c == "[":
                concat.append(self.parse_class())
            elif c in "?*+":
                self.parse_uncounted_repetition(concat)
            elif c == "{":
                self.parse_counted_repetition(concat)
            else:
                concat.append(self.parse_primitive())
        self.depth -= 1
        alternates.append(_concat(concat))
        return _alternation(alternates)

    def parse_group(self):
        self.bump_and_bump_space()
        if self.bump_if("?=") or self.bump_if("?!") or self.bump_if("?<=") or self.bump_if("?<!"):
            raise PatternError("look-around is not supported")
        if self.bump_if("?P<") or self.bump_if("?<"):
            self.groups += 1
            index = self.groups
            name = self.parse_capture_name()
            self.names[name] = index
            sub = self.parse_inner()
            return _wrapped("%s%s)" % (self.capture, sub.py), sub, sub.height + 1)
        if self.bump_if("?"):
            if self.done():
                raise PatternError("expected closing ')', but got end of pattern")
            start = self.i
            self.flags = self.parse_flags()
            if self.ch() == ")":
                if self.i == start:
                    raise PatternError("empty flag directive '(?)' is not allowed")
                return None
            self.bump()  # ':'
            sub = self.parse_inner()
            return _wrapped("(?:%s)" % sub.py, sub, sub.height)
        self.groups += 1
        sub = self.parse_inner()
        return _wrapped("%s%s)" % (self.capture, sub.py), sub, sub.height + 1)

    def parse_capture_name(self):
        if self.done():
            raise PatternError("expected capture group name, but got end of pattern")
        start = self.i
        while True:
            c = self.ch()
            if c == ">":
                break
            if not _is_capture_char(c, self.i == start):
                raise PatternError("invalid group name")
            if not self.bump():
                break
        name = self.p[start:self.i]
        if self.done():
            raise PatternError("expected end of capture group name, but got end of pattern")
        self.bump()
        if not name:
            raise PatternError("empty capture group names are not allowed")
        if name in self.names:
            raise PatternError("duplicate capture group name")
        return name

    def parse_flags(self):
        flags = self.flags.copy()
        negate = last_was_negation = False
        seen = set()
        while self.ch() not in ":)":
            c = self.ch()
            if c == "-":
                last_was_negation = True
                if negate:
                    raise PatternError("inline flag negation cannot be repeated")
                negate = True
            else:
                last_was_negation = False
                if c in "imsURx":
                    setattr(flags, c, not negate)
                elif c != "u":  # accepted as a no-op, as regex-lite does
                    raise PatternError("unrecognized inline flag")
                if c in seen:
                    raise PatternError("duplicate inline flag is not allowed")
                seen.add(c)
            if not self.bump():
                raise PatternError("expected ':' or ')' to end inline flags, but got end of pattern")
        if last_was_negation:
            raise PatternError("inline flags cannot end with negation directive")
        return flags

    def parse_primitive(self):
        c = self.ch()
        self.bump()
        if c == "\\":
            return self.parse_escape()
        if c == ".":
            if self.flags.s:
                return _class([(0, MAX_CP)])
            if self.flags.R:
                return _class([(0, 9), (0x0B, 0x0C), (0x0E, MAX_CP)])
            return _class([(0, 9), (0x0B, MAX_CP)])
        if c == "^":
            return _look(("start_crlf" if self.flags.R else "start_lf") if self.flags.m else "start")
        if c == "$":
            return _look(("end_crlf" if self.flags.R else "end_lf") if self.flags.m else "end")
        return self.hir_char(ord(c))

    def hir_char(self, cp):
        """A literal; under (?i) an ASCII letter becomes a two-case class."""
        if self.flags.i:
            folded = _ascii_fold([(cp, cp)])
            if len(folded) > 1:
                return _class(folded)
        return _char(cp)

    def parse_escape(self):
        """After a backslash."""
        if self.done():
            raise PatternError("saw start of escape sequence, but saw end of pattern before it finished")
        c = self.ch()
        if c in "0123456789":
            raise PatternError("backreferences are not supported")
        if c in "pP":
            raise PatternError("Unicode character classes are not supported")
        if c in "xuU":
            return self.parse_hex()
        if c in "dswDSW":
            self.bump()
            ranges = _POSIX[_PERL[c.lower()]]
            return _class(_negate(ranges) if c.isupper() else list(ranges))
        self.bump()
        if c in _META or (c.isascii() and not c.isalnum() and c not in "<>"):
            return self.hir_char(ord(c))
        simple = {"a": 7, "f": 12, "t": 9, "n": 10, "r": 13, "v": 11}
        if c in simple:
            return self.hir_char(simple[c])
        if c == "A":
            return _look("start")
        if c == "z":
            return _look("end")
        if c == "b":
            if not self.done() and self.ch() == "{":
                special = self.maybe_parse_special_word_boundary()
                if special is not None:
                    return special
            return _look("word")
        if c == "B":
            return _look("not_word")
        if c == "<":
            return _look("word_start")
        if c == ">":
            return _look("word_end")
        raise PatternError("unrecognized escape sequence")

    def maybe_parse_special_word_boundary(self):
        """`\\b{start}` etc.; None (cursor back on `{`) when it is `\\b{5}`."""
        start = self.i

        def valid(ch):
            return ch == "-" or (ch.isascii() and ch.isalpha())

        if not self.bump_and_bump_space():
            raise PatternError("found start of special word boundary or repetition without an end")
        if not valid(self.ch()):
            self.i = start
            return None
        name = ""
        while not self.done() and valid(self.ch()):
            name += self.ch()
            self.bump_and_bump_space()
        if self.done() or self.ch() != "}":
            raise PatternError("special word boundary assertion is unclosed or has an invalid character")
        self.bump()
        if name not in _SPECIAL_BOUNDARIES:
            raise PatternError("special word boundary assertion is unrecognized")
        return _look(_SPECIAL_BOUNDARIES[name])

    def parse_hex(self):
        digits = {"x": 2, "u": 4, "U": 8}[self.ch()]
        if not self.bump_and_bump_space():
            raise PatternError("expected hexadecimal number, but saw end of pattern first")
        if self.ch() == "{":
            text = ""
            while self.bump_and_bump_space() and self.ch() != "}":
                if self.ch() not in _HEX:
                    raise PatternError("expected hexadecimal number in braces, but got non-hex digit")
                text += self.ch()
            if self.done():
                raise PatternError("expected hexadecimal number, but saw end of pattern before closing brace")
            self.bump_and_bump_space()
            if not text:
                raise PatternError("expected hexadecimal number in braces, but got no digits")
            invalid = "got invalid hexadecimal number in braces"
        else:
            text = ""
            for k in range(digits):
                if k > 0 and not self.bump_and_bump_space():
                    raise PatternError("expected fixed length hexadecimal number, but saw end of pattern first")
                if self.ch() not in _HEX:
                    raise PatternError("expected fixed length hexadecimal number, but got non-hex digit")
                text += self.ch()
            self.bump_and_bump_space()
            invalid = "got invalid fixed length hexadecimal number"
        cp = int(text, 16)
        if cp > MAX_CP or 0xD800 <= cp <= 0xDFFF:
            raise PatternError(invalid)
        return self.hir_char(cp)

    def parse_decimal(self):
        while not self.done() and self.ch() in _WHITESPACE:
            self.bump()
        digits = ""
        while not self.done() and self.ch() in "0123456789":
            digits += self.ch()
            self.bump_and_bump_space()
        while not self.done() and self.ch() in _WHITESPACE:
            self.bump_and_bump_space()
        if not digits:
            raise PatternError("expected decimal number, but found no digits")
        value = int(digits)
        if value > 0xFFFFFFFF:
            raise PatternError("got invalid decimal number")
        return value

    def parse_uncounted_repetition(self, concat):
        if not concat:
            raise PatternError("uncounted repetition operator must be applied to a sub-expression")
        sub = concat.pop()
        lo, hi = {"?": (0, 1), "*": (0, None), "+": (1, None)}[self.ch()]
        greedy = True
        if self.bump() and self.ch() == "?":
            greedy = False
            self.bump()
        concat.append(self.repetition(sub, lo, hi, greedy))

    def parse_counted_repetition(self, concat):
        if not concat:
            raise PatternError("counted repetition operator must be applied to a sub-expression")
        sub = concat.pop()
        if not self.bump_and_bump_space():
            raise PatternError("found unclosed counted repetition operator")
        lo = hi = self.parse_decimal()
        if self.done():
            raise PatternError("found incomplete and unclosed counted repetition operator")
        if self.ch() == ",":
            if not self.bump_and_bump_space():
                raise PatternError("found counted repetition operator with a comma that is unclosed")
            hi = self.parse_decimal() if self.ch() != "}" else None
            if self.done():
                raise PatternError("found counted repetition with min and max that is unclosed")
        if self.ch() != "}":
            raise PatternError("expected closing brace for counted repetition, but got something else")
        greedy = True
        if self.bump_and_bump_space() and self.ch() == "?":
            greedy = False
            self.bump()
        if hi is not None and lo > hi:
            raise PatternError("found counted repetition with a min bigger than its max")
        concat.append(self.repetition(sub, lo, hi, greedy))

    def repetition(self, sub, lo, hi, greedy):
        if self.flags.U:
            greedy = not greedy
        if (lo, hi) == (0, 1):
            quant = "?"
        elif (lo, hi) == (0, None):
            quant = "*"
        elif (lo, hi) == (1, None):
            quant = "+"
        elif hi is None:
            quant = "{%d,}" % lo
        elif lo == hi:
            quant = "{%d}" % lo
        else:
            quant = "{%d,%d}" % (lo, hi)
        # Always wrapped: RE2 refuses `a**`, Rust accepts it.
        py = "(?:%s)%s%s" % (sub.py, quant, "" if greedy else "?")
        if (lo, hi) == (0, 0):
            height = 0          # Rust folds x{0} to the empty regex
        elif (lo, hi) == (1, 1):
            height = sub.height  # ... and x{1} to x
        else:
            height = sub.height + 1
        if sub.look is not None:
            raise _undecidable(sub.look)
        if (lo, hi) == (0, 0):
            return _Node("repeat", py, height)
        return _wrapped(py, sub, height, "repeat", nullable=lo == 0 or sub.nullable)

    def parse_class(self):
        union = []
        if not self.bump_and_bump_space():
            raise PatternError("found unclosed character class")
        negate = False
        if self.ch() == "^":
            if not self.bump_and_bump_space():
                raise PatternError("negated character class has no closing bracket")
            negate = True
        while self.ch() == "-":  # leading dashes are literal
            union.append((0x2D, 0x2D))
            if not self.bump_and_bump_space():
                raise PatternError("non-empty character class has no closing bracket after dash")
        if not union and self.ch() == "]":  # so is a leading `]`
            union.append((0x5D, 0x5D))
            if not self.bump_and_bump_space():
                raise PatternError("character class begins with literal ']' but has no closing bracket")
        while True:
            self.bump_space()
            if self.done():
                raise PatternError("found unclosed character class")
            c = self.ch()
            if c == "[":
                posix = self.maybe_parse_posix_class()
                if posix is None:
                    raise PatternError("nested character classes are not supported")
                union.extend(posix)
                continue
            if c == "]":
                self.bump()
                ranges = _canonical(union)
                if self.flags.i:
                    ranges = _ascii_fold(ranges)  # fold before negating, as Rust does
                if negate:
                    ranges = _negate(ranges)
                return _class(ranges)
            nxt = self.peek()
            if c == "&" and nxt == "&":
                raise PatternError("character class intersection is not supported")
            if c == "-" and nxt == "-":
                raise PatternError("character class difference is not supported")
            if c == "~" and nxt == "~":
                raise PatternError("character class symmetric difference is not supported")
            self.parse_class_range(union)

    def parse_class_range(self, union):
        first = self.parse_class_item()
        self.bump_space()
        if self.done():
            raise PatternError("non-empty character class has no closing bracket")
        if self.ch() != "-" or self.peek_space() in ("]", "-"):
            if first.kind == "char":
                union.append((first.cp, first.cp))
            elif first.kind == "class":
                union.extend(first.ranges)
            else:
                raise PatternError("invalid escape sequence in character class")
            return
        if not self.bump_and_bump_space():
            raise PatternError("non-empty character class has no closing bracket after dash")
        last = self.parse_class_item()
        if first.kind != "char" or last.kind != "char":
            raise PatternError("character class ranges must start and end with a single character")
        if first.cp > last.cp:
            raise PatternError("invalid range in character class")
        union.append((first.cp, last.cp))

    def parse_class_item(self):
        c = self.ch()
        self.bump()
        if c == "\\":
            return self.parse_escape()
        return _char(ord(c))

    def maybe_parse_posix_class(self):
        """`[:name:]` / `[:^name:]` inside a class; None (cursor unchanged) otherwise."""
        m = re.compile(_POSIX_CLASS).match(self.p, self.i)
        if m is None or m.group(2) not in _POSIX:
            return None
        self.i = m.end()
        ranges = list(_POSIX[m.group(2)])
        return _negate(ranges) if m.group(1) else ranges


def _is_capture_char(c, first):
    if first:
        return c == "_" or c.isalpha()
    return c in "_.[]" or c.isalnum()


class Compiled:
    """A translated pattern on RE2: `match` and `spans_only` (the same without
    capturing groups) are RE2 Match functions; each gives the spans (start, end) in
    UTF-8 bytes of the match and of each group ((-1, -1): did not take part)."""
    __slots__ = ("match", "spans_only", "groups", "names")

    def __init__(self, match, spans_only, groups, names):
        self.match, self.spans_only, self.groups, self.names = match, spans_only, groups, names

    def search(self, data, pos=0):
        """The spans of the first match in UTF-8 `data` at or after `pos`, or None (for
        callers outside the builtin, such as checks mode's `matches`)."""
        spans = self.spans_only(_unanchored(), data, pos, len(data))
        return spans if spans[0][0] >= 0 else None


def _re2_options():
    import re2
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own error line on stderr
    return options


def _matcher(text):
    """RE2's own Match as `match(anchor, data, pos, endpos)`: the wrapper's `search`
    builds a Python match object per call, which costs more than the search itself."""
    import re2
    return re2.compile(text.encode("utf-8"), _re2_options())._regexp.Match


def _unanchored():
    import re2
    return re2._Anchor.UNANCHORED


@functools.lru_cache(maxsize=128)
def _compile(pattern):
    """(Compiled, None) or (None, error detail) for a pattern (str); cached."""
    import re2
    try:
        t = _Translator(pattern)
        text = t.translate()
        match = _matcher(text)
        # Where only the whole match is wanted (find_all, match), a copy without
        # capturing groups lets RE2 skip working out where each group matched.
        spans_only = match if not t.groups else _matcher(_Translator(pattern, capture=False).translate())
        return Compiled(match, spans_only, t.groups, t.names), None
    except PatternError as e:
        return None, str(e)
    except re2.error as e:
        detail = e.args[0] if e.args else "invalid pattern"
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return None, str(detail)
    except (OverflowError, RecursionError) as e:
        return None, str(e)


def translate(pattern):
    """RE2's pattern text for a Rust pattern (for tests and debugging)."""
    return _Translator(pattern).translate()


# Texts are Lua strings. Valid UTF-8 is matched as it is. A text with invalid bytes
# has each such byte stand in for a code point of the last private-use block
# (U+10FF80 + byte - 0x80) while matching, and turned back afterwards.
_STANDIN = 0x10FF00


def _to_match(raw):
    """(UTF-8 bytes to match, whether invalid bytes were stood in for)."""
    try:
        raw.decode("utf-8")
        return raw, False
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "surrogateescape")
        return "".join(chr(ord(c) - 0xDC00 + _STANDIN) if 0xDC80 <= ord(c) <= 0xDCFF else c
                       for c in text).encode("utf-8"), True


def _from_match(data, mapped):
    if not mapped or data is None:
        return data
    text = data.decode("utf-8")
    return "".join(chr(ord(c) - _STANDIN + 0xDC00) if 0x10FF80 <= ord(c) <= 0x10FFFF else c
                   for c in text).encode("utf-8", "surrogateescape")


def _param(v, n, fn):
    return args.string_param(v, n, "regex." + fn)


def _prepare(fn, text, pattern):
    data, mapped = _to_match(_param(text, 1, fn))
    pattern_bytes, pattern_mapped = _to_match(_param(pattern, 2, fn))
    compiled, error = _compile(pattern_bytes.decode("utf-8"))
    if compiled is None:
        raise BuiltinError("regex.%s: invalid pattern: %s" % (fn, error))
    return data, mapped or pattern_mapped, compiled


def _next_char(data, pos):
    pos += 1
    while pos < len(data) and (data[pos] & 0xC0) == 0x80:
        pos += 1
    return pos


def _matches(match, data):
    """The spans of all non-overlapping matches, left to right, with Rust's empty-match
    rule: an empty match ending where the previous match ended is skipped.

    One call into RE2 per match is the whole cost of a scan, so this loop does
    nothing else."""
    out, pos, last_end, n, unanchored = [], 0, -1, len(data), _unanchored()
    while pos <= n:
        spans = match(unanchored, data, pos, n)
        start, end = spans[0]
        if start < 0:
            break
        if start == end == last_end:
            pos = _next_char(data, end)
            continue
        out.append(spans)
        last_end = pos = end
    return out


def _first(match, data):
    """The spans of the first match; the whole match's start is -1 when there is none."""
    return match(_unanchored(), data, 0, len(data))


def _u32(name):
    """Rust's `str::parse::<u32>` (an optional `+`, then ASCII digits)."""
    digits = name[1:] if name.startswith("+") else name
    if digits and digits.isascii() and digits.isdigit():
        value = int(digits)
        if value <= 0xFFFFFFFF:
            return value
    return None


_CAP_LETTER = rb"[0-9A-Za-z_]+"


def _expand(replacement, groups, names):
    """Rust replacement syntax: `$N ${N} $name ${name} $$`; unknown groups are empty."""
    out, i, n = [], 0, len(replacement)
    while i < n:
        j = replacement.find(b"$", i)
        if j < 0:
            break
        out.append(replacement[i:j])
        i = j
        if replacement.startswith(b"$$", i):
            out.append(b"$")
            i += 2
            continue
        ref, end = None, None
        if i + 1 < n and replacement[i + 1:i + 2] == b"{":
            close = replacement.find(b"}", i + 2)
            if close >= 0:
                ref, end = replacement[i + 2:close], close + 1
        else:
            word = re.compile(_CAP_LETTER).match(replacement, i + 1)
            if word:
                ref, end = word.group(), word.end()
        if ref is None:  # not a reference: a literal `$`
            out.append(b"$")
            i += 1
            continue
        i = end
        ref = ref.decode("utf-8", "surrogateescape")
        index = _u32(ref)
        if index is None:
            index = names.get(ref)
        if index is not None and index < len(groups):
            value = groups[index]
            if value is not None:
                out.append(value)
    out.append(replacement[i:])
    return b"".join(out)


def _group(data, span):
    return None if span[0] < 0 else data[span[0]:span[1]]


def regex_match(text=None, pattern=None):
    data, _, compiled = _prepare("match", text, pattern)
    return _first(compiled.spans_only, data)[0][0] >= 0


def regex_find(text=None, pattern=None):
    data, mapped, compiled = _prepare("find", text, pattern)
    spans = _first(compiled.match, data)
    if spans[0][0] < 0:
        return None
    groups = {i: _from_match(_group(data, span), mapped)
              for i, span in enumerate(spans[:compiled.groups + 1]) if i and span[0] >= 0}
    return {"match": _from_match(_group(data, spans[0]), mapped), "groups": groups}


def regex_find_all(text=None, pattern=None):
    data, mapped, compiled = _prepare("find_all", text, pattern)
    if not mapped:
        return [data[s[0][0]:s[0][1]] for s in _matches(compiled.spans_only, data)]
    return [_from_match(data[s[0][0]:s[0][1]], mapped) for s in _matches(compiled.spans_only, data)]


def regex_replace(text=None, pattern=None, replacement=None):
    data, mapped, compiled = _prepare("replace", text, pattern)
    replacement, replacement_mapped = _to_match(_param(replacement, 3, "replace"))
    literal = b"$" not in replacement
    out, last = [], 0
    for spans in _matches(compiled.spans_only if literal else compiled.match, data):
        start, end = spans[0]
        out.append(data[last:start])
        if literal:
            out.append(replacement)
        else:
            out.append(_expand(replacement, [_group(data, span) for span in spans[:compiled.groups + 1]],
                               compiled.names))
        last = end
    out.append(data[last:])
    return _from_match(b"".join(out), mapped or replacement_mapped)


def install(bridge):
    bridge.define("regex", {"match": regex_match, "find": regex_find,
                            "find_all": regex_find_all, "replace": regex_replace})
