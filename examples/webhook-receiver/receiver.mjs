// A webhook receiver to see gentrack's signed completions arrive (./dev demo
// starts one), and a starting point for your own: Node's standard library
// only, no npm package.
//
//   node receiver.mjs DIR [PORT]
//
// Listens on 127.0.0.1:PORT (0 or nothing: a free port, written to DIR/port).
// Reads the endpoint's secret ("whsec_...", as `gentrackctl webhook add`
// printed it) from DIR/secret at every delivery, so it may start first and
// learn its secret later. POST /hooks: checks the delivery as the Standard
// Webhooks specification says (the HMAC-SHA256 of "id.timestamp.body" under
// the secret against each "v1,..." of webhook-signature, the timestamp within
// 5 minutes), answers 204 when it is genuine and 401 when not, and keeps the
// last 50. GET /: those, newest first, as a page that refreshes itself;
// GET /deliveries.json: the same as JSON. One log line per delivery on stdout.
//
// A real receiver would also remember the webhook-ids it has handled: a
// delivery may arrive twice (a retry after a lost answer), with the same id.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const dir = process.argv[2];
const port = Number(process.argv[3] || 0);
const TOLERANCE_S = 5 * 60;
const BODY_MAX = 1 << 20;
const received = [];

// null when genuine, else why not.
function check(secret, headers, body) {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigs = headers['webhook-signature'];
  if (!id || !ts || !sigs) return 'missing webhook-id, webhook-timestamp or webhook-signature';
  if (!/^[0-9]+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > TOLERANCE_S)
    return 'timestamp outside the 5-minute tolerance (a replay, or a clock off)';
  if (!secret || !secret.startsWith('whsec_')) return 'no whsec_ secret in ' + path.join(dir, 'secret');
  const key = Buffer.from(secret.slice(6), 'base64');
  const mac = crypto.createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest();
  // Several signatures while a secret is rotated: any one of them will do.
  for (const sig of sigs.split(' ')) {
    const [version, value] = sig.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === mac.length && crypto.timingSafeEqual(given, mac)) return null;
  }
  return 'no signature matches the secret';
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page() {
  const rows = received.map((d) => `<tr><td>${escape(d.received_at)}</td><td>${d.genuine ? '✔ signed' : '✘ ' + escape(d.error)}</td>`
    + `<td>${escape(d.type)}</td><td>${escape(d.request_id)}</td><td>${escape(d.status)}</td>`
    + `<td><code>${escape(d.webhook_id)}</code></td></tr>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>gentrack webhook receiver</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em .8em;text-align:left}</style></head>
<body><h1>Webhooks received</h1><p>${received.length} so far (the last 50, newest first); this page refreshes itself.</p>
<table><tr><th>received</th><th>check</th><th>type</th><th>request</th><th>status</th><th>webhook-id</th></tr>
${rows}</table></body></html>`;
}

const server = http.createServer((req, res) => {
  const url = req.url.split('?')[0];
  if (req.method === 'GET' && (url === '/' || url === '/deliveries.json')) {
    const json = url !== '/';
    res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'text/html; charset=utf-8' });
    res.end(json ? JSON.stringify(received) : page());
    return;
  }
  if (req.method !== 'POST' || url !== '/hooks') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > BODY_MAX) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    let secret = '';
    try { secret = fs.readFileSync(path.join(dir, 'secret'), 'utf8').trim(); } catch { /* said by check */ }
    const error = check(secret, req.headers, body);
    let event = {};
    try { event = JSON.parse(body.toString('utf8')); } catch { /* shown as it is */ }
    const d = {
      received_at: new Date().toISOString(), genuine: error === null, error,
      webhook_id: req.headers['webhook-id'] || null, type: event.type || null,
      request_id: event.data?.request_id || null, status: event.data?.status || null,
      link: event.data?.link || null,
    };
    received.unshift(d);
    received.length = Math.min(received.length, 50);
    console.log(`${d.received_at} ${d.genuine ? 'signed' : 'REFUSED (' + error + ')'} ${d.type} ${d.request_id} ${d.webhook_id}`);
    res.writeHead(d.genuine ? 204 : 401).end();
  });
});
server.listen(port, '127.0.0.1', () => {
  fs.writeFileSync(path.join(dir, 'port.tmp'), String(server.address().port));
  fs.renameSync(path.join(dir, 'port.tmp'), path.join(dir, 'port'));
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // a browser's idle keep-alive would hold close()
  });
}
