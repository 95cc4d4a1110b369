"""Start-up benchmark: how long `assay exec -e 'print(1)'` takes, and how much memory.

    python bench/startup.py [--full] [--runs N] [--standalone PATH] [--onefile PATH] [--venv-assay PATH]

Measures, in one run, the median wall time (and peak RSS of the process tree) of:
- the standalone binary   (default dist/assay.dist/assay.bin, from `make build`;
                           --full: dist/assay-full.dist/assay-full.bin, `make build-full`)
- the onefile, first run  (default dist/assay, --full: dist/assay-full; it runs with a
                           TMPDIR of its own that is emptied before every run, which is
                           what a fresh container/Job sees, whatever the unpack dir is called)
- the onefile, cached     (unpack dir already there)
- a script that requires five stdlib modules, with the standalone binary
- the venv command        (.venv/bin/assay, i.e. CPython + the installed package)
- `python3 -c pass`       (floor of any CPython program; -S too: without site/.pth files)
- `lua5.4 -e ''`          (floor of a Lua program; skipped when lua5.4 is not installed)
and prints each as a ratio to `python3 -c pass` and to `lua5.4`, then the ratios the
lean-binary issue sets as targets (reported, not enforced):
  folder / `python3 -S -c pass` <= 2.0, folder peak RSS <= 25 MB,
  onefile cached / folder <= 1.3, onefile first run / folder <= 3.0,
  five-require script / `print(1)` <= 1.1.
Artifacts that were not built are skipped, so this also works on a plain checkout.
Timing: posix_spawn + waitpid per run (wall clock from spawn to exit). Peak RSS: GNU
time's max RSS over 3 extra runs (the largest process of the tree; apt-get install time).
Two warm-up runs are discarded; the page cache is warm.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CODE = "print(1)"
FIVE_MODULES = ("assay.vault", "assay.k8s", "assay.github", "assay.prometheus", "assay.s3")
FIVE_REQUIRES = "".join('require("%s")\n' % m for m in FIVE_MODULES) + "print(1)\n"
# (what, numerator, denominator, max ratio): the lean-binary issue's targets
RATIO_TARGETS = [
    ("folder vs python3 -S -c pass", "standalone", "python3 -S -c pass", 2.0),
    ("onefile cached vs folder", "onefile cached", "standalone", 1.3),
    ("onefile first run vs folder", "onefile first run", "standalone", 3.0),
    ("five requires vs print(1)", "five requires", "standalone", 1.1),
]
MAX_RSS_MB = 25  # the folder's peak RSS


GNU_TIME = "/usr/bin/time"


def spawn(argv, env):
    """Run argv once; return (seconds, exit status)."""
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ])
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, os.waitstatus_to_exitcode(status)


def peak_rss(argv, env, before=None, runs=3):
    """Max RSS in bytes of the process tree, via GNU time (None if it is not installed).

    Not from our own wait4: a child spawned by this Python process inherits its
    ~15 MB high-water mark through fork/vfork + exec, which would hide small figures.
    """
    if not os.access(GNU_TIME, os.X_OK):
        return None
    peak = 0
    for _ in range(runs):
        if before:
            before()
        p = subprocess.run([GNU_TIME, "-f", "RSS %M"] + argv, env=env, capture_output=True, timeout=120)
        lines = [l for l in p.stderr.decode(errors="replace").splitlines() if l.startswith("RSS ")]
        if p.returncode != 0 or not lines:
            return None
        peak = max(peak, int(lines[-1].split()[1]) * 1024)
    return peak


def measure(name, argv, env, runs, before=None, warmup=2, expect=b"1\n"):
    """Median/min wall time and max RSS over `runs` runs; None if the command is broken."""
    if expect is not None:
        check = subprocess.run(argv, env=env, capture_output=True, timeout=120)
        if check.returncode != 0 or check.stdout != expect:
            print("  %-22s skipped: %s exited %s, stdout %r, stderr %r" % (
                name, argv[0], check.returncode, check.stdout[:80], check.stderr[-300:]))
            return None
    times = []
    for i in range(warmup + runs):
        if before:
            before()
        t, code = spawn(argv, env)
        if code != 0:
            print("  %-22s failed: exit %s" % (name, code))
            return None
        if i >= warmup:
            times.append(t)
    rss = peak_rss(argv, env, before)
    return {"name": name, "median": statistics.median(times), "min": min(times),
            "max": max(times), "rss": rss, "runs": runs}


def real_python3():
    """The interpreter behind `python3` (not a pyenv shim script, which costs ~30 ms)."""
    found = shutil.which("python3") or sys.executable
    try:
        out = subprocess.run([found, "-c", "import sys; print(sys.executable)"], capture_output=True,
                             text=True, timeout=60).stdout.strip()
        if out and os.access(out, os.X_OK):
            return os.path.realpath(out)
    except (OSError, subprocess.SubprocessError):
        pass
    return os.path.realpath(found)


def find_venv_assay():
    for candidate in (os.path.join(ROOT, ".venv", "bin", "assay"), shutil.which("assay")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def emptied(folder):
    """A `before` hook that empties folder: the onefile's first run finds no unpack dir."""
    def empty():
        for entry in os.listdir(folder):
            shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)
    return empty


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="timed runs per fast variant (default 30)")
    ap.add_argument("--first-runs", type=int, default=10, help="timed onefile first runs (default 10)")
    ap.add_argument("--full", action="store_true", help="measure assay-full (make build-full)")
    ap.add_argument("--standalone", help="default dist/assay.dist/assay.bin (--full: assay-full's)")
    ap.add_argument("--onefile", help="default dist/assay (--full: dist/assay-full)")
    ap.add_argument("--venv-assay", default=find_venv_assay())
    ap.add_argument("--no-venv", action="store_true", help="skip the venv command")
    args = ap.parse_args()
    name = "assay-full" if args.full else "assay"
    args.standalone = args.standalone or os.path.join(ROOT, "dist", name + ".dist", name + ".bin")
    args.onefile = args.onefile or os.path.join(ROOT, "dist", name)

    tmpdir = tempfile.mkdtemp(prefix="assay-bench-")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", tmpdir),
           "TMPDIR": tmpdir, "LANG": "C.UTF-8"}
    python3 = real_python3()
    lua = shutil.which("lua5.4")
    results = []
    print("assay start-up benchmark: `exec -e '%s'`, %d runs (onefile first run: %d), median wall time"
          % (CODE, args.runs, args.first_runs))
    try:
        if os.access(args.standalone, os.X_OK):
            results.append(measure("standalone", [args.standalone, "exec", "-e", CODE], env, args.runs))
            script = os.path.join(tmpdir, "five.lua")
            with open(script, "w") as f:
                f.write(FIVE_REQUIRES)
            results.append(measure("five requires", [args.standalone, script], env, args.runs))
        else:
            print("  %-22s not built (%s): run `make build`" % ("standalone", args.standalone))
        if os.access(args.onefile, os.X_OK):
            fresh = os.path.join(tmpdir, "fresh")
            os.mkdir(fresh)
            results.append(measure("onefile first run", [args.onefile, "exec", "-e", CODE], dict(env, TMPDIR=fresh),
                                   args.first_runs, before=emptied(fresh)))
            results.append(measure("onefile cached", [args.onefile, "exec", "-e", CODE], env, args.runs))
        else:
            print("  %-22s not built (%s): run `make build`" % ("onefile", args.onefile))
        if args.venv_assay and not args.no_venv:
            results.append(measure("venv (CPython)", [args.venv_assay, "exec", "-e", CODE], env, args.runs))
        base_py = measure("python3 -c pass", [python3, "-c", "pass"], env, args.runs, expect=b"")
        results.append(base_py)
        # without site: the interpreter alone (site + .pth files vary from machine to machine)
        results.append(measure("python3 -S -c pass", [python3, "-S", "-c", "pass"], env, args.runs, expect=b""))
        base_lua = None
        if lua:
            base_lua = measure("lua5.4 -e ''", [lua, "-e", ""], env, args.runs, expect=b"")
            results.append(base_lua)
        else:
            print("  %-22s not installed (apt-get install lua5.4)" % "lua5.4")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    results = [r for r in results if r]
    print()
    print("%-20s %9s %9s %9s %9s %10s %10s" % ("variant", "median", "min", "max", "max RSS", "x python3", "x lua5.4"))
    for r in results:
        print("%-20s %7.1fms %7.1fms %7.1fms %9s %10s %10s" % (
            r["name"], r["median"] * 1e3, r["min"] * 1e3, r["max"] * 1e3,
            "%.1fMB" % (r["rss"] / 1e6) if r["rss"] else "-",
            "%.2fx" % (r["median"] / base_py["median"]) if base_py else "-",
            "%.0fx" % (r["median"] / base_lua["median"]) if base_lua else "-"))
    print()
    print("targets of the lean-binary issue (reported, not enforced):")
    by_name = {r["name"]: r for r in results}
    for what, num, den, limit in RATIO_TARGETS:
        if num not in by_name or den not in by_name:
            print("  %-30s not measured" % what)
            continue
        ratio = by_name[num]["median"] / by_name[den]["median"]
        print("  %-30s %5.2fx  <= %.1fx: %s" % (what, ratio, limit,
                                             "met" if ratio <= limit else "MISSED by %.2fx" % (ratio - limit)))
    r = by_name.get("standalone")
    if r and r["rss"]:
        mb = r["rss"] / 1e6
        print("  %-30s %5.1f MB <= %d MB: %s" % ("folder peak RSS", mb, MAX_RSS_MB,
                                              "met" if mb <= MAX_RSS_MB else "MISSED by %.1f MB" % (mb - MAX_RSS_MB)))
    elif r:
        print("  %-30s not measured (needs GNU time: apt-get install time)" % "folder peak RSS")

if __name__ == "__main__":
    sys.exit(main())
