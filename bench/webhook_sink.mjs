// A webhook receiver for bench/webhooks.sh, on 127.0.0.1 at a free port:
// answers every POST 204 at once and keeps "webhook-id arrival-ms" in
// memory, written to DIR/arrivals on SIGTERM (no file I/O per request, so
// what is measured is the deliverer, not this). No signature check: the
// tests do that (tests/e2e/webhook_receiver.mjs).
//
//   node webhook_sink.mjs DIR
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const dir = process.argv[2];
const lines = [];
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    lines.push(`${req.headers['webhook-id']} ${Date.now()}`);
    res.writeHead(204);
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(path.join(dir, 'port.tmp'), String(server.address().port));
  fs.renameSync(path.join(dir, 'port.tmp'), path.join(dir, 'port'));
});
// SIGUSR1: write what arrived so far, and start again.
process.on('SIGUSR1', () => {
  fs.writeFileSync(path.join(dir, 'arrivals.tmp'), lines.join('\n') + (lines.length ? '\n' : ''));
  fs.renameSync(path.join(dir, 'arrivals.tmp'), path.join(dir, 'arrivals'));
  lines.length = 0;
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
