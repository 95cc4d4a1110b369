"""assay.openbao (spec stdlib/openbao.md, OPENBAO-01..03): the assay.vault module under another name."""
import json

import pytest

from fake_vault import FakeVault


@pytest.fixture
def bao():
    fake = FakeVault(token="test-token").start()
    yield fake
    fake.stop()


def test_openbao_01_module_has_client(lua):
    assert lua('local b = require("assay.openbao"); return b ~= nil, type(b.client), type(b.wait)') == \
        (True, "function", "function")


def test_openbao_02_same_table_as_vault(lua):
    assert lua('return require("assay.openbao") == require("assay.vault")') is True
    assert lua('local v = require("assay.vault"); return rawequal(require("assay.openbao"), v)') is True


def test_openbao_03_kv_get(lua, bao):
    bao.respond("GET", "/v1/secret/data/test", 200, {"data": {"data": {"key": "value"}}})
    code = ('local bao = require("assay.openbao")\n'
            'local data = bao.client(%s, "test-token"):kv_get("secret", "test")\n'
            'return data.data.key' % json.dumps(bao.url))
    assert lua(code) == "value"
    req = bao.last()
    assert (req.method, req.raw_path) == ("GET", "/v1/secret/data/test")
    assert req.headers["x-vault-token"] == "test-token"


def test_openbao_documented_client_form(lua, bao):
    """bao.client(url, token) — positional token string; errors keep the vault: prefix."""
    bao.put_secret("secret", "app", {"password": "pw"})
    code = ('local bao = require("assay.openbao")\n'
            'local c = bao.client(%s, "test-token")\n'
            'local ok, err = pcall(c.kv_get, bao.client(%s, "wrong"), "secret", "app")\n'
            'return c:kv_get("secret", "app").data.password, err'
            % (json.dumps(bao.url), json.dumps(bao.url)))
    password, err = lua(code)
    assert password == "pw"
    assert 'vault: GET /v1/secret/data/app HTTP 403: {"errors": ["permission denied"]}' in err


def test_hashicorp_vault_is_the_same_client(lua, bao):
    """assay.hashicorp.vault (current Assay name) and the assay.hashicorp namespace give the vault module."""
    assert lua('local v = require("assay.vault"); return rawequal(require("assay.hashicorp.vault"), v), '
               'rawequal(require("assay.hashicorp").vault, v), rawequal(require("assay.openbao"), v)') == \
        (True, True, True)
    bao.put_secret("secret", "app", {"password": "pw"})
    code = ('local vault = require("assay.hashicorp.vault")\n'
            'local c = vault.client(%s, "test-token")\n'
            'return c.kv:get("secret", "app").data.password, c:kv_get("secret", "app").data.password'
            % json.dumps(bao.url))
    assert lua(code) == ("pw", "pw")


def test_discovery_lists_every_vault_name(assay):
    out = assay("modules")
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines() if line.strip().startswith("assay.")]
    for name in ("assay.vault", "assay.openbao", "assay.hashicorp", "assay.hashicorp.vault"):
        assert name in names, name
    block = assay("context", "hashicorp vault").stdout
    assert "assay.hashicorp.vault" in block and "c.kv:get(mount, key)" in block
