// The throughput charts in a real browser: headless Debian chromium driven
// by playwright-core opens the dashboard and the queues page, and clicks
// the chart's own links as an operator would (last 24 h, one type, last
// 6 h). At each choice the chart drawn must be the history charts.sh seeded
// into the store: every point of every series (read from where the line is
// drawn), each point's title, the legend's totals; the series differ by dash
// and marker, not only by colour; the chart is visible at 1280 and 390 px
// and the page does not scroll sideways. Any console error or CSP violation
// fails it.
import fs from 'node:fs';
import { env, checker, launch } from './lib.mjs';
import { watchProblems } from './pages.mjs';
import { readChart } from './chart_read.mjs';

const base = env('BASE_URL');
const outDir = env('OUT_DIR');
const TYPE = env('CHART_TYPE');
// One line per seeded batch: "TYPE STATUS N REQUESTED_AT COMPLETED_AT", the times
// "YYYY-MM-DD HH:MM:SS" UTC (tests/harness/lib.sh's seed_finished).
const history = env('HISTORY').trim().split('\n').map((line) => {
  const [type, status, n, rDay, rTime, cDay, cTime] = line.trim().split(/\s+/);
  const ms = (day, time) => Date.parse(`${day}T${time}Z`);
  return { type, status, n: Number(n), requested: ms(rDay, rTime), completed: ms(cDay, cTime) };
});
const { check, finish } = checker();
const SERIES = ['completed', 'partial', 'failed', 'new'];

fs.mkdirSync(outDir, { recursive: true });

// What the chart of TYPE (null: every type) must show, point by point, in a
// window of n buckets of stepMs from startMs.
function expected(type, startMs, stepMs, n) {
  const points = Array.from({ length: n }, () => Object.fromEntries(SERIES.map((s) => [s, 0])));
  const add = (t, series, count) => {
    const i = Math.floor((t - startMs) / stepMs);
    if (i >= 0 && i < n) points[i][series] += count;
  };
  for (const h of history.filter((x) => !type || x.type === type)) {
    add(h.completed, h.status, h.n);
    add(h.requested, 'new', h.n);
  }
  return points;
}

const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16);
// A point's title as an operator reads it: "12:04 UTC: 3 failed".
function titleOf(point, startMs, stepMs, i) {
  const t = startMs + i * stepMs;
  const when = stepMs > 60e3 ? `${hhmm(t)}\u2013${hhmm(t + stepMs)}` : hhmm(t);
  return `${when} UTC: ${SERIES.filter((s) => point[s]).map((s) => `${point[s]} ${s}`).join(', ')}`;
}

const browser = await launch({
  httpCredentials: { username: env('ADMIN_USER'), password: env('ADMIN_PASSWORD') },
  viewport: { width: 1280, height: 900 },
});
const page = browser.context.pages()[0] || await browser.context.newPage();
// The machine is shared: generous waits, on conditions only.
browser.context.setDefaultTimeout(30000);
const problems = watchProblems(page);

