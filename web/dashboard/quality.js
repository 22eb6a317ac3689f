// Admin and supervisor · data quality (数据质量): is the audit chain intact
// (every entry's hash recomputed, the first broken one named), and does the
// insurance reconciliation check pass (lines add up to claims, claims to the
// accumulators, accounts and episodes) — both checked now on the server.
// GET /api/v1/stats/quality.

import { t, formatDateTime } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { ensureCss } from './dashboard.js';

function verdict(ok, okText, badText, testid) {
  return h('p', { class: `notice ${ok ? 'check-ok' : 'check-bad'}`, role: ok ? 'status' : 'alert', 'data-testid': testid,
    'data-ok': String(ok) }, h('strong', { text: ok ? okText : badText }));
}

function auditCard(a) {
  return h('section', { class: 'card card-pad', 'data-section': 'audit' },
    h('h2', { class: 'section-title', text: t('quality.audit_title') }),
    verdict(a.intact, t('quality.audit_ok', { n: a.entries }), t('quality.audit_bad', { seq: a.first_bad_seq }), 'audit-verdict'),
    h('p', { class: 'field-hint', text: t('quality.audit_hint', { ms: a.took_ms }) }));
}

function reconCard(r) {
  const c = r.checked;
  return h('section', { class: 'card card-pad', 'data-section': 'reconciliation' },
    h('h2', { class: 'section-title', text: t('quality.recon_title') }),
    verdict(r.ok, t('quality.recon_ok'), t('quality.recon_bad', { n: r.differences }), 'recon-verdict'),
    h('p', { class: 'field-hint', text: t('quality.recon_counts', { claims: c.claims, reversals: c.reversals,
      accumulators: c.accumulators, accounts: c.accounts, episodes: c.episodes }) }),
    r.ok ? null : h('ul', { class: 'dash-diffs' }, r.diffs.map((d) => h('li', {
      text: `${d.what} ${d.key} ${d.field}: ${d.expected} ≠ ${d.actual}` }))));
}

export function render(main, ctx) {
  ensureCss();
  const box = h('div', { 'aria-live': 'polite', 'data-testid': 'quality' });
  const again = h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'check-again', onclick: () => load() },
    t('quality.again'));
  main.replaceChildren(backLink(ctx.segment), pageHeader(t(`nav.${ctx.segment}.${ctx.screen.id}`), t('quality.intro')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let q;
    try {
      q = await api('GET', '/api/v1/stats/quality');
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    box.replaceChildren(h('p', { class: 'field-hint', 'data-testid': 'checked-at', text: t('quality.checked_at', { at: formatDateTime(q.checked_at) }) }),
      auditCard(q.audit), reconCard(q.reconciliation), h('div', { class: 'form-actions' }, again));
    box.dataset.loaded = 'true';
  }
  load();
}
