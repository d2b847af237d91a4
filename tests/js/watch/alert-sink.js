// A loopback alert receiver: answers 200 to every POST and appends one
// JSON line per request ({traceparent, body}) to LOG; writes its port to
// PORTFILE once listening.   node alert-sink.js PORTFILE LOG
'use strict';
const fs = require('fs');
const http = require('http');
const [portFile, log] = process.argv.slice(2);
const server = http.createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    fs.appendFileSync(log, JSON.stringify({
      method: request.method, path: request.url,
      traceparent: request.headers.traceparent || null, body,
    }) + '\n');
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end('ok');
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
