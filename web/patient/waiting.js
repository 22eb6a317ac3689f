// The waiting room of one online follow-up (patient): check in, see your
// place in the doctor's queue, the estimated wait and whether the doctor is
// online — all pushed live over /ws; when the doctor calls, enter the room and
// chat and see each other (web/call.js); when it is over, rate it. Opened from
// book.js (the follow-up screen).
//
// Reconnects are handled: after each (re)connection the earlier session is
// taken back with session.resume (same place in the queue, same room, missed
// events replayed); if it is gone, the patient checks in / joins again.

import { t, tOr, formatDateTime, getLang } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader } from '../ui.js';
import { getSocket } from '../ws.js';
import { startCall } from '../call.js';
import { recordingDuration, recordingPlayer } from '../recording-player.js';

const OPEN = new Set(['booked', 'waiting', 'called', 'in_call']);

export function ensureStyles() {
  if (document.getElementById('consult-css')) return;
  document.head.append(h('link', {
    id: 'consult-css', rel: 'stylesheet', href: new URL('../consult.css', import.meta.url).href,
  }));
}

export function localName(o) {
  if (!o) return '';
  return (getLang() === 'en' && o.name_en) || o.name || '';
}

export function presencePill(state) {
  const s = ['online', 'busy'].includes(state) ? state : 'away';
  return h('span', { class: `presence presence-${s}`, 'data-presence': s, text: t(`followup.presence.${s}`) });
}

export function stateText(state) {
  return tOr(`followup.state.${state}`, state);
}

function minutes(ms) { return Math.max(1, Math.round(ms / 60000)); }

