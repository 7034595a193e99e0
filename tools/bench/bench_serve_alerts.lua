-- wrk script for tools/bench/bench_serve.sh: POST /api/v1/alerts with
-- connection alerts. Environment (read once per thread):
--   BATCH   alerts per request (1 = one per request)
--   IPS     distinct source IPs drawn from (small = mostly duplicates)
--   TOKEN   the API token
local batch = tonumber(os.getenv("BATCH") or "1")
local ips = tonumber(os.getenv("IPS") or "16777216")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local n = 0

function setup(thread)
  n = n + 1
  thread:set("seed", n)
end

function init()
  math.randomseed(os.time() * 1000 + (seed or 0))
end

local function alert()
  local i = math.random(0, ips - 1)
  return string.format('{"type":"connection","src_ip":"10.%d.%d.%d","dst_port":8333,"proto":"tcp"}',
    math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
end

function request()
  local parts = {}
  for k = 1, batch do parts[k] = alert() end
  local body = batch == 1 and parts[1] or "[" .. table.concat(parts, ",") .. "]"
  return wrk.format(nil, "/api/v1/alerts", nil, body)
end

local errors = 0
function response(status)
  if status ~= 202 then errors = errors + 1 end
end

function done(summary, latency)
  io.write(string.format("requests %d  non2xx %d  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
