"""The command line (cli.md §1–5, 7, 10, 11): run as a subprocess, as users do."""
import os
import re
import signal
import stat
import subprocess
import time

import pytest

from conftest import assay_command, run_assay

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (TRACE|DEBUG| INFO| WARN|ERROR) ")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_cli_01_help_lists_subcommands():
    r = run_assay("--help")
    assert r.returncode == 0
    for word in ("context", "exec", "modules", "run", "resume", "[FILE]", "-v, --verbose", "-V, --version",
                 "Path to a .yaml config or .lua script", "Enable verbose logging (sets RUST_LOG=debug)"):
        assert word in r.stdout
    assert r.stderr == ""
    assert run_assay("-h").returncode == 0
    assert run_assay("help").stdout == r.stdout


def test_cli_02_version():
    for flag in ("--version", "-V"):
        r = run_assay(flag)
        assert r.returncode == 0
        assert r.stdout.startswith("assay ") and r.stdout.endswith("\n")


def test_cli_03_no_arguments_prints_help_and_exits_1():
    r = run_assay()
    assert r.returncode == 1
    assert "Usage: assay" in r.stdout and r.stdout.endswith("\n\n")
    assert run_assay("-v").returncode == 1


def test_cli_04_subcommand_help():
    r = run_assay("context", "--help")
    assert r.returncode == 0 and "QUERY" in r.stdout and "--limit" in r.stdout and "[default: 5]" in r.stdout
    r = run_assay("exec", "--help")
    assert "-e, --eval <EVAL>" in r.stdout and "[FILE]" in r.stdout
    r = run_assay("run", "--help")
    assert "--mode <MODE>" in r.stdout and "tool, script" in r.stdout
    assert "--timeout <TIMEOUT>" in r.stdout and "[default: 20]" in r.stdout
    assert run_assay("help", "run").stdout == r.stdout


@pytest.mark.parametrize("argv", [
    ["--bogus"],
    ["run", "--mode", "foo", "x.lua"],
    ["resume", "--token", "t", "--approve", "maybe"],
    ["run", "--timeout", "2.5", "x.lua"],
    ["context", "q", "--limit", "-1"],
    ["a.lua", "b.lua"],
    ["a.lua", "run"],
    ["exec", "-e", "a", "-e", "b"],
    ["context"],
    ["resume", "--token", "abc"],
])
def test_cli_05_usage_errors_exit_2(argv):
    r = run_assay(*argv)
    assert r.returncode == 2, r
    assert r.stderr.startswith("error: ")
    assert "Usage: assay" in r.stderr
    assert r.stdout == ""
    assert "Traceback" not in r.stderr


def test_cli_06_verbose_anywhere_forces_debug(tmp_path):
    script = write(tmp_path, "x.lua", "error('boom')\n")
    for argv in (["-v", "run", script], ["run", "-v", script], [script, "-v"]):
        r = run_assay(*argv, extra_env={"RUST_LOG": "error"})
        assert r.returncode == 1
        assert "stack traceback" in r.stderr  # debug level shows the Lua traceback
        assert "starting assay" in r.stderr   # INFO shown although RUST_LOG=error


def test_cli_07_run_lua_file(tmp_path):
    script = write(tmp_path, "ok.lua", "print('hi')\n")
    for argv in ([script], ["run", script]):
        r = run_assay(*argv)
        assert r.returncode == 0 and r.stdout == "hi\n"


def test_cli_09_unsupported_extension():
    r = run_assay("nonexistent.txt")
    assert r.returncode == 1
    assert 'unsupported file extension "txt" (expected .yaml, .yml, or .lua)' in r.stderr


