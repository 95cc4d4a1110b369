"""markdown.to_html (upstream-delta §1): CommonMark, tables, fenced code, strikethrough."""


def test_commonmark_basics(lua):
    html = lua('return markdown.to_html("# Title\\n\\nSome *em* and **strong** with `code`.\\n\\n- a\\n- b\\n")')
    assert html == ("<h1>Title</h1>\n<p>Some <em>em</em> and <strong>strong</strong> with <code>code</code>.</p>\n"
                    "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n")


def test_table(lua):
    html = lua('return markdown.to_html("| name | port |\\n| --- | ---: |\\n| web | 80 |\\n")')
    assert "<table>" in html and "<th>name</th>" in html
    assert '<td style="text-align:right">80</td>' in html


def test_fenced_code_keeps_its_language_and_escapes_content(lua):
    html = lua('return markdown.to_html("```lua\\nif a < b then end\\n```\\n")')
    assert html == '<pre><code class="language-lua">if a &lt; b then end\n</code></pre>\n'


def test_strikethrough_and_links(lua):
    html = lua('return markdown.to_html("~~old~~ [docs](https://example.com/a b)")')
    assert "<s>old</s>" in html


def test_raw_html_passes_by_default_and_can_be_escaped(lua):
    assert lua('return markdown.to_html("<div>x</div>")') == "<div>x</div>"
    assert lua('return markdown.to_html("<script>alert(1)</script>", {html = false})') == \
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_empty_input(lua):
    assert lua('return markdown.to_html("")') == ""


def test_errors(lua_fails):
    assert lua_fails("markdown.to_html(nil)") == "markdown.to_html: source must be a string, got nil"
    assert lua_fails('markdown.to_html("\\255")') == "markdown.to_html: source is not valid UTF-8"
    assert lua_fails('markdown.to_html("x", {html = "no"})') == "markdown.to_html: opts.html must be a boolean"


def test_deeply_nested_input_does_not_hang_or_leak_python(lua):
    html = lua('return markdown.to_html(string.rep(">", 5000) .. " deep")')
    # the parser stops nesting at its depth limit instead of recursing without end
    assert html.startswith("<blockquote>\n") and html.count("<blockquote>") < 100


def test_task_lists_render_as_disabled_checkboxes(lua):
    """issue 18: `- [ ]` / `- [x]` items are GitHub-style task lists (the original enables them)."""
    html = lua('return markdown.to_html("- [ ] write docs\\n- [x] ship\\n- [X] upper\\n- plain [ ] item\\n")')
    assert html.startswith('<ul class="contains-task-list">\n')
    assert ('<li class="task-list-item"><input class="task-list-item-checkbox" disabled="disabled" '
            'type="checkbox"> write docs</li>') in html
    assert html.count('checked="checked"') == 2
    assert "<li>plain [ ] item</li>" in html


def test_brackets_that_are_not_a_task_stay_text(lua):
    assert lua('return markdown.to_html("- [link](x)\\n- [y]\\n")') == \
        '<ul>\n<li><a href="x">link</a></li>\n<li>[y]</li>\n</ul>\n'
