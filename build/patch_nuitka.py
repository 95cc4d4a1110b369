"""Two changes to the build venv's Nuitka: a lazy `inspect` patch and a /proc fallback.

1. No /proc (see NO_PROC_FALLBACK below): the executables find themselves without it
   where they can, and say in one line that /proc is needed where they cannot.
2. Make Nuitka's `inspect` patching lazy (start-up: about -15 ms, about 40 %).

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
MARK_PROC = "/* assay: no /proc */"
STATIC = os.path.join(os.path.dirname(nuitka.__file__), "build", "static_src")

# Without /proc (a bare chroot, some sandboxes) readlink("/proc/self/exe") fails and
# Nuitka calls abort(): SIGABRT, no message. The kernel still tells a program which
# file it ran (the AT_EXECFN entry of the auxiliary vector); that is enough when the
# binary was started by its path or through PATH. For a #! script AT_EXECFN is the
# script, not assay, so then (and whenever the path does not lead to an ELF file) the
# program prints one line saying /proc is needed and exits 127.
NO_PROC_FALLBACK = r"""
/* assay: no /proc fallback */
#if !defined(_WIN32) && !defined(__APPLE__) && !defined(__FreeBSD__) && !defined(__OpenBSD__)
#include <sys/auxv.h>
#include <limits.h>
static void assayBinaryPathWithoutProc(char *binary_filename, size_t buffer_size) {
    char const *executed = (char const *)getauxval(AT_EXECFN);
    char resolved[PATH_MAX];

    if (executed != NULL && realpath(executed, resolved) != NULL && strlen(resolved) < buffer_size) {
        char magic[4] = {0};
        FILE *file = fopen(resolved, "rb");

        if (file != NULL) {
            size_t got = fread(magic, 1, sizeof(magic), file);
            fclose(file);

            if (got == sizeof(magic) && memcmp(magic, "\177ELF", 4) == 0) {
                copyStringSafe(binary_filename, resolved, buffer_size);
                return;
            }
        }
    }

    fprintf(stderr, "assay: cannot find its own executable: /proc is not mounted "
                    "(mount /proc, or run assay by its path rather than through a #! script)\n");
    exit(127);
}
#endif
"""

EDITS = [
    ("HelpersFilesystemPaths.c",
     "#if !defined(_WIN32)\nfilename_char_t *_getBinaryPath2(void) {\n",
     NO_PROC_FALLBACK + "\n#if !defined(_WIN32)\nfilename_char_t *_getBinaryPath2(void) {\n"),
    ("HelpersFilesystemPaths.c",
     '    ssize_t res = readlink("/proc/self/exe", binary_filename, buffer_size - 1);\n\n'
     "    if (unlikely(res == -1)) {\n        abort();\n    }\n",
     '    ssize_t res = readlink("/proc/self/exe", binary_filename, buffer_size - 1);\n\n'
     "    if (unlikely(res == -1)) {\n        " + MARK_PROC + "\n"
     "        assayBinaryPathWithoutProc(binary_filename, buffer_size);\n    }\n"),
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
        if new in text:  # already patched
            continue
        if text.count(old) != 1:
            sys.exit("patch_nuitka: %s does not match this Nuitka version (%s); "
                     "update build/patch_nuitka.py" % (filename, nuitka.__file__))
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        print("patch_nuitka: patched %s" % filename)


if __name__ == "__main__":
    main()
