// The recordings of a consultation in its record (Opus issue): one <audio>
// per file, for the consultation's doctor, its patient and supervisors (the
// server refuses anyone else). The file needs the bearer token, which an
// <audio src> cannot send, so it is fetched once with it (GET …/recording,
// audited on the server) and played from a blob URL.
//
// recordingPlayer(cid) → an element (empty when there is nothing to play).

import { t } from './i18n.js';
import { api, errorText } from './api.js';
import { getToken } from './session.js';
import { h } from './ui.js';

function minutes(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function load(cid, rec, audio, status) {
  status.textContent = t('recording.loading');
  const res = await fetch(`/api/v1/consultations/${cid}/recording?id=${encodeURIComponent(rec.id)}`,
    { headers: { Authorization: `Bearer ${getToken()}` } });
  if (!res.ok) throw new Error(`${res.status}`);
  audio.src = URL.createObjectURL(await res.blob());
  status.textContent = '';
}

export function recordingPlayer(cid) {
  const box = h('section', { class: 'card card-pad recording-player', hidden: true, 'data-testid': 'recording-player' });
  api('GET', `/api/v1/consultations/${cid}/recordings`).then(({ items }) => {
    if (!items || !items.length) return;
    const rows = items.map((rec) => {
      const audio = h('audio', { controls: true, preload: 'none' });
      const status = h('span', { class: 'field-hint', role: 'status' });
      const play = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => {
        play.disabled = true;
        load(cid, rec, audio, status).then(() => audio.play()).catch((e) => {
          play.disabled = false;
          status.textContent = t('recording.load_failed', { reason: errorText(e) });
        });
      } }, t('recording.play'));
      const label = t('recording.item', { duration: minutes(rec.duration_ms) })
        + (rec.error ? ` — ${t('recording.cut_short')}` : '');
      return h('li', { class: 'list-item' }, h('p', { text: label }), play, audio, status);
    });
    box.replaceChildren(h('h2', { class: 'section-title', text: t('recording.title') }), h('ul', { class: 'list' }, ...rows));
    box.hidden = false;
  }).catch(() => {});
  return box;
}
