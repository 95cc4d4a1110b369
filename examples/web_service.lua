#!/usr/bin/env assay
-- A small web service: an in-memory item store with JSON endpoints, a status page
-- that checks an upstream, and a Server-Sent Events feed of changes.
--
--   PORT=8080 assay examples/web_service.lua
--   curl localhost:8080/health
--   curl -X POST localhost:8080/items -d '{"name":"disk","size":3}'
--   curl localhost:8080/items
--   curl "localhost:8080/items/get?id=1"
--   curl -N localhost:8080/events          # streams "created" events as they happen
--   UPSTREAM=https://example.org curl localhost:8080/upstream

local port = tonumber(env.get("PORT") or "8080")
local upstream = env.get("UPSTREAM")

local items, next_id = {}, 1
local listeners = {}      -- SSE subscribers: id -> queue of pending events
local next_listener = 1

local function broadcast(event)
  for _, queue in pairs(listeners) do
    queue[#queue + 1] = event
  end
end

local function bad_request(message)
  return { status = 400, json = { error = message } }
end

local function list_items()
  local out = {}
  for _, item in pairs(items) do out[#out + 1] = item end
  table.sort(out, function(a, b) return a.id < b.id end)
  return out
end

http.serve(port, {
  GET = {
    ["/health"] = function()
      return { json = { ok = true, items = #list_items(), time = time() } }
    end,

    ["/items"] = function()
      return { json = list_items() }
    end,

    ["/items/get"] = function(req)
      local item = items[tonumber(req.params.id or "")]
      if not item then return { status = 404, json = { error = "no such item" } } end
      return { json = item }
    end,

    -- Handlers may call yielding builtins: other requests keep being served meanwhile.
    ["/upstream"] = function()
      if not upstream then return { status = 503, body = "set UPSTREAM to enable this check" } end
      local ok, r = pcall(http.get, upstream, { headers = { Accept = "text/html" } })
      if not ok then return { status = 502, json = { error = r } } end
      return { json = { upstream = upstream, status = r.status, bytes = #r.body } }
    end,

    -- Server-Sent Events: `send` waits when the client is slow and raises
    -- "SSE stream closed" once it has gone away.
    ["/events"] = function()
      return {
        headers = { ["X-Accel-Buffering"] = "no" },
        sse = function(send)
          local id = next_listener
          next_listener = next_listener + 1
          local queue = {}
          listeners[id] = queue
          local ok, err = pcall(function()
            send({ event = "hello", data = json.encode({ listeners = id }), retry = 2000 })
            while true do
              while #queue > 0 do
                local event = table.remove(queue, 1)
                send({ event = event.kind, id = tostring(event.id), data = json.encode(event.item) })
              end
              sleep(0.2)
            end
          end)
          listeners[id] = nil
          if err ~= "SSE stream closed" then error(err, 0) end
        end,
      }
    end,
  },

  POST = {
    ["/items"] = function(req)
      local ok, body = pcall(json.parse, req.body)
      if not ok or type(body) ~= "table" then return bad_request("body must be a JSON object") end
      if type(body.name) ~= "string" or body.name == "" then return bad_request("name is required") end
      local item = { id = next_id, name = body.name, size = body.size or 0 }
      items[item.id] = item
      next_id = next_id + 1
      broadcast({ kind = "created", id = item.id, item = item })
      log.info("created item " .. item.id .. " (" .. item.name .. ")")
      return { status = 201, json = item, headers = { Location = "/items/get?id=" .. item.id } }
    end,
  },

  DELETE = {
    ["/items"] = function(req)
      local id = tonumber(req.params.id or "")
      if not id or not items[id] then return { status = 404, json = { error = "no such item" } } end
      local item = items[id]
      items[id] = nil
      broadcast({ kind = "deleted", id = id, item = item })
      return { status = 204 }
    end,
  },
})
