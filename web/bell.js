// The bell in the header: how many notifications are unread, and a link to
// the notification centre ('#/<segment>/notifications'). Updates itself.

import { t } from './i18n.js';
import { h } from './ui.js';
import { icon } from './icons.js';
import { subscribe, unread } from './notify.js';

export function bell(segment) {
  const count = h('span', { class: 'bell-count', 'data-testid': 'bell-count', 'aria-hidden': 'true' });
  const link = h('a', { class: 'btn btn-ghost bell', href: `#/${segment}/notifications`, 'data-action': 'notifications' },
    icon('bell'), count);
  const draw = () => {
    const n = unread();
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    link.dataset.unread = String(n);
    link.setAttribute('aria-label', n ? t('notify.bell_unread', { count: n }) : t('notify.bell'));
    link.title = link.getAttribute('aria-label');
  };
  const off = subscribe(() => {
    if (!link.isConnected && link.dataset.drawn) { off(); return; }
    draw();
  });
  draw();
  link.dataset.drawn = '1';
  return link;
}
