// Doctor home (community GPs and hospital specialists): console, waiting queue, records, prescriptions, referrals.
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'console', icon: 'console', load: () => import('./console.js') },
  { id: 'queue', icon: 'queue', load: () => import('./console.js') },
  { id: 'records', icon: 'record', load: () => import('./records.js') },
  { id: 'prescriptions', icon: 'pill', load: () => import('./prescriptions.js') },
  { id: 'renewals', icon: 'renew', load: () => import('./renewals.js') },
  { id: 'alerts', icon: 'alert', load: () => import('./alerts.js') },
  { id: 'findings', icon: 'sample', load: () => import('./findings.js') },
  { id: 'referrals', icon: 'referral', load: () => import('./referrals.js') },
  { id: 'contracts', icon: 'user', load: () => import('./contracts.js') },
  { id: 'department', icon: 'queue', load: () => import('./department.js') },
  { id: 'remote', icon: 'video', load: () => import('./remote.js') },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
