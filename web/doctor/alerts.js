// Doctor · health alerts (健康预警): a patient's reading outside their care
// plan's targets, or a missed follow-up; acknowledge when handled.
// GET /api/v1/care-alerts?open=1, POST /api/v1/care-alerts/{id}/ack.

import { t, tOr } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { formatDateTime, localName, actionButton, formError } from '../rx-view.js';

function row(a, names, reload) {
  const err = formError();
  const ack = async () => { await api('POST', `/api/v1/care-alerts/${a.id}/ack`); reload(); };
  return h('li', { class: 'list-item', 'data-alert': a.id, 'data-kind': a.kind },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: `${names[a.patient_id] || a.patient_id} · ${tOr(`alert.kind.${a.kind}`, a.kind)}` }),
      h('span', { class: 'list-sub', text: a.detail }),
      h('span', { class: 'list-sub', text: formatDateTime(a.created_at) }), err),
    h('div', { class: 'list-actions' },
      h('a', { class: 'btn btn-ghost', href: `#/doctor/records?patient=${a.patient_id}` }, t('record.open')),
      actionButton(t('alert.ack'), ack, {
        cls: 'btn btn-secondary', action: 'ack', onError: (e) => { err.hidden = false; err.textContent = errorText(e); },
      })));
}

export function render(main, ctx) {
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.doctor.alerts'), t('screen.doctor.alerts.desc')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let alerts, names = {};
    try {
      alerts = (await api('GET', '/api/v1/care-alerts?open=1')).alerts || [];
      for (const c of (await api('GET', '/api/v1/consultations')).items || []) names[c.patient.id] = localName(c.patient);
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    if (alerts.length === 0) {
      box.replaceChildren(emptyState({ icon: 'shield', title: t('alert.empty_title'), text: t('alert.empty_text') }));
      return;
    }
    box.replaceChildren(h('ul', { class: 'list' }, alerts.map((a) => row(a, names, load))));
  }
  load();
}
