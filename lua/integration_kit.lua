--- integration_kit: the "90% identical" parts of integrations and automations
-- (ingest, validate and extract, push out), so an author writes them once.
-- local kit = require("integration_kit")   -- from an integration or a playbook
-- The cookbook in docs/integrations.md shows each in use; tests/lua/
-- integration_kit_test.lua runs every example there.
local M = {}

-- ---- safe extraction with defaults ----

--- The value at a dotted path ("data.attributes.tags", "[1].id"), or `default`
-- when any step is missing or the value is not of type `want` (optional).
function M.get(value, path, default, want)
  local cur = value
  for part in path:gmatch("[^.]+") do
    if type(cur) ~= "table" then return default end
    local idx = tonumber(part:match("^%[(%d+)%]$"))
    if idx then cur = cur[idx] else cur = cur[part] end
  end
  if cur == nil or (want and type(cur) ~= want) then return default end
  return cur
end

--- A string or nil (a JSON null, a number where a string was promised: nil).
function M.str(v) return type(v) == "string" and v or nil end

--- An integer from a number or a numeric string ("10", as some APIs send
-- counts), else `default`.
function M.int(v, default)
  local n = tonumber(v)
  if not n or n ~= n or n == math.huge or n == -math.huge then return default end
  return math.floor(n)
end

-- ---- validation: misuse raises, before any request ----

