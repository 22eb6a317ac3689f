// The language switch and the large-text toggle, shown on the login page and in
// every header. Both choices are remembered in localStorage.

import { t, getLang, setLang } from './i18n.js';
import { h } from './ui.js';
import { icon } from './icons.js';

const LARGE_KEY = 'lianyi.largeText';

export function largeTextOn() {
  try { return localStorage.getItem(LARGE_KEY) === '1'; } catch { return false; }
}

export function applyLargeText(on = largeTextOn()) {
  document.documentElement.classList.toggle('large-text', on);
}

function setLargeText(on) {
  try { localStorage.setItem(LARGE_KEY, on ? '1' : '0'); } catch { /* private mode */ }
  applyLargeText(on);
}

// onChanged() re-renders the page in the new language.
export function langButton(onChanged) {
  const other = getLang() === 'zh-CN' ? 'en' : 'zh-CN';
  return h('button', {
    type: 'button', class: 'btn btn-ghost btn-lang', 'data-action': 'lang',
    title: t('header.switch_lang_label'),
    onclick: async () => {
      try { await setLang(other); } catch (err) { console.warn('language not loaded', err); return; }
      onChanged();
    },
  }, icon('globe'), h('span', { lang: other, text: t('header.switch_lang') }));
}

export function largeTextButton() {
  const btn = h('button', {
    type: 'button', class: 'btn btn-ghost', 'data-action': 'large-text',
    'aria-pressed': String(largeTextOn()),
    onclick: () => {
      const on = !largeTextOn();
      setLargeText(on);
      btn.setAttribute('aria-pressed', String(on));
    },
  }, icon('textSize'), h('span', { text: t('header.large_text') }));
  return btn;
}
