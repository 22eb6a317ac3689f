// Doctor · department slots (号源): a hospital department's appointment slot
// calendar for the next two weeks, the share reserved for referred patients,
// and publishing new slots. GET/POST /api/v1/departments/{id}/slots,
// PUT /api/v1/departments/{id}/slot-policy, GET /api/v1/referrals/desk.

import { t, formatDateTime } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, emptyState, loadingState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { local, field, attempt, loader } from './referral-ui.js';

const DAY = 86400e3;

function calendar(data) {
  if (!data.slots.length) return null;
  const days = new Map();
  for (const s of data.slots) {
    const d = new Date(s.starts_at).toDateString();
    if (!days.has(d)) days.set(d, []);
    days.get(d).push(s);
  }
  return h('div', {},
    h('p', { class: 'log-count', text: t('slots.share', { percent: data.reserved_bp / 100 }) }),
    [...days.values()].map((list) => h('div', { class: 'slot-day' },
      h('h3', { class: 'subsection-title', text: formatDateTime(list[0].starts_at).slice(0, 10) }),
      h('ul', { class: 'chips' }, list.map((s) => h('li', {
        class: `chip ${s.taken ? 'pill-muted' : s.reserved ? 'pill-info' : ''}`, 'data-slot': s.id,
        'data-reserved': s.reserved ? '1' : '0', 'data-taken': s.taken ? '1' : '0',
        text: `${formatDateTime(s.starts_at).slice(-5)} ${s.reserved ? t('slots.reserved') : ''}${s.taken ? ` · ${t('slots.taken')}` : ''}`,
      }))))));
}

function publishForm(dept, onDone) {
  const status = h('div', { 'aria-live': 'polite' });
  const start = h('input', { type: 'datetime-local', name: 'starts_at', required: true });
  const minutes = h('input', { type: 'number', name: 'minutes', min: 5, max: 240, value: 15 });
  const count = h('input', { type: 'number', name: 'count', min: 1, max: 200, value: 20 });
  const share = h('input', { type: 'number', name: 'reserved_percent', min: 0, max: 100, value: 20 });
  const form = h('form', { class: 'form', 'data-form': 'publish-slots' },
    field(t('slots.start'), start), field(t('slots.minutes'), minutes), field(t('slots.count'), count),
    field(t('slots.reserved_percent'), share, t('slots.reserved_hint')), status,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('slots.publish'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { starts_at: new Date(start.value).getTime(), minutes: Number(minutes.value),
      count: Number(count.value), reserved_percent: Number(share.value) };
    if (await attempt(status, () => api('POST', `/api/v1/departments/${dept}/slots`, { body }))) onDone();
  });
  return form;
}

export async function render(main, ctx) {
  const head = [backLink(ctx.segment), pageHeader(t('nav.doctor.department'), t('screen.doctor.department.desc'))];
  const box = h('section', { class: 'card card-pad', 'aria-live': 'polite' }, loadingState());
  main.replaceChildren(...head, box);
  let desk;
  try {
    desk = await api('GET', '/api/v1/referrals/desk');
  } catch (err) {
    if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => render(main, ctx)));
    return;
  }
  if (!ctx.alive()) return;
  if (!desk.department || desk.facility.level === 'community') {
    box.replaceChildren(emptyState({ icon: 'referral', title: t('slots.not_hospital') }));
    return;
  }
  const dept = desk.department.id;
  const cal = h('section', { class: 'card card-pad', 'data-section': 'calendar', 'aria-live': 'polite' });
  main.replaceChildren(...head,
    h('p', { class: 'notice', text: `${local(desk.facility, 'name')} · ${local(desk.department, 'name')}` }),
    h('h2', { class: 'section-title', text: t('slots.calendar') }), cal,
    h('h2', { class: 'section-title', text: t('slots.publish') }), h('section', { class: 'card card-pad' },
      publishForm(dept, () => reload())));
  const reload = loader(cal, ctx, () => api('GET', `/api/v1/departments/${dept}/slots?to=${Date.now() + 14 * DAY}`),
    calendar, { icon: 'referral', title: t('slots.empty') });
}
