// node check.js DIR DEPLOYMENT_ID TRACE_ID: TAP lines checking, field by
// field, the deployment's spans as the JS peer decoded them.
'use strict';
const fs = require('fs');
const path = require('path');
const [dir, id, traceId] = process.argv.slice(2);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const spans = [];
for (const f of files) {
  const m = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  for (const rs of m.resourceSpans || [])
    for (const ss of rs.scopeSpans || [])
      for (const s of ss.spans || []) spans.push({ s, rs, ss });
}
const attr = (list, key) => {
  const kv = (list || []).find((a) => a.key === key);
  return kv && kv.value && (kv.value.stringValue ?? kv.value.intValue);
};
let n = 0;
const ok = (pass, what) => { n++; console.log(`${pass ? 'ok' : 'not ok'} - ${what}`); };
const start = spans.find((x) => x.s.name === 'deployment.start');
const end = spans.find((x) => x.s.name === 'deployment');
ok(files.length === 2 && !fs.readdirSync(dir).some((f) => f.endsWith('.error')),
   `the JS peer decoded ${files.length} requests without error`);
ok(start && end, 'a start span and the deployment span');
if (start && end) {
  ok(start.s.traceId === traceId && end.s.traceId === traceId, 'both in the pipeline trace ' + traceId);
  ok(start.s.parentSpanId === end.s.spanId, 'the start span is a child of the deployment span');
  ok(end.s.parentSpanId === '00f067aa0ba902b7', "the deployment span's parent is the pipeline's span");
  ok(attr(end.rs.resource.attributes, 'service.name') === 'checkout' &&
     attr(end.rs.resource.attributes, 'service.version') === 'v7', 'resource service.name and service.version');
  ok(attr(end.s.attributes, 'deployment.id') === id, 'deployment.id');
  ok(attr(end.s.attributes, 'deployment.status') === 'succeeded', 'deployment.status succeeded');
  ok(attr(end.s.attributes, 'deployment.environment.name') === 'staging', 'deployment.environment.name');
  ok(attr(end.s.attributes, 'deployment.type') === 'canary', 'deployment.type');
  ok(attr(end.s.attributes, 'vcs.ref.head.revision') === 'abc123', 'vcs.ref.head.revision');
  ok(attr(end.s.attributes, 'cicd.pipeline.run.id') === '42', 'cicd.pipeline.run.id from --attr');
  ok(end.s.kind === 1 && end.s.status && end.s.status.code === 1, 'kind INTERNAL, status OK');
  ok(BigInt(end.s.endTimeUnixNano) > BigInt(end.s.startTimeUnixNano), 'ends after it starts');
  ok((end.s.events || []).map((e) => e.name).join(',') === 'deployment.created,deployment.status_change',
     'an event per status transition');
  ok((end.s.links || []).length === 1 && end.s.links[0].traceId === '0af7651916cd43dd8448eb211c80319c',
     'the link given with --link');
  ok(end.ss.scope.name === 'deploy-ledger', 'instrumentation scope deploy-ledger');
}
