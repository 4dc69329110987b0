-- wrk script of bench/load.py: sends the requests of one endpoint in turn, checks every status, and
-- prints one line of JSON at the end.
--
--   wrk -t1 -c4 -d15s -s bench/load.lua -- REQUESTS_FILE OK_STATUSES LIMIT [HEADER ...]
--
-- REQUESTS_FILE: one request a line, "METHOD<TAB>PATH<TAB>BODY"; "{n}" in the path or body becomes a
-- number unique to the request (reports need a unique message_id). OK_STATUSES: e.g. "200" or "201";
-- any other status is counted and the first one kept with the start of its body. LIMIT: stop after this
-- many requests per thread (0: only the duration bounds the run). HEADER: "Name: value".

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  templates = {}
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
    if method then
      table.insert(templates, { method, path, body })
    end
  end
  ok = {}
  for s in string.gmatch(args[2], "%d+") do
    ok[tonumber(s)] = true
  end
  limit = tonumber(args[3])
  headers = {}
  for i = 4, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  sent = 0
  unexpected = 0
  first_unexpected = ""
end

function request()
  sent = sent + 1
  local t = templates[(sent - 1) % #templates + 1]
  local unique = tid .. "x" .. sent .. "x" .. os.time()
  local path = (t[2]:gsub("{n}", unique))
  local body = nil
  if t[3] ~= "" then
    body = (t[3]:gsub("{n}", unique))
  end
  return wrk.format(t[1], path, headers, body)
end

function response(status, hdrs, body)
  if not ok[status] then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
  if limit > 0 and sent >= limit then
    wrk.thread:stop()
  end
end

local function quote(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('[%c]', ' ') .. '"'
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    if first == "" then
      first = thread:get("first_unexpected")
    end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"status_errors": %d, "timeouts": %d, "unexpected": %d, "first_unexpected": %s, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, bad, quote(first),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
