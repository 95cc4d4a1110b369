"""Regex benchmark: the RE2 engine behind `regex` against Python's backtracking `re`.

    python bench/regex.py

For a normal pattern and for pathological ones, prints the time of one
`regex.find_all`-style scan with each engine on the same translated pattern, and the
ratio old/new. The backtracking engine gets a small input for the pathological
patterns (it would run for minutes on the large one); RE2 gets both sizes.
"""
import re
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__import__("os").path.abspath(__file__))))

from assay.builtins import regex  # noqa: E402

CASES = [
    # name, Rust pattern, text builder, size for re, size for RE2
    ("normal: \\d{4}-\\d{2}-\\d{2}", r"\d{4}-\d{2}-\d{2}", lambda n: "date 2024-01-15 ok " * (n // 19), 100_000, 100_000),
    ("normal: (\\w+)=(\\w+)", r"(\w+)=(\w+)", lambda n: "key=value " * (n // 10), 100_000, 100_000),
    ("pathological: (a+)+$", r"(a+)+$", lambda n: "a" * n + "b", 24, 100_000),
    ("pathological: (a|aa)*c", r"(a|aa)*c", lambda n: "a" * n, 30, 100_000),
    ("pathological: (x+x+)+y", r"(x+x+)+y", lambda n: "x" * n, 22, 100_000),
]


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def scan_re(pattern, text):
    compiled = re.compile(regex.translate(pattern, target="re"))
    return lambda: compiled.findall(text)


def scan_re2(pattern, text):
    compiled, _ = regex._compile(pattern)
    data = text.encode()
    return lambda: list(regex._matches(compiled, data))


def main():
    print("%-32s %16s %16s %16s %10s" % ("pattern", "re (backtrack)", "re2 same input", "re2 100 KB", "re/re2"))
    for name, pattern, build, n_re, n_re2 in CASES:
        small = build(n_re)
        old = timed(scan_re(pattern, small))
        new_same = timed(scan_re2(pattern, small))
        new_big = timed(scan_re2(pattern, build(n_re2)))
        print("%-32s %13.3f ms %13.3f ms %13.3f ms %9.2fx" % (
            name, old * 1e3, new_same * 1e3, new_big * 1e3, old / max(new_same, 1e-9)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
