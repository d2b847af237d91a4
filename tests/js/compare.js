// node compare.js A.bin B.bin: decodes both with the OpenTelemetry JS
// definitions and prints TAP comparing them field by field.
'use strict';
const fs = require('fs');
const assert = require('assert');
const { decode, normalise } = require('./otlp');
const [a, b] = process.argv.slice(2).map((f) => fs.readFileSync(f));
const x = normalise(decode(a));
const y = normalise(decode(b));
let n = 0;
const ok = (pass, what) => { n++; console.log(`${pass ? 'ok' : 'not ok'} - ${what}`); };
try {
  assert.deepStrictEqual(x, y);
  ok(true, 'our encoder and the JS SDK serializer encode the same message, field by field');
} catch (e) {
  ok(false, 'our encoder and the JS SDK serializer encode the same message, field by field');
  console.log(('' + e.message).split('\n').slice(0, 40).map((l) => '# ' + l).join('\n'));
}
// Bytes may differ: protobufjs writes the zero counts the SDK sets
// explicitly, which a proto3 encoder leaves out; the message is the same.
console.log(`# bytes: ours ${a.length}, the JS serializer's ${b.length}` +
            (a.equals(b) ? ' (identical)' : ''));
