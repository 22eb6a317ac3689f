// Doctor home (community GPs and hospital specialists): console, waiting queue, records, prescriptions, referrals.
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'console', icon: 'console', load: () => import('./console.js') },
  { id: 'queue', icon: 'queue', load: () => import('./console.js') },
  { id: 'records', icon: 'record' },
  { id: 'prescriptions', icon: 'pill' },
  { id: 'referrals', icon: 'referral', load: () => import('./referrals.js') },
  { id: 'contracts', icon: 'user', load: () => import('./contracts.js') },
  { id: 'department', icon: 'queue', load: () => import('./department.js') },
  { id: 'remote', icon: 'video', load: () => import('./remote.js') },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
