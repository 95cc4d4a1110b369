"""The `temporal` builtin without gRPC transport (builtins.md §21)."""


def test_temporal_01_table_with_connect_and_start(lua):
    assert lua("return type(temporal), type(temporal.connect), type(temporal.start)") == (
        "table", "function", "function")


def test_temporal_02_invalid_url(lua_fails):
    assert lua_fails("temporal.connect({url = '://bad url'})").startswith("invalid temporal URL: ")
    assert lua_fails("temporal.connect({url = 'host:notaport'})").startswith("invalid temporal URL: ")


def test_temporal_03_unreachable_raises_connect_error(lua_fails):
    assert lua_fails("temporal.connect({url = '127.0.0.1:19999'})").startswith("temporal connect: ")


def test_temporal_04_start_requires_fields(lua_fails):
    assert "url" in lua_fails("temporal.start({task_queue = 'q', workflow_type = 't', workflow_id = 'w'})")
    assert "task_queue" in lua_fails("temporal.start({url = '127.0.0.1:7233', workflow_type = 't', "
                                     "workflow_id = 'w'})")
    assert "url" in lua_fails("temporal.connect({namespace = 'x'})")
    assert lua_fails("temporal.start({url = '127.0.0.1:7233', task_queue = 'q', workflow_type = 't', "
                     "workflow_id = 'w'})").startswith("temporal connect: ")
