"""`assay modules` and `assay context`."""
import sys

from . import context, modules, search


def modules_command(as_json=False):
    found = modules.unique(modules.discover())
    found.sort(key=lambda m: m.name.encode("utf-8"))
    if as_json:
        sys.stdout.write(modules_json(found) + "\n")
        return 0
    lines = ["%-30s %-10s %s" % ("MODULE", "SOURCE", "DESCRIPTION"), "-" * 80]
    lines += ["%-30s %-10s %s" % (m.name, m.source, m.meta.description) for m in found]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def modules_json(found):
    """The `assay modules --json` document: a version (so a consumer can cache it) and one
    record per module."""
    import json

    from assay import __version__
    records = [{
        "name": m.name,
        "source": m.source,
        "description": m.meta.description,
        "category": m.meta.category,
        "icon": m.meta.icon,
        "keywords": m.meta.keywords,
        "env_vars": m.meta.env,
        "quickrefs": [{"signature": sig, "return_hint": ret, "description": desc}
                      for sig, ret, desc in m.meta.quickrefs],
        "auto_functions": m.meta.functions,
    } for m in found]
    return json.dumps({"version": __version__, "modules": records}, indent=2, ensure_ascii=False)


def context_command(query, limit, builtins=True):
    found = modules.unique(modules.discover())
    try:
        names = search.search(found, query, limit)
    except Exception:  # a search failure yields no results, never an error
        names = []
    by_name = {m.name: m for m in found}
    sys.stdout.write(context.render([by_name[n] for n in names], builtins=builtins))
    return 0
