// The notification centre ('#/<segment>/notifications', every role): what
// happened to me, newest first, each leading to where I act on it; mark all
// read; turn on browser notifications. The store is notify.js.

import { t, formatDateTime } from './i18n.js';
import { h, pageHeader, emptyState } from './ui.js';
import { backLink } from './home.js';
import { icon } from './icons.js';
import * as notify from './notify.js';

function row(item) {
  const text = notify.title(item);
  const body = [h('span', { class: 'list-title', text }),
    h('time', { class: 'list-sub', datetime: new Date(item.at).toISOString(), text: formatDateTime(item.at) })];
  return h('li', { class: `list-item notice-item${item.read ? '' : ' notice-unread'}`, 'data-kind': item.kind,
    'data-read': String(item.read) },
  item.link ? h('a', { class: 'list-link', href: item.link, onclick: () => notify.markRead(item.key) },
    h('div', { class: 'list-main' }, body), h('span', { class: 'tile-chevron' }, icon('chevron')))
    : h('div', { class: 'list-main' }, body));
}

function permissionBox(redraw) {
  const p = notify.permission();
  if (p === 'unsupported' || p === 'granted') return null;
  if (p === 'denied') return h('p', { class: 'field-hint', text: t('notify.browser_denied') });
  return h('div', { class: 'card card-pad' },
    h('p', { text: t('notify.browser_hint') }),
    h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'browser-notifications',
      onclick: async () => { await notify.askPermission(); redraw(); } }, t('notify.browser_on')));
}

export function render(main, ctx) {
  const box = h('section', { class: 'card', 'aria-live': 'polite', 'data-testid': 'notifications' });
  const tools = h('div', { class: 'form-actions' });
  const perm = h('div');
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.notifications'), t('notify.intro')), perm, tools, box);
  function draw() {
    const list = notify.items();
    perm.replaceChildren(permissionBox(draw) || '');
    tools.replaceChildren(notify.unread() ? h('button', { type: 'button', class: 'btn btn-secondary',
      'data-action': 'mark-read', onclick: () => notify.markAllRead() }, t('notify.mark_all_read')) : '');
    box.replaceChildren(list.length ? h('ul', { class: 'list' }, list.map(row))
      : emptyState({ icon: 'bell', title: t('notify.empty_title'), text: t('notify.empty_text') }));
  }
  const off = notify.subscribe(() => { if (!ctx.alive()) { off(); return; } draw(); });
  draw();
}