// The chart on the page now must be the seeded history of TYPE over HOURS.
async function checkChart(label, hours, type) {
  const stepMs = (hours === 6 ? 1 : 5) * 60e3;
  const chart = await readChart(page, stepMs);
  if (typeof chart === 'string') {
    check(`${label}: the chart can be read`, false, chart);
    return;
  }
  const n = hours * 3600e3 / stepMs;
  check(`${label}: titled for its window and type`,
    chart.title === `Requests per ${hours === 6 ? 'minute' : '5 minutes'}, last ${hours} h, ` +
      `${type ? `entity type ${type}` : 'all entity types'}`, chart.title);
  check(`${label}: four series, ${n} points each`,
    chart.series.map((s) => `${s.name}:${s.values.length}`).join(' ') ===
      SERIES.map((s) => `${s}:${n}`).join(' '),
    chart.series.map((s) => `${s.name}:${s.values.length}`).join(' '));
  const want = expected(type, chart.startMs, stepMs, n);
  const wrong = [];
  for (const s of chart.series) {
    s.values.forEach((v, i) => {
      if (v !== want[i][s.name]) {
        wrong.push(`${s.name} at ${new Date(chart.startMs + i * stepMs).toISOString()}: drawn ${v}, seeded ${want[i][s.name]}`);
      }
    });
  }
  const seededPoints = want.filter((p) => SERIES.some((s) => p[s])).length;
  check(`${label}: every point drawn is the seeded count (${seededPoints} points not 0)`,
    wrong.length === 0 && seededPoints > 0, wrong.slice(0, 6).join('; '));
  const wantTitles = want.flatMap((p, i) => (SERIES.some((s) => p[s]) ? [titleOf(p, chart.startMs, stepMs, i)] : []));
  const gotTitles = chart.pointTitles.map((p) => titleOf(want[p.index], chart.startMs, stepMs, p.index) === p.text
    ? p.text : `${p.text} (over the point of ${titleOf(want[p.index], chart.startMs, stepMs, p.index)})`);
  check(`${label}: a title per point with counts, each the seeded one`,
    JSON.stringify(gotTitles) === JSON.stringify(wantTitles),
    `drawn: ${gotTitles.join(' | ')}\n       seeded: ${wantTitles.join(' | ')}`);
  const totals = SERIES.map((s) => `${s} (${want.reduce((a, p) => a + p[s], 0)})`);
  check(`${label}: the legend names every series with its total`,
    JSON.stringify(chart.legend.map((l) => l.text)) === JSON.stringify(totals),
    `legend: ${chart.legend.map((l) => l.text).join(', ')}; seeded: ${totals.join(', ')}`);
  // Without colour: a dash of its own and a marker of its own, the same in the legend.
  const distinct = (xs) => new Set(xs).size === xs.length;
  const dashes = chart.series.map((s) => s.dash);
  const shapes = chart.series.map((s) => [...new Set(s.markers)].join('+'));
  check(`${label}: each series its own dash (${dashes.map((d) => d || 'solid').join(', ')}), as in the legend`,
    distinct(dashes) && chart.legend.every((l, k) => l.dash === dashes[k]),
    `lines: ${dashes.join('|')}; legend: ${chart.legend.map((l) => l.dash).join('|')}`);
  check(`${label}: each series its own marker shape, as in the legend`,
    distinct(shapes) && chart.series.every((s) => s.markers.length > 0) &&
      chart.legend.every((l, k) => l.marker === shapes[k]),
    `lines: ${shapes.join(' | ')}; legend: ${chart.legend.map((l) => l.marker).join(' | ')}`);
  // Visible, and fitting, wide and narrow.
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const c = await readChart(page, stepMs);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    check(`${label} at ${width} px: the chart is visible and within the page`,
      typeof c !== 'string' && c.box.width > 0 && c.box.height > 0 && c.box.left >= 0 && c.box.right <= width,
      JSON.stringify(typeof c === 'string' ? c : c.box));
    check(`${label} at ${width} px: nothing scrolls sideways`, scrollWidth <= width, `scrollWidth ${scrollWidth}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const name = label.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  await page.locator('#charts').screenshot({ path: `${outDir}/${name}.png` });
}

// Clicks the chart's link named TEXT and waits for the page it leads to.
async function follow(text, hours, type) {
  const link = page.locator('p.chart-nav a', { hasText: new RegExp(`^${text}$`) });
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('hours') === String(hours) &&
      (u.searchParams.get('type') || null) === type),
    link.click(),
  ]);
  const current = await page.locator('p.chart-nav a[aria-current]').allInnerTexts();
  check(`clicked "${text}": the page marks ${hours} h and ${type || 'all types'} as chosen`,
    current.join('|') === `last ${hours} h|${type || 'all types'}`, current.join('|'));
}

try {
  for (const [pageName, path] of [['dashboard', '/admin/'], ['queues', '/admin/queues']]) {
    await page.goto(`${base}${path}`);
    await checkChart(`${pageName}, 6 h, all types`, 6, null);
    await follow('last 24 h', 24, null);
    await checkChart(`${pageName}, 24 h, all types`, 24, null);
    await follow(TYPE, 24, TYPE);
    await checkChart(`${pageName}, 24 h, ${TYPE}`, 24, TYPE);
    await follow('last 6 h', 6, TYPE);
    await checkChart(`${pageName}, 6 h, ${TYPE}`, 6, TYPE);
  }
  check('no console errors, CSP violations or failed loads', problems.list().length === 0,
    problems.list().join(' | '));
} catch (e) {
  check('the flow ran to the end', false, String(e && e.stack || e));
  await page.screenshot({ path: `${outDir}/charts-failure.png`, fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
finish('charts: ');
