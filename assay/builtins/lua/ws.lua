-- The Lua part of `ws` (assay/builtins/ws.py): connections are opaque handles.
local ws, register, lookup, take_dead = ...
local connect, send, recv, close = ws._connect, ws._send, ws._recv, ws._close
local send_binary, protocol = ws._send_binary, ws._protocol
ws._connect, ws._send, ws._recv, ws._close, ws._send_binary, ws._protocol = nil, nil, nil, nil, nil, nil
local error = error

local function id_of(conn, fn)
  local id = lookup(conn)
  if id == nil then error("ws." .. fn .. ": first argument must be a ws connection", 0) end
  return id
end

function ws.connect(url, opts) return register(connect(url, opts, take_dead())) end
function ws.send(conn, text) return send(id_of(conn, "send"), text) end
function ws.send_binary(conn, bytes) return send_binary(id_of(conn, "send_binary"), bytes) end
function ws.protocol(conn) return protocol(id_of(conn, "protocol")) end
function ws.recv(conn) return recv(id_of(conn, "recv")) end
function ws.close(conn) return close(id_of(conn, "close")) end
