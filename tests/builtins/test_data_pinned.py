"""json/yaml parse and encode results pinned byte for byte.

The expected texts in data_pinned.json were recorded from the implementation
before the fast paths (Lua-side JSON decoding and encoding) existed; any change
in a value's type, key, `#` length, error text or encoded byte is a failure.
"""
import json
import os

import pytest

from data_cases import cases, run_cases

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "data_pinned.json"), encoding="utf-8") as f:
    PINNED = json.load(f)

CASES = cases()


@pytest.fixture(scope="module")
def results():
    return run_cases(CASES)


def test_every_case_is_pinned():
    assert sorted(CASES) == sorted(PINNED)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned(results, name):
    assert results[name] == PINNED[name]
