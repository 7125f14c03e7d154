// What a throughput chart (src/admin/chart.c) shows, read back from the DOM
// of the page chromium rendered: its window, each series' value at every
// point from where the line is drawn (against the y axis' own grid lines),
// the points' titles, the legend, and what tells the series apart without
// colour. Nothing is taken from the chart twin: this is what an operator sees.

// Runs in the page: the chart's raw geometry and texts.
function rawChart() {
  const svg = document.querySelector('#charts svg.chart');
  if (!svg) return null;
  // A marker's shape, less where it is: the tag, and a path's outline.
  const shape = (el) => (el.tagName === 'path'
    ? `path ${el.getAttribute('d').replace(/^M[-\d.]+ [-\d.]+/, '')}` : el.tagName);
  const legend = svg.querySelector('g.legend');
  const legendItems = [];
  // Per series: its line sample, its marker, its name with the total.
  for (const line of legend.querySelectorAll('line')) {
    legendItems.push({
      dash: line.getAttribute('stroke-dasharray') || '',
      marker: shape(line.nextElementSibling),
      text: line.nextElementSibling.nextElementSibling.textContent,
    });
  }
  // The y axis: each count label right-aligned left of the plot, after its grid line.
  const grid = [...svg.querySelectorAll(':scope > text[text-anchor="end"]')].map((t) => ({
    value: Number(t.textContent),
    y: Number(t.previousElementSibling.getAttribute('y1')),
  }));
  const series = [...svg.querySelectorAll('g.series')].map((g) => {
    const line = g.querySelector('polyline');
    return {
      title: g.querySelector('title').textContent,
      dash: line.getAttribute('stroke-dasharray') || '',
      points: [...line.points].map((p) => [p.x, p.y]),
      markers: [...g.children].filter((el) => !['title', 'polyline'].includes(el.tagName)).map(shape),
    };
  });
  const pointTitles = [...svg.querySelectorAll('g.points rect')].map((r) => ({
    x: Number(r.getAttribute('x')) + Number(r.getAttribute('width')) / 2,
    text: r.querySelector('title').textContent,
  }));
  const box = svg.getBoundingClientRect();
  return {
    title: svg.querySelector(':scope > title').textContent,
    desc: svg.querySelector(':scope > desc').textContent,
    legend: legendItems,
    grid,
    series,
    pointTitles,
    box: { left: box.left, right: box.right, width: box.width, height: box.height },
  };
}

// The chart on PAGE: { title, desc, startMs, legend, series: [{ name, dash,
// markers, values }], pointTitles: [{ index, text }], box }, or a string saying
// what could not be read. stepMs: the bucket the chart says it has.
export async function readChart(page, stepMs) {
  const raw = await page.evaluate(rawChart);
  if (!raw) return 'no chart on the page';
  // The window's start, as the <desc> says it ("... from 2026-12-07T03:36 to ...").
  const from = /from (\d{4}-\d\d-\d\dT\d\d:\d\d) to/.exec(raw.desc);
  if (!from) return `no window in the desc: ${raw.desc}`;
  const zero = raw.grid.find((g) => g.value === 0);
  const top = raw.grid.reduce((a, g) => (g.value > a.value ? g : a), raw.grid[0]);
  if (!zero || top.value <= 0) return `no y axis: ${JSON.stringify(raw.grid)}`;
  const perCount = (zero.y - top.y) / top.value;
  const series = raw.series.map((s) => ({
    name: s.title.split(':')[0],
    dash: s.dash,
    markers: s.markers,
    // Drawn at one decimal of the viewBox: a count is within 0.1 of a whole one.
    values: s.points.map(([, y]) => (zero.y - y) / perCount),
    xs: s.points.map(([x]) => x),
  }));
  const bad = series.flatMap((s) => s.values.filter((v) => Math.abs(v - Math.round(v)) > 0.1));
  if (bad.length) return `points between counts: ${bad.slice(0, 5).join(', ')}`;
  for (const s of series) s.values = s.values.map(Math.round);
  // A title's column is centred on its point: the point's index from its x.
  const xs = series[0].xs;
  const at = (x) => Math.round(((x - xs[0]) / (xs[xs.length - 1] - xs[0])) * (xs.length - 1));
  return {
    title: raw.title,
    desc: raw.desc,
    startMs: Date.parse(`${from[1]}:00Z`),
    stepMs,
    legend: raw.legend,
    series,
    pointTitles: raw.pointTitles.map((p) => ({ index: at(p.x), text: p.text })),
    box: raw.box,
  };
}
