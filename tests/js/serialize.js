// The spans of a fixture (tests/data/otlp/peer-spans.json) through the
// OpenTelemetry JS SDK's own serializer:  node serialize.js FIXTURE OUT
'use strict';
const fs = require('fs');
const { req } = require('./otlp');
const { ProtobufTraceSerializer } = req('@opentelemetry/otlp-transformer');
const { Resource } = req('@opentelemetry/resources');

const fixture = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const hr = (ns) => [Number(BigInt(ns) / 1000000000n), Number(BigInt(ns) % 1000000000n)];
const pairs = (list) => Object.fromEntries(list || []);
const resource = new Resource(pairs(fixture.resource));
const scope = { name: fixture.scope.name, version: fixture.scope.version };
const spans = fixture.spans.map((s) => ({
  name: s.name,
  kind: s.kind - 1, // the API's enum has no "unspecified"
  spanContext: () => ({ traceId: s.traceId, spanId: s.spanId, traceFlags: 1 }),
  parentSpanId: s.parentSpanId,
  startTime: hr(s.start),
  endTime: hr(s.end),
  status: { code: s.status.code, message: s.status.message },
  attributes: pairs(s.attributes),
  links: (s.links || []).map((l) => ({
    context: { traceId: l.traceId, spanId: l.spanId, traceFlags: 1 },
    attributes: pairs(l.attributes),
  })),
  events: (s.events || []).map((e) => ({ name: e.name, time: hr(e.time), attributes: pairs(e.attributes) })),
  duration: hr(String(BigInt(s.end) - BigInt(s.start))),
  ended: true,
  resource,
  instrumentationLibrary: scope,
  droppedAttributesCount: 0,
  droppedEventsCount: 0,
  droppedLinksCount: 0,
}));
fs.writeFileSync(process.argv[3], Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)));
