// Patient home: my health, online follow-up, prescriptions, bills, and who accessed my record.
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';
import { h } from '../ui.js';
import { renderToday } from './today.js';

export const screens = [
  { id: 'health', icon: 'heart', load: () => import('./health.js') },
  { id: 'followup', icon: 'video', load: () => import('./book.js') },
  { id: 'prescriptions', icon: 'pill', load: () => import('./prescriptions.js') },
  { id: 'vitals', icon: 'chart', load: () => import('./vitals.js') },
  { id: 'pharmacy', icon: 'truck', load: () => import('./pharmacy-choice.js') },
  { id: 'bills', icon: 'receipt', load: () => import('./bills.js') },
  { id: 'family-doctor', icon: 'user', load: () => import('./family-doctor.js') },
  { id: 'referrals', icon: 'referral', load: () => import('./referrals.js') },
  { id: 'access-log', icon: 'eye', load: () => import('./access-log.js') },
];

// The home adds, above the tiles, my conditions, my family doctor and what
// is waiting for me (today.js).
export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
  const box = h('div', { class: 'today', 'data-testid': 'today' });
  main.querySelector('.page-header').after(box);
  renderToday(box, ctx);
}
