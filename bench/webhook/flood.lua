-- wrk script of bench/webhook/run: POSTs one signed GitHub push payload over and over, each
-- request with a fresh X-GitHub-Delivery (a UUID: this run's nonce, the thread, a counter), and
-- counts what came back. The `"run":ID` of every accepted answer (turnout's) is written, one a
-- line, to the file named by $FLOOD_RUN_IDS, for the check against the store.
-- Arguments (after wrk's `--`): URL-PATH BODY-FILE SIGNATURE NONCE ACCEPT-STATUS
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  path, signature, nonce, accept_status = args[1], args[3], args[4], tonumber(args[5])
  local file = assert(io.open(args[2], "rb"))
  body = file:read("*a")
  file:close()
  sent, answered, accepted = 0, 0, 0
  run_ids = {}
end

function request()
  sent = sent + 1
  local delivery = string.format("%s-%04x-4%03x-8%03x-%012x", nonce, thread_number,
                                 math.floor(sent / 4096) % 4096, sent % 4096, sent)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/bench",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = delivery,
    ["X-Hub-Signature-256"] = signature,
  }, body)
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= accept_status then return end
  accepted = accepted + 1
  local run = body:match('"run":(%d+)')
  if run then run_ids[#run_ids + 1] = run end
end

-- One line for the bench script: requests/s, latency percentiles (ms), and the counts.
function done(summary, latency)
  local totals = { sent = 0, answered = 0, accepted = 0 }
  for _, thread in ipairs(threads) do
    for name in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  local ids = io.open(os.getenv("FLOOD_RUN_IDS"), "w")
  for _, thread in ipairs(threads) do
    for _, run in ipairs(thread:get("run_ids")) do ids:write(run, "\n") end
  end
  ids:close()
  local errors = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50=%.3f p90=%.3f p99=%.3f max=%.3f sent=%d answered=%d accepted=%d " ..
    "socket_errors=%d timeouts=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3,
    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    totals.sent, totals.answered, totals.accepted,
    errors.connect + errors.read + errors.write, errors.timeout))
end
