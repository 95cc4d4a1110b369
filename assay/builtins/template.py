"""`template.render(path, vars)` and `template.render_string(source, vars)`.

Jinja2 with its defaults: no autoescaping (also for `.html`), undefined variables
render empty (attribute access on them raises), the template's trailing newline
is dropped, no block trimming. There is no loader, so `include`/`extends`/`import`
fail with "template not found". A few filters of the original's engine that
Jinja2 lacks are added (`lines`, `split`, `bool`), and `attr` also looks up keys. Blocking.
"""
from assay.runtime import args
from assay.runtime.convert import to_py
from assay.runtime.errors import BuiltinError

_env = None


def sandboxed_environment(loader=None):
    """A new Jinja environment for templates written by scripts: every template
    function renders in one of these.

    It is Jinja's immutable sandbox: no attribute starting with `_`, no Python
    callable reachable from data, no mutation of the data passed in. `loader` (a
    jinja2 loader) serves `include`/`extends`/`import`; without one they fail with
    "template not found".
    """
    import jinja2
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _NoLoader(jinja2.BaseLoader):
        def get_source(self, environment, template):
            raise jinja2.TemplateNotFound(template)

    class _StrictSandbox(ImmutableSandboxedEnvironment):
        def unsafe_undefined(self, obj, attribute):
            # Jinja would render an empty string; an unsafe access is an error here
            raise SecurityError("access to attribute '%s' is unsafe" % attribute)

    env = _StrictSandbox(autoescape=False, loader=loader or _NoLoader(),
                                        keep_trailing_newline=False)
    env.filters.update({"lines": _lines, "split": _split, "bool": _bool, "attr": _attr})
    return env


def _environment():
    global _env
    if _env is None:
        _env = sandboxed_environment()
    return _env


def _lines(value):
    return str(value).splitlines()


def _split(value, sep=None, maxsplit=-1):
    if maxsplit is None:
        maxsplit = -1
    return str(value).split(sep, maxsplit)


def _bool(value):
    import jinja2
    if isinstance(value, jinja2.Undefined):
        return False
    return bool(value)


def _attr(value, name):
    """`attr` that also finds keys: template data are Lua tables, i.e. dicts."""
    return _environment().getattr(value, name)


def _sorted_keys(value):
    """Objects with keys in byte order, as the original's JSON maps iterate."""
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value, key=lambda k: k.encode("utf-8"))}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def _variables(vars_, who):
    if vars_ is not None and not args.is_table(vars_):
        raise BuiltinError(who + ": second argument must be a table or nil")
    if vars_ is None:
        return {}
    value = to_py(vars_, who)
    # an array-like table (including {}) gives no named variables
    return _sorted_keys(value) if isinstance(value, dict) else {}


def _render(source, variables, who, name):
    import jinja2
    env = _environment()
    try:
        code = env.compile(source, name=name, filename=name)
        template = env.template_class.from_code(env, code, env.make_globals(None))
        return template.render(variables)
    except jinja2.TemplateSyntaxError as e:
        raise BuiltinError("%s: syntax error: %s%s" % (who, e.message, _where(name, e.lineno))) from None
    except RecursionError:
        raise BuiltinError(who + ": template recursion too deep") from None
    except Exception as e:
        line = _template_line(e.__traceback__, name)
        raise BuiltinError("%s: %s%s" % (who, _describe(e), _where(name, line))) from None


def _describe(e):
    import jinja2
    from jinja2.exceptions import SecurityError
    from assay.runtime.sandbox import error_text
    if isinstance(e, SecurityError):
        return "unsafe access refused: %s" % _clean_security(str(e))
    if isinstance(e, jinja2.TemplateNotFound):
        return "template not found: %s" % e.message
    if isinstance(e, jinja2.UndefinedError):
        return "undefined value: %s" % e.message
    if isinstance(e, jinja2.TemplateError):
        return e.message or "template error"
    return error_text(e)


