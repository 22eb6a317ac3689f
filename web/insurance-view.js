// Shared pieces of the insurance screens (patient bills and coverage, the
// admin's policy editor and statements): money in yuan from integer fen,
// plan / level / status words, Beijing business days, the stylesheet.

import { t, tOr, getLang } from './i18n.js';
import { h } from './ui.js';

const DAY_MS = 86400e3;
const BEIJING_MS = 8 * 3600e3; // business days are China Standard Time (UTC+8, no DST)

export function ensureCss() {
  if (document.getElementById('insurance-css')) return;
  document.head.append(h('link', {
    id: 'insurance-css', rel: 'stylesheet', href: new URL('./insurance.css', import.meta.url).href,
  }));
}

// 1260 → "¥12.60" (zh-CN) / "CN¥12.60" (en). Money is integer fen everywhere.
export function money(fen) {
  return new Intl.NumberFormat(getLang(), { style: 'currency', currency: 'CNY' }).format((fen || 0) / 100);
}

// Basis points as a percentage: 9000 → "90", 1250 → "12.5".
export function percent(bp) {
  return String(Math.round(bp) / 100);
}

export function planName(id) { return tOr(`ins.plan.${id}`, id || '—'); }
export function levelName(level) { return tOr(`ins.level.${level}`, level || ''); }

const STATUS_TONE = { settled: 'pill-ok', reversed: 'pill-muted', rejected: 'pill-warn', estimate: 'pill-info' };

export function statusPill(status) {
  return h('span', {
    class: `pill ${STATUS_TONE[status] || 'pill-muted'}`, 'data-status': status,
    text: tOr(`bill.status.${status}`, status),
  });
}

// What the bill was for: "Online consultation fee", "Medicines", …
export function encounterTitle(c) {
  return tOr(`bill.encounter.${c.encounter_type}`, c.encounter_type);
}

// A refusal's reason in words (numbered reasons of insurance/claim.h).
export function rejectText(reason) {
  return tOr(`bill.reject.${reason}`, t('bill.reject.other', { n: reason }));
}

// The Beijing business day of a UTC instant, "YYYY-MM-DD".
export function beijingDay(ms = Date.now()) {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 10);
}

// Midnight Beijing time of "YYYY-MM-DD", as UTC ms (a policy takes effect then).
export function beijingMidnight(day) {
  const [y, m, d] = day.split('-').map(Number);
  return Date.UTC(y, m - 1, d) - BEIJING_MS;
}

export function nextBeijingDay() { return beijingDay(Date.now() + DAY_MS); }

// yuan text → fen (NaN when not a number ≥ 0 with at most 2 decimals)
export function fenOf(text) {
  const s = String(text).trim();
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return NaN;
  return Math.round(Number(s) * 100);
}

// percentage text → basis points (NaN outside 0..100)
export function bpOf(text) {
  const s = String(text).trim();
  if (!/^\d+(\.\d{1,2})?$/.test(s) || Number(s) > 100) return NaN;
  return Math.round(Number(s) * 100);
}

// One label / amount row (a definition list entry).
export function amountRow(label, fen, { cls = '', testid } = {}) {
  return h('div', { class: `amount-row ${cls}`.trim(), 'data-testid': testid || false },
    h('dt', { text: label }), h('dd', { text: money(fen) }));
}
