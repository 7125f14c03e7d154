// The example status page (examples/status-page/) in a real browser: headless
// Debian chromium driven by playwright-core, against a private stack with
// live updates. A generation is followed with its status token and no API
// key, through nginx, while a worker (this script, over HTTP) makes it
// progress, and while nginx is stopped for 3 s mid-stream; a second one is
// cancelled from the page; a third watch is aborted and leaves no timer,
// stream or fetch behind. Prints one "ok"/"FAIL" line per check; exits 1 on
// any failure. Run by tests/browser/status_page.sh.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { env, checker, launch } from './lib.mjs';

const base = env('BASE_URL');
const clientKey = env('CLIENT_KEY');
const workerKey = env('WORKER_KEY');
const outDir = env('OUT_DIR');
const { check, finish } = checker();

async function api(method, p, key, body) {
  const r = await fetch(`${base}${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}
const create = (count) => api('POST', '/api/v1/generation-requests', clientKey,
  { entity_type: 'page', count, metadata: { cart: 'c-1' } });
const worker = (p, body) => api('POST', `/api/v1/worker${p}`, workerKey, body);
// stack.sh CMD DIR [PART]: "stop DIR nginx", "up DIR".
const stack = (cmd, ...rest) => execFileSync('bash', [env('STACK_SH'), cmd, env('STACK_DIR'), ...rest],
  { stdio: 'ignore', timeout: 60000 });

fs.mkdirSync(outDir, { recursive: true });
const browser = await launch({ viewport: { width: 900, height: 700 } });
const { context } = browser;
context.setDefaultTimeout(15000);
// Before any script of the page: what it shows, in order, and what it holds
// open (timers, streams, fetches), for the checks below.
await context.addInitScript(() => {
  window.__seen = [];
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(() => {
      const s = `${document.body.dataset.status}@${document.body.dataset.version}`;
      if (window.__seen[window.__seen.length - 1] !== s) window.__seen.push(s);
    }).observe(document.body, { attributes: true, attributeFilter: ['data-version', 'data-status'] });
  });
  const timers = new Set();
  const setT = window.setTimeout.bind(window);
  const clearT = window.clearTimeout.bind(window);
  window.setTimeout = (fn, ms, ...a) => {
    const t = setT(() => { timers.delete(t); fn(...a); }, ms);
    timers.add(t);
    return t;
  };
  window.clearTimeout = (t) => { timers.delete(t); clearT(t); };
  window.__timers = () => timers.size;
  const sources = [];
  const ES = window.EventSource;
  window.EventSource = class extends ES {
    constructor(...a) { super(...a); sources.push(this); }
  };
  window.__openStreams = () => sources.filter((s) => s.readyState !== ES.CLOSED).length;
  let inflight = 0;
  const f = window.fetch.bind(window);
  window.fetch = (...a) => { inflight++; return f(...a).finally(() => { inflight--; }); };
  window.__inflight = () => inflight;
});
const page = await context.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push(String(e)));

const shows = (status) => page.waitForFunction((s) => document.body.dataset.status === s, status)
  .then(() => true, () => false);
const entityCount = () => page.locator('#entities li').count();

try {
  // ---- a generation followed to its end, nginx stopped on the way ----
  let c = await create(3);
  check('a request to watch (202 with a status token)', c.status === 202 && /^gtt_/.test(c.json?.status_token), c.text);
  const id = c.json.request_id;
  await page.goto(`${base}/examples/status-page/#id=${id}&token=${c.json.status_token}`);
  check('the page shows the request pending', await shows('pending'));
  const claimed = await worker('/claim', { worker_id: 'page-w', entity_types: ['page'], lease_seconds: 60 });
  check('a worker claims it', claimed.status === 200, claimed.text);
  check('the page shows it processing', await shows('processing'));
  const entity = (i) => worker(`/generation-requests/${id}/entities`,
    { worker_id: 'page-w', attempt: 1, index: i, entity: { question: `${i} + ${i}?`, answer: 2 * i } });
  await entity(0);
  check('the first entity appears', await page.waitForFunction(() => document.querySelectorAll('#entities li').length === 1)
    .then(() => true, () => false));
  check('the bar moves to 1/3', Math.abs(await page.locator('#bar').evaluate((b) => b.value) - 1 / 3) < 0.01);

  stack('stop', 'nginx');
  await new Promise((r) => setTimeout(r, 3000));
  stack('up');
  await entity(1);
  await entity(2);
  const done = await worker(`/generation-requests/${id}/complete`, { worker_id: 'page-w', attempt: 1 });
  check('the worker completes it (nginx back after 3 s)', done.status === 200, done.text);
  check('the page ends with the final state', await page.waitForFunction(() => document.body.dataset.final === 'completed',
    null, { timeout: 30000 }).then(() => true, () => false));
  check('with every entity, in order', (await page.locator('#entities li').allTextContents()).join('|') ===
    '{"question":"0 + 0?","answer":0}|{"question":"1 + 1?","answer":2}|{"question":"2 + 2?","answer":4}');
  const seen = await page.evaluate(() => window.__seen);
  const versions = seen.map((s) => Number(s.split('@')[1]));
  check('each update in order, none twice', seen.length >= 3 && versions.every((v, i) => i === 0 || v > versions[i - 1]),
    seen.join(' '));
  check('from pending to completed', seen[0].startsWith('pending') && seen[seen.length - 1].startsWith('completed'), seen.join(' '));
  check('the final text says so', (await page.locator('#final').textContent()) === 'Done.');
  check('the cancel button is off at the end', await page.locator('#cancel').isDisabled());
  await page.screenshot({ path: path.join(outDir, 'status-page-done.png') });

  // ---- cancelled from the page ----
  c = await create(2);
  const id2 = c.json.request_id;
  await page.goto('about:blank');   // a new fragment alone would not load the page again
  await page.goto(`${base}/examples/status-page/#id=${id2}&token=${c.json.status_token}`);
  check('a second request is shown', await shows('pending'));
  await page.click('#cancel');
  check('cancel from the page ends it', await page.waitForFunction(() => document.body.dataset.final === 'cancelled')
    .then(() => true, () => false));
  const stored = await api('GET', `/api/v1/generation-requests/${id2}`, clientKey);
  check('the store has it cancelled', stored.json?.status === 'cancelled', stored.text);
  await page.screenshot({ path: path.join(outDir, 'status-page-cancelled.png') });

  // ---- abort: nothing left behind, streaming or polling ----
  c = await create(1);
  const id3 = c.json.request_id;
  await page.goto('about:blank');
  await page.goto(`${base}/examples/status-page/#id=${id3}&token=${c.json.status_token}`);
  check('a third request is shown', await shows('pending'));
  check('while it waits, one stream is open', (await page.evaluate(() => window.__openStreams())) === 1);
  await page.evaluate(() => window.gentrackWatch.abort());
  await page.waitForTimeout(300);
  const left = await page.evaluate(() => ({ timers: window.__timers(), streams: window.__openStreams(), fetches: window.__inflight() }));
  check('after abort() no timer, stream or fetch remains (streaming)', left.timers === 0 && left.streams === 0 && left.fetches === 0,
    JSON.stringify(left));
  const polled = await page.evaluate(async ({ id, token }) => {
    const { watch } = await import('/clients/js/gentrack.mjs');
    const controller = new AbortController();
    let updates = 0;
    const done = watch(location.origin, id, { token, EventSource: null, signal: controller.signal, onUpdate: () => { updates++; } })
      .then(() => 'resolved', (e) => e.name);
    while (updates === 0) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    const how = await done;
    await new Promise((r) => setTimeout(r, 100));
    return { how, updates, timers: window.__timers(), streams: window.__openStreams(), fetches: window.__inflight() };
  }, { id: id3, token: c.json.status_token });
  check('a polling watch ends with AbortError on abort()', polled.how === 'AbortError', JSON.stringify(polled));
  check('and leaves no timer, stream or fetch (polling)', polled.timers === 0 && polled.streams === 0 && polled.fetches === 0,
    JSON.stringify(polled));
  // ---- without a stream: long polls, a change seen as it happens ----
  const lpReq = await api('POST', '/api/v1/generation-requests', clientKey, { entity_type: 'page_lp', count: 1 });
  await page.evaluate(async ({ id, token }) => {
    const { watch } = await import('/clients/js/gentrack.mjs');
    const controller = new AbortController();
    window.__lp = { controller, seen: [] };
    watch(location.origin, id, { token, EventSource: null, signal: controller.signal,
      onUpdate: (r) => { window.__lp.seen.push({ status: r.status, at: Date.now() }); } }).catch(() => {});
  }, { id: lpReq.json.request_id, token: lpReq.json.status_token });
  await page.waitForFunction(() => window.__lp.seen.length === 1);
  // Past the first Retry-After (2 s): the next poll is a long poll, in flight.
  await page.waitForTimeout(2500);
  const claimedAt = Date.now();
  const claimedLp = await worker('/claim', { worker_id: 'page-w', entity_types: ['page_lp'], lease_seconds: 60 });
  const seenLp = await page.waitForFunction(() => window.__lp.seen.length >= 2 && window.__lp.seen, null, { timeout: 10000 })
    .then((h) => h.jsonValue(), () => null);
  await page.evaluate(() => window.__lp.controller.abort());
  const lag = seenLp ? seenLp[1].at - claimedAt : -1;
  check(`a watch without a stream sees a change at once, by its long poll (${lag} ms)`,
    claimedLp.status === 200 && seenLp?.[1].status === 'processing' && lag >= 0 && lag < 800, JSON.stringify(seenLp));

  const quiet = await page.evaluate(async ({ id, token }) => {
    const { watch } = await import('/clients/js/gentrack.mjs');
    const t0 = Date.now();
    const how = await watch(location.origin, id, { token, timeoutMs: 1500 })
      .then(() => 'resolved', (e) => `${e.name}: ${e.message}`);
    await new Promise((r) => setTimeout(r, 100));
    return { how, ms: Date.now() - t0, timers: window.__timers(), streams: window.__openStreams() };
  }, { id: id3, token: c.json.status_token });
  check('a stream that stays quiet gives up at the deadline', quiet.how === 'GentrackError: gave up waiting: no final state in time' &&
    quiet.ms >= 1400 && quiet.ms < 5000, JSON.stringify(quiet));
  check('and leaves no timer or stream', quiet.timers === 0 && quiet.streams === 0, JSON.stringify(quiet));
  check('no script error on the page', problems.length === 0, problems.join('; '));
} catch (err) {
  check('the flow ran to its end', false, String(err && err.stack || err));
} finally {
  await browser.close();
}
finish('');
