// The admin page in a real browser: headless Debian chromium driven by
// playwright-core. An operator signs in, finds the seeded stuck request,
// marks it failed (with the page's confirmation), and bulk-cancels stuck
// requests after the preview. Prints one "ok"/"FAIL" line per check; exits 1
// on any failure. Run by tests/browser/admin.sh, which seeds the store.
import fs from 'node:fs';
import path from 'node:path';
import { env, checker, launch } from './lib.mjs';

const base = env('BASE_URL');
const stuckId = env('STUCK_ID');
const outDir = env('OUT_DIR');
const { check, finish } = checker();

fs.mkdirSync(outDir, { recursive: true });
const browser = await launch({
  httpCredentials: { username: env('ADMIN_USER'), password: env('ADMIN_PASSWORD') },
  viewport: { width: 1280, height: 900 },
});
const { context } = browser;
context.setDefaultTimeout(10000);
const page = context.pages()[0] || await context.newPage();
const consoleErrors = [];
// Failed loads are judged by their status below, the tab icon's included: the
// pages link one, so no browser goes asking for a /favicon.ico that is not there.
const iconLoads = [];
page.on('console', (m) => {
  if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) consoleErrors.push(m.text());
});
page.on('response', (r) => {
  if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`);
  if (/\/favicon\.(ico|svg)$/.test(r.url())) iconLoads.push(`${r.status()} ${new URL(r.url()).pathname}`);
});
page.on('pageerror', (e) => consoleErrors.push(String(e)));

try {
  // ---- the dashboard ----
  const resp = await page.goto(`${base}/admin/`);
  check('dashboard: 200 after Basic sign-in', resp && resp.status() === 200, resp && resp.status());
  const row = page.locator(`table.stuck tr:has(a[href="/admin/generations/${stuckId}"])`);
  check('the seeded stuck request is in the stuck list', (await row.count()) === 1);
  const rowText = (await row.first().innerText()).replace(/\s+/g, ' ');
  check('its row shows status word, type, owner and worker',
    /processing/.test(rowText) && /problem/.test(rowText) && /acme/.test(rowText) && /browser-host/.test(rowText), rowText);
  const badge = row.locator('.st-processing');
  const colour = await badge.evaluate((el) => getComputedStyle(el).backgroundColor);
  check('status shown with a colour as well as the word', colour && colour !== 'rgba(0, 0, 0, 0)', colour);
  const cookies = await context.cookies(`${base}/admin/`);
  const session = cookies.find((c) => c.name === 'gentrack_session');
  check('signing in opened a page session: HttpOnly, SameSite=Strict, Path=/admin',
    session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/admin',
    JSON.stringify(session || cookies));
  check('the page\'s script cannot read the session cookie',
    !(await page.evaluate(() => document.cookie)).includes('gentrack_session'));
  check('the typed-in forms are outside the refreshed part',
    await page.evaluate(() => document.querySelector('#live input, #live select') === null));
  await page.screenshot({ path: path.join(outDir, 'admin-dashboard.png'), fullPage: true });

  // The script refreshes the live part when nobody types.
  await page.waitForFunction(() => /updated/.test(document.getElementById('refreshed').textContent),
    null, { timeout: 20000 }).then(() => check('the dashboard refreshes itself', true),
    (e) => check('the dashboard refreshes itself', false, String(e)));

  // A phone: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  check('on a phone (390 px) the page does not scroll sideways', overflow <= 392, `scrollWidth ${overflow}`);
  await page.screenshot({ path: path.join(outDir, 'admin-dashboard-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // ---- open it, mark it failed ----
  await row.first().locator('a.id').click();
  await page.waitForURL(`**/admin/generations/${stuckId}`);
  check('the detail page shows the request', (await page.locator('h1').innerText()).includes(stuckId));
  check('the detail page has its audit trail', (await page.locator('table.trail tbody tr').count()) >= 2);
  check('entities are collapsible', (await page.locator('details').count()) >= 1);
  await page.screenshot({ path: path.join(outDir, 'admin-detail.png'), fullPage: true });

  let question = '';
  page.once('dialog', async (d) => { question = d.message(); await d.accept(); });
  await page.locator('form.action-fail input[name=reason]').fill('worker host died (browser test)');
  await Promise.all([
    page.waitForURL('**/admin/generations/*?done=failed'),
    page.locator('form.action-fail button[type=submit]').click(),
  ]);
  check('the page asked to confirm first', /failed/.test(question), question);
  const flash = await page.locator('.flash.ok').innerText();
  check('success message shown', /Marked failed/.test(flash), flash);
  check('the new status is failed', (await page.locator('h1 .st').innerText()).trim() === 'failed');
  const last = (await page.locator('table.trail tbody tr').last().innerText()).replace(/\s+/g, ' ');
  check('the audit trail shows admin:admin processing → failed with the reason',
    /admin:admin/.test(last) && /processing → failed/.test(last) && /worker host died/.test(last), last);
  await page.screenshot({ path: path.join(outDir, 'admin-detail-failed.png'), fullPage: true });

  // ---- bulk cancel: preview, confirm, result ----
  await page.goto(`${base}/admin/?entity_type=bulkb`);
  await page.locator('form.bulk input[name=older_than]').fill('30');
  await Promise.all([
    page.waitForURL('**/admin/bulk-cancel?*'),
    page.locator('form.bulk button[type=submit]').click(),
  ]);
  const count = await page.locator('#bulk-count').innerText();
  check('the preview says how many it will cancel', count === '2', count);
  await page.screenshot({ path: path.join(outDir, 'admin-bulk-preview.png'), fullPage: true });
  await Promise.all([
    page.waitForURL('**/admin/?done=bulk*'),
    page.locator('form.bulk-confirm button[type=submit]').click(),
  ]);
  const bulkFlash = await page.locator('.flash.ok').innerText();
  check('the result says 2 were cancelled', /2 requests cancelled/.test(bulkFlash), bulkFlash);

  check('the tab icon loads from /admin/static/, never /favicon.ico',
    iconLoads.length > 0 && iconLoads.every((l) => l === '200 /admin/static/favicon.svg'), iconLoads.join(' | '));
  check('no console errors, CSP violations or failed loads', consoleErrors.length === 0, consoleErrors.join(' | '));
} catch (e) {
  check('the flow ran to the end', false, String(e && e.stack || e));
  await page.screenshot({ path: path.join(outDir, 'admin-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
finish('browser: ');
