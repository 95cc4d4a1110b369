"""assay.oauth2 (spec stdlib/oauth2.md, OAUTH2-01..10) with credential/token files in a temp
directory and the Google-style token endpoint of fake_oauth2.FakeOAuth2."""
import json
import re

from fake_oauth2 import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, oauth2, oauth2_server, write_files  # noqa: F401
from fakes import lua_with

REQ = 'local oauth2 = require("assay.oauth2")\n'


def client(creds, token, fake=None):
    opts = '{token_url = "%s"}' % fake.token_url if fake else "nil"
    return REQ + 'local c = oauth2.from_file("%s", "%s", %s)\n' % (creds, token, opts)


def test_oauth2_01_module_has_from_file(lua):
    assert lua('return type(require("assay.oauth2").from_file)') == "function"


def test_oauth2_02_installed_layout(lua, tmp_path):
    creds, token = write_files(tmp_path, "installed")
    out = lua(client(creds, token) + 'return c._credentials.client_id, c._credentials.client_secret, '
                                     'c._token_data.refresh_token, c._token_file, c._token_url, c._access_token')
    assert out == (CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, str(token), "https://oauth2.googleapis.com/token",
                   "ya29.initial-token")


def test_oauth2_03_flat_and_web_layouts(lua, tmp_path):
    for layout in ("flat", "web"):
        creds, token = write_files(tmp_path, layout)
        out = lua(client(creds, token) + "return c._credentials.client_id, c._credentials.installed, "
                                         "c._credentials.web, c._credentials.project_id")
        assert out == (CLIENT_ID, None, None, "assay-tests"), layout
    # installed wins over web
    (tmp_path / "both.json").write_text(json.dumps({"web": {"client_id": "web-id"},
                                                    "installed": {"client_id": "inst-id"}}))
    assert lua(REQ + 'return oauth2.from_file("%s", "%s")._credentials.client_id'
               % (tmp_path / "both.json", tmp_path / "token.json")) == "inst-id"


