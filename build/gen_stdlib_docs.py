"""Write the stdlib's `@quickref` header lines, its per-module docs pages and llms.txt from
one source.

    python build/gen_stdlib_docs.py           # rewrite stdlib/*.lua headers, docs/stdlib/<module>.md, llms.txt
    python build/gen_stdlib_docs.py --check   # exit 1 (listing the files) when anything is stale

A module that declares its operations with `H.api{...}` (stdlib/_http.lua) gets its quickref
lines generated from that table: one line per operation, grouped spelling first, the flat
(0.8.3) spelling named in the summary. A module without a declaration keeps the quickref lines
written in its header. Either way its page docs/stdlib/<module>.md is generated from the header
tags (description, category, icon, keywords, env) and the operations. The hand-written group
pages (observability.md, kubernetes.md, ...) keep the examples and are linked from each page.

llms.txt (the compact reference an LLM agent reads first) is made from the same sources:
the titles of the docs pages, the builtin cheat sheet that `assay context` prints, and each
module's header description.
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

STDLIB = os.path.join(ROOT, "stdlib")
DOCS = os.path.join(ROOT, "docs", "stdlib")
GROUP_PAGES = ["observability.md", "kubernetes.md", "secrets-storage.md", "identity.md",
               "platform.md", "developer.md", "cloud.md", "utilities.md"]

# Reads every declared module from the shared helper after requiring the modules.
_DUMP = r'''
local H = require("assay._http")
local names = json.parse(NAMES)
local failed = {}
for _, name in ipairs(names) do
  local ok, err = pcall(require, "assay." .. name)
  if not ok then failed[#failed + 1] = name .. ": " .. tostring(err) end
end
local out = {}
for key, api in pairs(H.apis) do
  local ops = {}
  for _, e in ipairs(api.ops) do
    ops[#ops + 1] = { flat = e.flat or false, group = e.group or false, name = e.name or false,
      params = e.params, returns = e.returns, summary = e.summary,
      method = e.method or false, template = e.template or false,
      query = e.options.query or false }
  end
  out[key] = { receiver = api.receiver, style = api.style, quickref = api.quickref, ops = ops }
end
return json.encode({ apis = out, failed = failed })
'''


def module_files():
    """(module suffix, path) for every public stdlib module, sorted by name."""
    from assay.discovery.modules import _lua_files
    return _lua_files(STDLIB)


def declared(names):
    """{module suffix: declaration} read from a fresh VM."""
    from assay.builtins import new_runtime
    code = "local NAMES = %s\n%s" % (json.dumps(json.dumps(names)), _DUMP)
    rt = new_runtime()
    try:
        (text,) = rt.run_source(code.encode(), "@gen_stdlib_docs")
    finally:
        rt.close()
    data = json.loads(text if isinstance(text, str) else text.decode())
    if data["failed"]:
        raise SystemExit("cannot load: " + "; ".join(data["failed"]))
    return data["apis"]


def flat_call(api, op):
    sep = "." if api["style"] == "module" else ":"
    return "%s%s%s%s" % (api["receiver"], sep, op["flat"], op["params"])


def grouped_call(api, op):
    return "%s.%s:%s%s" % (api["receiver"], op["group"], op["name"], op["params"])


def quickref_lines(api):
    lines = list(api["quickref"])
    for op in api["ops"]:
        if op["group"]:
            summary = op["summary"]
            if op["flat"]:
                summary += "; flat: " + flat_call(api, op)
            lines.append("%s -> %s | %s" % (grouped_call(api, op), op["returns"], summary))
        else:
            lines.append("%s -> %s | %s" % (flat_call(api, op), op["returns"], op["summary"]))
    return lines


def header_tags(text):
    """[(tag, value)] of the leading `--- @tag value` lines."""
    tags = []
    for line in text.splitlines():
        if not line.startswith("---"):
            break
        m = re.match(r"^---\s*@(\w+)\s+(.*?)\s*$", line)
        if m:
            tags.append((m.group(1), m.group(2)))
    return tags


def with_quickrefs(text, lines):
    """The module text with its header's quickref lines replaced by `lines`."""
    src = text.split("\n")
    end = 0
    while end < len(src) and src[end].startswith("---"):
        end += 1
    header = src[:end]
    kept = [l for l in header if not re.match(r"^---\s*@quickref\b", l)]
    first = next((i for i, l in enumerate(header) if re.match(r"^---\s*@quickref\b", l)), None)
    if first is None:
        first = len(kept)
    else:
        first = len([l for l in header[:first] if not re.match(r"^---\s*@quickref\b", l)])
    new = kept[:first] + ["--- @quickref " + l for l in lines] + kept[first:]
    return "\n".join(new + src[end:])


def group_page(module):
    """(the hand-written group page that has a section on `assay.<module>`, the anchor
    of that section), or None."""
    from mkdocs_hooks import forge_slug
    for page in GROUP_PAGES:
        path = os.path.join(DOCS, page)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        heading = re.search(r"^#+ (.*`assay\.%s`.*)$" % re.escape(module), text, re.M)
        if heading:
            return page, forge_slug(heading.group(1))
    return None


def cell(text):
    return text.replace("|", "\\|")


