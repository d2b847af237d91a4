// A service's live traffic through the official OpenTelemetry JS SDK and
// its OTLP/HTTP protobuf exporter: SERVER spans of checkout v1 (control)
// and v2 (the canary), RATE a second each, sent every 200 ms to URL
// until killed; READY is written once the first spans are made.  With
// REGRESSED=1 the canary is five times slower and fails one request in
// ten.  Until something listens at URL the batches are lost, as they
// would be from a real service.
//   node canary.js URL RATE REGRESSED READY
'use strict';
const path = require('path');
const modules = process.env.JS_PEER_MODULES;
const req = (name) => require(path.join(modules, name));
const { SpanKind, SpanStatusCode } = req('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = req('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = req('@opentelemetry/exporter-trace-otlp-proto');
const { Resource } = req('@opentelemetry/resources');

const [url, rate, regressed, ready] =
  [process.argv[2], Number(process.argv[3]), process.argv[4] === '1', process.argv[5]];

function tracer(version) {
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': 'checkout', 'service.version': version }),
  });
  provider.addSpanProcessor(new BatchSpanProcessor(
    new OTLPTraceExporter({ url: `${url}/v1/traces` }),
    { scheduledDelayMillis: 200, maxExportBatchSize: 512, maxQueueSize: 8192 }));
  return { provider, tracer: provider.getTracer('canary-traffic') };
}

const sides = [
  { version: 'v1', slow: 1, errors: 0 },
  { version: 'v2', slow: regressed ? 5 : 1, errors: regressed ? 0.1 : 0 },
].map((s) => Object.assign(s, tracer(s.version)));

// A deterministic spread of latencies: 40 to 60 ms times the slowdown.
let n = 0;
function tick() {
  const now = Date.now();
  for (const side of sides) {
    for (let i = 0; i < rate / 5; i++) {
      n++;
      const ms = (40 + ((n * 7919) % 21)) * side.slow;
      const span = side.tracer.startSpan('GET /api/cart', {
        kind: SpanKind.SERVER,
        startTime: new Date(now - ms),
        attributes: { 'http.request.method': 'GET', 'http.route': '/api/cart' },
      });
      const failed = side.errors && (n % Math.round(1 / side.errors)) === 0;
      span.setAttribute('http.response.status_code', failed ? 503 : 200);
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timeout' });
      span.end(new Date(now));
    }
  }
}
setInterval(tick, 200);
tick();
require('fs').writeFileSync(ready, 'ready');
// Stopped when the watch is over: what is still queued does not matter.
process.on('SIGTERM', () => process.exit(0));
