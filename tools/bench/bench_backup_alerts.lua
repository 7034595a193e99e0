-- wrk script for tools/bench/bench_backup.sh: POST /api/v1/alerts, each alert a
-- new case (random source IP from 2^24) padded with PAD bytes of text, so the
-- store grows fast. Environment: BATCH (alerts per request), PAD, TOKEN.
local batch = tonumber(os.getenv("BATCH") or "1")
local pad = string.rep("x", tonumber(os.getenv("PAD") or "0"))
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
  local i = math.random(0, 16777215)
  return string.format('{"type":"connection","src_ip":"10.%d.%d.%d","pad":"%s"}',
    math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256, pad)
end

function request()
  local parts = {}
  for k = 1, batch do parts[k] = alert() end
  local body = batch == 1 and parts[1] or "[" .. table.concat(parts, ",") .. "]"
  return wrk.format(nil, "/api/v1/alerts", nil, body)
end

function done(summary, latency)
  io.write(string.format("requests %d  non2xx %d  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
