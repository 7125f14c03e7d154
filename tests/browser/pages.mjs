// What the browser tests do to a page besides clicking: collect what went
// wrong in it (console errors, CSP violations, uncaught exceptions, failed
// loads), and screenshot it at a desktop and a phone width.
import path from 'node:path';

// Everything that goes wrong in PAGE from now on. list() gives it, less the
// failed loads of URLs passed to allow(RE) (a 404 page opened on purpose).
// Chromium reports a CSP violation as a console error; report-only ones as
// warnings, so any console line naming the policy counts too.
export function watchProblems(page) {
  const seen = [];
  const allowed = [];
  page.on('console', (m) => {
    // A failed load is judged by its status below, where its URL is known.
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) seen.push({ text: m.text() });
    else if (m.type() !== 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) seen.push({ text: m.text() });
  });
  page.on('pageerror', (e) => seen.push({ text: String(e) }));
  page.on('response', (r) => {
    if (r.status() >= 400) seen.push({ text: `${r.status()} ${r.url()}`, url: r.url() });
  });
  return {
    allow(re) { allowed.push(re); },
    list() {
      return seen.filter((p) => !(p.url && allowed.some((re) => re.test(new URL(p.url).pathname))))
        .map((p) => p.text);
    },
  };
}

export const WIDTHS = [1280, 390];

// Opens URL at each of WIDTHS and saves a full-page screenshot as
// OUTDIR/NAME-WIDTH.png. Per width: the status (statusOk when it is
// WANTSTATUS), the document's scrollWidth, and the outermost elements that
// stick out of the viewport outside a scrolling wrapper (to say what to fix).
export async function shootBothWidths(page, url, outDir, name, wantStatus) {
  const results = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    const resp = await page.goto(url);
    const status = resp ? resp.status() : 0;
    const measured = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const sticksOut = (el) => el.getBoundingClientRect().right > vw + 0.5;
      // Inside a wrapper that scrolls (or clips) it is that wrapper's business.
      const scrolled = (el) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          if (getComputedStyle(a).overflowX !== 'visible') return true;
        }
        return false;
      };
      const out = [];
      for (const el of document.body.querySelectorAll('*')) {
        // The outermost element past the edge: its parent still fits.
        if (!sticksOut(el) || sticksOut(el.parentElement) || scrolled(el)) continue;
        out.push(`${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''}` +
          ` (right edge ${Math.round(el.getBoundingClientRect().right)})`);
      }
      return { scrollWidth: document.documentElement.scrollWidth, widest: out.slice(0, 5).join(', ') };
    });
    await page.screenshot({ path: path.join(outDir, `${name}-${width}.png`), fullPage: true });
    results.push({ width, status, statusOk: status === wantStatus, ...measured });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  return results;
}
