"""`markdown.to_html(source, opts?)`: CommonMark with tables, strikethrough and task lists.

markdown-it-py (a complete CommonMark implementation) does the work, with the task
list plugin of its companion package mdit-py-plugins; it is
imported on the first call, so scripts that never render Markdown do not pay
its ~50-100 ms import. One parser per process, built on first use.
"""
from assay.runtime import args
from assay.runtime.errors import BuiltinError

_parsers = {}


def _parser(allow_html):
    parser = _parsers.get(allow_html)
    if parser is None:
        from markdown_it import MarkdownIt
        from mdit_py_plugins.tasklists import tasklists_plugin
        # the CommonMark preset, plus the GitHub-style extensions scripts expect
        # (tables, strikethrough, `- [ ]` / `- [x]` task lists as disabled checkboxes)
        parser = MarkdownIt("commonmark", {"html": allow_html}).enable(["table", "strikethrough"]) \
            .use(tasklists_plugin)
        _parsers[allow_html] = parser
    return parser


def to_html(source=None, opts=None):
    who = "markdown.to_html"
    text = args.utf8_text(source, "%s: source must be a string, got %s" % (who, args.type_name(source)),
                          who + ": source is not valid UTF-8")
    opts = args.optional_table(opts, who + ": opts must be a table or nil")
    allow_html = args.field(opts, "html", True)
    if not isinstance(allow_html, bool):
        raise BuiltinError(who + ": opts.html must be a boolean")
    return _parser(allow_html).render(text)


def install(bridge):
    bridge.define("markdown", {"to_html": to_html})
