// Patient · my health (我的健康档案): my diagnoses, my doctors' signed notes,
// my lab and exam results; a link to my readings (vitals.js).

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { fill } from '../rx-view.js';
import { loadRecord, diagnosesSection, notesSection, labsSection } from '../records-view.js';

export function render(main, ctx) {
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.patient.health'), t('screen.patient.health.desc')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let rec;
    try {
      const cons = (await api('GET', '/api/v1/consultations')).items || [];
      rec = await loadRecord(ctx.account.patient_id, cons);
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    fill(box, diagnosesSection(rec), labsSection(rec.orders), notesSection(rec.notes),
      h('a', { class: 'btn btn-secondary btn-block', href: '#/patient/vitals' }, t('record.to_vitals')));
  }
  load();
}
