// The signed-in page frame: header (app name, user, role, notifications bell,
// language, large text, log out), the role's navigation (a sidebar on wide screens) and <main>.

import { t, getLang } from './i18n.js';
import { h } from './ui.js';
import { icon } from './icons.js';
import { langButton, largeTextButton } from './controls.js';
import { bell } from './bell.js';

export function displayName(account) {
  if (getLang() === 'en' && account.name_en) return account.name_en;
  return account.name || account.username;
}

export function brand(href) {
  return h(href ? 'a' : 'div', { class: 'brand', href: href || false },
    h('span', { class: 'brand-mark' }, icon('logo')),
    h('span', { class: 'brand-name', text: t('app.name') }),
    h('span', { class: 'brand-latin', lang: 'en', text: t('app.name_latin') }));
}

function header(account, segment, { onLang, onLogout }) {
  return h('header', { class: 'app-header' },
    h('div', { class: 'header-inner' },
      brand('#/home'),
      h('div', { class: 'who', 'data-testid': 'who' },
        h('span', { class: 'who-icon' }, icon('user')),
        h('span', { class: 'who-name', text: displayName(account) }),
        h('span', { class: 'role-badge', text: t(`role.${account.role}`) })),
      h('div', { class: 'header-tools' },
        bell(segment),
        langButton(onLang),
        largeTextButton(),
        h('button', {
          type: 'button', class: 'btn btn-ghost', 'data-action': 'logout', onclick: onLogout,
        }, icon('logout'), h('span', { text: t('header.logout') })))));
}

function sideNav(segment, screens, current) {
  const items = [{ id: 'home', icon: 'home', label: t('nav.home') }]
    .concat(screens.map((s) => ({ ...s, label: t(`nav.${segment}.${s.id}`) })));
  return h('nav', { class: 'side-nav', 'aria-label': t('nav.label') },
    h('ul', {}, items.map((s) => h('li', {},
      h('a', {
        href: `#/${segment}/${s.id}`,
        'aria-current': s.id === current ? 'page' : false,
      }, icon(s.icon), h('span', { text: s.label }))))));
}

// Replaces root's content with the frame; returns the <main> to fill.
export function renderShell(root, { account, segment, screens, current, onLang, onLogout }) {
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  root.replaceChildren(
    h('a', { class: 'skip-link', href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } },
      t('common.skip_to_main')),
    header(account, segment, { onLang, onLogout }),
    h('div', { class: 'layout' }, sideNav(segment, screens, current), main));
  return main;
}
