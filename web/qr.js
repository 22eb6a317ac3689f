// A small QR Code encoder (ISO/IEC 18004): byte mode, error correction
// level M, versions 1–10 (up to 213 bytes), the mask with the lowest
// penalty. Enough for the prescription code "LYRX1:<id>:<access code>"
// (75 bytes, version 5). No DOM needed for encodeQr(); qrSvg() draws it.
//
// encodeQr(text[, {mask}]) → { version, mask, size, modules } where modules[y][x] is
// true for a dark module. Throws RangeError when the text does not fit.

// Level M per version 1–10: error-correction codewords per block, blocks.
const ECC_PER_BLOCK = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26];
const NUM_BLOCKS = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5];
const FORMAT_BITS_M = 0; // level M is 00 in the format information
const PENALTY = { run: 3, box: 3, finder: 40, balance: 10 };

// Modules for data and EC of version v (everything but function patterns).
function rawDataModules(v) {
  let n = (16 * v + 128) * v + 64;
  if (v >= 2) {
    const align = Math.floor(v / 7) + 2;
    n -= (25 * align - 10) * align - 55;
    if (v >= 7) n -= 36;
  }
  return n;
}

function dataCodewords(v) {
  return Math.floor(rawDataModules(v) / 8) - ECC_PER_BLOCK[v] * NUM_BLOCKS[v];
}

// Centres of the alignment patterns along each axis (ISO/IEC 18004 Annex E).
function alignmentPositions(v) {
  if (v === 1) return [];
  const count = Math.floor(v / 7) + 2;
  const step = Math.ceil((v * 4 + 4) / (count * 2 - 2)) * 2;
  const out = [6];
  for (let pos = v * 4 + 10; out.length < count; pos -= step) out.splice(1, 0, pos);
  return out;
}

// ---- Reed–Solomon over GF(2^8), polynomial 0x11D ----
function gfMul(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z & 0xff;
}

function rsDivisor(degree) {
  const r = new Array(degree).fill(0);
  r[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < r.length; j++) {
      r[j] = gfMul(r[j], root);
      if (j + 1 < r.length) r[j] ^= r[j + 1];
    }
    root = gfMul(root, 0x02);
  }
  return r;
}

function rsRemainder(data, divisor) {
  const r = new Array(divisor.length).fill(0);
  for (const b of data) {
    const factor = b ^ r.shift();
    r.push(0);
    divisor.forEach((d, i) => { r[i] ^= gfMul(d, factor); });
  }
  return r;
}

// ---- data codewords ----
function bitsFor(bytes, v) {
  const bits = [];
  const put = (val, n) => { for (let i = n - 1; i >= 0; i--) bits.push((val >>> i) & 1); };
  put(0b0100, 4);
  put(bytes.length, v <= 9 ? 8 : 16);
  bytes.forEach((b) => put(b, 8));
  const cap = dataCodewords(v) * 8;
  put(0, Math.min(4, cap - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < cap; pad ^= 0xec ^ 0x11) put(pad, 8);
  const out = [];
  for (let i = 0; i < bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8).join(''), 2));
  return out;
}

// Data split into blocks, each with its EC, interleaved (short blocks first).
function withEcc(data, v) {
  const nb = NUM_BLOCKS[v], ecLen = ECC_PER_BLOCK[v];
  const raw = Math.floor(rawDataModules(v) / 8);
  const shortBlocks = nb - (raw % nb);
  const shortLen = Math.floor(raw / nb);
  const divisor = rsDivisor(ecLen);
  const blocks = [];
  for (let i = 0, k = 0; i < nb; i++) {
    const len = shortLen - ecLen + (i < shortBlocks ? 0 : 1);
    const dat = data.slice(k, k + len);
    k += len;
    const ecc = rsRemainder(dat, divisor);
    if (i < shortBlocks) dat.push(0);
    blocks.push(dat.concat(ecc));
  }
  const out = [];
  for (let i = 0; i < blocks[0].length; i++) {
    blocks.forEach((b, j) => {
      if (i !== shortLen - ecLen || j >= shortBlocks) out.push(b[i]);
    });
  }
  return out;
}

// ---- the matrix ----
function newGrid(size) { return Array.from({ length: size }, () => new Array(size).fill(false)); }

function drawFunctionPatterns(q) {
  const { size, version } = q;
  const set = (x, y, dark) => { q.modules[y][x] = dark; q.fn[y][x] = true; };
  for (let i = 0; i < size; i++) { set(6, i, i % 2 === 0); set(i, 6, i % 2 === 0); }
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        const x = cx + dx, y = cy + dy;
        if (x >= 0 && x < size && y >= 0 && y < size) set(x, y, d !== 2 && d !== 4);
      }
    }
  }
  const pos = alignmentPositions(version);
  const n = pos.length;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if ((i === 0 && j === 0) || (i === 0 && j === n - 1) || (i === n - 1 && j === 0)) continue;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) set(pos[i] + dx, pos[j] + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
  }
  drawFormatBits(q, 0);
  if (version >= 7) {
    let rem = version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = size - 11 + (i % 3), b = Math.floor(i / 3);
      set(a, b, dark);
      set(b, a, dark);
    }
  }
}

