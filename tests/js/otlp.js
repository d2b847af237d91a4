// Shared by the peer scripts: the OpenTelemetry JS packages' own protobuf
// definitions, and a request decoded into plain, comparable JSON.
'use strict';
const path = require('path');
const modules = process.env.JS_PEER_MODULES;
const req = (name) => require(path.join(modules, name));

const root = req('@opentelemetry/otlp-transformer/build/src/generated/root');
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

function decode(bytes) {
  const message = Request.decode(bytes);
  return Request.toObject(message, { longs: String, bytes: String, enums: Number, defaults: false });
}

// Base64 ids to hex, and empty defaults dropped, so that equal messages
// compare equal whoever wrote them.
function normalise(value, key) {
  if (Array.isArray(value)) return value.map((v) => normalise(v));
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value).sort()) {
      const v = normalise(value[k], k);
      if (v === undefined || v === '' || v === 0 || v === '0' ||
          (Array.isArray(v) && v.length === 0)) continue;
      out[k] = v;
    }
    return out;
  }
  if (typeof value === 'string' && /(Id|traceId|spanId)$/.test(key || '')) {
    return Buffer.from(value, 'base64').toString('hex');
  }
  return value;
}

module.exports = { req, decode, normalise };