// Renders the room into main. consultation: the consultation object (REST).
export function render(main, ctx, consultation, { onBack } = {}) {
  ensureStyles();
  const ws = getSocket();
  const offs = [];
  const st = { c: consultation, place: null, presence: 'away', joined: false, chat: [], resume: null, lastSeq: 0,
    call: null, names: new Map() };
  const endCall = () => { st.call?.stop(); st.call = null; };
  const alive = () => {
    if (ctx.alive()) return true;
    offs.splice(0).forEach((off) => off());
    endCall();
    return false;
  };

  const conn = h('p', { class: 'conn-status', role: 'status' });
  const status = h('section', { class: 'card card-pad', 'aria-live': 'polite', 'data-testid': 'waiting-status' });
  const room = h('section', { class: 'card card-pad', hidden: true });
  const after = h('section', { class: 'card card-pad', hidden: true });
  const problem = h('p', { class: 'form-error', role: 'alert', hidden: true });
  // the recording's final state, told before the room closes (recording.state, saved)
  const recSaved = h('p', { class: 'notice', role: 'status', hidden: true, 'data-testid': 'recording-saved' });
  const playerSlot = h('div'); /* the recording player, once the consultation has ended */
  const back = h('button', { type: 'button', class: 'back-link btn-ghost btn', onclick: () => onBack && onBack() },
    t('followup.back_to_list'));
  main.replaceChildren(back,
    pageHeader(t('followup.room_title'), t('followup.room_intro', { doctor: localName(st.c.doctor) })),
    conn, problem, status, room, recSaved, after);

  const fail = (err) => {
    if (!alive()) return;
    problem.textContent = errorText(err);
    problem.hidden = false;
  };
  const ask = (type, data) => ws.request(type, data);
  const on = (type, fn) => offs.push(ws.on(type, (d, m) => {
    if (!alive()) return;
    if (m && typeof m.seq === 'number') st.lastSeq = Math.max(st.lastSeq, m.seq);
    if (d && d.consultation_id && d.consultation_id !== st.c.id && type !== 'presence.changed') return;
    fn(d);
  }));

  function drawStatus() {
    const c = st.c;
    const facts = [];
    facts.push(h('div', { class: 'detail-head' },
      h('strong', { text: localName(c.doctor) }), presencePill(st.presence)));
    facts.push(h('p', { class: 'list-sub', text: t('followup.condition', { icd: c.icd10, state: stateText(c.state) }) }));
    if (OPEN.has(c.state)) facts.push(consentBox());
    if (c.state === 'waiting' && st.place && st.place.position > 0) {
      facts.push(h('div', { class: 'queue-place' },
        h('span', { class: 'queue-unit', text: t('followup.position_before') }),
        h('span', { class: 'queue-number', 'data-testid': 'queue-position', text: String(st.place.position) }),
        h('span', { class: 'queue-unit', text: t('followup.position_after') })));
      facts.push(h('p', {
        text: st.place.ahead > 0
          ? t('followup.wait_minutes', { ahead: st.place.ahead, minutes: minutes(st.place.estimated_wait_ms) })
          : t('followup.wait_next'),
      }));
      if (st.presence === 'away') facts.push(h('p', { class: 'notice notice-warn', text: t('followup.doctor_away') }));
    }
    if (c.state === 'called' || (c.state === 'in_call' && !st.joined)) {
      facts.push(h('div', { class: 'calling', role: 'alert' },
        h('h2', { class: 'calling-title', text: t('followup.calling') }),
        h('button', { type: 'button', class: 'btn btn-primary btn-block', onclick: join }, t('followup.join'))));
    }
    if (['booked', 'waiting', 'called'].includes(c.state)) {
      facts.push(h('details', { class: 'danger-zone' },
        h('summary', { text: t('followup.cancel') }),
        h('p', { class: 'field-hint', text: t('followup.cancel_hint') }),
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: cancel }, t('followup.cancel_confirm'))));
    }
    status.replaceChildren(...facts);
    room.hidden = !(st.joined && ['called', 'in_call'].includes(c.state));
    if (!OPEN.has(c.state)) drawAfter();
  }

  // The recording consent (Opus issue): asked before the call, changeable during it.
  function consentBox() {
    const pick = (consent) => ask('recording.consent', { consultation_id: st.c.id, consent })
      .then((r) => { st.consent = r.consent; if (alive()) drawStatus(); }).catch(fail);
    const btn = (val, key) => h('button', { type: 'button', class: `btn ${st.consent === val ? 'btn-primary' : 'btn-secondary'}`,
      'aria-pressed': String(st.consent === val), 'data-consent': String(val), onclick: () => pick(val) }, t(key));
    const said = st.consent == null ? 'recording.consent_ask' : st.consent ? 'recording.consent_yes' : 'recording.consent_no';
    return h('div', { class: 'recording-consent', role: 'group', 'aria-label': t('recording.title'), 'data-testid': 'recording-consent' },
      h('p', { class: 'field-hint', text: t(said) }), btn(true, 'recording.allow'), btn(false, 'recording.decline'));
  }

  function drawChat() {
    const log = room.querySelector('.chat-log');
    if (!log) return;
    log.replaceChildren(...st.chat.map((m) => h('li', {
      class: `chat-msg${m.sender.id === ctx.account.id ? ' chat-mine' : ''}`,
    }, h('span', { class: 'chat-who', text: `${localName(m.sender)} · ${formatDateTime(m.at)}` }), m.text)));
    log.scrollTop = log.scrollHeight;
  }

  function buildRoom() {
    const input = h('textarea', { rows: 2, maxlength: 2000, 'aria-label': t('followup.chat_placeholder'),
      placeholder: t('followup.chat_placeholder') });
    const form = h('form', { class: 'chat-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      try {
        const r = await ask('chat.send', { consultation_id: st.c.id, text });
        input.value = '';
        st.chat.push(r.message);
        drawChat();
      } catch (err) { fail(err); }
    } }, input, h('button', { type: 'submit', class: 'btn btn-primary' }, t('followup.send')));
    endCall();
    st.call = startCall(ws, { cid: st.c.id, me: ctx.account.id, names: st.names, onHangUp: hangUp });
    room.replaceChildren(st.call.el, h('h2', { class: 'section-title', text: t('followup.chat_title') }),
      h('div', { class: 'chat' }, h('ul', { class: 'chat-log', 'aria-live': 'polite' }), form));
    drawChat();
  }

  async function hangUp() {
    endCall();
    st.joined = false;
    drawStatus();
    try { await ask('room.leave', { consultation_id: st.c.id }); } catch (err) { fail(err); }
  }

  function drawAfter() {
    if (!after.hidden) return; /* drawn once: keep the rating being given */
    after.hidden = false;
    const c = st.c;
    if (!['ended', 'notes_signed'].includes(c.state)) {
      after.replaceChildren(h('p', { text: t('followup.over', { state: stateText(c.state) }) }));
      return;
    }
    playerSlot.replaceChildren(recordingPlayer(c.id));
    let score = 0;
    const stars = h('div', { class: 'stars', role: 'group', 'aria-label': t('followup.rate_title') });
    const comment = h('textarea', { rows: 2, maxlength: 500, 'aria-label': t('followup.rate_comment') });
    const done = h('p', { class: 'form-status', role: 'status' });
    const draw = () => stars.replaceChildren(...[1, 2, 3, 4, 5].map((n) => h('button', {
      type: 'button', class: 'star', 'aria-pressed': String(n <= score), 'aria-label': t('followup.stars', { n }),
      onclick: () => { score = n; draw(); },
    }, '★')));
    draw();
    const submit = async () => {
      if (!score) return;
      try {
        const body = { score };
        if (comment.value.trim()) body.comment = comment.value.trim();
        await api('PUT', `/api/v1/consultations/${c.id}/rating`, { body });
        done.textContent = t('followup.rate_done');
      } catch (err) { fail(err); }
    };
    after.replaceChildren(h('h2', { class: 'section-title', text: t('followup.ended') }),
      h('p', { text: t('followup.rate_title') }), stars,
      h('label', { class: 'field' }, h('span', { text: t('followup.rate_comment') }), comment),
      h('button', { type: 'button', class: 'btn btn-primary', onclick: submit }, t('followup.rate_submit')), done,
      // what happens next, and where it will show
      h('p', { class: 'notice', 'data-testid': 'after-call', text: t('followup.after_call') }),
      // the consultation's recording, if one was made (the patient may listen to it)
      playerSlot,
      h('div', { class: 'form-actions' },
        h('a', { class: 'btn btn-secondary', href: '#/patient/home', 'data-action': 'after-home' }, t('nav.home')),
        h('a', { class: 'btn btn-secondary', href: '#/patient/health', 'data-action': 'after-record' }, t('nav.patient.health'))));
  }

  async function join() {
    try {
      const r = await ask('room.join', { consultation_id: st.c.id });
      st.c = r.consultation;
      st.chat = r.chat;
      st.joined = true;
      for (const p of r.participants || []) st.names.set(p.account_id, localName(p));
      buildRoom();
      drawStatus();
    } catch (err) { fail(err); }
  }

  async function cancel() {
    try {
      const r = await api('POST', `/api/v1/consultations/${st.c.id}/cancel`, { body: {} });
      st.c = r.consultation;
      drawStatus();
    } catch (err) { fail(err); }
  }

  // After every (re)connection: take the earlier session back, or check in / join again.
  async function sync() {
    if (!OPEN.has(st.c.state)) return;
    try {
      let resumed = false;
      if (st.resume) {
        try {
          await ask('session.resume', { resume: st.resume, last_seq: st.lastSeq });
          resumed = true;
        } catch { st.resume = null; }
      }
      const info = await ask('session.get', {});
      st.resume = info.resume_token;
      st.consent = (await ask('recording.get', { consultation_id: st.c.id }).catch(() => ({}))).consent;
      const p = await ask('presence.get', { doctor_id: st.c.doctor.id });
      st.presence = p.state;
      if (['booked', 'waiting'].includes(st.c.state)) {
        st.place = await ask('queue.check_in', { consultation_id: st.c.id });
        st.c = { ...st.c, state: 'waiting' };
      }
      if (st.joined && !resumed && ['called', 'in_call'].includes(st.c.state)) await join();
      if (alive()) drawStatus();
    } catch (err) {
      if (!String(err.code).startsWith('ws.')) fail(err);
    }
  }

  on('queue.position', (d) => { st.place = d; st.presence = d.doctor_presence; drawStatus(); });
  on('presence.changed', (d) => { if (d.doctor_id === st.c.doctor.id) { st.presence = d.state; drawStatus(); } });
  on('consultation.state', (d) => {
    st.c = d.consultation;
    if (!['called', 'in_call'].includes(d.state)) { st.joined = false; endCall(); }
    drawStatus();
  });
  on('room.joined', (d) => {
    st.names.set(d.participant.account_id, localName(d.participant));
    st.call?.setName(d.participant.account_id, localName(d.participant));
  });
  on('chat.message', (d) => { st.chat.push(d.message); drawChat(); });
  on('recording.state', (d) => {
    if (d.recording || !d.saved) return;
    recSaved.textContent = t('recording.saved', { duration: recordingDuration(d.duration_ms) });
    recSaved.hidden = false;
    // the file may be listed only now, after the consultation was shown as ended
    if (!after.hidden && st.c) playerSlot.replaceChildren(recordingPlayer(st.c.id));
  });
  const connText = (s) => {
    conn.textContent = t(`followup.conn.${s}`);
    conn.classList.toggle('conn-down', s !== 'open');
  };
  offs.push(ws.onState((s) => {
    if (!alive()) return;
    connText(s);
    if (s === 'open') sync();
  }));
  connText(ws.state === 'open' ? 'open' : 'connecting');
  st.joined = st.c.state === 'in_call'; /* back on the page during a call: rejoin */
  drawStatus();
  if (ws.state === 'open' && OPEN.has(st.c.state)) sync();
}
