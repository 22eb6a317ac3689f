// Doctor home (community GPs and hospital specialists): console, waiting queue, records, prescriptions, referrals.
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'console', icon: 'console' },
  { id: 'queue', icon: 'queue' },
  { id: 'records', icon: 'record' },
  { id: 'prescriptions', icon: 'pill' },
  { id: 'referrals', icon: 'referral' },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
