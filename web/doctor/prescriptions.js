// Doctor · prescriptions (处方): mine, returned ones first with the
// pharmacist's reason. '?consultation=<id>' writes a new one and '?id=<rx>'
// opens one (rx-editor.js). GET /api/v1/prescriptions.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { hashQuery, statePill, kindText, formatDateTime } from '../rx-view.js';

const ORDER = ['returned', 'draft', 'pending_review', 'ready', 'in_progress', 'completed', 'expired', 'cancelled'];

function row(p) {
  return h('li', { class: 'list-item', 'data-rx': p.id, 'data-state': p.state },
    h('a', { class: 'list-link', href: `#/doctor/prescriptions?id=${p.id}` },
      h('div', { class: 'list-main' },
        h('span', { class: 'list-title', text: `${p.patient_name} · ${p.drugs || ''}` }),
        h('span', { class: 'list-sub', text: `${p.icd10} · ${kindText(p.kind)} · ${formatDateTime(p.created_at)}` }),
        p.state === 'returned' ? h('span', { class: 'list-warn', text: t('rx.returned_hint') }) : null),
      statePill(p.state)));
}

export async function render(main, ctx) {
  const q = hashQuery();
  if (q.get('id') || q.get('consultation')) {
    (await import('./rx-editor.js')).render(main, ctx, { id: q.get('id'), consultationId: q.get('consultation') });
    return;
  }
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment),
    pageHeader(t('nav.doctor.prescriptions'), t('rx.doctor_intro')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let list;
    try {
      list = (await api('GET', '/api/v1/prescriptions?limit=100')).prescriptions || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    if (list.length === 0) {
      box.replaceChildren(emptyState({ icon: 'pill', title: t('rx.empty_title'), text: t('rx.doctor_empty_text'),
        action: h('a', { class: 'btn btn-secondary', href: '#/doctor/records' }, t('nav.doctor.records')) }));
      return;
    }
    list.sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || b.created_at - a.created_at);
    box.replaceChildren(h('ul', { class: 'list' }, list.map(row)));
  }
  load();
}