def _clean_security(text):
    """Jinja's message without the Python repr of the object ("access to attribute
    '__class__' of 'str' object is unsafe." -> "attribute '__class__' is unsafe")."""
    import re
    m = re.search(r"attribute '([^']*)'", text)
    if m:
        return "attribute %s" % m.group(1)
    return "this operation is not allowed in a template"


def _where(name, line):
    return " (in %s:%d)" % (name, line) if line else " (in %s)" % name


def _template_line(tb, name):
    """The innermost traceback line that belongs to the template (jinja maps them)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _source(v, who, what):
    raw = args.string(v, "%s: first argument must be %s" % (who, what))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BuiltinError("%s: %s is not valid UTF-8: %s" % (who, what.split()[-1], e)) from None


def render_string(source=None, vars_=None, *_):
    who = "template.render_string"
    text = _source(source, who, "a template string")
    return _render(text, _variables(vars_, who), who, "<string>")


def render(path=None, vars_=None, *_):
    from assay.runtime.text import debug_quote as quote
    from assay.runtime.text import os_error_text
    who = "template.render"
    raw = args.string(path, who + ": first argument must be a path string")
    variables = _variables(vars_, who)
    try:
        with open(raw, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BuiltinError('%s: failed to read %s: %s' % (who, quote(raw), os_error_text(e))) from None
    except ValueError:  # a NUL byte in the path
        raise BuiltinError('%s: failed to read %s: file name contained an unexpected NUL byte'
                           % (who, quote(raw))) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BuiltinError('%s: failed to read %s: stream did not contain valid UTF-8' % (who, quote(raw))) from None
    return _render(text, variables, who, raw.decode("utf-8", "surrogateescape"))


_loader_envs = {}  # directory -> sandboxed environment loading from it (Jinja caches compiled templates)


def render_with_loader(directory=None, name=None, vars_=None, *_):
    """Render `name` from `directory`; `extends`/`include`/`import` load siblings from there.

    Jinja's FileSystemLoader refuses names with `..` segments, so templates cannot
    reach files above `directory`; every render runs in the same sandbox as
    template.render.
    """
    import os
    import jinja2
    from assay.runtime.text import debug_quote as quote
    who = "template.render_with_loader"
    raw_dir = args.string(directory, "%s: directory must be a string, got %s" % (who, args.type_name(directory)))
    raw_name = args.string(name, "%s: template name must be a string, got %s" % (who, args.type_name(name)))
    variables = _variables(vars_, who)
    if b"\0" in raw_dir or not os.path.isdir(raw_dir):
        raise BuiltinError("%s: template directory %s does not exist" % (who, quote(raw_dir)))
    folder = raw_dir.decode("utf-8", "surrogateescape")
    env = _loader_envs.get(folder)
    if env is None:
        env = sandboxed_environment(jinja2.FileSystemLoader(folder, encoding="utf-8"))
        _loader_envs[folder] = env
    template_name = raw_name.decode("utf-8", "surrogateescape")
    try:
        template = env.get_template(template_name)
        return template.render(variables)
    except jinja2.TemplateSyntaxError as e:
        raise BuiltinError("%s: syntax error: %s%s"
                           % (who, e.message, _where(e.name or template_name, e.lineno))) from None
    except jinja2.TemplateNotFound as e:
        raise BuiltinError("%s: template not found: %s (in %s)" % (who, e.name, quote(raw_dir))) from None
    except UnicodeDecodeError:
        raise BuiltinError("%s: a template in %s is not valid UTF-8" % (who, quote(raw_dir))) from None
    except RecursionError:
        raise BuiltinError(who + ": template recursion too deep") from None
    except Exception as e:
        where = _loaded_position(e.__traceback__, folder)
        raise BuiltinError("%s: %s%s" % (who, _describe(e), _where(*where) if where else "")) from None


def _loaded_position(tb, folder):
    """(template name relative to folder, line) of the innermost template frame, or None."""
    import os
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(folder.rstrip(os.sep) + os.sep):
            found = (os.path.relpath(filename, folder), tb.tb_lineno)
        tb = tb.tb_next
    return found


def install(bridge):
    bridge.define("template", {"render_string": render_string, "render": render,
                               "render_with_loader": render_with_loader})