def test_cli_10_extension_case_sensitive_and_missing(tmp_path):
    r = run_assay(write(tmp_path, "x.LUA", "print(1)"))
    assert r.returncode == 1 and 'unsupported file extension "LUA"' in r.stderr
    r = run_assay(write(tmp_path, "noext", "print(1)"))
    assert r.returncode == 1 and 'unsupported file extension ""' in r.stderr
    r = run_assay(write(tmp_path, ".lua", "print(1)"))
    assert 'unsupported file extension ""' in r.stderr
    r = run_assay(write(tmp_path, "a.tar.lua", "print(1)"))
    assert r.returncode == 0 and r.stdout == "1\n"


def test_cli_11_missing_lua_file(tmp_path):
    missing = str(tmp_path / "missing.lua")
    r = run_assay(missing)
    assert r.returncode == 1
    assert r.stderr == "error: reading %s: No such file or directory (os error 2)\n" % missing
    assert r.stdout == ""


def test_cli_11_rt_12_not_utf8(tmp_path):
    path = tmp_path / "bin.lua"
    path.write_bytes(b"print('\xff')\n")
    r = run_assay(path)
    assert r.returncode == 1 and "error: reading %s: stream did not contain valid UTF-8" % path in r.stderr


def test_cli_12_runtime_error_names_file_and_line(tmp_path):
    write(tmp_path, "fail.lua", "local x = 1\nerror('intentional failure')\n")
    r = run_assay("./fail.lua", cwd=tmp_path)  # Lua abbreviates long chunk names with "..."
    assert r.returncode == 1
    assert "./fail.lua:2: intentional failure" in r.stderr
    assert r.stdout == ""
    error_lines = [l for l in r.stderr.splitlines() if " ERROR " in l]
    assert len(error_lines) == 1 and LOG_LINE.match(error_lines[0])


def test_cli_13_syntax_error(tmp_path):
    write(tmp_path, "bad.lua", "local x = 1\nx = = 2\n")
    r = run_assay("bad.lua", cwd=tmp_path)
    assert r.returncode == 1
    assert "ERROR syntax error: bad.lua:2:" in r.stderr


def test_cli_14_shebang_keeps_line_numbers(tmp_path):
    write(tmp_path, "she.lua", "#!/usr/bin/env assay\nlocal a = 1\nerror('third line')\n")
    r = run_assay("she.lua", cwd=tmp_path)
    assert "she.lua:3: third line" in r.stderr
    only = write(tmp_path, "only.lua", "#!/usr/bin/assay")
    assert run_assay(only).returncode == 0


