// Patient · my prescriptions (我的处方): newest first with their state;
// '?id=<rx>' opens one with its QR code (rx-code.js).
// GET /api/v1/prescriptions.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { hashQuery, statePill, formatDate } from '../rx-view.js';

function row(p) {
  return h('li', { class: 'list-item', 'data-rx': p.id, 'data-state': p.state },
    h('a', { class: 'list-link', href: `#/patient/prescriptions?id=${p.id}` },
      h('div', { class: 'list-main' },
        h('span', { class: 'list-title', text: p.drugs || p.icd10 }),
        h('span', { class: 'list-sub', text: t('rx.patient_line', { doctor: p.doctor_name, date: formatDate(p.signed_at || p.created_at) }) })),
      statePill(p.state)));
}

export async function render(main, ctx) {
  const id = hashQuery().get('id');
  if (id) {
    (await import('./rx-code.js')).render(main, ctx, id);
    return;
  }
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment),
    pageHeader(t('nav.patient.prescriptions'), t('rx.patient_intro')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let list;
    try {
      list = (await api('GET', '/api/v1/prescriptions?limit=50')).prescriptions || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    // drafts are the doctor's work in progress, not yet a prescription
    list = list.filter((p) => p.state !== 'draft');
    if (list.length === 0) {
      box.replaceChildren(emptyState({ icon: 'pill', title: t('rx.empty_title'), text: t('rx.patient_empty_text') }));
      return;
    }
    box.replaceChildren(h('ul', { class: 'list' }, list.map(row)));
  }
  load();
}