function drawFormatBits(q, mask) {
  const { size } = q;
  const set = (x, y, dark) => { q.modules[y][x] = dark; q.fn[y][x] = true; };
  const data = (FORMAT_BITS_M << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  const bits = ((data << 10) | rem) ^ 0x5412;
  const bit = (i) => ((bits >>> i) & 1) === 1;
  for (let i = 0; i <= 5; i++) set(8, i, bit(i));
  set(8, 7, bit(6));
  set(8, 8, bit(7));
  set(7, 8, bit(8));
  for (let i = 9; i < 15; i++) set(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) set(size - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) set(8, size - 15 + i, bit(i));
  set(8, size - 8, true);
}

function drawCodewords(q, codewords) {
  const { size } = q;
  let i = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let vert = 0; vert < size; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const upward = ((right + 1) & 2) === 0;
        const y = upward ? size - 1 - vert : vert;
        if (!q.fn[y][x] && i < codewords.length * 8) {
          q.modules[y][x] = ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
          i++;
        }
      }
    }
  }
}

const MASKS = [
  (x, y) => (x + y) % 2 === 0,
  (x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

function applyMask(q, mask) {
  for (let y = 0; y < q.size; y++) {
    for (let x = 0; x < q.size; x++) {
      if (!q.fn[y][x] && MASKS[mask](x, y)) q.modules[y][x] = !q.modules[y][x];
    }
  }
}

// The four penalty rules of ISO/IEC 18004 §7.8.3 (lower is better).
export function penalty(m, w = PENALTY) {
  const size = m.length;
  let score = 0, dark = 0;
  const line = (get) => {
    let s = 0, run = 1;
    for (let i = 1; i <= size; i++) {
      if (i < size && get(i) === get(i - 1)) { run++; continue; }
      if (run >= 5) s += w.run + (run - 5);
      run = 1;
    }
    // 1:1:3:1:1 finder-like patterns with four light modules on one side
    for (let i = 0; i + 7 <= size; i++) {
      const core = get(i) && !get(i + 1) && get(i + 2) && get(i + 3) && get(i + 4) && !get(i + 5) && get(i + 6);
      if (!core) continue;
      const lightBefore = [1, 2, 3, 4].every((k) => i - k < 0 || !get(i - k));
      const lightAfter = [7, 8, 9, 10].every((k) => i + k >= size || !get(i + k));
      if (lightBefore || lightAfter) s += w.finder;
    }
    return s;
  };
  for (let y = 0; y < size; y++) {
    score += line((x) => m[y][x]) + line((x) => m[x][y]);
    for (let x = 0; x < size; x++) {
      if (m[y][x]) dark++;
      if (x + 1 < size && y + 1 < size && m[y][x] === m[y][x + 1] && m[y][x] === m[y + 1][x] &&
          m[y][x] === m[y + 1][x + 1]) score += w.box;
    }
  }
  const total = size * size;
  score += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * w.balance;
  return score;
}

// opts.mask (0–7) forces a mask instead of choosing one (for tests).
export function encodeQr(text, opts = {}) {
  const bytes = Array.from(new TextEncoder().encode(text));
  let version = 1;
  while (version <= 10 && 4 + (version <= 9 ? 8 : 16) + bytes.length * 8 > dataCodewords(version) * 8) version++;
  if (version > 10) throw new RangeError('QR: text too long for version 10-M');
  const size = version * 4 + 17;
  const q = { version, size, modules: newGrid(size), fn: newGrid(size), mask: 0 };
  drawFunctionPatterns(q);
  drawCodewords(q, withEcc(bitsFor(bytes, version), version));
  let best = Number.isInteger(opts.mask) && opts.mask >= 0 && opts.mask < 8 ? opts.mask : -1;
  let bestScore = Infinity;
  for (let m = 0; m < 8 && best !== opts.mask; m++) {
    applyMask(q, m);
    drawFormatBits(q, m);
    const score = penalty(q.modules, PENALTY);
    if (score < bestScore) { best = m; bestScore = score; }
    applyMask(q, m); // XOR again: undo
  }
  applyMask(q, best);
  drawFormatBits(q, best);
  return { version, mask: best, size, modules: q.modules };
}

// SVG markup (a string) of the code with a 4-module quiet zone; one path.
export function qrSvg(text, { label = '' } = {}) {
  const { size, modules } = encodeQr(text);
  const n = size + 8;
  let d = '';
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if (modules[y][x]) d += `M${x + 4} ${y + 4}h1v1h-1z`;
  }
  const esc = label.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n} ${n}" shape-rendering="crispEdges" ` +
    `role="img" aria-label="${esc}"><rect width="${n}" height="${n}" fill="#fff"/>` +
    `<path d="${d}" fill="#000"/></svg>`;
}
