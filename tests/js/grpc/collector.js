// An OTLP/gRPC collector made with grpc-js, from the project's own .proto
// files (proto/opentelemetry/...):
//   node collector.js PROTO_DIR PORTFILE OUTDIR [ANSWER]...
// listens on 127.0.0.1 (a free port, written to PORTFILE) and answers
// each Export with the next ANSWER, then "ok":
//   ok              accepted (an empty ExportTraceServiceResponse)
//   partial         accepted, 1 span rejected, with a message
//   unavailable     UNAVAILABLE (14)
//   invalid         INVALID_ARGUMENT (3), message "bad spans"
//   unauthenticated UNAUTHENTICATED (16)
//   exhausted       RESOURCE_EXHAUSTED (8) without retry information
//   exhausted-retry RESOURCE_EXHAUSTED with a RetryInfo of 0.2 s
// Each request is written to OUTDIR/N.json: the answer given, its
// metadata (grpc-encoding, content-type, te, user-agent, grpc-timeout,
// x-api-key) and its spans (name, trace id, span id, parent, service).
// Exits after 120 s or on SIGTERM.
'use strict';
const fs = require('fs');
const path = require('path');
const modules = process.env.JS_PEER_MODULES;
const grpc = require(path.join(modules, '@grpc/grpc-js'));
const loader = require(path.join(modules, '@grpc/proto-loader'));
const [protoDir, portFile, outDir, ...answers] = process.argv.slice(2);

const definition = loader.loadSync(
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  { includeDirs: [protoDir], longs: String, bytes: Buffer, defaults: false });
const traceService = grpc.loadPackageDefinition(definition)
  .opentelemetry.proto.collector.trace.v1.TraceService.service;

// google.rpc.Status with one RetryInfo detail, written by hand: field 3
// (details) holds an Any {type_url = 1, value = 2}, the value a RetryInfo
// {retry_delay = 1: Duration {nanos = 2}}.
function retryInfoStatus(code, message, nanos) {
  const varint = (n) => { const b = []; while (n > 127) { b.push((n & 127) | 128); n = Math.floor(n / 128); } b.push(n); return Buffer.from(b); };
  const field = (num, bytes) => Buffer.concat([varint(num * 8 + 2), varint(bytes.length), bytes]);
  const duration = Buffer.concat([varint(2 * 8), varint(nanos)]);
  const retryInfo = field(1, duration);
  const any = Buffer.concat([field(1, Buffer.from('type.googleapis.com/google.rpc.RetryInfo')), field(2, retryInfo)]);
  return Buffer.concat([varint(1 * 8), varint(code), field(2, Buffer.from(message)), field(3, any)]);
}

let count = 0;
function exportTraces(call, callback) {
  const answer = answers[count] || 'ok';
  const md = call.metadata.getMap();
  const spans = [];
  for (const rs of call.request.resourceSpans || []) {
    const service = ((rs.resource && rs.resource.attributes) || [])
      .filter((a) => a.key === 'service.name').map((a) => a.value.stringValue)[0];
    for (const ss of rs.scopeSpans || [])
      for (const s of ss.spans || [])
        spans.push({ name: s.name, traceId: Buffer.from(s.traceId).toString('hex'),
                     spanId: Buffer.from(s.spanId).toString('hex'),
                     parentSpanId: s.parentSpanId ? Buffer.from(s.parentSpanId).toString('hex') : '',
                     service });
  }
  const record = { answer, spans, metadata: {} };
  for (const k of Object.keys(md))
    if (md[k] !== undefined) record.metadata[k] = String(md[k]);
  fs.writeFileSync(path.join(outDir, `${count++}.json`), JSON.stringify(record));
  const fail = (code, details, extra) => {
    const metadata = new grpc.Metadata();
    if (extra) metadata.set('grpc-status-details-bin', extra);
    callback({ code, details, metadata });
  };
  switch (answer) {
    case 'ok': return callback(null, {});
    case 'partial':
      return callback(null, { partialSuccess: { rejectedSpans: '1', errorMessage: 'one span too old' } });
    case 'unavailable': return fail(grpc.status.UNAVAILABLE, 'collector restarting');
    case 'invalid': return fail(grpc.status.INVALID_ARGUMENT, 'bad spans');
    case 'unauthenticated': return fail(grpc.status.UNAUTHENTICATED, 'expired key');
    case 'exhausted': return fail(grpc.status.RESOURCE_EXHAUSTED, 'over quota');
    case 'exhausted-retry':
      return fail(grpc.status.RESOURCE_EXHAUSTED, 'over quota, retry soon',
                  retryInfoStatus(grpc.status.RESOURCE_EXHAUSTED, 'over quota', 200000000));
    default: return fail(grpc.status.INTERNAL, `unknown scripted answer ${answer}`);
  }
}

const server = new grpc.Server();
server.addService(traceService, { Export: exportTraces });
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error(err); process.exit(1); }
  fs.writeFileSync(portFile, String(port));
});
setTimeout(() => process.exit(0), 120000).unref();
process.on('SIGTERM', () => process.exit(0));
