// Small DOM helpers and the shared loading / empty / error states.

import { t } from './i18n.js';
import { errorText } from './api.js';
import { icon } from './icons.js';

// h('a', { href: '#/x', class: 'tile', onclick: fn }, child, 'text', [more])
// Text children are set as text, never parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function loadingState() {
  return h('div', { class: 'state state-loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('p', { text: t('common.loading') }));
}

// opts: icon, title, text, action (a button or link element)
export function emptyState({ icon: ic = 'empty', title, text, action } = {}) {
  return h('div', { class: 'state' },
    h('div', { class: 'state-icon' }, icon(ic)),
    title ? h('h2', { class: 'state-title', text: title }) : null,
    text ? h('p', { class: 'state-text', text }) : null,
    action || null);
}

// A failed load: the network is down (with a retry button) or the server said no.
export function errorState(err, retry) {
  const network = err && err.code === 'network';
  return h('div', { class: 'state state-error', role: 'alert' },
    h('div', { class: 'state-icon' }, icon(network ? 'wifiOff' : 'alert')),
    h('h2', { class: 'state-title', text: t(network ? 'errors.network_title' : 'errors.title') }),
    h('p', { class: 'state-text', text: errorText(err) }),
    retry ? h('button', { class: 'btn btn-primary', type: 'button', onclick: retry },
      t('common.retry')) : null);
}

// Heading block of a screen. The h1 takes focus after navigation (tabindex -1)
// so screen-reader users hear where they are.
export function pageHeader(title, intro) {
  return h('div', { class: 'page-header' },
    h('h1', { class: 'page-title', tabindex: '-1', text: title }),
    intro ? h('p', { class: 'page-intro', text: intro }) : null);
}
