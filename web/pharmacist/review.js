// Pharmacist · review queue (审方): prescriptions waiting for review, oldest
// first, with how many rules object. '?id=<rx>' opens one (review-detail.js).
// GET /api/v1/pharmacist/review-queue.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { hashQuery, localName, drugName, kindText, formatDateTime } from '../rx-view.js';

function row(p) {
  const n = (p.verdicts || []).length;
  return h('li', { class: 'list-item', 'data-rx': p.id },
    h('a', { class: 'list-link', href: `#/pharmacist/review?id=${p.id}` },
      h('div', { class: 'list-main' },
        h('span', { class: 'list-title', text: `${localName(p.patient)} · ${p.items.map(drugName).join('、')}` }),
        h('span', { class: 'list-sub', text: `${p.icd10} · ${kindText(p.kind)} · ${formatDateTime(p.signed_at)}` })),
      h('span', { class: `pill ${n ? 'pill-warn' : 'pill-ok'}`, text: n ? t('review.objections', { count: n }) : t('review.clean') })));
}

export async function render(main, ctx) {
  const id = hashQuery().get('id');
  if (id) {
    (await import('./review-detail.js')).render(main, ctx, id);
    return;
  }
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.pharmacist.review'), t('review.intro')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let queue;
    try {
      queue = (await api('GET', '/api/v1/pharmacist/review-queue')).queue || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    if (queue.length === 0) {
      box.replaceChildren(emptyState({ icon: 'review', title: t('review.empty_title'), text: t('review.empty_text') }));
      return;
    }
    box.replaceChildren(h('p', { class: 'log-count', text: t('review.count', { count: queue.length }) }),
      h('ul', { class: 'list' }, queue.map(row)));
  }
  load();
}
