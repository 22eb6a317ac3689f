// An ICD-10 diagnosis picker: type a code or a name, pick from the
// district's conditions (GET /api/v1/conditions?q=), remove with ×.
// conditionPicker(initial) → { element, codes() }.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h } from '../ui.js';
import { localName } from '../rx-view.js';

export function conditionPicker(initial = [], { label = t('dx.label'), max = 10 } = {}) {
  const chosen = initial.slice();
  const chips = h('ul', { class: 'chips', 'data-testid': 'dx-chosen' });
  const results = h('ul', { class: 'search-results', 'data-testid': 'dx-results' });
  const input = h('input', {
    type: 'search', id: `dx-${Math.random().toString(36).slice(2, 8)}`, autocomplete: 'off',
    placeholder: t('dx.placeholder'), 'aria-label': label,
  });
  let timer = null, seq = 0;

  function drawChips() {
    chips.replaceChildren(...chosen.map((c, i) => h('li', { class: 'chip', 'data-icd10': c.icd10 },
      h('span', { text: `${c.icd10} ${c.name ? localName(c) : ''}`.trim() }),
      h('button', {
        type: 'button', class: 'chip-remove', 'aria-label': t('dx.remove', { code: c.icd10 }),
        onclick: () => { chosen.splice(i, 1); drawChips(); },
      }, '×'))));
  }

  async function search() {
    const q = input.value.trim();
    const my = ++seq;
    if (!q) { results.replaceChildren(); return; }
    let list = [];
    try {
      list = (await api('GET', `/api/v1/conditions?q=${encodeURIComponent(q)}&limit=8`)).conditions || [];
    } catch (err) {
      if (my === seq) results.replaceChildren(h('li', { class: 'search-empty', text: t('dx.search_failed') }));
      return;
    }
    if (my !== seq) return;
    if (list.length === 0) {
      results.replaceChildren(h('li', { class: 'search-empty', text: t('dx.none') }));
      return;
    }
    results.replaceChildren(...list.map((c) => h('li', {},
      h('button', {
        type: 'button', class: 'search-hit', 'data-icd10': c.icd10,
        onclick: () => {
          if (!chosen.some((x) => x.icd10 === c.icd10) && chosen.length < max) chosen.push(c);
          input.value = '';
          results.replaceChildren();
          drawChips();
          input.focus();
        },
      }, h('strong', { text: c.icd10 }), ' ', localName(c),
      c.chronic ? h('span', { class: 'pill pill-muted', text: t('dx.chronic') }) : null))));
  }

  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') e.preventDefault(); });
  drawChips();
  const element = h('div', { class: 'field' },
    h('label', { for: input.id, text: label }), chips, input, results);
  return { element, codes: () => chosen.map((c) => c.icd10) };
}
