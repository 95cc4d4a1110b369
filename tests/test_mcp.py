"""`assay mcp-serve`, driven by the official MCP Python SDK's stdio client."""
import asyncio
import json

import pytest

from conftest import assay_command, assay_env

mcp = pytest.importorskip("mcp", reason="the mcp SDK is a dev dependency (pip install -e '.[dev]')")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
try:  # the SDK renamed it in 2.x
    from mcp.shared.exceptions import MCPError as McpError  # noqa: E402
except ImportError:
    from mcp.shared.exceptions import McpError  # noqa: E402


def session(tmp_path, extra_env=None, body=None):
    """Start `assay mcp-serve`, initialize a client session, run `body(client)`."""
    env = assay_env(extra_env=dict({"ASSAY_STATE_DIR": str(tmp_path / "state")}, **(extra_env or {})))
    command = assay_command()
    params = StdioServerParameters(command=command[0], args=command[1:] + ["mcp-serve"], env=env,
                                   cwd=str(tmp_path))

    async def go():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as client:
                info = await client.initialize()
                return await body(client, info)

    return asyncio.run(asyncio.wait_for(go(), 120))


def envelope(result):
    assert len(result.content) == 1 and result.content[0].type == "text"
    return json.loads(result.content[0].text)


def test_initialize_and_tools_list(tmp_path):
    async def body(client, info):
        listed = await client.list_tools()
        return info, {t.name: t for t in listed.tools}

    info, tools = session(tmp_path, body=body)
    assert info.server_info.name == "assay"
    assert info.capabilities.tools is not None
    assert sorted(tools) == ["assay_context", "assay_resume", "assay_run"]
    run = tools["assay_run"].input_schema
    assert run["required"] == ["code"] and run["properties"]["mode"]["enum"] == ["readonly", "approval"]
    assert run["additionalProperties"] is False


def test_run_is_readonly_by_default_and_returns_the_envelope(tmp_path):
    target = tmp_path / "w.txt"

    async def body(client, info):
        ok = await client.call_tool("assay_run", {"code": "return {sum = 1 + 2}"})
        blocked = await client.call_tool("assay_run", {"code": "fs.write(%s, 'x')" % json.dumps(str(target))})
        return ok, blocked

    ok, blocked = session(tmp_path, body=body)
    assert ok.is_error is False
    assert envelope(ok) == {"ok": True, "status": "ok", "output": {"sum": 3}, "requiresApproval": None,
                            "readonly": True}
    assert blocked.is_error is True
    doc = envelope(blocked)
    assert doc["status"] == "error" and doc["readonly"] is True
    assert "readonly: fs.write blocked (write operations are disabled in read-only mode)" in doc["error"]
    assert not target.exists()


def test_unrestricted_is_refused_unless_the_server_allows_it(tmp_path):
    target = tmp_path / "w.txt"
    code = "fs.write(%s, 'x') return 'wrote'" % json.dumps(str(target))

    async def refused(client, info):
        with pytest.raises(McpError) as caught:
            await client.call_tool("assay_run", {"code": code, "mode": "unrestricted"})
        return caught.value

    error = session(tmp_path, body=refused)
    assert "assay_run: mode must be one of readonly, approval" in str(error)
    assert not target.exists()

    async def allowed(client, info):
        return await client.call_tool("assay_run", {"code": code, "mode": "unrestricted"})

    result = session(tmp_path, extra_env={"ASSAY_MCP_UNRESTRICTED": "1"}, body=allowed)
    assert envelope(result)["output"] == "wrote" and target.read_text() == "x"


def test_approval_flow_through_assay_resume(tmp_path):
    target = tmp_path / "deploy.txt"
    code = "fs.write(%s, 'v2') return 'deployed'" % json.dumps(str(target))

    async def body(client, info):
        first = envelope(await client.call_tool("assay_run", {"code": code, "mode": "approval"}))
        token = first["requiresApproval"]["resumeToken"]
        exists_before = target.exists()
        done = envelope(await client.call_tool("assay_resume", {"token": token, "approve": "yes",
                                                                "approver": "agent-reviewer"}))
        replay = await client.call_tool("assay_resume", {"token": token, "approve": "yes"})
        return first, exists_before, done, replay

    first, exists_before, done, replay = session(tmp_path, body=body)
    assert first["status"] == "needs_approval" and first["requiresApproval"]["context"]["op"] == "fs.write"
    assert exists_before is False
    assert done["status"] == "ok" and done["output"] == "deployed" and done["approver"] == "agent-reviewer"
    assert target.read_text() == "v2"
    assert replay.is_error is True
    assert envelope(replay) == {"ok": False, "status": "error", "error": "resume token already used"}


def test_unknown_arguments_and_tools_are_refused(tmp_path):
    target = tmp_path / "w.txt"

    async def body(client, info):
        errors = []
        for name, args in (("assay_run", {"code": "fs.write(%s, 'x')" % json.dumps(str(target)), "mode":
                                          "readonly", "sandbox": False}),
                           ("assay_run", {}),
                           ("assay_run", {"code": "return 1", "timeout": 0}),
                           ("assay_shell", {"cmd": "ls"})):
            with pytest.raises(McpError) as caught:
                await client.call_tool(name, args)
            errors.append(str(caught.value))
        return errors

    errors = session(tmp_path, body=body)
    assert "assay_run: unknown argument 'sandbox' (expected: code, mode, timeout)" in errors[0]
    assert "assay_run: missing required argument 'code'" in errors[1]
    assert "assay_run: timeout must be an integer from 1 to 3600" in errors[2]
    assert "unknown tool 'assay_shell'" in errors[3]
    assert not target.exists()


def test_each_run_has_its_own_vm_and_timeout(tmp_path):
    async def body(client, info):
        first = await client.call_tool("assay_run", {"code": "leaked = 42 return 1"})
        second = await client.call_tool("assay_run", {"code": "return leaked"})
        slow = await client.call_tool("assay_run", {"code": "while true do end", "timeout": 1})
        pong = await client.send_ping()
        return first, second, slow, pong

    first, second, slow, pong = session(tmp_path, body=body)
    assert envelope(first)["output"] == 1
    assert envelope(second)["output"] is None
    assert envelope(slow) == {"ok": False, "status": "timeout", "error": "execution timed out after 1s",
                              "readonly": True}
    assert slow.is_error is True


def test_context_tool(tmp_path):
    async def body(client, info):
        return await client.call_tool("assay_context", {"query": "vault secrets", "limit": 2})

    result = session(tmp_path, body=body)
    assert result.is_error is False
    assert "assay.vault" in result.content[0].text
