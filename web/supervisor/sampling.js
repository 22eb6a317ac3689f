// Supervisor · sampling review (同质化管理抽查): the weekly random sample of
// signed online notes and prescriptions; open one, record a finding
// (appropriate, or concerns with text) that the doctor then sees.
// GET /api/v1/supervision/samples, POST …/samples/{id}/finding,
// GET /api/v1/prescriptions/{id} or /api/v1/notes/{id} for the object.

import { t, tOr } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { formatDateTime, itemsList, fact, kindText, statePill, actionButton, formError, violationsBox, fill, labeled } from '../rx-view.js';

async function objectView(s) {
  if (s.object_type === 'prescription') {
    const p = (await api('GET', `/api/v1/prescriptions/${s.object_id}`)).prescription;
    return h('div', { class: 'sample-object' },
      h('div', { class: 'detail-head' }, h('strong', { text: `${p.icd10} · ${kindText(p.kind)}` }), statePill(p.state)),
      itemsList(p.items), h('dl', { class: 'facts' }, fact(t('rx.chronic_reason'), p.chronic_reason)),
      violationsBox(p.verdicts));
  }
  const n = (await api('GET', `/api/v1/notes/${s.object_id}`)).note;
  return h('dl', { class: 'facts sample-object' },
    fact(t('note.chief_complaint'), n.chief_complaint), fact(t('note.history'), n.history),
    fact(t('note.findings'), n.findings), fact(t('dx.label'), (n.diagnoses || []).map((d) => d.icd10).join('、')),
    fact(t('note.advice'), n.advice));
}

function findingForm(s, reload) {
  const text = h('textarea', { name: 'finding_text', rows: '2' });
  const err = formError();
  const record = (finding) => async () => {
    const body = { finding };
    if (text.value.trim()) body.text = text.value.trim();
    await api('POST', `/api/v1/supervision/samples/${s.id}/finding`, { body });
    reload(t('sample.recorded'));
  };
  const show = (e) => { err.hidden = false; err.textContent = errorText(e); };
  return h('div', { class: 'form' }, labeled(t('sample.finding_text'), text), err,
    h('div', { class: 'form-actions' },
      actionButton(t('sample.concerns'), record('concerns'), { cls: 'btn btn-secondary', action: 'concerns', onError: show }),
      actionButton(t('sample.appropriate'), record('appropriate'), { action: 'appropriate', onError: show })));
}

function row(s, reload) {
  const body = h('div');
  const details = h('details', { class: 'sample-details' }, h('summary', { text: t('sample.open') }), body);
  details.addEventListener('toggle', async () => {
    if (!details.open || body.childElementCount) return;
    body.replaceChildren(loadingState());
    try {
      fill(body, await objectView(s), s.finding ? null : findingForm(s, reload));
    } catch (err) {
      if (!err.handled) body.replaceChildren(errorState(err));
    }
  });
  return h('li', { class: 'list-item', 'data-sample': s.id, 'data-result': s.finding || 'open' },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: `${s.doctor_name} · ${tOr(`sample.object.${s.object_type}`, s.object_type)}` }),
      h('span', { class: 'list-sub', text: `${s.week} · ${formatDateTime(s.sampled_at)}` }),
      s.finding_text ? h('span', { class: 'list-sub', text: s.finding_text }) : null, details),
    h('span', { class: `pill ${s.finding === 'concerns' ? 'pill-warn' : s.finding ? 'pill-ok' : 'pill-muted'}`,
      text: tOr(`finding.result.${s.finding}`, t('finding.pending')) }));
}

export function render(main, ctx) {
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  const msg = h('div');
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.supervisor.sampling'), t('sample.intro')), msg, box);
  async function load(message) {
    fill(msg, message ? h('p', { class: 'notice', role: 'status', text: message }) : null);
    box.replaceChildren(loadingState());
    let list;
    try {
      list = (await api('GET', '/api/v1/supervision/samples')).samples || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    if (list.length === 0) {
      box.replaceChildren(emptyState({ icon: 'sample', title: t('sample.empty_title'), text: t('sample.empty_text') }));
      return;
    }
    list.sort((a, b) => (a.finding ? 1 : 0) - (b.finding ? 1 : 0) || b.sampled_at - a.sampled_at);
    box.replaceChildren(h('ul', { class: 'list' }, list.map((s) => row(s, load))));
  }
  load();
}
