"""A fake Dex server (main HTTP listener) for the assay.dex tests.

Built on fakes.FakeService (records every request; `fail`/`set` override one route). Several
issuers live on one server, each under its own path prefix, because a Dex issuer URL normally
has a path (`https://dex.example.com/dex`):

- `/dex`      a complete discovery document shaped like Dex v2.39's (issuer = `<url>/dex`),
              JWKS at `/dex/keys`, `GET /dex/healthz` → 200 `Health check passed`
              (set `fake.healthy = False` for 503 `Health check failed`);
- `/minimal`  a document with only `issuer` and `scopes_supported`;
- `/wrong`    all endpoints, but an issuer that is not the URL it is served from;
- `/nokeys`   a document whose `jwks_uri` points at a key endpoint that answers 500;
- anything else answers 404 `404 page not found`, like Dex.

Dex has no HTTP `GET /api/v1/version` (its admin API is gRPC), so that path answers 404 unless a
test sets it with `fake.set`.
"""
from fakes import FakeService, Response, _fixtures, ok

JWKS = {"keys": [
    {"use": "sig", "kty": "RSA", "kid": "5c0c8c7b3f9a2c1d0e4f6a8b9c0d1e2f3a4b5c6d", "alg": "RS256",
     "n": "uH3bX2m0xZ1wQk9yK7rX4YbVhJz8b4cS0eVtN2o4dJm6aPq3W8sT1uR5vX7yZ9aB1cD3eF5gH7iJ9kL1mN3oP5q",
     "e": "AQAB"},
    {"use": "sig", "kty": "RSA", "kid": "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", "alg": "RS256",
     "n": "xQ2cW4eR6tY8uI0oP2aS4dF6gH8jK0lZ2xC4vB6nM8qW0eR2tY4uI6oP8aS0dF2gH4jK6lZ8xC0vB2nM4qW6eR8t",
     "e": "AQAB"},
]}


def discovery(issuer):
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/auth",
        "token_endpoint": issuer + "/token",
        "jwks_uri": issuer + "/keys",
        "userinfo_endpoint": issuer + "/userinfo",
        "introspection_endpoint": issuer + "/token/introspect",
        "grant_types_supported": ["authorization_code", "refresh_token",
                                  "urn:ietf:params:oauth:grant-type:token-exchange"],
        "response_types_supported": ["code", "id_token", "code id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "scopes_supported": ["openid", "profile", "email", "groups", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": ["iss", "sub", "aud", "iat", "exp", "email", "email_verified", "locale",
                             "name", "preferred_username", "at_hash"],
    }


class FakeDex(FakeService):
    name = "dex"

    def __init__(self):
        super().__init__()
        self.healthy = True

    def reset(self):
        super().reset()
        self.healthy = True

    def document(self, prefix):
        issuer = self.url + prefix
        if prefix == "/dex":
            return discovery(issuer)
        if prefix == "/minimal":
            return {"issuer": issuer, "scopes_supported": ["openid", "email"]}
        if prefix == "/wrong":
            return dict(discovery(issuer), issuer="https://dex.example.com/dex")
        if prefix == "/nokeys":
            return dict(discovery(issuer), jwks_uri=issuer + "/broken-keys")
        return None

    def route(self, r):
        prefix, _, rest = r.path[1:].partition("/")
        prefix = "/" + prefix
        doc = self.document(prefix)
        if doc is None or r.method != "GET":
            return Response(404, "404 page not found\n", "text/plain")
        rest = "/" + rest
        if rest == "/.well-known/openid-configuration":
            return ok(doc)
        if rest == "/keys":
            return ok(JWKS)
        if rest == "/broken-keys":
            return Response(500, "Internal server error.", "text/plain")
        if rest == "/healthz":
            if self.healthy:
                return Response(200, "Health check passed", "text/plain")
            return Response(503, "Health check failed", "text/plain")
        return Response(404, "404 page not found\n", "text/plain")


dex_server, dex = _fixtures(FakeDex, "dex")
