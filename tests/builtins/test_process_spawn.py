"""process.spawn / process.wait (upstream-delta §1): both call shapes, capture, files, timeouts."""
import os

from conftest import run_assay


def test_spawn_returns_a_pid_handle_and_wait_collects_status_and_output(lua):
    got = lua("""
      local h = process.spawn("sh", {args = {"-c", "echo to-out; echo to-err >&2; exit 3"}})
      local r = process.wait(h)
      return math.type(h.pid), r.status, r.exited, r.signaled, r.stdout, r.stderr, r.timed_out
    """)
    assert got == ("integer", 3, True, False, "to-out\n", "to-err\n", False)


def test_single_table_form_with_args_env_cwd(lua, tmp_path):
    got = lua("""
      local h = process.spawn({cmd = "sh", args = {"-c", "printf '%%s|%%s' \\"$GREETING\\" \\"$(pwd)\\""},
                               env = {GREETING = "hi there"}, cwd = "%s"})
      return process.wait(h.pid).stdout
    """ % tmp_path)
    assert got == "hi there|%s" % tmp_path


def test_arguments_are_not_shell_parsed(lua):
    assert lua('return process.wait(process.spawn("echo", {args = {"$HOME", "a b", ";ls"}})).stdout') == \
        "$HOME a b ;ls\n"


def test_output_to_files(lua, tmp_path):
    log = tmp_path / "child.log"
    got = lua("""
      local h = process.spawn("sh", {args = {"-c", "echo one; echo two >&2"}, stdout = "%s", stderr = "%s"})
      local r = process.wait(h)
      return r.status, r.stdout == nil, r.stderr == nil
    """ % (log, log))
    assert got == (0, True, True)
    assert sorted(log.read_text().split()) == ["one", "two"]


def test_script_keeps_running_while_the_child_runs(lua, tmp_path):
    marker = tmp_path / "done"
    got = lua("""
      local h = process.spawn("sh", {args = {"-c", "sleep 0.3; touch %s"}})
      local before = fs.exists("%s")
      local r = process.wait(h)
      return before, fs.exists("%s"), r.status
    """ % (marker, marker, marker))
    assert got == (False, True, 0)


def test_other_tasks_run_while_wait_blocks(lua):
    got = lua("""
      local order = {}
      local t = async.spawn(function()
        local r = process.wait(process.spawn("sleep", {args = {"0.3"}}))
        order[#order + 1] = "child done"
        return r.status
      end)
      order[#order + 1] = "main goes on"
      local status = t:await()
      return table.concat(order, ","), status
    """)
    assert got == ("main goes on,child done", [0])  # await gives the task's return values as an array


def test_wait_timeout_then_kill(lua):
    got = lua("""
      local h = process.spawn("sleep", {args = {"30"}})
      local early = process.wait(h, {timeout = 0.1})
      process.kill(h.pid)
      local r = process.wait(h)
      return early.timed_out, r.signaled, r.signal, r.status, r.exited
    """)
    assert got == (True, True, 15, 143, False)


def test_wait_twice_returns_the_same_result(lua):
    assert lua('local h = process.spawn("sh", {args = {"-c", "exit 7"}}) '
               'return process.wait(h).status, process.wait(h).status') == (7, 7)


def test_errors(lua_fails, tmp_path):
    assert lua_fails('process.spawn("no-such-program-here")') == \
        'process.spawn: failed to start "no-such-program-here": No such file or directory (os error 2)'
    assert lua_fails("process.spawn()") == "process.spawn: cmd must be a string, got nil"
    assert lua_fails("process.spawn({args = {}})") == "process.spawn: cmd is required"
    assert lua_fails('process.spawn("echo", {args = {1, {}}})') == "process.spawn: args[2] must be a string, got table"
    assert lua_fails('process.spawn("echo", {stdout = "%s/missing/dir/log"})' % tmp_path).startswith(
        'process.spawn: cannot open "%s/missing/dir/log" for stdout: No such file or directory' % tmp_path)
    assert lua_fails("process.wait(999999999)") == \
        "process.wait: no process with pid 999999999 was started by process.spawn"
    assert lua_fails('process.wait("x")') == \
        "process.wait: first argument must be a handle from process.spawn or its pid"


def test_children_can_be_stopped_by_sigterm(lua):
    """assay blocks SIGINT/SIGTERM in its own threads; its children must not inherit that."""
    got = lua('local r = process.wait(process.spawn("sh", {args = {"-c", "kill -TERM $$; echo survived"}})) '
              'return r.signal, r.stdout')
    assert got == (15, "")
    assert lua('return shell.exec("kill -TERM $$; echo survived").stdout') == ""


def test_spawn_from_the_command_line_script(tmp_path):
    script = tmp_path / "s.lua"
    script.write_text('local r = process.wait(process.spawn("echo", {args = {"from child"}}))\n'
                      'io.write(r.stdout)\n')
    result = run_assay("run", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "from child\n"


def test_spawn_is_blocked_in_readonly_mode_and_wait_is_not_a_write():
    result = run_assay("exec", "--readonly", "-e", 'process.spawn("echo", {args = {"x"}})')
    assert result.returncode != 0
    assert "readonly: process.spawn blocked (write operations are disabled in read-only mode)" in result.stderr