def page(module, text, api, alias=None):
    tags = header_tags(text)
    get = lambda tag: next((v for t, v in tags if t == tag), None)
    out = ["# assay.%s" % module, "",
           "<!-- generated by build/gen_stdlib_docs.py from stdlib/%s.lua: edit the module and "
           "rerun the generator -->" % module.replace(".", "/"), ""]
    if get("description"):
        out += [get("description"), ""]
    facts = []
    for tag, label in (("category", "Category"), ("icon", "Icon")):
        if get(tag):
            facts.append("%s: `%s`" % (label, get(tag)))
    if get("env"):
        facts.append("Environment: " + ", ".join("`%s`" % e.strip() for e in get("env").split(",")))
    if get("keywords"):
        facts.append("Keywords: " + get("keywords"))
    out += ["- " + f for f in facts]
    if facts:
        out.append("")
    out += ['Load it with `local %s = require("assay.%s")`.' % (module.split(".")[-1], module), ""]
    if get("tested"):  # which calls run against the real service in the test suite, which only a fake
        out += ["Tested: " + get("tested"), ""]
    if alias:
        out += ["`assay.%s` is the very same module table as [`assay.%s`](%s.md): "
                "`require(\"assay.%s\") == require(\"assay.%s\")`. Both names work in every script."
                % (module, alias, alias, module, alias), ""]
    group = group_page(alias or module)
    if group:
        page, anchor = group
        out += ["Examples and details: [%s](%s#%s)." % (
            page[:-3].replace("-", " ").capitalize(), page, anchor), ""]
    if api is None:
        out += ["## Functions", "", "| call | returns | what |", "| --- | --- | --- |"]
        for tag, value in tags:
            if tag != "quickref":
                continue
            sig, _, rest = value.partition(" -> ")
            returns, _, what = rest.partition(" | ")
            out.append("| `%s` | `%s` | %s |" % (cell(sig), cell(returns), cell(what)))
        return "\n".join(out) + "\n"
    if api["quickref"]:
        out += ["## Construction", ""]
        for line in api["quickref"]:
            sig, _, rest = line.partition(" -> ")
            returns, _, what = rest.partition(" | ")
            out.append("- `%s` → `%s`: %s" % (sig, returns, what))
        out.append("")
    out += ["## Operations", "",
            "Both spellings call the same code: the grouped one is the current Assay API (0.10 and "
            "later), the flat one is the Assay 0.8.3 API. A group that shares its name with a flat "
            "method is also callable (`%s.x()` runs the flat `x`)." % api["receiver"], "",
            "| grouped (0.19) | flat (0.8.3) | returns | request | what |",
            "| --- | --- | --- | --- | --- |"]
    for op in api["ops"]:
        grouped = "`%s`" % cell(grouped_call(api, op)) if op["group"] else "—"
        flat = "`%s`" % cell(flat_call(api, op)) if op["flat"] else "—"
        request = ""
        if op["method"]:
            request = "`%s %s`" % (op["method"], op["template"].replace("*}", "}"))
            if op["query"]:
                request += " ?" + ", ".join(q.split("=")[0] for q in op["query"])
        out.append("| %s | %s | `%s` | %s | %s |" % (grouped, flat, cell(op["returns"]), cell(request),
                                                   cell(op["summary"])))
    return "\n".join(out) + "\n"


def alias_of(text):
    """The module another name stands for (a file that only returns require("assay.X")), or None."""
    code = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("--")]
    m = re.match(r'^return require\("assay\.([\w.]+)"\)$', code[0]) if len(code) == 1 else None
    return m.group(1) if m else None


def outputs():
    """{path: expected text} for every generated file."""
    files = module_files()
    apis = declared([m for m, _ in files])
    result = {}
    for module, path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        target = alias_of(text)
        api = apis.get(target or module)
        if api is not None:
            text = with_quickrefs(text, quickref_lines(api))
            result[path] = text
        result[os.path.join(DOCS, module + ".md")] = page(module, text, api, target)
    result[os.path.join(ROOT, "llms.txt")] = llms_txt(
        [(module, result.get(path) or _read(path)) for module, path in files])
    return result


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def llms_txt(modules):
    """The llms.txt index: what assay is, the docs pages, every builtin, every module."""
    from assay.discovery import metadata
    from assay.discovery.context import BUILTIN_FUNCTIONS
    out = ["# assay", "",
           "> A Lua 5.5 runtime for infrastructure scripting (deployment checks, Kubernetes",
           "> hooks, CI steps), one executable with HTTP, databases, files, crypto and client",
           "> modules built in. It runs Assay 0.8.3 scripts unchanged. `assay context QUERY`",
           "> prints the full reference of the modules that match a query.", "",
           "## Docs", ""]
    docs_root = os.path.dirname(DOCS)
    pages = sorted(f for f in os.listdir(docs_root) if f.endswith(".md") and f != "index.md")
    for name in ["builtins/index.md", "stdlib/index.md"] + pages:
        title = _read(os.path.join(docs_root, name)).splitlines()[0].lstrip("# ").strip()
        out.append("- [%s](docs/%s)" % (title, name))
    cheat = BUILTIN_FUNCTIONS.strip().splitlines()
    out += ["", "## Builtins", "", cheat[0].lstrip("# ").strip() + ":", "", "```"] + cheat[1:] + ["```"]
    out += ["", "## Stdlib modules", "", 'Each is `local m = require("assay.NAME")`.', ""]
    for module, text in modules:
        description = metadata.parse(text).description or ""
        out.append("- [assay.%s](docs/stdlib/%s.md): %s" % (module, module, description))
    return "\n".join(out) + "\n"


def stale():
    """[(path, expected text)] of every generated file that differs from what is checked in."""
    out = []
    for path, text in outputs().items():
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            out.append((path, text))
    return out


def main(argv):
    changed = stale()
    names = [os.path.relpath(path, ROOT) for path, _ in changed]
    if "--check" in argv:
        if names:
            print("stale (run python build/gen_stdlib_docs.py): " + ", ".join(names))
            return 1
        return 0
    for path, text in changed:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote " + os.path.relpath(path, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
