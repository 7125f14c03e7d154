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
// secrets that verify it), and the webhook-signature header as sent. The first path
// segment picks the answer: /ok 200, /flaky 500 to the first two deliveries
// then 200, /gone 410.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const dir = process.argv[2];
const require = createRequire(path.join(process.env.GT_NPM_DIR, 'package.json'));
const { Webhook } = require('standardwebhooks');
const seen = {};

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
    let status = 200;
    if (name === 'flaky' && seen[name] <= 2) status = 500;
    if (name === 'gone') status = 410;
    fs.appendFileSync(path.join(dir, 'received.jsonl'), JSON.stringify({
      name, method: req.method, url: req.url, id: req.headers['webhook-id'] || null,
      timestamp: req.headers['webhook-timestamp'] || null, verified, verified_by: verifiedBy,
      signature: req.headers['webhook-signature'] || null, error, status,
      content_type: req.headers['content-type'] || null, body,
    }) + '\n');
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end(status === 200 ? 'thanks\n' : `answering ${status} on purpose\n`);
  });
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(path.join(dir, 'port.tmp'), String(server.address().port));
  fs.renameSync(path.join(dir, 'port.tmp'), path.join(dir, 'port'));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
