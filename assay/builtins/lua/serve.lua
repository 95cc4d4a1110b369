-- The Lua part of `http.serve` (assay/builtins/serve.py): the `send` function an SSE
-- handler receives, and the `conn` object a `{ws = function(conn) ... end}` handler
-- receives. Methods are called with a colon and close over the socket's id, so a script
-- cannot reach another connection's socket.
local http = ...
local send = http._sse_send
local read, write, close, closed = http._ws_read, http._ws_write, http._ws_close, http._ws_closed
http._sse_send = nil
http._ws_read, http._ws_write, http._ws_close, http._ws_closed = nil, nil, nil, nil

local function make_sender(stream_id)
  return function(event) return send(stream_id, event) end
end

local function make_conn(id, peer)
  return {
    peer_addr = peer,
    read = function(_) return read(id) end,
    write = function(_, data, opts) return write(id, data, opts) end,
    close = function(_, code, reason) return close(id, code, reason) end,
    is_closed = function(_) return closed(id) end,
  }
end

return make_sender, make_conn
