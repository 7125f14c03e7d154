// gentrack.mjs: wait for a gentrack generation request from a browser or
// Node (18+), with no dependency and no build step.
//
//   import { watch, cancel } from './gentrack.mjs';
//   const done = await watch('https://gen.example.com', id, {
//     token,                                  // the status_token of the 202 (or key: 'gtk_...')
//     onUpdate: (r) => { bar.value = r.progress; },
//     signal: controller.signal,              // optional: abort() stops everything
//   });
//   // done: the final resource, entities included
//
// How it waits: a live stream (EventSource on .../events, held by nginx)
// where the browser has one and the server offers it; else long polls
// (?wait=N with the ETag: the server answers when the request changes, or
// after N s) paced by the server's Retry-After, which are plain polls where
// the server holds no wait. Network and server errors are
// retried with capped exponential backoff and full jitter; after
// `timeoutMs` (30 min) without a final state it gives up with a
// GentrackError. An abort leaves no timer and no connection behind.

const TERMINAL = new Set(['completed', 'partial', 'failed', 'cancelled']);
const PATH = '/api/v1/generation-requests/';
// The longest long poll asked for (the server takes up to 60 s): below the
// 30 s at which proxies commonly give up on an answer.
const LONG_POLL_S = 25;

export class GentrackError extends Error {
  constructor(message, { status = 0, problem = null } = {}) {
    super(message);
    this.name = 'GentrackError';
    this.status = status;     // the HTTP status, 0 for a network error or a timeout
    this.problem = problem;   // the RFC 9457 body, when the server sent one
  }
}

export function isTerminal(resource) {
  return TERMINAL.has(resource && resource.status);
}

function abortError() {
  return new DOMException('the watch was aborted', 'AbortError');
}

// Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
// a random wait in [0, min(cap, base * 2^n)).
export function backoffMs(failures, { baseMs = 500, capMs = 30000, random = Math.random } = {}) {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(failures, 20)));
}

function credentials(opts) {
  if (opts.token) return { header: `Bearer ${opts.token}`, query: `token=${encodeURIComponent(opts.token)}` };
  if (opts.key) return { header: `Bearer ${opts.key}`, query: null };
  throw new TypeError('watch/cancel need a status token ({token}) or an API key ({key})');
}

// One wait that an abort ends at once.
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(abortError()); return; }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    function onAbort() { clearTimeout(timer); reject(abortError()); }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function problemOf(response) {
  try { return await response.json(); } catch { return null; }
}

// A GET of the resource; with an etag and waitS, a long poll of up to waitS
// seconds. {status: 200, resource, etag, retryAfter} or 304.
async function getResource(base, id, auth, etag, signal, fetchFn, waitS = 0) {
  const headers = { Authorization: auth.header, Accept: 'application/json' };
  if (etag) headers['If-None-Match'] = etag;
  const query = etag && waitS >= 1 ? `?wait=${waitS}` : '';
  const response = await fetchFn(`${base}${PATH}${encodeURIComponent(id)}${query}`, { headers, signal, cache: 'no-store' });
  const retryAfter = Number(response.headers.get('Retry-After')) || 0;
  if (response.status === 304) return { status: 304, retryAfter };
  if (!response.ok) {
    const problem = await problemOf(response);
    throw new GentrackError((problem && problem.detail) || `HTTP ${response.status}`,
      { status: response.status, problem });
  }
  return { status: 200, resource: await response.json(), etag: response.headers.get('ETag'), retryAfter };
}

// Retried: the network, 429 and the 5xx; anything else is the caller's to fix.
function retryable(err) {
  return !(err instanceof GentrackError) || err.status === 0 || err.status === 429 || err.status >= 500;
}

class Watch {
  constructor(base, id, opts) {
    this.base = base.replace(/\/+$/, '');
    this.id = id;
    this.auth = credentials(opts);
    this.onUpdate = opts.onUpdate || (() => {});
    this.fetch = opts.fetch || globalThis.fetch.bind(globalThis);
    this.EventSource = opts.EventSource === undefined ? globalThis.EventSource : opts.EventSource;
    this.deadline = Date.now() + (opts.timeoutMs || 30 * 60 * 1000);
    this.version = 0;
    // Our own controller: aborting it ends every fetch and timer of ours,
    // whether the caller aborted or we finished.
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    this.outer = opts.signal;
    this.source = null;
  }

