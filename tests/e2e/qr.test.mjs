// web/qr.js, the app's own QR encoder (byte mode, level M, versions 1–10):
// what it draws decodes with jsQR, an independent decoder, for every length
// that fits (every version) and every mask, and for the prescription code.
// Needs no server and no browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { encodeQr, qrSvg } from '../../web/qr.js';

// Decodes modules rendered as a grayscale image (scale px per module, quiet zone 4).
function decode(q, scale = 3) {
  const n = (q.size + 8) * scale;
  const px = new Uint8ClampedArray(n * n * 4).fill(255);
  for (let y = 0; y < q.size; y++) {
    for (let x = 0; x < q.size; x++) {
      if (!q.modules[y][x]) continue;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = (((y + 4) * scale + dy) * n + (x + 4) * scale + dx) * 4;
          px[o] = px[o + 1] = px[o + 2] = 0;
        }
      }
    }
  }
  const r = jsQR(px, n, n, { inversionAttempts: 'dontInvert' });
  return r ? r.data : null;
}

const text = (len) => Array.from({ length: len }, (_, i) => String.fromCharCode(33 + ((i * 7 + len) % 90))).join('');

test('every length from 1 to 213 bytes decodes (versions 1–10)', () => {
  const versions = new Set();
  for (let len = 1; len <= 213; len++) {
    const q = encodeQr(text(len));
    versions.add(q.version);
    assert.equal(q.size, q.version * 4 + 17);
    assert.equal(decode(q), text(len), `length ${len}, version ${q.version}, mask ${q.mask}`);
  }
  assert.deepEqual([...versions].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('every mask decodes in every version', () => {
  const lengths = [10, 20, 40, 60, 90, 110, 140, 170, 200, 213]; // one per version
  for (const len of lengths) {
    for (let mask = 0; mask < 8; mask++) {
      const q = encodeQr(text(len), { mask });
      assert.equal(q.mask, mask);
      assert.equal(decode(q), text(len), `length ${len}, version ${q.version}, mask ${mask}`);
    }
  }
});

test('the prescription code and UTF-8 text; too long is refused', () => {
  const code = 'LYRX1:rx_NNA8ut6a07y2W2T2EC7KEA:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';
  const q = encodeQr(code);
  assert.equal(q.version, 5);
  assert.equal(decode(q), code);
  assert.equal(decode(encodeQr('处方 ✓')), '处方 ✓');
  assert.throws(() => encodeQr(text(214)), RangeError);
  assert.match(qrSvg(code, { label: 'a "b"' }), /^<svg [^>]*aria-label="a &#34;b&#34;"/);
});
