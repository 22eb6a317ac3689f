// A small SVG line chart of readings over time, drawn by the app (no
// library): one or two series (blood pressure: systolic and diastolic),
// the last points labelled, y axis with 4 ticks, x axis with first/last date.
// lineChart(points, { series: [{key, label, color}], unit, title }) → <svg>,
// points = [{ at, value1, value2 }] oldest first.

const NS = 'http://www.w3.org/2000/svg';
const W = 340, H = 206, PAD = { l: 40, r: 12, t: 24, b: 28 };

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

function niceRange(values) {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.12;
  return [lo - pad, hi + pad];
}

export function lineChart(points, { series, unit = '', title = '', formatX = (ms) => new Date(ms).toLocaleDateString() }) {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  const values = points.flatMap((p) => series.map((s) => p[s.key]).filter((v) => v != null));
  if (points.length === 0 || values.length === 0) return svg;
  const [lo, hi] = niceRange(values);
  const t0 = points[0].at, t1 = points[points.length - 1].at;
  const x = (at) => PAD.l + (t1 === t0 ? (W - PAD.l - PAD.r) / 2 : ((at - t0) / (t1 - t0)) * (W - PAD.l - PAD.r));
  const y = (v) => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  for (let i = 0; i <= 3; i++) {
    const v = lo + ((hi - lo) * i) / 3;
    svg.append(el('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'chart-grid' }),
      el('text', { x: PAD.l - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-tick' }, v.toFixed(v >= 20 ? 0 : 1)));
  }
  svg.append(el('text', { x: PAD.l, y: H - 8, class: 'chart-tick' }, formatX(t0)),
    el('text', { x: W - PAD.r, y: H - 8, 'text-anchor': 'end', class: 'chart-tick' }, formatX(t1)),
    el('text', { x: 2, y: 10, class: 'chart-tick' }, unit));
  for (const s of series) {
    const pts = points.filter((p) => p[s.key] != null);
    if (pts.length === 0) continue;
    svg.append(el('polyline', {
      points: pts.map((p) => `${x(p.at).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(' '),
      fill: 'none', stroke: s.color, 'stroke-width': 2.2, 'stroke-linejoin': 'round', 'data-series': s.key,
    }));
    for (const p of pts) svg.append(el('circle', { cx: x(p.at), cy: y(p[s.key]), r: 3.2, fill: s.color }));
    const last = pts[pts.length - 1];
    svg.append(el('text', { x: x(last.at) - 4, y: y(last[s.key]) - 7, 'text-anchor': 'end', class: 'chart-label', fill: s.color },
      `${s.label} ${last[s.key]}`));
  }
  return svg;
}
