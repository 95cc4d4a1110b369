"""`assay schema checks`: the JSON Schema of a checks config, from the loader's own tables."""
import json
import sys


def schema_command(what):
    if what != "checks":
        sys.stderr.write("error: unknown schema '%s' (available: checks)\n" % what)
        return 2
    from .model import json_schema
    sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
    return 0
