-- wrk script of bench/isolation/run: each connection waits DELAY ms before each request (wrk
-- -c4 with 40 ms: about 100 requests/s while answers are fast), a steady load whose latency is
-- measured from send to answer. One RESULT line: requests/s, latency percentiles (ms), counts.
-- Arguments (after wrk's `--`): DELAY-MS
function init(args)
  delay_ms = tonumber(args[1])
end

function delay()
  return delay_ms
end

function done(summary, latency)
  local errors = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50=%.3f p90=%.3f p99=%.3f max=%.3f requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3,
    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.requests, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
