// The operator's console in a real browser: headless Debian chromium driven
// by playwright-core. Pauses a queue from /admin/queues while a real worker
// runs (its requests wait, the worker's other type keeps moving), resumes it
// (the worker takes them); bulk-retries failed requests from the filter form;
// then screenshots every admin page at 1280 and 390 px. Any console error or
// CSP violation fails it. Run by tests/browser/console.sh, which starts the
// worker, seeds the store and passes the page routes of src/bin/routes.c.
import fs from 'node:fs';
import { env, checker, launch } from './lib.mjs';
import { watchProblems, shootBothWidths } from './pages.mjs';

const base = env('BASE_URL');
const clientKey = env('CLIENT_KEY');
const retryIds = env('RETRY_IDS').split(' ');
const otherId = env('OTHER_ID');
const outDir = env('OUT_DIR');
const pageRoutes = env('PAGE_ROUTES').trim().split(/\s+/);
const { check, finish } = checker();
const PAUSED = 'cpaused';

fs.mkdirSync(outDir, { recursive: true });

// ---- the client API, as a client sees the requests ----
async function api(method, path, body) {
  const r = await fetch(`${base}/api/v1/generation-requests${path}`, {
    method,
    headers: { Authorization: `Bearer ${clientKey}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return r.json();
}
const create = async (type) => (await api('POST', '', { entity_type: type, count: 1 })).request_id;
const statusOf = async (id) => (await api('GET', `/${id}`)).status;
// Polls until every id has one of the statuses, or timeoutMs passes.
async function waitStatuses(ids, statuses, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = await Promise.all(ids.map(statusOf));
    if (now.every((s) => statuses.includes(s)) || Date.now() > until) return now;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const browser = await launch({
  httpCredentials: { username: env('ADMIN_USER'), password: env('ADMIN_PASSWORD') },
  viewport: { width: 1280, height: 900 },
});
const { context } = browser;
// The machine is shared: generous waits, on conditions only.
context.setDefaultTimeout(30000);
const page = context.pages()[0] || await context.newPage();
const problems = watchProblems(page);
problems.allow(/^\/admin\/no-such-page$/); // opened on purpose, for its 404 page

// Submits FORM (a locator) after filling its reason, accepting the page's
// confirm dialog; resolves once the browser is at a URL matching urlGlob.
async function submitConfirmed(form, reason, urlGlob) {
  let question = '';
  const onDialog = async (d) => { question = d.message(); await d.accept(); };
  page.on('dialog', onDialog);
  try {
    if (reason !== null) await form.locator('input[name=reason]').fill(reason);
    await Promise.all([page.waitForURL(urlGlob), form.locator('button[type=submit]').click()]);
  } finally {
    page.off('dialog', onDialog);
  }
  return question;
}
const squash = (s) => s.replace(/\s+/g, ' ').trim();
// The bulk retry's window "finished in the last day", as URL parameters.
function lastDay() {
  const iso = (ms) => new Date(ms).toISOString();
  return new URLSearchParams({ finished_after: iso(Date.now() - 86400e3), finished_before: iso(Date.now() + 60e3) });
}

let pendingIds = [];
try {
  // ==== pause a queue from the page ====
  // An idle type is shown on request, to pause it before its work arrives.
  await page.goto(`${base}/admin/queues?entity_type=${PAUSED}`);
  const question = await submitConfirmed(page.locator(`form[action="/admin/queues/${PAUSED}/pause"]`),
    'provider outage (browser test)', '**/admin/queues?done=paused*');
  check('pause: the page asked to confirm first', /Pause the cpaused queue/.test(question), question);
  check('pause: the page says so', /Paused/.test(await page.locator('.flash.ok').innerText()));
  const row = page.locator(`#queue-${PAUSED}`);
  check('queues page: the paused badge on its row', (await row.locator('.st-paused').count()) === 1,
    squash(await row.innerText()));
  check('queues page: who paused it and why',
    /admin:admin/.test(await row.innerText()) && /provider outage/.test(await row.innerText()));
  check('queues page: a resume form instead of the pause form',
    (await page.locator(`form[action="/admin/queues/${PAUSED}/resume"]`).count()) === 1 &&
    (await page.locator(`form[action="/admin/queues/${PAUSED}/pause"]`).count()) === 0);

  // ==== the worker leaves the paused type alone ====
  // Older than the crunning request, so an unpaused queue would be claimed first.
  pendingIds = [await create(PAUSED), await create(PAUSED)];
  const runningId = await create('crunning');
  const [ran] = await waitStatuses([runningId], ['completed'], 60000);
  check('the worker is working: its other type completed', ran === 'completed', ran);
  const held = await Promise.all(pendingIds.map(statusOf));
  check('paused: its requests are still pending after that (client API)',
    held.every((s) => s === 'pending'), held.join(','));

  // ==== every page that lists the queue shows the badge ====
  await page.goto(`${base}/admin/`);
  check('dashboard: the queue summary shows the paused badge',
    (await page.locator(`table.queues #queue-${PAUSED} .st-paused`).count()) === 1);
  await page.goto(`${base}/admin/generations/${pendingIds[0]}`);
  check('detail of a waiting request: its type shows the paused badge',
    (await page.locator('.st-paused').count()) >= 1);
  await page.goto(`${base}/admin/queues`);
  check('queues page without a filter: the paused queue is listed with its 2 pending',
    /\b2\b/.test(await page.locator(`#queue-${PAUSED} td.num`).first().innerText()));

  // ==== resume from the page; the worker takes them ====
  const again = await submitConfirmed(page.locator(`form[action="/admin/queues/${PAUSED}/resume"]`),
    'provider back (browser test)', '**/admin/queues?done=resumed*');
  check('resume: the page asked to confirm first', /Resume the cpaused queue/.test(again), again);
  check('resume: the badge is gone', (await page.locator(`#queue-${PAUSED} .st-paused`).count()) === 0);
  const after = await waitStatuses(pendingIds, ['completed'], 60000);
  check('resumed: the worker completed both (client API)', after.every((s) => s === 'completed'),
    after.join(','));

  // ==== bulk retry by filter ====
  await page.goto(`${base}/admin/`);
  await Promise.all([page.waitForURL('**/admin/bulk-retry'), page.locator('a[href="/admin/bulk-retry"]').first().click()]);
  const filter = page.locator('form.bulk');
  await filter.locator('input[name=entity_type]').fill('cretry');
  await filter.locator('select[name=status]').selectOption('failed');
  await filter.locator('select[name=failure_reason]').selectOption('generator_failed');
  await Promise.all([page.waitForURL('**/admin/bulk-retry?*'), filter.locator('button[type=submit]').click()]);
  const count = await page.locator('#bulk-count').innerText();
  check('bulk retry preview: 3 match (not the other failure reason)', count === '3', count);
  const listed = await page.locator('table a[href^="/admin/generations/"]').evaluateAll(
    (as) => as.map((a) => a.getAttribute('href').split('/').pop()));
  check('the preview lists exactly the seeded three',
    listed.length === 3 && retryIds.every((id) => listed.includes(id)) && !listed.includes(otherId),
    listed.join(','));
  await submitConfirmed(page.locator('form.bulk-confirm'), 'provider back: retry the outage (browser test)',
    '**/admin/?done=bulk_retry*');
  const flash = await page.locator('.flash.ok').innerText();
  check('the dashboard says 3 went back to pending', /3 requests sent back to pending/.test(flash), flash);
  const retried = await Promise.all(retryIds.map(statusOf));
  check('retried: all three pending (client API)', retried.every((s) => s === 'pending'), retried.join(','));
  check('the other failure reason is still failed (client API)', (await statusOf(otherId)) === 'failed');
  await page.goto(`${base}/admin/generations/${retryIds[0]}`);
  check('detail: the retried request keeps its generated entity',
    (await page.locator('details').count()) === 1 && /seeded/.test(await page.locator('details').innerText()));
  check('detail: its trail shows the bulk retry by admin:admin',
    /admin:admin.*failed → pending.*retry the outage/.test(squash(await page.locator('table.trail').innerText())));

  // ==== every admin page, wide and narrow ====
  const pages = [
    { name: 'dashboard', route: '/admin/', url: '/admin/' },
    { name: 'dashboard-failed', route: '/admin/', url: '/admin/?status=failed' },
    { name: 'detail', route: '/admin/generations/{id}', url: `/admin/generations/${retryIds[0]}` },
    { name: 'detail-completed', route: '/admin/generations/{id}', url: `/admin/generations/${pendingIds[0]}` },
    { name: 'queues', route: '/admin/queues', url: '/admin/queues' },
    { name: 'workers', route: '/admin/workers', url: '/admin/workers' },
    { name: 'webhooks', route: '/admin/webhooks', url: '/admin/webhooks' },
    { name: 'webhook-delivery', route: '/admin/webhooks/delivery',
      url: `/admin/webhooks/delivery?id=${process.env.DELIVERY_ID}` },
    { name: 'bulk-retry', route: '/admin/bulk-retry', url: '/admin/bulk-retry' },
    { name: 'bulk-retry-preview', route: '/admin/bulk-retry',
      url: `/admin/bulk-retry?entity_type=cretry&status=failed&failure_reason=lease_expired&${lastDay()}` },
    { name: 'bulk-cancel-preview', route: '/admin/bulk-cancel', url: '/admin/bulk-cancel?older_than=30' },
    { name: 'not-found', route: null, url: '/admin/no-such-page', status: 404 },
  ];
  for (const p of pages) {
    const widths = await shootBothWidths(page, `${base}${p.url}`, outDir, p.name, p.status || 200);
    for (const w of widths) {
      check(`${p.name} at ${w.width} px: ${p.status || 200}, screenshot saved`, w.statusOk, `status ${w.status}`);
      if (w.width === 390) {
        check(`${p.name} at 390 px: nothing scrolls sideways`, w.scrollWidth <= 390,
          `scrollWidth ${w.scrollWidth}; sticking out: ${w.widest}`);
      }
    }
  }
  // On a phone the queue table is a card per queue: its pending count and
  // state read without scrolling sideways past the pause form.
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto(`${base}/admin/queues`);
  const cells = await page.locator('table.queues td[data-label="pending"], table.queues td[data-label="state"]')
    .evaluateAll((tds) => tds.map((td) => {
      const r = td.getBoundingClientRect();
      return { right: r.right, width: r.width, label: getComputedStyle(td, '::before').content };
    }));
  check('queues at 390 px: every queue\'s pending and state are in view, labelled',
    cells.length >= 2 && cells.every((c) => c.width > 0 && c.right <= 390 && /pending|state/.test(c.label)),
    JSON.stringify(cells.slice(0, 4)));
  await page.setViewportSize({ width: 1280, height: 900 });

  // The sign-in pages: a browser without credentials (the 401 is expected).
  const anon = await launch({ viewport: { width: 1280, height: 900 } });
  try {
    const anonPage = anon.context.pages()[0] || await anon.context.newPage();
    const anonProblems = watchProblems(anonPage);
    // A 401 with a challenge makes chromium prompt (headless: fail the load);
    // the page is what a browser shows once the prompt is dismissed, so it is
    // served as nginx sent it, less the challenge.
    await anonPage.route(/\/admin\/(logout)?$/, async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['www-authenticate'];
      await route.fulfill({ response, headers });
    });
    anonProblems.allow(/^\/admin\/(logout)?$/);
    for (const p of [{ name: 'sign-in', url: '/admin/' }, { name: 'logout', url: '/admin/logout' }]) {
      const widths = await shootBothWidths(anonPage, `${base}${p.url}`, outDir, p.name, 401);
      for (const w of widths) {
        check(`${p.name} at ${w.width} px: 401, screenshot saved`, w.statusOk, `status ${w.status}`);
        if (w.width === 390) check(`${p.name} at 390 px: nothing scrolls sideways`, w.scrollWidth <= 390);
      }
    }
    check('without credentials: no console errors or CSP violations', anonProblems.list().length === 0,
      anonProblems.list().join(' | '));
  } finally {
    await anon.close();
  }
  pages.push({ route: '/admin/logout' });
  const missing = pageRoutes.filter((r) => !pages.some((p) => p.route === r));
  check('every admin page route of src/bin/routes.c has screenshots', missing.length === 0,
    `no screenshot for: ${missing.join(' ')}`);

  check('no console errors, CSP violations or failed loads', problems.list().length === 0,
    problems.list().join(' | '));
} catch (e) {
  check('the flow ran to the end', false, String(e && e.stack || e));
  await page.screenshot({ path: `${outDir}/failure.png`, fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
finish('console: ');
