// Doctor · supervision findings (质控反馈): what supervisors recorded about
// my sampled notes and prescriptions (同质化管理). GET /api/v1/me/findings.

import { t, tOr } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { formatDateTime } from '../rx-view.js';

function row(f) {
  const href = f.object_type === 'prescription' ? `#/doctor/prescriptions?id=${f.object_id}` : null;
  return h('li', { class: 'list-item', 'data-finding': f.id, 'data-result': f.finding || 'open' },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: `${tOr(`sample.object.${f.object_type}`, f.object_type)} · ${f.week}` }),
      f.finding_text ? h('span', { class: 'list-sub', text: f.finding_text }) : null,
      h('span', { class: 'list-sub', text: f.reviewed_at ? formatDateTime(f.reviewed_at) : t('finding.pending') }),
      href ? h('a', { href, text: t('finding.open') }) : null),
    h('span', { class: `pill ${f.finding === 'concerns' ? 'pill-warn' : f.finding ? 'pill-ok' : 'pill-muted'}`,
      text: tOr(`finding.result.${f.finding}`, t('finding.pending')) }));
}

export function render(main, ctx) {
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.doctor.findings'), t('screen.doctor.findings.desc')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let list;
    try {
      list = (await api('GET', '/api/v1/me/findings')).findings || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    if (list.length === 0) {
      box.replaceChildren(emptyState({ icon: 'sample', title: t('finding.empty_title'), text: t('finding.empty_text') }));
      return;
    }
    box.replaceChildren(h('ul', { class: 'list' }, list.map(row)));
  }
  load();
}
