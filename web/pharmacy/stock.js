// Pharmacy · stock (库存): search this pharmacy's stock, see what is low
// (at or below its threshold, lowest first), set a count after a delivery
// from the wholesaler or a stock take. Counts are packs and never negative.
// GET /api/v1/pharmacy/stock?q=&low=1, PUT /api/v1/pharmacy/stock/{drug}.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { ensureStyles, drugText, badge, errorLine, actionBtn } from './common.js';

function row(s, reload) {
  const qty = h('input', { type: 'number', min: '0', step: '1', class: 'ph-input', value: String(s.quantity),
    'aria-label': t('ph.stock_count', { drug: drugText(s) }), name: `qty-${s.drug_id}` });
  const err = errorLine();
  const save = actionBtn(t('ph.save'), async () => {
    await api('PUT', `/api/v1/pharmacy/stock/${encodeURIComponent(s.drug_id)}`, { body: { quantity: Number(qty.value) } });
    reload();
  }, { action: 'save-stock', cls: 'btn btn-secondary', errEl: err });
  return h('li', { class: 'ph-row', 'data-drug': s.drug_id },
    h('div', { style: 'flex:1;min-width:0' },
      h('span', { class: 'ph-row-main', text: drugText(s) }),
      h('span', { class: 'ph-row-sub', text: `${s.drug_id} · ${t('ph.low_at', { n: s.low_threshold })}` }), err),
    s.low ? badge(t('ph.low'), 'warn') : null,
    h('div', { style: 'width:6.5rem' }, qty), save);
}

export async function render(main, ctx) {
  ensureStyles();
  const q = h('input', { type: 'search', class: 'ph-input', name: 'q', maxlength: '64', 'aria-label': t('ph.stock_search') });
  const lowOnly = h('input', { type: 'checkbox', name: 'low', checked: true });
  const box = h('section', { class: 'ph-card', 'data-testid': 'ph-stock', 'aria-live': 'polite' });
  async function load() {
    box.replaceChildren(loadingState());
    const params = new URLSearchParams({ limit: '200' });
    if (q.value.trim()) params.set('q', q.value.trim());
    if (lowOnly.checked) params.set('low', '1');
    let items;
    try {
      items = (await api('GET', `/api/v1/pharmacy/stock?${params}`)).items;
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    box.replaceChildren(items.length ? h('ul', { class: 'ph-list' }, items.map((s) => row(s, load)))
      : emptyState({ icon: 'box', title: t(lowOnly.checked ? 'ph.no_low' : 'ph.no_stock') }));
  }
  q.addEventListener('keydown', (e) => { if (e.key === 'Enter') load(); });
  lowOnly.addEventListener('change', load);
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.pharmacy.stock'), t('screen.pharmacy.stock.desc')),
    h('section', { class: 'ph-card' },
      h('label', { class: 'ph-field' }, h('span', { text: t('ph.stock_search') }), q),
      h('label', {}, lowOnly, ' ', t('ph.low_only'))),
    box);
  await load();
}
