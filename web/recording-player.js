// The recordings of a consultation in its record (Opus issue): one <audio>
// per file, for the consultation's doctor, its patient and supervisors (the
// server refuses anyone else). An <audio src> cannot send the bearer token,
// so Play first asks for a play ticket (POST …/recording/ticket, a URL valid
// for an hour, this account and this recording only); the element then
// streams the file itself with HTTP range requests (206), seeking included,
// and every download is audited on the server under this account.
//
// recordingPlayer(cid) → an element (empty when there is nothing to play).
// recordingDuration(ms) → "m:ss".

import { t } from './i18n.js';
import { api, errorText } from './api.js';
import { h } from './ui.js';

export function recordingDuration(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function load(cid, rec, audio, status) {
  status.textContent = t('recording.loading');
  const { url } = await api('POST', `/api/v1/consultations/${cid}/recording/ticket`, { body: { id: rec.id } });
  await new Promise((resolve, reject) => {
    audio.addEventListener('canplay', resolve, { once: true });
    audio.addEventListener('error', () => reject(new Error(String(audio.error?.code || 'media'))), { once: true });
    audio.src = url;
    audio.load();
  });
  status.textContent = '';
}

export function recordingPlayer(cid) {
  const box = h('section', { class: 'card card-pad recording-player', hidden: true, 'data-testid': 'recording-player' });
  api('GET', `/api/v1/consultations/${cid}/recordings`).then(({ items }) => {
    if (!items || !items.length) return;
    const rows = items.map((rec) => {
      const audio = h('audio', { controls: true, preload: 'none', 'data-recording': rec.id });
      const status = h('span', { class: 'field-hint', role: 'status' });
      const play = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => {
        play.disabled = true;
        load(cid, rec, audio, status).then(() => audio.play().catch(() => {})).catch((e) => {
          play.disabled = false;
          status.textContent = t('recording.load_failed', { reason: errorText(e) });
        });
      } }, t('recording.play'));
      const label = t('recording.item', { duration: recordingDuration(rec.duration_ms) })
        + (rec.error ? ` — ${t('recording.cut_short')}` : '');
      return h('li', { class: 'list-item' }, h('p', { text: label }), play, audio, status);
    });
    box.replaceChildren(h('h2', { class: 'section-title', text: t('recording.title') }), h('ul', { class: 'list' }, ...rows));
    box.hidden = false;
  }).catch(() => {});
  return box;
}
