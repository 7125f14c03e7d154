-- Appended to every scenario script by bench/run: one machine-readable line
-- at the end of a wrk run, so bench/run never parses wrk's human output.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f socket_errors=%d non2xx3xx=%d p50_ms=%.3f p99_ms=%.3f\n",
    summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
