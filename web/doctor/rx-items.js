// The drug lines of the prescription editor and the formulary search that
// adds them (GET /api/v1/formulary?q= by name, pinyin initials or ATC).
// rxItems(initial, onChange) → { element, items() } where items() is the
// API's [{drug_id, quantity, days, daily_units, dose}].

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h } from '../ui.js';
import { drugName } from '../rx-view.js';

const MAX_LINES = 5;

function numberInput(name, value, label, step = '1') {
  return h('label', { class: 'mini-field' }, h('span', { text: label }),
    h('input', { type: 'number', name, min: '0', step, inputmode: 'decimal', value: String(value) }));
}

function drugFacts(d) {
  const bits = [d.strength, d.form && t('rx.pack', { size: d.pack_size, unit: d.unit || '' }), d.atc, d.pinyin];
  if (d.antimicrobial) bits.push(t('rx.antimicrobial'));
  if (d.controlled && d.controlled !== 'none') bits.push(t('rx.controlled'));
  return bits.filter(Boolean).join(' · ');
}

export function rxItems(initial, onChange) {
  const lines = [];       // { drug, row, inputs }
  const list = h('ol', { class: 'rx-lines', 'data-testid': 'rx-lines' });
  const results = h('ul', { class: 'search-results', 'data-testid': 'formulary-results' });
  const search = h('input', {
    type: 'search', id: 'formulary-q', autocomplete: 'off', placeholder: t('rx.search_placeholder'),
  });
  let timer = null, seq = 0;

  function addLine(drug, v = {}) {
    if (lines.length >= MAX_LINES + 1) return; // one over the limit, so the rule can say so
    const inputs = {
      quantity: numberInput('quantity', v.quantity ?? 1, t('rx.quantity')),
      days: numberInput('days', v.days ?? 7, t('rx.days')),
      daily: numberInput('daily_units', v.daily_units ?? (drug.default_daily_units || 1), t('rx.daily_units'), 'any'),
    };
    const dose = h('input', { type: 'text', name: 'dose', value: v.dose || '', placeholder: t('rx.dose_placeholder') });
    const line = { drug, inputs, dose };
    const row = h('li', { class: 'rx-line', 'data-drug': drug.id },
      h('div', { class: 'rx-line-head' },
        h('strong', { text: `${drugName(drug)} ${drug.strength || ''}` }),
        h('button', {
          type: 'button', class: 'btn btn-ghost', 'data-action': 'remove-line',
          onclick: () => { lines.splice(lines.indexOf(line), 1); row.remove(); onChange(); },
        }, t('rx.remove'))),
      h('div', { class: 'rx-line-nums' }, inputs.quantity, inputs.days, inputs.daily),
      h('label', { class: 'mini-field mini-wide' }, h('span', { text: t('rx.dose') }), dose));
    row.addEventListener('input', onChange);
    line.row = row;
    lines.push(line);
    list.append(row);
    onChange();
  }

  async function find() {
    const q = search.value.trim();
    const my = ++seq;
    if (!q) { results.replaceChildren(); return; }
    let drugs = [];
    try {
      drugs = (await api('GET', `/api/v1/formulary?q=${encodeURIComponent(q)}&limit=8`)).drugs || [];
    } catch {
      if (my === seq) results.replaceChildren(h('li', { class: 'search-empty', text: t('rx.search_failed') }));
      return;
    }
    if (my !== seq) return;
    results.replaceChildren(...(drugs.length ? drugs.map((d) => h('li', {},
      h('button', {
        type: 'button', class: 'search-hit', 'data-drug': d.id,
        onclick: () => { addLine(d); search.value = ''; results.replaceChildren(); },
      }, h('strong', { text: drugName(d) }), h('span', { class: 'search-sub', text: drugFacts(d) }))))
      : [h('li', { class: 'search-empty', text: t('rx.search_none') })]));
  }
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(find, 200); });
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') e.preventDefault(); });

  for (const it of initial) {
    addLine({ id: it.drug_id, generic_name: it.generic_name, generic_en: it.generic_en, strength: it.strength },
      { quantity: it.quantity, days: it.days, daily_units: it.daily_milli / 1000, dose: it.dose });
  }

  const num = (el) => {
    const v = Number(el.querySelector('input').value);
    return Number.isFinite(v) ? v : 0;
  };
  const element = h('div', { class: 'rx-items' },
    h('h3', { class: 'subsection-title', text: t('rx.drugs') }), list,
    h('div', { class: 'field' }, h('label', { for: search.id, text: t('rx.search') }), search, results));
  return {
    element,
    items: () => lines.map((l) => ({
      drug_id: l.drug.id, quantity: Math.trunc(num(l.inputs.quantity)), days: Math.trunc(num(l.inputs.days)),
      daily_units: num(l.inputs.daily), dose: l.dose.value.trim(),
    })),
  };
}
