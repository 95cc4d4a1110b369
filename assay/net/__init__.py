"""Network plumbing shared by everything in assay that speaks HTTP.

- `tls`: the one trust policy and SSL contexts (client certificates, extra roots).
- `client`: the one HTTP client (session, proxies, redirects, charsets, error texts).
- `server`: the HTTP/1.1 wire protocol behind `http.serve` (parsing, framing, SSE).

Nothing here touches Lua: the builtins (`http`, `http.serve`, `ws`) and checks mode
convert their arguments first and call these modules with plain Python values.
Every heavy import (requests, ssl, asyncio) happens inside the function that needs it.
"""
