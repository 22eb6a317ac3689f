// Bar charts drawn by the app in SVG (no library): vertical bars over time
// (one series, or several side by side or stacked) and horizontal bars for
// ranked categories. Each chart is an <svg role="img"> whose label says what
// it shows; the numbers are also given as a table (chartTable) for screen
// readers and for reading exact values.
//
// columnChart({ labels, series: [{ label, color, values }], stacked, title, format, height, width })
// barList({ rows: [{ label, values: [..] }], series: [{ label, color }], title, format, width })
// `width` is the pixel width the chart will have (its container's): the
// drawing uses it as its own unit so text is drawn at its real size.

const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

// A round top for the y axis: 1, 2, 2.5, 5 × 10^n at or above max.
function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const plain = (v) => String(Math.round(v * 100) / 100);

const widthOf = (w) => Math.max(260, Math.round(w || 640));

export function columnChart({ labels, series, stacked = false, title = '', format = plain, height = 200, width }) {
  const W = widthOf(width), H = height, L = 48, R = 8, T = 12, B = 28;
  const n = labels.length;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart dash-chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  const totals = labels.map((_, i) => (stacked
    ? series.reduce((s, x) => s + (x.values[i] || 0), 0)
    : Math.max(0, ...series.map((x) => x.values[i] || 0))));
  // counts (the default format) get whole-number ticks: the top is at least 4
  const top = niceMax(Math.max(format === plain ? 4 : 0, ...totals));
  const y = (v) => T + (1 - v / top) * (H - T - B);
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'chart-grid' }),
      el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-tick' }, format(v)));
  }
  const slot = (W - L - R) / Math.max(1, n);
  const groups = stacked ? 1 : series.length;
  const bw = Math.max(1, Math.min(28, (slot * 0.8) / groups));
  labels.forEach((lab, i) => {
    const x0 = L + slot * i + (slot - bw * groups) / 2;
    let base = 0;
    series.forEach((s, j) => {
      const v = s.values[i] || 0;
      if (!v) return;
      const x = stacked ? x0 : x0 + j * bw;
      const y1 = y(stacked ? base + v : v), y0 = y(stacked ? base : 0);
      svg.append(el('rect', { x, y: y1, width: bw, height: Math.max(0.5, y0 - y1), fill: s.color, rx: 2,
        'data-series': j, 'data-index': i }, null));
      svg.lastChild.append(el('title', {}, `${lab} · ${s.label}: ${format(v)}`));
      if (stacked) base += v;
    });
    const every = Math.ceil(n / Math.max(2, Math.floor((W - L - R) / 56))); // labels ~56 px apart at least
    if (i % every === 0) {
      svg.append(el('text', { x: L + slot * i + slot / 2, y: H - B + 16, 'text-anchor': 'middle', class: 'chart-tick' }, lab));
    }
  });
  svg.append(el('line', { x1: L, x2: W - R, y1: y(0), y2: y(0), class: 'chart-axis' }));
  return svg;
}

export function barList({ rows, series, title = '', format = plain, width }) {
  const W = widthOf(width), rowH = 28, L = Math.min(190, Math.round(W * 0.4)), R = 48, T = 4;
  const chars = Math.floor((L - 10) / 12); // label room, in wide (CJK) characters
  const H = T * 2 + rows.length * rowH;
  const svg = el('svg', { viewBox: `0 0 ${W} ${Math.max(H, 30)}`, class: 'chart dash-chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  const top = niceMax(Math.max(0, ...rows.map((r) => r.values.reduce((s, v) => s + (v || 0), 0))));
  const x = (v) => (v / top) * (W - L - R);
  rows.forEach((r, i) => {
    const yy = T + i * rowH;
    const name = r.label.length > chars ? `${r.label.slice(0, chars - 1)}…` : r.label;
    svg.append(el('text', { x: L - 8, y: yy + rowH / 2 + 4, 'text-anchor': 'end', class: 'chart-label-row' }, name));
    let at = L;
    r.values.forEach((v, j) => {
      if (!v) return;
      svg.append(el('rect', { x: at, y: yy + 4, width: Math.max(1, x(v)), height: rowH - 8, fill: series[j].color, rx: 2 }));
      svg.lastChild.append(el('title', {}, `${r.label} · ${series[j].label}: ${format(v)}`));
      at += x(v);
    });
    svg.append(el('text', { x: at + 6, y: yy + rowH / 2 + 4, class: 'chart-tick' },
      format(r.values.reduce((s, v) => s + (v || 0), 0))));
  });
  return svg;
}

// The legend of a chart's series: coloured swatches with their names.
export function legend(series) {
  const ul = document.createElement('ul');
  ul.className = 'dash-legend';
  for (const s of series) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'dash-swatch';
    sw.style.background = s.color;
    sw.setAttribute('aria-hidden', 'true');
    li.append(sw, document.createTextNode(s.label));
    ul.append(li);
  }
  return ul;
}
