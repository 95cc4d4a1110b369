"""Script arguments (`arg`), completion scripts, a mistyped command, and the places
`require` looked at — the CLI additions that scripts written for assay-lua 0.19 use."""
import subprocess

import pytest

from conftest import run_assay

SHOW_ARG = 'print(#arg, arg[0], arg[1], arg[2], arg[3])\n'


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "s.lua"
    path.write_text("#!/usr/bin/assay\n" + SHOW_ARG)
    return path


def out(r):
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().split("\t")


def test_arg_after_double_dash_with_run_and_bare_form(script):
    assert out(run_assay("run", str(script), "--", "a", "b")) == ["2", str(script), "a", "b", "nil"]
    assert out(run_assay(str(script), "--", "a", "--verbose", "-x")) == ["3", str(script), "a", "--verbose", "-x"]


def test_arg_without_extras_is_an_empty_table_with_the_script_at_0(script):
    assert out(run_assay("run", str(script))) == ["0", str(script), "nil", "nil", "nil"]
    assert out(run_assay("exec", str(script), "--", "q")) == ["1", str(script), "q", "nil", "nil"]


def test_arg_for_a_shebang_invocation(script, tmp_path):
    # a kernel running `#!/usr/bin/assay` executes `assay ./s.lua a b`
    r = run_assay("./s.lua", "a", "b", cwd=str(tmp_path))
    assert out(r) == ["2", "./s.lua", "a", "b", "nil"]


def test_arg_with_inline_code():
    assert out(run_assay("exec", "-e", SHOW_ARG, "--", "x")) == ["1", "nil", "x", "nil", "nil"]


def test_extra_words_after_a_missing_script_stay_a_usage_error():
    r = run_assay("missing.lua", "b.lua")
    assert r.returncode == 2 and "unexpected argument 'b.lua' found" in r.stderr


def test_help_shows_script_arguments():
    r = run_assay("run", "--help")
    assert "Usage: assay run [OPTIONS] <FILE> [-- ARGS...]" in r.stdout
    assert "[ARGS]..." in r.stdout
    assert "FILE.lua [-- ARGS...]" in run_assay("--help").stdout


def test_mistyped_command_suggests_the_real_one():
    r = run_assay("module")
    assert r.returncode == 2
    assert r.stderr.startswith("error: unknown command 'module' (did you mean 'modules'?)\n")
    r = run_assay("frobnicate")
    assert r.returncode == 2 and r.stderr.startswith("error: unknown command 'frobnicate'\n")


def test_completion_bash_completes_commands_and_options():
    r = run_assay("completion", "bash")
    assert r.returncode == 0
    probe = r.stdout + '\nshopt -s extglob\nCOMP_WORDS=(assay mod); COMP_CWORD=1; _assay; echo "${COMPREPLY[*]}"\n' \
        'COMP_WORDS=(assay context --l); COMP_CWORD=2; _assay; echo "${COMPREPLY[*]}"\n' \
        'COMP_WORDS=(assay completion ""); COMP_CWORD=2; _assay; echo "${COMPREPLY[*]}"\n'
    lines = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30).stdout.splitlines()
    assert lines[0] == "modules"
    assert lines[1] == "--limit"
    assert {"bash", "zsh", "fish"} <= set(lines[2].split())


@pytest.mark.parametrize("shell, limit_option", [("zsh", "--limit"), ("fish", "-l limit")])
def test_completion_zsh_and_fish_name_every_command(shell, limit_option):
    from assay.cli.commands import COMMANDS
    r = run_assay("completion", shell)
    assert r.returncode == 0
    for name in COMMANDS:
        assert name in r.stdout
    assert limit_option in r.stdout


def test_completion_rejects_an_unknown_shell():
    r = run_assay("completion", "tcsh")
    assert r.returncode == 2 and "invalid value 'tcsh'" in r.stderr and "bash, zsh, fish" in r.stderr


def test_module_not_found_names_every_place_searched(tmp_path):
    r = run_assay("exec", "-e", 'require("assay.nope")', cwd=str(tmp_path), extra_env={"ASSAY_MODULES_PATH": "/g"})
    assert r.returncode == 1
    for place in ("./modules/nope.lua", "./modules/nope/init.lua", "/g/nope.lua", "no embedded stdlib file: nope.lua"):
        assert place in r.stderr
    r = run_assay("exec", "-e", 'require("nope")', cwd=str(tmp_path))
    assert r.stderr.count("not an assay.* module: nope") == 1
