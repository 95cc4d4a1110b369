"""Make Nuitka's `inspect` patching lazy (start-up: about -15 ms, about 40 %).

Nuitka's bootstrap imports `inspect` at every start (MainProgram.c ->
patchInspectModule) to replace a few inspect/types functions with versions that know
compiled generators and coroutines. `import inspect` pulls in ast, dis, enum, tokenize,
re, linecache, ... and costs 15-19 ms on the 2-core machine, about 40 % of
`assay exec -e 'print(1)'` -- while assay itself never imports inspect on that path.
Nuitka's own source marks it: "TODO: Change this into an import hook that is executed
after it is imported."

This script does exactly that TODO in the build venv's Nuitka (version pinned in
build.sh): patchInspectModule returns early while `inspect` is not in sys.modules, and
the embedded-module loader calls it right after `inspect` has been loaded. The patches
are therefore still applied before any code can use inspect. (Without inspect loaded,
`types.coroutine` is the original one; none of the compiled libraries use it -- checked
with grep when this was written.) Idempotent; exits 1 if Nuitka's sources no longer
match, so a Nuitka upgrade cannot silently drop or misapply it.

    python build/patch_nuitka.py     (with the build venv's Python)
"""
import os
import sys

import nuitka

MARK = "/* assay: lazy inspect patch */"
STATIC = os.path.join(os.path.dirname(nuitka.__file__), "build", "static_src")

EDITS = [
    ("InspectPatcher.c",
     "    if (is_done) {\n        return;\n    }\n\n    CHECK_OBJECT(dict_builtin);\n",
     "    if (is_done) {\n        return;\n    }\n\n    CHECK_OBJECT(dict_builtin);\n\n"
     "    " + MARK + "\n"
     "    if (PyDict_GetItemString(PyImport_GetModuleDict(), \"inspect\") == NULL) {\n"
     "        return;\n    }\n"),
    ("MetaPathBasedLoader.c",
     "            loadPostLoadCode(tstate, module_name, name, result, entry);\n",
     "            loadPostLoadCode(tstate, module_name, name, result, entry);\n\n"
     "            " + MARK + "\n"
     "            if (strcmp(name, \"inspect\") == 0) {\n"
     "                patchInspectModule(tstate);\n            }\n"),
]


def main():
    for filename, old, new in EDITS:
        path = os.path.join(STATIC, filename)
        with open(path) as f:
            text = f.read()
        if MARK in text:
            continue
        if text.count(old) != 1:
            sys.exit("patch_nuitka: %s does not match this Nuitka version (%s); "
                     "update build/patch_nuitka.py" % (filename, nuitka.__file__))
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        print("patch_nuitka: patched %s" % filename)


if __name__ == "__main__":
    main()
