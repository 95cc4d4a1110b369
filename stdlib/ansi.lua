--- @module assay.ansi
--- @description ANSI terminal colours for log viewers: SGR escape sequences to HTML <span> classes (text HTML-escaped), or stripped to plain text.
--- @category core
--- @icon palette
--- @keywords ansi, sgr, escape, csi, html, log, color, colour, terminal, strip
--- @quickref M.to_html(text) -> string | HTML-escape, then SGR codes to <span class="ansi-bold ansi-fg-31 ansi-bg-42">; other escape sequences dropped; every span closed
--- @quickref M.strip(text) -> string | Remove every CSI escape sequence (colours, cursor moves, erase line)

local M = {}

-- A CSI sequence: ESC [ parameter bytes (0x30-0x3F), intermediate bytes (0x20-0x2F), final byte (0x40-0x7E).
local CSI = "\27%[([\48-\63]*)[\32-\47]*([\64-\126])"

function M.strip(text)
  if type(text) ~= "string" then error("ansi.strip: expected a string", 2) end
  return (text:gsub(CSI, ""))
end

local ESCAPES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

local function escape(text)
  return (text:gsub("[&<>\"']", ESCAPES))
end

-- Apply one SGR parameter list to the style state.
local function apply(style, params)
  if params == "" then params = "0" end
  local codes = {}
  for code in (params .. ";"):gmatch("([^;]*);") do codes[#codes + 1] = tonumber(code) or 0 end
  local i = 1
  while i <= #codes do
    local c = codes[i]
    if c == 0 then
      style.bold, style.fg, style.bg = false, nil, nil
    elseif c == 1 then
      style.bold = true
    elseif c == 22 then
      style.bold = false
    elseif (c >= 30 and c <= 37) or (c >= 90 and c <= 97) then
      style.fg = c
    elseif c == 39 then
      style.fg = nil
    elseif (c >= 40 and c <= 47) or (c >= 100 and c <= 107) then
      style.bg = c
    elseif c == 49 then
      style.bg = nil
    elseif c == 38 or c == 48 then
      -- 256-colour (5;n) and true-colour (2;r;g;b) forms: skipped with their arguments
      if codes[i + 1] == 5 then i = i + 2 elseif codes[i + 1] == 2 then i = i + 4 end
    end
    i = i + 1
  end
end

local function classes(style)
  local out = {}
  if style.bold then out[#out + 1] = "ansi-bold" end
  if style.fg then out[#out + 1] = "ansi-fg-" .. style.fg end
  if style.bg then out[#out + 1] = "ansi-bg-" .. style.bg end
  return table.concat(out, " ")
end

function M.to_html(text)
  if type(text) ~= "string" then error("ansi.to_html: expected a string", 2) end
  local out, style, open = {}, { bold = false }, nil
  local function emit(piece)
    if piece == "" then return end
    local want = classes(style)
    if want ~= open then
      if open and open ~= "" then out[#out + 1] = "</span>" end
      if want ~= "" then out[#out + 1] = '<span class="' .. want .. '">' end
      open = want
    end
    out[#out + 1] = escape(piece)
  end
  local pos = 1
  while true do
    local s, e, params, final = text:find(CSI, pos)
    if not s then break end
    emit(text:sub(pos, s - 1))
    if final == "m" then
      apply(style, params)
      if classes(style) == "" and open and open ~= "" then
        out[#out + 1] = "</span>"
        open = ""
      end
    end
    pos = e + 1
  end
  emit(text:sub(pos))
  if open and open ~= "" then out[#out + 1] = "</span>" end
  return table.concat(out)
end

return M