def test_cli_14_shebang_script_runs_with_chmod(tmp_path):
    """A `#!/usr/bin/env assay` script runs directly once executable."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    launcher = bindir / "assay"
    launcher.write_text("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(assay_command()))
    launcher.chmod(0o755)
    script = write(tmp_path, "hello.lua", "#!/usr/bin/env assay\nprint('from shebang')\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]),
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run([str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and r.stdout == "from shebang\n"


def test_cli_15_stdout_only_script_output(tmp_path):
    script = write(tmp_path, "log.lua", "log.info('only a log')\n")
    r = run_assay(script)
    assert r.returncode == 0 and r.stdout == ""
    assert "only a log" in r.stderr
    assert "starting assay (script mode) script=%s" % script in r.stderr


def test_cli_16_exec_log_info():
    r = run_assay("exec", "-e", "log.info('hello')")
    assert r.returncode == 0 and "hello" in r.stderr and r.stdout == ""
    assert "starting assay (inline eval mode)" in r.stderr


def test_cli_17_exec_error_positions():
    r = run_assay("exec", "-e", "assert.eq(1, 2, 'should fail')")
    assert r.returncode == 1
    r = run_assay("exec", "-e", "\n\nerror('boom')")
    assert r.returncode == 1 and "<eval>:3: boom" in r.stderr
    r = run_assay("exec", "--eval=error('x')")
    assert "<eval>:1: x" in r.stderr


def test_cli_18_exec_file_any_extension(tmp_path):
    script = write(tmp_path, "code.txt", "print('ran')\n")
    r = run_assay("exec", script)
    assert r.returncode == 0 and r.stdout == "ran\n"
    yaml_file = write(tmp_path, "c.yaml", "checks:\n  - name: x\n")
    r = run_assay("exec", yaml_file)
    assert r.returncode == 1 and "syntax error" in r.stderr


def test_cli_05_exec_eval_wins_over_file(tmp_path):
    r = run_assay("exec", "-e", "print('inline')", tmp_path / "missing.lua")
    assert r.returncode == 0 and r.stdout == "inline\n"


def test_cli_19_exec_without_code_or_file():
    r = run_assay("exec")
    assert r.returncode == 1
    assert r.stderr == "error: exec requires either -e <code> or a file path\n"


def test_cli_20_exec_reaches_the_embedded_stdlib_searcher():
    r = run_assay("exec", "-e", "require('assay.nonexistent_module_xyz')")
    assert r.returncode == 1
    assert "module 'assay.nonexistent_module_xyz' not found:" in r.stderr
    assert "no embedded stdlib file: nonexistent_module_xyz.lua" in r.stderr


def test_cli_38_rust_log_filters(tmp_path):
    script = write(tmp_path, "l.lua", "log.info('i-msg'); log.warn('w-msg'); log.error('e-msg')\n")
    r = run_assay(script)
    assert all(m in r.stderr for m in ("i-msg", "w-msg", "e-msg", "starting assay"))
    r = run_assay(script, extra_env={"RUST_LOG": "warn"})
    assert "i-msg" not in r.stderr and "starting assay" not in r.stderr
    assert "w-msg" in r.stderr and "e-msg" in r.stderr
    r = run_assay(script, extra_env={"RUST_LOG": "error"})
    assert "w-msg" not in r.stderr and "e-msg" in r.stderr
    r = run_assay(script, extra_env={"RUST_LOG": "info,lua=off"})
    assert "i-msg" not in r.stderr and "e-msg" not in r.stderr and "starting assay" in r.stderr
    r = run_assay(script, extra_env={"RUST_LOG": "nonsense=="})
    assert "i-msg" in r.stderr


def test_cli_39_log_line_format(tmp_path):
    r = run_assay("exec", "-e", "log.info('hello'); log.warn('careful'); log.error('bad')")
    lines = r.stderr.splitlines()
    assert len(lines) == 4
    for line in lines:
        assert LOG_LINE.match(line), line
    assert re.search(r"Z  INFO hello$", lines[1])
    assert re.search(r"Z  WARN careful$", lines[2])
    assert re.search(r"Z ERROR bad$", lines[3])


def test_cli_40_no_ansi_when_not_tty():
    r = run_assay("exec", "-e", "log.info('x')", extra_env={"NO_COLOR": ""})
    assert "\x1b[" not in r.stderr


def test_cli_45_sigint_quiet_exit(tmp_path):
    """SIGINT while a script runs (here: a busy Lua loop) ends quietly with 130."""
    script = write(tmp_path, "busy.lua", "print('started')\nio.stdout:flush()\nwhile true do end\n")
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen(assay_command() + [str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout.readline() == "started\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_rt_68_sigterm_quiet_exit(tmp_path):
    script = write(tmp_path, "sleepy.lua", "print('started')\nio.stdout:flush()\nsleep(30)\n")
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen(assay_command() + [str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout.readline() == "started\n"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143
    assert "Traceback" not in err


def test_rt_32_stdout_flushed_on_error_exit(tmp_path):
    script = write(tmp_path, "p.lua", "print('before')\nio.write('partial')\nerror('after')\n")
    r = run_assay(script)
    assert r.returncode == 1 and r.stdout == "before\npartial"


def test_rt_13_return_value_ignored(tmp_path):
    assert run_assay(write(tmp_path, "f.lua", "return false")).returncode == 0
    assert run_assay("exec", "-e", "return 1, nil").returncode == 0
