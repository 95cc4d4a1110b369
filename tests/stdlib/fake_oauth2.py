"""A Google-style OAuth2 token endpoint (and one protected API) on 127.0.0.1 for the
assay.oauth2 tests.

- `POST /token` takes the refresh_token grant as a JSON or a form body (Google accepts both),
  checks the client id/secret (401 `invalid_client`) and the refresh token (400
  `invalid_grant`, "Token has been expired or revoked."), and answers
  `{access_token, expires_in, scope, token_type}`; with `rotate = True` it also returns a new
  refresh token (and forgets the old one).
- `GET /gmail/v1/users/me/profile` needs `Authorization: Bearer <issued token>`, else 401
  with Google's UNAUTHENTICATED error body.
"""
import json
import secrets

from fake_ory import HTTPFake, reply

CLIENT_ID = "123456789-test.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-test-secret"
REFRESH_TOKEN = "1//0refresh-token-for-tests"


class FakeOAuth2(HTTPFake):
    name = "oauth2"

    def __init__(self):
        super().__init__()
        self.seed()

    def reset(self):
        super().reset()
        self.seed()

    def seed(self):
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.refresh_tokens = {REFRESH_TOKEN: CLIENT_ID}
        self.access_tokens = {"ya29.initial-token": CLIENT_ID}
        self.rotate = False
        self.grants = []   # decoded token request parameters, in order

    @property
    def token_url(self):
        return self.url + "/token"

    def route(self, r):
        if r.path == "/token" and r.method == "POST":
            return self.token(r)
        if r.path == "/gmail/v1/users/me/profile" and r.method == "GET":
            auth = r.header("Authorization") or ""
            if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
                return reply({"error": {"code": 401, "message": "Request had invalid authentication credentials. "
                                        "Expected OAuth 2 access token, login cookie or other valid authentication "
                                        "credential.", "status": "UNAUTHENTICATED"}}, 401)
            return reply({"emailAddress": "alice@example.com", "messagesTotal": 42, "threadsTotal": 17,
                          "historyId": "1234"})
        return reply({"error": "not_found"}, 404)

    def token(self, r):
        ctype = r.header("Content-Type") or ""
        try:
            if "application/json" in ctype:
                params = r.json()
            elif "application/x-www-form-urlencoded" in ctype:
                params = r.form()
            else:
                raise ValueError(ctype)
        except ValueError:
            return reply({"error": "invalid_request", "error_description": "Invalid request body"}, 400)
        self.grants.append(params)
        if params.get("grant_type") != "refresh_token":
            return reply({"error": "unsupported_grant_type", "error_description": "Invalid grant_type: %s"
                          % params.get("grant_type")}, 400)
        if self.clients.get(params.get("client_id")) != params.get("client_secret") or not params.get("client_id"):
            return reply({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
        owner = self.refresh_tokens.get(params.get("refresh_token"))
        if owner != params["client_id"]:
            return reply({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400)
        access = "ya29." + secrets.token_urlsafe(24)
        self.access_tokens[access] = owner
        body = {"access_token": access, "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/gmail.readonly", "token_type": "Bearer"}
        if self.rotate:
            del self.refresh_tokens[params["refresh_token"]]
            new = "1//0" + secrets.token_urlsafe(16)
            self.refresh_tokens[new] = owner
            body["refresh_token"] = new
        return reply(body)


def write_files(directory, layout="installed", token=None):
    """Write credentials.json (Google layout `installed`, `web` or flat) and token.json."""
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "project_id": "assay-tests",
             "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
             "redirect_uris": ["http://localhost"]}
    if layout != "flat":
        creds = {layout: creds}
    creds_path = directory / "credentials.json"
    token_path = directory / "token.json"
    creds_path.write_text(json.dumps(creds))
    token_path.write_text(json.dumps(token if token is not None else {
        "access_token": "ya29.initial-token", "refresh_token": REFRESH_TOKEN, "token_type": "Bearer",
        "expiry": "2024-01-01T00:00:00Z", "scope": "https://www.googleapis.com/auth/gmail.readonly"}))
    return creds_path, token_path


def _fixtures():
    import pytest

    @pytest.fixture(scope="module")
    def oauth2_server():
        fake = FakeOAuth2()
        yield fake
        fake.close()

    @pytest.fixture
    def oauth2(oauth2_server):
        oauth2_server.reset()
        return oauth2_server

    return oauth2_server, oauth2


oauth2_server, oauth2 = _fixtures()
