// A webhook receiver for tests/e2e/webhooks.sh, on 127.0.0.1 at a free port.
//
//   GT_NPM_DIR=... node webhook_receiver.mjs DIR
//
// Writes its port to DIR/port; reads DIR/secrets.json ({"NAME": "whsec_..."},
// or {"NAME": ["whsec_new", "whsec_old"]} around a rotation) at every
// request; checks every delivery with the official Standard Webhooks
// verifier (the standardwebhooks npm package, as integrators would) under
// each secret of its name, and appends one JSON line per request to
// DIR/received.jsonl: verified (by any), verified_by (the indexes of the
// secrets that verify it), the webhook-signature header as sent, and `at`
// (its arrival in ms since the epoch). The first path segment picks the
// answer: /ok 200, /flaky 500 to the first two deliveries then 200, /gone
// 410; /toggle the status in DIR/toggle (500 when there is none); and to
// the first request of each webhook-id, then 200: /stall no answer at all
// (the connection held until the sender goes), /busy 429 with Retry-After:
// 3, /moved 302 to /ok.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const dir = process.argv[2];
const require = createRequire(path.join(process.env.GT_NPM_DIR, 'package.json'));
const { Webhook } = require('standardwebhooks');
const seen = {};
const seenId = {};

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const name = req.url.split('/')[1] || '';
    let error = null;
    let body = null;
    const verifiedBy = [];
    let secrets = [];
    try {
      const all = JSON.parse(fs.readFileSync(path.join(dir, 'secrets.json'), 'utf8'));
      secrets = [].concat(all[name] === undefined ? [] : all[name]);
    } catch (e) {
      error = String(e && e.message ? e.message : e);
    }
    secrets.forEach((secret, i) => {
      try {
        body = new Webhook(secret).verify(text, req.headers);
        verifiedBy.push(i);
      } catch (e) {
        if (error === null) error = String(e && e.message ? e.message : e);
      }
    });
    const verified = verifiedBy.length > 0;
    if (verified) error = null;
    seen[name] = (seen[name] || 0) + 1;
    const key = `${name} ${req.headers['webhook-id']}`;
    const first = !seenId[key];
    seenId[key] = true;
    let status = 200;
    const headers = { 'Content-Type': 'text/plain' };
    if (name === 'flaky' && seen[name] <= 2) status = 500;
    if (name === 'gone') status = 410;
    if (name === 'toggle') {
      try {
        status = Number(fs.readFileSync(path.join(dir, 'toggle'), 'utf8').trim());
      } catch (e) {
        status = 500;
      }
    }
    if (name === 'stall' && first) status = 0;
    if (name === 'busy' && first) {
      status = 429;
      headers['Retry-After'] = '3';
    }
    if (name === 'moved' && first) {
      status = 302;
      headers.Location = `http://127.0.0.1:${server.address().port}/ok`;
    }
    fs.appendFileSync(path.join(dir, 'received.jsonl'), JSON.stringify({
      name, method: req.method, url: req.url, id: req.headers['webhook-id'] || null,
      timestamp: req.headers['webhook-timestamp'] || null, verified, verified_by: verifiedBy,
      signature: req.headers['webhook-signature'] || null, error, status,
      content_type: req.headers['content-type'] || null, at: Date.now(), body,
    }) + '\n');
    if (status === 0) return; // never answered: the sender times out or dies
    res.writeHead(status, headers);
    res.end(status === 200 ? 'thanks\n' : `answering ${status} on purpose\n`);
  });
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(path.join(dir, 'port.tmp'), String(server.address().port));
  fs.renameSync(path.join(dir, 'port.tmp'), path.join(dir, 'port'));
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // the held ones of /stall too
  });
}
