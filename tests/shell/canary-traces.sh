# Trace files for the correlate tests (sourced, not run).
# Jaeger query-API JSON: one request a second for an hour around
# T0 = 2024-01-15T10:00:00Z; after T0 one request in ten is served by v2,
# whose latency is SLOW_MS (v1: 30 to 49 ms); one in a hundred fails.
traces() { # traces SLOW_MS FILE
  awk -v slow="$1" 'BEGIN {
    t0 = 1705312800; printf "{\"data\":[{\"traceID\":\"00000000000000000000000000000001\",\"spans\":[";
    for (i = -1800; i < 1800; i++) {
      v2 = (i >= 0 && i % 10 == 0);
      ms = v2 ? slow + (i * 7) % 20 : 30 + (i * 7 + 1000000) % 20;
      err = (((i + 100000) * 7919) % 97 == 0) ? "true" : "false";
      printf "%s{\"traceID\":\"00000000000000000000000000000001\",\"spanID\":\"%016x\",", (i > -1800 ? "," : ""), i + 100000;
      printf "\"operationName\":\"GET /api/orders\",\"references\":[],\"startTime\":%d000000,\"duration\":%d000,", t0 + i, ms;
      printf "\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"server\"},{\"key\":\"error\",\"type\":\"bool\",\"value\":%s}],", err;
      printf "\"logs\":[],\"processID\":\"%s\"}", v2 ? "p2" : "p1";
    }
    printf "],\"processes\":{";
    printf "\"p1\":{\"serviceName\":\"checkout\",\"tags\":[{\"key\":\"service.version\",\"type\":\"string\",\"value\":\"v1\"}]},";
    printf "\"p2\":{\"serviceName\":\"checkout\",\"tags\":[{\"key\":\"service.version\",\"type\":\"string\",\"value\":\"v2\"}]}}}]}\n";
  }' > "$2"
}
