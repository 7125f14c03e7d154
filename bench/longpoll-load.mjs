// The load of bench/longpoll.sh: 20 plain GETs one after the other (their
// latency with nothing held); N long polls (?wait=30, the ETag the request
// has) held at once on one request; 3 s later, 20 plain GETs again (their
// latency while the waits are held); then it prints
// CHANGE, and once the runner made a change, how long every wait took to
// answer after it, and with what.
//
//   node bench/longpoll-load.mjs BASE_URL ID CLIENT_KEY N ETAG
import http from 'node:http';

const [base, id, key, n, etag] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const auth = { Authorization: `Bearer ${key}` };
const answers = {};
const answeredAt = [];
const count = (k) => { answers[k] = (answers[k] || 0) + 1; };

// The latency of 20 plain GETs in a row: sorted milliseconds.
async function plainGets() {
  const ms = [];
  for (let i = 0; i < 20; i++) {
    const t = process.hrtime.bigint();
    await new Promise((resolve) => http.get(`${base}/api/v1/generation-requests/${id}`,
      { agent, headers: auth }, (res) => { res.resume(); res.on('end', resolve); }));
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return ms.sort((a, b) => a - b);
}
await plainGets(); // warm-up: each child's first statements, node's first requests
const idle = await plainGets();

const waits = [];
for (let i = 0; i < Number(n); i++) {
  waits.push(new Promise((resolve) => {
    const req = http.get(`${base}/api/v1/generation-requests/${id}?wait=30`,
      { agent, headers: { ...auth, 'If-None-Match': etag } }, (res) => {
        res.resume();
        res.on('end', () => { count(`${res.statusCode} ${res.headers.etag}`); answeredAt.push(Date.now()); resolve(); });
      });
    req.on('error', (e) => { count(`error ${e.code}`); resolve(); });
  }));
}
await new Promise((r) => setTimeout(r, 3000));
const early = answeredAt.length;
const ms = await plainGets();
console.log(`a plain GET with nothing held: median ${idle[10].toFixed(1)} ms, max ${idle[19].toFixed(1)} ms (20 GETs)`);
console.log(`${n} waits held (${early} answered before the change); a plain GET meanwhile: ` +
  `median ${ms[10].toFixed(1)} ms, max ${ms[19].toFixed(1)} ms (20 GETs)`);
const change = Date.now();
console.log('CHANGE');
await Promise.all(waits);
answeredAt.sort((a, b) => a - b);
const after = (q) => answeredAt[Math.min(answeredAt.length - 1, Math.floor(q * answeredAt.length))] - change;
console.log(`after one change: every wait answered within ${after(1)} ms (median ${after(0.5)} ms); ` +
  `answers ${JSON.stringify(answers)}`);
