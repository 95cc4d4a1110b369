"""Three changes to the build venv's Nuitka: a lazy `inspect` patch, a /proc fallback
and a cheaper onefile start.

1. No /proc (see NO_PROC_FALLBACK below): the executables find themselves without it
   where they can, and say in one line that /proc is needed where they cannot.
2. Make Nuitka's `inspect` patching lazy (start-up: about -15 ms, about 40 %).
3. The onefile reuses a complete unpack without re-reading it, and becomes the program
   instead of waiting for it as a child (see REUSE_UNPACK below).

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

# The onefile bootstrap (OnefileBootstrap.c), with the cached unpack dir the build asks
# for ({TEMP}/assay-VERSION), does two costly things on every start (measured with
# strace -tt and perf on the 2-core machine):
# - it CRC32s every unpacked file (43 MB) to decide whether to rewrite it: about 55 ms
#   before the program even starts;
# - it forks, runs the program as its child and waits for it, only to pass on the exit
#   status (there is nothing to clean up: the folder stays).
# Instead: after an unpack (or check) that completed, it writes a stamp file
# `.assay-unpacked` naming a hash of the payload's index (every file's name, size and
# CRC32; the compressed data is skipped, so this reads a few KB). A later start whose
# stamp matches and whose files are all there with their sizes (a temp cleaner may have
# removed some) skips the per-file check; anything else takes Nuitka's full path, which
# repairs the folder and then writes the stamp. The stamp is written to a temporary name
# and renamed, so an interrupted unpack never leaves one. Then the bootstrap exec()s the
# program: one process, signals reach it directly, and its exit status is the program's.
REUSE_UNPACK = r"""
/* assay: reuse a complete unpack */
#if !defined(_WIN32) && _NUITKA_ONEFILE_TEMP_BOOL == 0 && _NUITKA_ONEFILE_ARCHIVE_BOOL == 1 && \
    _NUITKA_ONEFILE_COMPRESSION_BOOL == 1
#define ASSAY_REUSE_UNPACK 1
#include <fcntl.h>

static char assay_first_path[4096];

// Hash (FNV-1a) of the payload's index; files_present: every file exists with its size.
static unsigned long long assayWalkIndex(bool *files_present) {
    unsigned char const *saved = payload_current;
    unsigned long long hash = 14695981039346656037ULL;
    *files_present = true;
    assay_first_path[0] = 0;

    while (true) {
        unsigned char const *entry = payload_current;
        char const *filename = readPayloadFilename();
        if (filename[0] == 0) {
            break;
        }
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", payload_path, filename) >= (int)sizeof(path)) {
            *files_present = false;
        }
        if (assay_first_path[0] == 0) {
            copyStringSafe(assay_first_path, path, sizeof(assay_first_path));
        }
        unsigned char flags = readPayloadFileFlagsValue();
        struct stat st;
        unsigned long archived = 0;
        if (flags & 2) {
            readPayloadFilename();
            if (lstat(path, &st) != 0) {
                *files_present = false;
            }
        } else {
            unsigned long long size = readPayloadSizeValue();
            readPayloadChecksumValue();
            archived = (uint32_t)readArchiveFileSizeValue();
            if (stat(path, &st) != 0 || (unsigned long long)st.st_size != size) {
                *files_present = false;
            }
        }
        for (unsigned char const *p = entry; p < payload_current; p++) {
            hash = (hash ^ *p) * 1099511628211ULL;
        }
        payload_current += archived;
    }

    payload_current = saved;
    return hash;
}

static void assayStampPath(char *buffer, size_t size, char const *suffix) {
    snprintf(buffer, size, "%s/.assay-unpacked%s", payload_path, suffix);
}

static bool assayStampMatches(unsigned long long hash) {
    char path[4200], want[32], got[32] = {0};
    assayStampPath(path, sizeof(path), "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    ssize_t n = read(fd, got, sizeof(got) - 1);
    close(fd);
    snprintf(want, sizeof(want), "%016llx\n", hash);
    return n == (ssize_t)strlen(want) && memcmp(got, want, (size_t)n) == 0;
}

// Best effort: where it cannot be written (a read-only, pre-filled dir), every start
// does the full check, as without this patch.
static void assayWriteStamp(unsigned long long hash) {
    char path[4200], tmp[4200], text[32];
    assayStampPath(path, sizeof(path), "");
    char suffix[32];
    snprintf(suffix, sizeof(suffix), ".%ld", (long)getpid());
    assayStampPath(tmp, sizeof(tmp), suffix);
    int n = snprintf(text, sizeof(text), "%016llx\n", hash);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return;
    }
    bool ok = write(fd, text, (size_t)n) == n;
    ok = (close(fd) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
    }
}
#else
#define ASSAY_REUSE_UNPACK 0
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
    ("OnefileBootstrap.c",
     "static filename_char_t payload_path[4096] = {0};\n",
     "static filename_char_t payload_path[4096] = {0};\n" + REUSE_UNPACK),
    ("OnefileBootstrap.c",
     '    NUITKA_PRINT_TIMING("ONEFILE: Entering decompression.");\n',
     "#if ASSAY_REUSE_UNPACK\n"
     "    bool assay_files_present;\n"
     "    unsigned long long assay_hash = assayWalkIndex(&assay_files_present);\n"
     "    bool assay_reuse = assay_files_present && assayStampMatches(assay_hash);\n"
     "    if (assay_reuse && first_filename[0] == 0) {\n"
     "        copyStringSafe(first_filename, assay_first_path, sizeof(first_filename));\n"
     "    }\n"
     "#else\n"
     "    bool const assay_reuse = false;\n"
     "#endif\n\n"
     '    NUITKA_PRINT_TIMING("ONEFILE: Entering decompression.");\n'),
    ("OnefileBootstrap.c",
     "    for (;;) {\n        filename_char_t *filename = readPayloadFilename();\n",
     "    while (!assay_reuse) {\n        filename_char_t *filename = readPayloadFilename();\n"),
    ("OnefileBootstrap.c",
     '    NUITKA_PRINT_TIMING("ONEFILE: Finishing decompression, cleanup payload.");\n',
     "#if ASSAY_REUSE_UNPACK\n"
     "    if (!assay_reuse) {\n        assayWriteStamp(assay_hash);\n    }\n"
     "#endif\n"
     '    NUITKA_PRINT_TIMING("ONEFILE: Finishing decompression, cleanup payload.");\n'),
    # The cached folder needs no clean-up after the program, so become it (see above).
    ("OnefileBootstrap.c",
     "    pid_t pid = fork();\n",
     "#if ASSAY_REUSE_UNPACK\n"
     "    /* assay: exec */\n"
     "    unsetEnvironmentVariable(\"NUITKA_ONEFILE_PARENT\");\n"
     "    argv[0] = (char *)getBinaryPath();\n"
     "    for (int attempt = 0; attempt < 10; attempt++) {\n"
     "        execv(fork_binary, argv);\n"
     "        if (errno != ETXTBSY) {\n            break;\n        }\n"
     "        usleep(100000);\n"
     "    }\n"
     "    fatalErrorChild(\"Error, couldn't launch child (exec)\", errno);\n"
     "#endif\n"
     "    pid_t pid = fork();\n"),
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
