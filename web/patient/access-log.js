// "Who accessed my record" (访问记录): the patient's view of the audit chain,
// GET /api/v1/me/access-log?limit=50, newest first as the server sends it.

import { t, tOr, getLang, formatDateTime } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';

const LIMIT = 50;

// Outcomes shown as "good" (green); anything else is flagged.
const OK_OUTCOMES = new Set(['ok', 'allowed', 'success']);

// Actions are '<object>.<verb>' (e.g. 'access_log.read'): a translation of the
// whole action if we have one, else of its verb, else the raw text.
function actionText(action = '') {
  const verb = action.slice(action.lastIndexOf('.') + 1);
  return tOr(`access.action.${action}`, tOr(`access.action.${verb}`, action));
}

function actorName(item) {
  if (getLang() === 'en' && item.actor_name_en) return item.actor_name_en;
  return item.actor_name || t('access.unknown_actor');
}

function entry(item) {
  const role = tOr(`role.${item.actor_role}`, item.actor_role || '');
  const action = actionText(item.action);
  const object = tOr(`access.object.${item.object_type}`, item.object_type || '');
  const outcome = tOr(`access.outcome.${item.outcome}`, item.outcome || '');
  const good = OK_OUTCOMES.has(item.outcome);
  const when = new Date(item.at);
  return h('li', { class: 'log-item' },
    h('div', { class: 'log-top' },
      h('span', { class: 'log-actor', text: actorName(item) }),
      role ? h('span', { class: 'role-badge', text: role }) : null),
    h('p', { class: 'log-what', text: t('access.what', { action, object }) }),
    h('div', { class: 'log-bottom' },
      h('time', { datetime: when.toISOString(), text: formatDateTime(item.at) }),
      outcome ? h('span', { class: `pill ${good ? 'pill-ok' : 'pill-warn'}`, text: outcome }) : null));
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
