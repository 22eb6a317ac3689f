// "Who accessed my record" (访问记录): the patient's view of the audit chain,
// GET /api/v1/me/access-log?limit=50, newest first as the server sends it.

import { t, tOr, getLang, formatDateTime } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';

const LIMIT = 50;

// Outcomes shown as "good" (green); anything else is flagged.
const OK_OUTCOMES = new Set(['ok', 'allowed', 'success']);

// Actions are '<object>.<verb>' (e.g. 'record.read'). A translation of the
// whole action is a complete phrase ("Logged in"); otherwise the verb and the
// object are translated separately ("Viewed: medical record"), else raw text.
function whatText(item) {
  const action = item.action || '';
  const full = tOr(`access.action.${action}`, null);
  if (full) return full;
  const verb = action.slice(action.lastIndexOf('.') + 1);
  return t('access.what', {
    action: tOr(`access.action.${verb}`, action),
    object: tOr(`access.object.${item.object_type}`, item.object_type || ''),
  });
}

function actorName(item) {
  if (getLang() === 'en' && item.actor_name_en) return item.actor_name_en;
  return item.actor_name || t('access.unknown_actor');
}

// Outcome 'ok' (or a known word) as a pill; anything else is a failure whose
// outcome is an error code, e.g. 'auth.invalid_credentials': "Failed" plus the
// reason in words when we can translate it.
function outcomeParts(outcome = '') {
  if (OK_OUTCOMES.has(outcome)) return { good: true, label: t(`access.outcome.${outcome}`) };
  const known = tOr(`access.outcome.${outcome}`, null);
  if (known) return { good: false, label: known };
  const reason = tOr(`errors.${outcome}`, null);
  return { good: false, label: t('access.outcome.failed'), reason };
}

function entry(item) {
  const role = tOr(`role.${item.actor_role}`, item.actor_role || '');
  const out = outcomeParts(item.outcome);
  const when = new Date(item.at);
  return h('li', { class: 'log-item' },
    h('div', { class: 'log-top' },
      h('span', { class: 'log-actor', text: actorName(item) }),
      role ? h('span', { class: 'role-badge', text: role }) : null),
    h('p', { class: 'log-what', text: whatText(item) }),
    out.reason ? h('p', { class: 'log-reason', text: t('access.failed_reason', { reason: out.reason }) }) : null,
    h('div', { class: 'log-bottom' },
      h('time', { datetime: when.toISOString(), text: formatDateTime(item.at) }),
      h('span', { class: `pill ${out.good ? 'pill-ok' : 'pill-warn'}`, text: out.label })));
}

export function render(main, ctx) {
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(
    backLink(ctx.segment),
    pageHeader(t('nav.patient.access-log'), t('access.intro')),
    box);

  async function load() {
    box.setAttribute('aria-busy', 'true');
    box.replaceChildren(loadingState());
    let items;
    try {
      const data = await api('GET', `/api/v1/me/access-log?limit=${LIMIT}`);
      items = Array.isArray(data?.items) ? data.items : [];
    } catch (err) {
      if (err.handled || !ctx.alive()) return;
      box.removeAttribute('aria-busy');
      box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    box.removeAttribute('aria-busy');
    if (items.length === 0) {
      box.replaceChildren(emptyState({
        icon: 'shield', title: t('access.empty_title'), text: t('access.empty_text'),
      }));
      return;
    }
    box.replaceChildren(
      h('p', { class: 'log-count', text: t('access.count', { count: items.length }) }),
      h('ul', { class: 'log-list' }, items.map(entry)));
  }
  load();
}