def test_oauth2_04_home_expansion_and_defaults(assay, tmp_path):
    gog = tmp_path / ".config" / "gog"
    gog.mkdir(parents=True)
    write_files(gog)
    code = REQ + '''local a = oauth2.from_file()
        local b = oauth2.from_file("~/.config/gog/credentials.json", "~/.config/gog/token.json")
        print(a._token_file, b._token_file, a._credentials.client_id)'''
    proc = assay("exec", "-e", code, extra_env={"HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(gog / "token.json"), str(gog / "token.json"), CLIENT_ID]


def test_oauth2_04_only_leading_tilde(assay, tmp_path):
    (tmp_path / "x~").mkdir()
    creds, token = write_files(tmp_path / "x~")
    code = REQ + 'print(oauth2.from_file("%s", "%s")._token_file)' % (creds, token)
    proc = assay("exec", "-e", code, extra_env={"HOME": "/nonexistent-home"})
    assert proc.stdout.strip() == str(token), proc.stderr
    # unset HOME expands to the empty string: "~/t.json" -> "/t.json"
    env_code = REQ + 'local ok, err = pcall(oauth2.from_file, "~/no-such-creds.json", "~/t.json"); print(err)'
    import os
    env = {k: v for k, v in os.environ.items() if k != "HOME"}
    from conftest import run_assay
    proc = run_assay("exec", "-e", env_code, env=dict(env, NO_COLOR="1",
                                                      PYTHONPATH=os.environ.get("PYTHONPATH", "")))
    assert 'fs.read: failed to read "/no-such-creds.json"' in proc.stdout, proc.stdout + proc.stderr


def test_oauth2_05_empty_file(lua_fails, tmp_path):
    creds, token = write_files(tmp_path)
    token.write_text("")
    msg = lua_fails(client(creds, token))
    assert re.search(r"^assay/oauth2\.lua:\d+: oauth2: failed to read file: %s$" % re.escape(str(token)), msg), msg
    creds.write_text("")
    msg = lua_fails(client(creds, token))
    assert msg.endswith("oauth2: failed to read file: %s" % creds)
    # a missing file raises from fs.read itself
    msg = lua_fails(client(tmp_path / "absent.json", token))
    assert msg.startswith('fs.read: failed to read "%s"' % (tmp_path / "absent.json"))


def test_oauth2_06_access_token(lua, tmp_path):
    creds, token = write_files(tmp_path)
    assert lua(client(creds, token) + "return c:access_token()") == "ya29.initial-token"


def test_oauth2_07_refresh(lua, oauth2, tmp_path):
    creds, token = write_files(tmp_path)
    new, stored, in_data, refresh = lua(client(creds, token, oauth2) + '''
        local t = c:refresh()
        return t, c:access_token(), c._token_data.access_token, c._token_data.refresh_token''')
    assert new.startswith("ya29.") and new != "ya29.initial-token"
    assert stored == in_data == new and refresh == REFRESH_TOKEN  # not returned: kept
    req = oauth2.last("/token")
    assert req.method == "POST" and req.header("Content-Type") == "application/json"
    assert req.body.decode() == json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                            "grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN},
                                           separators=(",", ":"))
    assert req.header("Authorization") is None


def test_oauth2_07_refresh_updates_returned_fields(lua, oauth2, tmp_path):
    oauth2.rotate = True
    creds, token = write_files(tmp_path)
    data = lua(client(creds, token, oauth2) + "c:refresh(); return c._token_data")
    assert data["refresh_token"] != REFRESH_TOKEN and data["refresh_token"] in oauth2.refresh_tokens
    assert data["expires_in"] == 3599 and data["token_type"] == "Bearer"
    assert data["expiry"] == "2024-01-01T00:00:00Z"  # other fields kept
    assert "scope" in data  # from the file, untouched


def test_oauth2_08_refresh_failure(lua_fails, oauth2, tmp_path):
    creds, token = write_files(tmp_path, token={"access_token": "old", "refresh_token": "revoked"})
    msg = lua_fails(client(creds, token, oauth2) + "c:refresh()")
    assert re.search(r'^assay/(oauth2|_http)\.lua:\d+: oauth2: token refresh failed HTTP 400: '
                     r'\{"error": "invalid_grant", "error_description": "Token has been expired or revoked."\}$',
                     msg), msg
    (tmp_path / "bad.json").write_text(json.dumps({"installed": {"client_id": CLIENT_ID, "client_secret": "x"}}))
    msg = lua_fails(client(tmp_path / "bad.json", token, oauth2) + "c:refresh()")
    assert "oauth2: token refresh failed HTTP 401" in msg


def test_oauth2_09_save(lua, oauth2, tmp_path):
    creds, token = write_files(tmp_path)
    out = lua(client(creds, token, oauth2) + 'c:refresh(); c._token_data.note = "x"; return c:save(), c:access_token()')
    saved, access = out
    assert saved is True
    text = token.read_text()
    assert ": " not in text and ", " not in text  # compact JSON
    data = json.loads(text)
    assert data["access_token"] == access and data["refresh_token"] == REFRESH_TOKEN and data["note"] == "x"
    assert data["expiry"] == "2024-01-01T00:00:00Z"
    # the saved file loads again
    assert lua(client(creds, token) + "return c:access_token()") == access


def test_oauth2_09_save_empty_token_object(lua, tmp_path):
    creds, token = write_files(tmp_path, token={"refresh_token": "r"})
    lua(client(creds, token) + "c._token_data.refresh_token = nil; return c:save()")
    assert token.read_text() == "{}"  # an object, not []


def test_oauth2_10_headers(lua, tmp_path):
    creds, token = write_files(tmp_path)
    assert lua(client(creds, token) + "return c:headers()") == {
        "Authorization": "Bearer ya29.initial-token", "Content-Type": "application/json"}


def test_oauth2_documented_from_file_flow(lua, oauth2, tmp_path):
    """from_file -> API call with headers() -> 401 -> refresh() -> retry -> save(): what gmail/gcal do."""
    creds, token = write_files(tmp_path, token={"access_token": "ya29.expired", "refresh_token": REFRESH_TOKEN})
    out = lua_with(lua, client(creds, token, oauth2) + '''
        local url = "$URL/gmail/v1/users/me/profile"
        local first = http.get(url, {headers = c:headers()})
        if first.status == 401 then
          c:refresh()
          c:save()
        end
        local second = http.get(url, {headers = c:headers()})
        return first.status, second.status, json.parse(second.body).emailAddress''', URL=oauth2.url)
    assert out == (401, 200, "alice@example.com")
    assert json.loads(token.read_text())["access_token"] in oauth2.access_tokens


def test_oauth2_client_url_first_form(lua, oauth2, tmp_path):
    """Issue 12: oauth2.client(token_url, {credentials_file, token_file})."""
    creds, token = write_files(tmp_path)
    out = lua(REQ + '''local c = oauth2.client("%s", {credentials_file = "%s", token_file = "%s"})
        local d = oauth2.client({token_url = "%s", credentials_file = "%s", token_file = "%s"})
        return c._token_url, d._token_url, c:refresh() ~= nil, c._token_file''' % (
        oauth2.token_url, creds, token, oauth2.token_url, creds, token))
    assert out == (oauth2.token_url, oauth2.token_url, True, str(token))


def test_oauth2_header_matches_spec():
    import os
    from assay.discovery import metadata
    path = os.path.join(os.path.dirname(__file__), "..", "..", "stdlib", "oauth2.lua")
    with open(path, encoding="utf-8") as f:
        meta = metadata.parse(f.read())
    assert meta.module == "assay.oauth2"
    assert meta.description == ("Google OAuth2 helper for loading credentials, refreshing access tokens, "
                                "persisting token files, and building auth headers.")
    assert meta.keywords == ["oauth2", "google", "auth", "token", "refresh", "credentials", "bearer", "gmail", "gcal"]
    # issue 12: the documented URL-first form first, then the spec's own quickref lines
    assert [q[0] for q in meta.quickrefs] == ["oauth2.client(token_url, opts?)",
                                             "oauth2.from_file(credentials_path?, token_path?, opts?)",
                                             "client:access_token()", "client:refresh()", "client:save()",
                                             "client:headers()"]
