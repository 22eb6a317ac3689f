// The home screen every role shares: a greeting and one big tile per screen of
// the role (on a phone these tiles are the navigation). Each role's
// <role>/home.js lists its screens and calls renderHome().

import { t } from './i18n.js';
import { h, pageHeader } from './ui.js';
import { icon } from './icons.js';
import { displayName } from './shell.js';

export function renderHome(main, { account, segment, screens }) {
  main.replaceChildren(
    pageHeader(t('home.greeting', { name: displayName(account) }), t(`home.intro.${segment}`)),
    h('nav', { class: 'tiles-nav', 'aria-label': t('home.services') },
      h('ul', { class: 'tiles' }, screens.map((s) => h('li', {},
        h('a', { class: 'tile', href: `#/${segment}/${s.id}`, 'data-screen': s.id },
          h('span', { class: 'tile-icon' }, icon(s.icon)),
          h('span', { class: 'tile-body' },
            h('span', { class: 'tile-title', text: t(`nav.${segment}.${s.id}`) }),
            h('span', { class: 'tile-desc', text: t(`screen.${segment}.${s.id}.desc`) })),
          h('span', { class: 'tile-chevron' }, icon('chevron'))))))));
}

// A screen that is not built yet: its title, a back link and a friendly note.
export function renderComingSoon(main, { segment, screen }) {
  main.replaceChildren(
    backLink(segment),
    pageHeader(t(`nav.${segment}.${screen.id}`), t(`screen.${segment}.${screen.id}.desc`)),
    h('div', { class: 'card' },
      h('div', { class: 'state' },
        h('div', { class: 'state-icon' }, icon('soon')),
        h('h2', { class: 'state-title', text: t('soon.title') }),
        h('p', { class: 'state-text', text: t('soon.text') }),
        h('a', { class: 'btn btn-secondary', href: `#/${segment}/home` }, t('soon.back')))));
}

// "‹ Home" above a screen's title (shown on phones, where there is no sidebar).
export function backLink(segment) {
  return h('a', { class: 'back-link', href: `#/${segment}/home` },
    icon('back'), h('span', { text: t('nav.home') }));
}