local VALID = {
  ipv4 = function(s)
    local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    return a and tonumber(a) < 256 and tonumber(b) < 256 and tonumber(c) < 256 and tonumber(d) < 256
  end,
  ip = function(s) return s:match("^[%x:.]+$") ~= nil and (s:find(":") ~= nil or M.valid("ipv4", s)) end,
  domain = function(s)
    return #s <= 253 and s:match("^[%w-]+%.[%w.-]+$") ~= nil and not s:find("%.%.") and not s:find("^%-")
  end,
  hash = function(s) return s:match("^%x+$") ~= nil and (#s == 32 or #s == 40 or #s == 64) end,
  email = function(s) return s:match("^[%w._%%+-]+@[%w-]+%.[%w.-]+$") ~= nil end,
  url = function(s) return s:match("^https?://[^%s/]+") ~= nil end,
}

--- true when `s` is a string of the kind: ipv4, ip, domain, hash, email, url.
function M.valid(kind, s)
  local f = VALID[kind]
  if not f then error("integration_kit.valid: unknown kind " .. tostring(kind), 2) end
  return type(s) == "string" and f(s) and true or false
end

--- Raises "WHO: WHAT must be a KIND" unless valid: the caller's mistake.
function M.check(who, what, kind, s)
  if not M.valid(kind, s) then
    error(string.format("%s: %s must be a%s %s, not %s", who, what, kind:match("^[aeiou]") and "n" or "",
      kind, type(s) == "string" and string.format("%q", s) or type(s)), 2)
  end
  return s
end

-- ---- lists and maps ----

--- The strings of a list (other values dropped; a non-list: empty).
function M.strings(v)
  local out = {}
  for _, s in ipairs(type(v) == "table" and v or {}) do
    if type(s) == "string" then out[#out + 1] = s end
  end
  return out
end

--- A map's keys, sorted (vendors send sets as {"CVE-1": {...}}).
function M.keys(map)
  local out = {}
  for k in pairs(type(map) == "table" and map or {}) do out[#out + 1] = tostring(k) end
  table.sort(out)
  return out
end

--- list -> list of f(item) (nil results dropped).
function M.map(list, f)
  local out = {}
  for _, v in ipairs(list or {}) do
    local r = f(v)
    if r ~= nil then out[#out + 1] = r end
  end
  return out
end

--- The list without repeats, first occurrence kept (key(item) decides).
function M.unique(list, key)
  local seen, out = {}, {}
  for _, v in ipairs(list or {}) do
    local k = key and key(v) or v
    if not seen[k] then seen[k] = true; out[#out + 1] = v end
  end
  return out
end

--- list -> { [key(item)] = item }
function M.index(list, key)
  local out = {}
  for _, v in ipairs(list or {}) do out[key(v)] = v end
  return out
end

-- ---- pagination ----

--- Calls fetch(cursor) (cursor nil first) until it returns no next cursor, or
-- max_pages pages (default 10) or max_items items (default 1000). fetch
-- returns items (a list), next_cursor — or nil, err, detail. Returns all
-- items, truncated (boolean) — or nil, err, detail of the failing page.
function M.paginate(fetch, opts)
  opts = opts or {}
  local max_pages, max_items = opts.max_pages or 10, opts.max_items or 1000
  local all, cursor = {}, nil
  for _ = 1, max_pages do
    local items, next_cursor, detail = fetch(cursor)
    if items == nil then return nil, next_cursor, detail end
    for _, it in ipairs(items) do
      if #all >= max_items then return all, true end
      all[#all + 1] = it
    end
    if next_cursor == nil or next_cursor == "" then return all, false end
    cursor = next_cursor
  end
  return all, true
end

-- ---- rate limits ----

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9,
                 Oct = 10, Nov = 11, Dec = 12 }

--- An HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT", RFC 9110) -> seconds, or nil.
function M.http_date(s)
  local d, mon, y, hh, mm, ss =
    tostring(s):match("^%a+, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  if not d or not MONTHS[mon] then return nil end
  return time.parse(string.format("%s-%02d-%sT%s:%s:%sZ", y, MONTHS[mon], d, hh, mm, ss))
end

--- Seconds a response asks to wait (Retry-After in seconds, or an HTTP date,
-- or X-RateLimit-Reset as a Unix time), or nil. `now` defaults to time.now().
function M.retry_after(resp, now)
  local h = type(resp) == "table" and type(resp.headers) == "table" and resp.headers or {}
  local ra = h["retry-after"]
  if ra then
    local secs = tonumber(ra)
    if secs then return math.max(0, math.floor(secs)) end
    local t = M.http_date(ra)
    if t then return math.max(0, math.ceil(t - (now or time.now()))) end
  end
  local reset = tonumber(h["x-ratelimit-reset"])
  if reset then return math.max(0, math.ceil(reset - (now or time.now()))) end
  return nil
end

--- nil, "rate_limited", "retry after N s" for a 429 whose wait is longer
-- than `max_wait` (the http layer already retried the short ones), else nil.
function M.rate_limited(resp, max_wait)
  if type(resp) ~= "table" or resp.status ~= 429 then return nil end
  local wait = M.retry_after(resp)
  if wait and max_wait and wait <= max_wait then return nil end
  return true, "rate_limited", wait and ("retry after " .. wait .. " s") or "HTTP 429"
end

-- ---- auth styles: what to add to an http request ----

M.auth = {}
--- Authorization: Bearer TOKEN
function M.auth.bearer(token) return { bearer = token } end
--- Authorization: Basic base64(user:password)
function M.auth.basic(user, password) return { basic = { user = user, password = password } } end
--- a key in a header of the vendor's naming (x-apikey, Key, Auth-Key, X-PAN-KEY)
function M.auth.header(name, key) return { headers = { [name] = key } } end
--- a key in the query (ipinfo token=, shodan key=): recorded fixtures scrub it
function M.auth.query(name, key) return { query = { [name] = key } } end

--- Merges request option tables (headers and query merged too): the auth
-- part and the request's own.
function M.request(...)
  local out = {}
  for i = 1, select("#", ...) do
    for k, v in pairs(select(i, ...) or {}) do
      if (k == "headers" or k == "query") and type(out[k]) == "table" then
        for hk, hv in pairs(v) do out[k][hk] = hv end
      elseif k == "headers" or k == "query" then
        out[k] = {}
        for hk, hv in pairs(v) do out[k][hk] = hv end
      else
        out[k] = v
      end
    end
  end
  return out
end

--- An HMAC-SHA256 signature header over the body (webhooks both ways):
-- { headers = { [name] = prefix .. hex } }
function M.auth.hmac(name, secret, body, prefix)
  return { headers = { [name] = (prefix or "") .. crypto.hmac_sha256(secret, body) } }
end

return M
