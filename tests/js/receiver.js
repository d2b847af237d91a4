// An OTLP/HTTP receiver made with the OpenTelemetry JS packages:
//   node receiver.js PORTFILE OUTDIR
// decodes every request with their protobuf definitions and writes it as
// normalised JSON to OUTDIR/N.json; exits after 60 s or on SIGTERM.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { decode, normalise } = require('./otlp');
const [portFile, outDir] = process.argv.slice(2);
let count = 0;
const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (c) => chunks.push(c));
  request.on('end', () => {
    try {
      const body = Buffer.concat(chunks);
      const message = normalise(decode(body));
      message.contentType = request.headers['content-type'];
      fs.writeFileSync(path.join(outDir, `${count++}.json`), JSON.stringify(message));
      response.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
      response.end();
    } catch (e) {
      fs.writeFileSync(path.join(outDir, `${count++}.error`), String(e));
      response.writeHead(400);
      response.end(String(e));
    }
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
setTimeout(() => process.exit(0), 60000).unref();
process.on('SIGTERM', () => process.exit(0));