  // Tells the caller of a state newer than the last one (a reconnect may repeat one).
  update(resource) {
    if (typeof resource.version === 'number') {
      if (resource.version <= this.version) return;
      this.version = resource.version;
    }
    this.onUpdate(resource);
  }

  // Resolves with the final state from the stream, or null when the stream
  // cannot be had (no EventSource, a key instead of a token, 501, refused).
  stream() {
    const ES = this.EventSource;
    if (!ES || !this.auth.query) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const url = `${this.base}${PATH}${encodeURIComponent(this.id)}/events?${this.auth.query}`;
      const source = new ES(url);
      this.source = source;
      let opened = false;
      // A stream that stays quiet past the deadline gives up too.
      const timer = setTimeout(() => finish(null, new GentrackError('gave up waiting: no final state in time')),
        Math.max(0, this.deadline - Date.now()));
      const finish = (value, error) => {
        clearTimeout(timer);
        source.close();
        this.source = null;
        this.signal.removeEventListener('abort', onAbort);
        if (error) reject(error); else resolve(value);
      };
      const onAbort = () => finish(null, abortError());
      this.signal.addEventListener('abort', onAbort, { once: true });
      source.onopen = () => { opened = true; };
      source.onmessage = (event) => {
        let state;
        try { state = JSON.parse(event.data); } catch { return; }
        this.update(state);
        if (isTerminal(state)) finish(state);
      };
      // EventSource reconnects by itself after a dropped stream (resuming
      // with Last-Event-ID); CLOSED means it will not: an answer that was
      // not a stream (501 without live updates, 401, 404, 503). Polling
      // then finds out what the request is doing, or why not.
      source.onerror = () => {
        if (source.readyState === ES.CLOSED) finish(opened ? 'closed' : null);
        else if (Date.now() > this.deadline) finish(null, new GentrackError('gave up waiting: no final state in time'));
      };
    });
  }

  // Polls until a final state, honouring Retry-After; the final resource.
  // Once it has an ETag, each poll is a long poll (ending by the deadline),
  // and the pause after it is what is left of Retry-After: none after a
  // wait that long, the whole of it where the server answered at once.
  async poll() {
    let etag = null;
    let failures = 0;
    for (;;) {
      if (Date.now() > this.deadline) throw new GentrackError('gave up waiting: no final state in time');
      let wait;
      try {
        const waitS = Math.min(LONG_POLL_S, Math.floor((this.deadline - Date.now()) / 1000));
        const asked = Date.now();
        const got = await getResource(this.base, this.id, this.auth, etag, this.signal, this.fetch, waitS);
        failures = 0;
        if (got.status === 200) {
          etag = got.etag;
          this.update(got.resource);
          if (isTerminal(got.resource)) return got.resource;
        }
        wait = Math.max(0, Math.min(30, Math.max(1, got.retryAfter || 2)) * 1000 - (Date.now() - asked));
      } catch (err) {
        if (this.signal.aborted) throw abortError();
        if (!retryable(err)) throw err;
        wait = backoffMs(failures++);
      }
      await sleep(wait, this.signal);
    }
  }

  async run() {
    if (this.outer) {
      if (this.outer.aborted) throw abortError();
      this.outer.addEventListener('abort', () => this.controller.abort(), { once: true });
    }
    try {
      // The stream's events leave the entities out: one GET for the final
      // resource (polling gets it anyway, and takes over a stream that ended).
      await this.stream();
      return await this.poll();
    } finally {
      this.controller.abort();  // whatever is left of ours ends here
    }
  }
}

export function watch(baseUrl, id, opts = {}) {
  return new Watch(baseUrl, id, opts).run();
}

// Cancels the request (a status token may, unless the server forbids it).
// The resource as cancelled; a GentrackError (409 when it had already finished).
export async function cancel(baseUrl, id, opts = {}) {
  const auth = credentials(opts);
  const response = await (opts.fetch || globalThis.fetch)(
    `${baseUrl.replace(/\/+$/, '')}${PATH}${encodeURIComponent(id)}/cancel`, {
      method: 'POST',
      headers: { Authorization: auth.header, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(opts.reason ? { reason: opts.reason } : {}),
      signal: opts.signal,
    });
  if (!response.ok) {
    const problem = await problemOf(response);
    throw new GentrackError((problem && problem.detail) || `HTTP ${response.status}`,
      { status: response.status, problem });
  }
  return response.json();
}
