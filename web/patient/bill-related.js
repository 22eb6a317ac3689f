// Patient · what a bill is for (under bill.js): a follow-up's bill leads to
// the health record with the doctor's signed note; a medicine bill shows the
// pharmacy's signed receipt it was billed from (found among my completed
// prescriptions) and leads to that prescription. Filled in the background:
// the bill itself never waits for it.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h } from '../ui.js';
import { ensureStyles, receiptCard } from '../pharmacy/common.js';

const LOOK_AT = 10; // the most recent completed prescriptions searched for the receipt

async function receiptOf(receiptId) {
  const list = ((await api('GET', '/api/v1/prescriptions?limit=50')).prescriptions || [])
    .filter((p) => p.state === 'completed').slice(0, LOOK_AT);
  for (const p of list) {
    try {
      const r = await api('GET', `/api/v1/prescriptions/${encodeURIComponent(p.id)}/receipt`);
      if (r && r.id === receiptId) return { receipt: r, rx: p.id };
    } catch (err) { if (err.handled) throw err; }
  }
  return null;
}

const recordLink = () => h('a', { class: 'btn btn-secondary', href: '#/patient/health', 'data-action': 'to-record' },
  t('bill.to_record'));

export function relatedCard(c, ctx) {
  const box = h('section', { class: 'card card-pad', 'data-testid': 'bill-related' },
    h('h2', { class: 'section-title', text: t('bill.related_title') }));
  if (c.encounter_type !== 'dispense') {
    box.append(h('p', { class: 'field-hint', text: t('bill.related_consultation') }), h('div', { class: 'form-actions' }, recordLink()));
    return box;
  }
  ensureStyles();
  const slot = h('div', { 'aria-live': 'polite' }, h('p', { class: 'field-hint', text: t('common.loading') }));
  box.append(slot);
  receiptOf(c.encounter_id).then((found) => {
    if (!ctx.alive()) return;
    slot.replaceChildren(...(found ? [receiptCard(found.receipt), h('div', { class: 'form-actions' },
      h('a', { class: 'btn btn-secondary', href: `#/patient/pharmacy?id=${found.rx}`, 'data-action': 'to-receipt' },
        t('bill.to_prescription')), recordLink())]
      : [h('p', { class: 'field-hint', text: t('bill.related_no_receipt') }), recordLink()]));
  }, (err) => {
    if (!err.handled && ctx.alive()) slot.replaceChildren(h('p', { class: 'field-hint', text: t('bill.related_no_receipt') }), recordLink());
  });
  return box;
}
