"""`assay modules` and `assay context`."""
import sys

from . import context, modules, search


def modules_command():
    found = modules.unique(modules.discover())
    found.sort(key=lambda m: m.name.encode("utf-8"))
    lines = ["%-30s %-10s %s" % ("MODULE", "SOURCE", "DESCRIPTION"), "-" * 80]
    lines += ["%-30s %-10s %s" % (m.name, m.source, m.meta.description) for m in found]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def context_command(query, limit):
    found = modules.unique(modules.discover())
    try:
        names = search.search(found, query, limit)
    except Exception:  # a search failure yields no results, never an error
        names = []
    by_name = {m.name: m for m in found}
    sys.stdout.write(context.render([by_name[n] for n in names]))
    return 0
