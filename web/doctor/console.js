// The doctor's console (问诊台): confirm identity (password again — the
// real-name check at the start of each console session, DESIGN §3.2), set
// presence (online / busy / away), watch the waiting queue pushed live, call
// the next patient or a given one, and run each called consultation: its video
// call (web/call.js), chat, end, or no-show. #/doctor/console?join=<id> also
// enters that consultation's room (a remote consultation the doctor takes part
// in). Everything goes over /ws; reconnects resume the session
// (session.resume) so the check and the rooms survive a network blip.

import { t, formatDateTime } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader } from '../ui.js';
import { backLink } from '../home.js';
import { getSocket } from '../ws.js';
import { startCall } from '../call.js';
import { recordingDuration } from '../recording-player.js';
import { ensureStyles, localName, stateText } from '../patient/waiting.js';

const LIVE = new Set(['called', 'in_call']);

export function render(main, ctx) {
  ensureStyles();
  const ws = getSocket();
  const offs = [];
  const st = { verified: false, presence: 'away', queue: [], rooms: new Map(), resume: null, lastSeq: 0 };
  const alive = () => {
    if (ctx.alive()) return true;
    offs.splice(0).forEach((off) => off());
    for (const r of st.rooms.values()) r.call?.stop();
    return false;
  };
  const ask = (type, data = {}) => ws.request(type, data);
  const joinId = new URLSearchParams(location.hash.split('?')[1] || '').get('join');

  const conn = h('p', { class: 'conn-status', role: 'status' });
  const problem = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const verifyBox = h('section', { class: 'card card-pad' });
  const presenceBox = h('section', { class: 'card card-pad' });
  const queueBox = h('section', { class: 'card card-pad', 'aria-live': 'polite', 'data-testid': 'queue' });
  const roomsBox = h('div', { class: 'rooms' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.doctor.console'), t('console.intro')), conn, problem,
    verifyBox, presenceBox, h('div', { class: 'console-grid' }, queueBox, roomsBox));

  const fail = (err) => {
    if (!alive() || String(err.code).startsWith('ws.')) return;
    problem.textContent = errorText(err);
    problem.hidden = false;
  };
  const clearProblem = () => { problem.hidden = true; };

  function drawVerify() {
    if (st.verified) {
      verifyBox.replaceChildren(h('p', { class: 'rules-ok', text: t('console.verified') }));
      return;
    }
    if (verifyBox.querySelector('form')) return; /* keep what is being typed */
    const pw = h('input', { type: 'password', id: 'console-password', autocomplete: 'current-password', required: true });
    verifyBox.replaceChildren(h('form', { class: 'form', onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await ask('doctor.verify', { password: pw.value });
        st.verified = true;
        clearProblem();
        drawVerify();
        drawQueue();
        await rejoin();
      } catch (err) { fail(err); }
      pw.value = '';
    } },
    h('h2', { class: 'section-title', text: t('console.verify_title') }),
    h('p', { class: 'field-hint', text: t('console.verify_hint') }),
    h('div', { class: 'field' }, h('label', { for: pw.id, text: t('console.password') }), pw),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('console.verify'))));
  }

  function drawPresence() {
    presenceBox.replaceChildren(h('h2', { class: 'section-title', text: t('console.presence') }),
      h('div', { class: 'segmented', role: 'group', 'aria-label': t('console.presence') },
        ['online', 'busy', 'away'].map((s) => h('button', {
          type: 'button', 'aria-pressed': String(st.presence === s), 'data-presence': s,
          onclick: async () => {
            try { st.presence = (await ask('presence.set', { state: s })).state; drawPresence(); } catch (err) { fail(err); }
          },
        }, t(`followup.presence.${s}`)))));
  }

  // A room of the console: its consultation, chat and, while it is live, the call.
  function keep(c, chat, participants = []) {
    const r = st.rooms.get(c.id) || { names: new Map() };
    r.call?.stop();
    Object.assign(r, { c, chat, call: null });
    for (const p of participants) r.names.set(p.account_id, localName(p));
    st.rooms.set(c.id, r);
    if (LIVE.has(c.state)) {
      r.call = startCall(ws, { cid: c.id, me: ctx.account.id, names: r.names, onHangUp: () => hangUp(r) });
    }
  }

  // The consultation's doctor ends it; another doctor in it (a remote consultation) leaves.
  async function hangUp(r) {
    const owner = r.c.doctor && r.c.doctor.id === ctx.account.id;
    try {
      if (owner) r.c = (await ask('call.end', { consultation_id: r.c.id })).consultation;
      else await ask('room.leave', { consultation_id: r.c.id });
      if (!owner) st.rooms.delete(r.c.id);
      drawRooms();
    } catch (err) { fail(err); }
  }

  async function call(type, data) {
    try {
      const r = await ask(type, data);
      keep(r.consultation, [], r.participants);
      clearProblem();
      drawRooms();
    } catch (err) { fail(err); }
  }

  function drawQueue() {
    const items = st.queue.map((it) => h('li', { class: 'list-item', 'data-consultation': it.consultation_id },
      h('div', { class: 'list-main' },
        h('span', { class: 'list-title', text: `${it.position}. ${localName(it.patient)}` }),
        h('span', { class: 'list-sub', text: t('console.queue_item', {
          icd: it.icd10, since: formatDateTime(it.checked_in_at || it.booked_at) }) })),
      h('div', { class: 'list-actions' }, h('button', {
        type: 'button', class: 'btn btn-secondary', disabled: !st.verified,
        onclick: () => call('call.patient', { consultation_id: it.consultation_id }),
      }, t('console.call')))));
    queueBox.replaceChildren(
      h('div', { class: 'detail-head' },
        h('h2', { class: 'section-title', text: t('console.queue', { n: st.queue.length }) }),
        h('button', { type: 'button', class: 'btn btn-primary', disabled: !st.verified || !st.queue.length,
          onclick: () => call('call.next', {}) }, t('console.call_next'))),
      items.length ? h('ul', { class: 'list' }, items) : h('p', { class: 'search-empty', text: t('console.queue_empty') }));
  }

  function roomCard(cid, r) {
    const c = r.c;
    const input = h('textarea', { rows: 2, maxlength: 2000, 'aria-label': t('followup.chat_placeholder'),
      placeholder: t('followup.chat_placeholder') });
    const log = h('ul', { class: 'chat-log', 'aria-live': 'polite' }, r.chat.map((m) => h('li', {
      class: `chat-msg${m.sender.id === ctx.account.id ? ' chat-mine' : ''}`,
    }, h('span', { class: 'chat-who', text: `${localName(m.sender)} · ${formatDateTime(m.at)}` }), m.text)));
    const send = async (ev) => {
      ev.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      try {
        const res = await ask('chat.send', { consultation_id: cid, text });
        r.chat.push(res.message);
        drawRooms();
      } catch (err) { fail(err); }
    };
    const act = (type) => async () => {
      try { r.c = (await ask(type, { consultation_id: cid })).consultation; drawRooms(); } catch (err) { fail(err); }
    };
    const live = LIVE.has(c.state);
    setTimeout(() => { log.scrollTop = log.scrollHeight; }, 0);
    return h('section', { class: 'card card-pad', 'data-room': cid },
      h('div', { class: 'detail-head' },
        h('h2', { class: 'section-title', text: localName(c.patient) }),
        h('span', { class: 'pill pill-info', text: stateText(c.state) })),
      live && r.call ? r.call.el : null,
      h('p', { class: 'list-sub', text: t('console.room_sub', { icd: c.icd10, note: r.note || '' }) }),
      r.saved ? h('p', { class: 'notice', role: 'status', 'data-testid': 'recording-saved',
        text: t('recording.saved', { duration: recordingDuration(r.saved.duration_ms) }) }) : null,
      h('div', { class: 'chat' }, log, live ? h('form', { class: 'chat-form', onsubmit: send }, input,
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('followup.send'))) : null),
      h('div', { class: 'form-actions' },
        c.state === 'in_call' ? h('button', { type: 'button', class: 'btn btn-primary', onclick: act('call.end') },
          t('console.end')) : null,
        c.state === 'called' ? h('button', { type: 'button', class: 'btn btn-secondary', onclick: act('call.no_show') },
          t('console.no_show')) : null,
        // over: the next steps are the note and the prescription
        ['ended', 'notes_signed'].includes(c.state) ? h('a', { class: 'btn btn-primary', 'data-action': 'write-note',
          href: `#/doctor/records?consultation=${cid}` }, t('note.write')) : null,
        ['ended', 'notes_signed'].includes(c.state) ? h('a', { class: 'btn btn-secondary', 'data-action': 'prescribe',
          href: `#/doctor/prescriptions?consultation=${cid}` }, t('rx.new')) : null,
        !live ? h('button', { type: 'button', class: 'btn btn-secondary',
          onclick: () => { st.rooms.delete(cid); drawRooms(); } }, t('console.close_room')) : null));
  }

  function drawRooms() {
    roomsBox.replaceChildren(...(st.rooms.size ? [...st.rooms].map(([cid, r]) => roomCard(cid, r))
      : [h('section', { class: 'card card-pad' }, h('p', { class: 'search-empty', text: t('console.no_rooms') }))]));
  }

  // Consultations already called or in a call (after a reload), and the one
  // named by ?join=: join their rooms again.
  async function rejoin() {
    const lists = await Promise.all([...LIVE].map((s) => api('GET', `/api/v1/consultations?state=${s}&limit=20`)));
    const ids = new Set(lists.flatMap((l) => l.items || []).map((c) => c.id));
    if (joinId) ids.add(joinId);
    for (const id of ids) {
      try {
        const r = await ask('room.join', { consultation_id: id });
        keep(r.consultation, r.chat, r.participants);
      } catch (err) { fail(err); }
    }
    drawRooms();
  }

  async function sync() {
    try {
      let resumed = false;
      if (st.resume) {
        try { await ask('session.resume', { resume: st.resume, last_seq: st.lastSeq }); resumed = true; } catch { st.resume = null; }
      }
      const info = await ask('session.get');
      st.resume = info.resume_token;
      st.verified = !!info.verified;
      st.presence = info.presence || 'away';
      st.queue = (await ask('queue.get')).items;
      drawVerify();
      drawPresence();
      drawQueue();
      if (!resumed && st.verified) await rejoin();
    } catch (err) { fail(err); }
  }

  const on = (type, fn) => offs.push(ws.on(type, (d, m) => {
    if (!alive()) return;
    if (m && typeof m.seq === 'number') st.lastSeq = Math.max(st.lastSeq, m.seq);
    fn(d);
  }));
  on('queue.updated', (d) => { st.queue = d.items; drawQueue(); });
  on('presence.changed', (d) => { if (d.doctor_id === ctx.account.id) { st.presence = d.state; drawPresence(); } });
  on('consultation.state', (d) => {
    const r = st.rooms.get(d.consultation_id);
    if (!r) return;
    r.c = d.consultation;
    if (!LIVE.has(d.state)) { r.call?.stop(); r.call = null; }
    drawRooms();
  });
  on('recording.state', (d) => { // the final state, told before the room closes
    const r = st.rooms.get(d.consultation_id);
    if (r && !d.recording && d.saved) { r.saved = d; drawRooms(); }
  });
  on('chat.message', (d) => {
    const r = st.rooms.get(d.consultation_id);
    if (r) { r.chat.push(d.message); drawRooms(); }
  });
  const note = (d, key) => {
    const r = st.rooms.get(d.consultation_id);
    if (r && d.account_id !== ctx.account.id) { r.note = t(key); drawRooms(); }
  };
  on('room.joined', (d) => {
    note({ ...d, account_id: d.participant.account_id }, 'console.patient_in');
    const r = st.rooms.get(d.consultation_id);
    r?.names.set(d.participant.account_id, localName(d.participant));
    r?.call?.setName(d.participant.account_id, localName(d.participant));
  });
  on('room.left', (d) => note(d, 'console.patient_left'));
  on('room.connection', (d) => note(d, d.connected ? 'console.patient_in' : 'console.patient_reconnecting'));
  offs.push(ws.onState((s) => {
    if (!alive()) return;
    conn.textContent = t(`followup.conn.${s}`);
    conn.classList.toggle('conn-down', s !== 'open');
    if (s === 'open') sync();
  }));
  conn.textContent = t(`followup.conn.${ws.state === 'open' ? 'open' : 'connecting'}`);
  drawVerify();
  drawPresence();
  drawQueue();
  drawRooms();
  if (ws.state === 'open') sync();
}
