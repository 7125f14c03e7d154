// The page a site shows while its generation runs: the request's id and
// status token come in the URL's fragment (never sent to a server, so never
// in a log): status-page/#id=...&token=gtt_...
// It needs no API key: the token reads this one request and may cancel it.
import { watch, cancel, isTerminal } from '../../clients/js/gentrack.mjs';

const params = new URLSearchParams(location.hash.slice(1));
const id = params.get('id');
const token = params.get('token');
const base = params.get('base') || location.origin;
const $ = (sel) => document.querySelector(sel);

let shownEntities = -1;

function describe(r) {
  const done = r.generated_count + r.failed_count;
  return `${r.status}: ${done} of ${r.requested_count} done` +
    (r.failed_count ? ` (${r.failed_count} failed)` : '') +
    (r.attempt > 1 ? `, attempt ${r.attempt}` : '');
}

function showEntities(entities) {
  const list = $('#entities');
  list.replaceChildren(...entities.map((e) => {
    const li = document.createElement('li');
    li.textContent = JSON.stringify(e);   // text, never HTML: entities are generated
    return li;
  }));
  shownEntities = entities.length;
}

// Events carry counts, not entities: fetch them when a new one is counted.
async function refreshEntities(r) {
  if (r.generated_count === shownEntities) return;
  const response = await fetch(`${base}/api/v1/generation-requests/${encodeURIComponent(id)}`,
    { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (response.ok) showEntities((await response.json()).entities || []);
}

function show(r) {
  $('#summary').textContent = describe(r);
  $('#bar').value = r.progress;
  $('#cancel').disabled = isTerminal(r);
  // Events carry the version; the final GET's resource has it in its ETag only.
  if (r.version !== undefined) document.body.dataset.version = String(r.version);
  document.body.dataset.status = r.status;
  refreshEntities(r).catch(() => {});
}

function showFinal(r) {
  show(r);
  if (r.entities) showEntities(r.entities);
  const final = $('#final');
  final.hidden = false;
  final.className = r.status;
  final.textContent = r.status === 'completed' ? 'Done.'
    : r.status === 'partial' ? `Done, but only ${r.generated_count} of ${r.requested_count} could be made.`
    : r.status === 'cancelled' ? 'Cancelled.'
    : `Failed: ${r.error_message || r.failure_reason || 'unknown reason'}`;
  document.body.dataset.final = r.status;
}

$('#cancel').addEventListener('click', async () => {
  $('#cancel').disabled = true;
  try {
    await cancel(base, id, { token, reason: 'cancelled from the status page' });
  } catch (err) {
    $('#summary').textContent = `Could not cancel: ${err.message}`;
    $('#cancel').disabled = false;
  }
});

if (!id || !token) {
  $('#summary').textContent = 'This page needs #id=...&token=... in its address.';
} else {
  const controller = new AbortController();
  window.gentrackWatch = controller;   // for tests and the curious: abort() stops it
  watch(base, id, { token, onUpdate: show, signal: controller.signal })
    .then(showFinal)
    .catch((err) => {
      if (err.name !== 'AbortError') $('#summary').textContent = `Gave up: ${err.message}`;
    });
}
