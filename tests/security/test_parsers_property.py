"""Property tests: parsers, patterns and templates fed random and adversarial input
return a value or raise one clean Lua error; never a Python name, repr or crash."""
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

LEAK = re.compile(r"<class |<built-in|<function |<module |Traceback|\bat 0x|[A-Z][a-z]+Error\b|b'")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

TEXT = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"{", b"[" * 300, b'{"a":' * 100, b"\xff\xfe", b"- - -", b"a: &x [*x]",
                     b"!!python/object:os.system ls", b"key = ", b"{{", b"{% for %}", b"(a+)+$",
                     b"\\", b"[[:alpha:]", b"(?P<x>", b"{{ x.__class__ }}", b"=" * 10, b""]),
)


@pytest.fixture(scope="module")
def call():
    from assay.builtins import new_runtime
    rt = new_runtime(mode="script")
    runner = rt.lua.eval("function(f, ...) return pcall(f, ...) end")

    def call(path, *args):
        table, name = path.split(".")
        fn = rt.lua.globals()[table.encode()][name.encode()]
        result = runner(fn, *args)
        ok, value = (result[0], result[1]) if isinstance(result, tuple) else (result, None)
        if not ok:
            assert isinstance(value, bytes), "%s raised a non-string error" % path
            text = value.decode("utf-8", "replace")
            assert "\n" not in text.strip() or path.startswith("template"), text
            assert not LEAK.search(text), "%s leaks: %s" % (path, text)
        return ok

    yield call
    rt.close()


@pytest.mark.parametrize("fn", ["json.parse", "yaml.parse", "toml.parse", "base64.decode"])
@SETTINGS
@given(data=TEXT)
def test_parsers_value_or_clean_error(call, fn, data):
    call(fn, data)


@pytest.mark.parametrize("fn", ["regex.match", "regex.find", "regex.find_all"])
@SETTINGS
@given(text=TEXT, pattern=TEXT)
def test_regex_value_or_clean_error(call, fn, text, pattern):
    call(fn, text, pattern)


@SETTINGS
@given(text=TEXT, pattern=TEXT, replacement=TEXT)
def test_regex_replace_value_or_clean_error(call, text, pattern, replacement):
    call("regex.replace", text, pattern, replacement)


@SETTINGS
@given(source=TEXT)
def test_template_value_or_clean_error(call, source):
    call("template.render_string", source)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=TEXT)
def test_checks_config_loader_value_or_clean_error(tmp_path_factory, data):
    from assay.checks import config
    path = tmp_path_factory.mktemp("cfg") / "checks.yaml"
    path.write_bytes(data)
    loader = getattr(config, "load", None) or getattr(config, "load_config")
    try:
        loader(str(path))
    except Exception as e:  # the loader's own error type carries a one-line message
        assert type(e).__module__.startswith("assay"), "%s: %s" % (type(e).__name__, e)
        assert not LEAK.search(str(e)), str(e)
