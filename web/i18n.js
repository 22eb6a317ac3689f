// Translations. Every visible string goes through t(key, params).
// Dictionaries are flat JSON maps ("nav.patient.bills": "账单") in web/i18n/.
// A missing key is logged with console.error('missing key: ...') so tests catch it,
// and the key itself is shown instead.

const LANGS = ['zh-CN', 'en'];
const DEFAULT_LANG = 'zh-CN';
const STORAGE_KEY = 'lianyi.lang';

let lang = DEFAULT_LANG;
let dict = {};

export function languages() { return LANGS.slice(); }
export function getLang() { return lang; }

function storedLang() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(v) ? v : DEFAULT_LANG;
  } catch { return DEFAULT_LANG; }
}

// Loads the dictionary of `next` (or the remembered language) and remembers it.
// On failure the previous dictionary stays and the error propagates.
export async function setLang(next) {
  const want = LANGS.includes(next) ? next : storedLang();
  const url = new URL(`./i18n/${want}.json`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`i18n ${want}: HTTP ${res.status}`);
  dict = await res.json();
  lang = want;
  try { localStorage.setItem(STORAGE_KEY, want); } catch { /* private mode */ }
  document.documentElement.lang = want;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(dict, key);
}

// t('home.greeting', { name: '张伟' }) — "{name}" placeholders are replaced.
export function t(key, params) {
  let s;
  if (has(key)) {
    s = dict[key];
  } else {
    console.error(`missing key: ${key} (${lang})`);
    s = key;
  }
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m));
  }
  return s;
}

// Translation of an optional key, or `fallback` without logging (server-sent
// vocabularies such as error codes or audit actions that may be new to us).
export function tOr(key, fallback) {
  return has(key) ? t(key) : fallback;
}

export function formatDateTime(ms) {
  return new Intl.DateTimeFormat(lang, {
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(new Date(ms));
}
