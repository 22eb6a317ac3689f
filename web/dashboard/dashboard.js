// Admin and supervisor · the district dashboard: consultations per day
// (online follow-ups vs offline visits), waiting time, prescriptions by state
// and the reasons of rejections at review, dispatch-to-claim times, referrals
// up and down per facility, and what the insurance fund paid per day — SVG
// charts drawn by the app (svg-chart.js), each with its numbers as a table,
// filtered by period and subdistrict (filters.js). The data-quality view is
// quality.js. GET /api/v1/stats/* (server/h_stats.c), /api/v1/stats/referrals.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { read, form } from './filters.js';
import { SECTIONS } from './sections.js';

export function ensureCss() {
  if (document.getElementById('dash-css')) return;
  document.head.append(h('link', { id: 'dash-css', rel: 'stylesheet', href: new URL('./dashboard.css', import.meta.url).href }));
}

export function render(main, ctx) {
  ensureCss();
  const f = read();
  const top = h('div', { 'aria-live': 'polite' }, loadingState());
  const grid = h('div', { class: 'dash-grid', 'data-testid': 'dashboard' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t(`nav.${ctx.segment}.dashboard`), t('dash.intro')), top, grid);
  async function start() {
    let filters;
    try {
      filters = await api('GET', '/api/v1/stats/filters');
    } catch (err) {
      if (!err.handled && ctx.alive()) top.replaceChildren(errorState(err, start));
      return;
    }
    if (!ctx.alive()) return;
    top.replaceChildren(form(f, filters.subdistricts, { segment: ctx.segment }));
    grid.replaceChildren(...SECTIONS.map((s) => s(f, filters, ctx)));
  }
  start();
}
