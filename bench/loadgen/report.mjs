// bench/loadgen/report.mjs — the results file of bench/media.sh.
//
//   node bench/loadgen/report.mjs WORK_DIR [--summary]
//
// Reads what media.sh collected in WORK_DIR (meta.json, janus-settings.md,
// srtp.jsonl, media.jsonl, sig.jsonl, forward.md) and prints markdown: the machine and
// versions, the summary with the ratios Lianyi/Janus and Lianyi/limit against
// the issue's targets, then every measured point. --summary prints only the
// summary table (what `make bench` shows).
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const summaryOnly = process.argv.includes('--summary');
const read = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
const lines = (f) => read(f).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const meta = JSON.parse(read('meta.json') || '{}');
const media = lines('media.jsonl');
const srtp = lines('srtp.jsonl');
const sig = lines('sig.jsonl');

const CAP_LOSS = 0.005, CAP_P99 = 20000;
const f1 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(1));
const f2 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(2));
const ms = (us) => (us == null ? '–' : (us / 1000).toFixed(us < 10000 ? 2 : 1));
const ratio = (a, b) => (a == null || b == null || !b ? '–' : `${(a / b).toFixed(2)}×`);
const ok = (cond) => (cond == null ? '' : cond ? ' ✓' : ' ✗');

// Derived figures of one measured point.
function derive(p) {
  const w = p.window_s * 1e6;
  return {
    ...p,
    cpu: (100 * p.server_cpu_us) / w,
    usPkt: p.received ? p.server_cpu_us / p.received : null,
    lg: (100 * p.lg_cpu_us) / w,
    lgBound: (100 * p.lg_cpu_us) / w > 90 || p.lag_p99_us > 1000,
  };
}
const points = media.filter((p) => p.rooms != null).map(derive);
const byLabel = (label) => points.filter((p) => p.label === label && p.point === 'sweep');
// Half capacity: the largest point of the sweep at or below half the
// capacity — measured before any more rooms existed (a window run after the
// sweep, --half, would carry every idle room of the sweep too, which costs
// Janus about 0.3 % of the core each).
function half(label) {
  const c = capacity(label);
  if (!c || !c.rooms) return null;
  const pts = byLabel(label).filter((p) => p.rooms <= c.rooms / 2).sort((a, b) => b.rooms - a.rooms);
  return pts[0] || null;
}
const skipped = media.filter((p) => p.skipped);

// Capacity: the largest point with loss < 0.5 % and p99 < 20 ms. It is a
// lower bound ("≥") when nothing above it failed for the server's sake: the
// sweep ended, or the next point was limited by the load generator.
function capacity(label) {
  const pts = byLabel(label).sort((a, b) => a.rooms - b.rooms);
  if (!pts.length) return null;
  let cap = null;
  for (const p of pts) if (p.loss < CAP_LOSS && p.p99_us < CAP_P99) cap = p;
  const above = pts.filter((p) => !cap || p.rooms > cap.rooms);
  const lower = !above.length || above[0].lgBound;
  return { rooms: cap ? cap.rooms : 0, point: cap, lower, why: !above.length ? 'end of sweep' : 'load generator' };
}
// The most efficient clean point: what one core costs per packet when busy.
function busiest(label) {
  const c = capacity(label);
  return c && c.point ? c.point : null;
}
function atRooms(label, rooms) {
  return byLabel(label).find((p) => p.rooms === rooms) || null;
}
const capStr = (c) => (c == null ? '–' : `${c.lower ? '≥ ' : ''}${c.rooms}`);

function summary() {
  const out = [];
  const row = (...cells) => out.push(`| ${cells.join(' | ')} |`);
  out.push('| figure | Lianyi | Janus | Lianyi/Janus | raw UDP relay | Lianyi/raw | target |');
  out.push('|---|---|---|---|---|---|---|');
  for (const rs of [2, 3]) {
    const [l, j, r] = [capacity(`lianyi ${rs}p`), capacity(`janus ${rs}p`), capacity(`raw-udp ${rs}p`)];
    const name = rs === 2 ? '1:1 consultations per core' : '3-party consultations per core';
    const x = l && j && j.rooms ? l.rooms / j.rooms : null;
    row(name, capStr(l), capStr(j), x == null ? '–' : `${l.lower ? '≥ ' : ''}${x.toFixed(1)}×${rs === 2 ? ok(x >= 2) : ''}`,
      capStr(r), ratio(l && l.rooms, r && r.rooms), rs === 2 ? '≥ 2× Janus' : '');
  }
  for (const rs of [2, 3]) {
    const [l, j, r] = [busiest(`lianyi ${rs}p`), busiest(`janus ${rs}p`), busiest(`raw-udp ${rs}p`)];
    // the same load for both: the largest number of rooms both measured and both carried
    const common = byLabel(`janus ${rs}p`).filter((p) => p.loss < CAP_LOSS && p.p99_us < CAP_P99)
      .map((p) => [p, atRooms(`lianyi ${rs}p`, p.rooms)]).filter(([, q]) => q && q.loss < CAP_LOSS && q.p99_us < CAP_P99)
      .sort((a, b) => b[0].rooms - a[0].rooms)[0];
    const x = common ? common[1].usPkt / common[0].usPkt : null;
    const rr = common && atRooms(`raw-udp ${rs}p`, common[0].rooms);
    row(`CPU-µs per forwarded packet, ${rs === 2 ? '1:1' : '3-party'}, at the same load (${common ? common[0].rooms : '–'} rooms)`,
      f2(common && common[1].usPkt), f2(common && common[0].usPkt), x == null ? '–' : `${x.toFixed(2)}×${ok(x <= 0.5)}`,
      f2(rr && rr.usPkt), ratio(common && common[1].usPkt, rr && rr.usPkt), '≤ 0.5× Janus');
    const proj = (p) => (p && p.usPkt ? 1e6 / p.usPkt : null);
    const pr = proj(l) && proj(r) ? proj(l) / proj(r) : null;
    row(`forwarded packets/s per core, AES-GCM: 10⁶ / CPU-µs per packet at the busiest clean point (${l ? l.rooms : '–'} / ${j ? j.rooms : '–'} / ${r ? r.rooms : '–'} rooms), ${rs === 2 ? '1:1' : '3-party'}`,
      proj(l) ? Math.round(proj(l)) : '–', proj(j) ? Math.round(proj(j)) : '–', ratio(proj(l), proj(j)),
      proj(r) ? Math.round(proj(r)) : '–', pr == null ? '–' : `${(100 * pr).toFixed(0)} %${ok(pr >= 0.4)}`, '≥ 40 % of raw');
  }
  for (const rs of [2, 3]) {
    const [l, j, r] = [half(`lianyi ${rs}p`), half(`janus ${rs}p`), half(`raw-udp ${rs}p`)];
    row(`one-way latency p99 at half capacity (the sweep's point at or below it), ${rs === 2 ? '1:1' : '3-party'} (ms; rooms)`,
      l ? `${ms(l.p99_us)} (${l.rooms})${ok(l.p99_us < 1000)}` : '–', j ? `${ms(j.p99_us)} (${j.rooms})` : '–',
      ratio(l && l.p99_us, j && j.p99_us), r ? `${ms(r.p99_us)} (${r.rooms})` : '–', '', rs === 2 ? 'Lianyi < 1 ms' : '');
  }
  const sl = sig.find((s) => s.server === 'lianyi'), sj = sig.find((s) => s.server === 'janus');
  const rx = sl && sj ? sl.rss_per_session_kb / sj.rss_per_session_kb : null;
  row(`signalling: RSS per idle session (KiB; sessions held)`, sl ? `${f2(sl.rss_per_session_kb)} (${sl.held}/${sl.n})` : '–',
    sj ? `${f2(sj.rss_per_session_kb)} (${sj.held}/${sj.n})` : '–', rx == null ? '–' : `${rx.toFixed(2)}×${ok(rx <= 0.5)}`, '', '', '≤ 0.5× Janus');
  row(`signalling: request p99 at ${sl ? sl.rate : sj ? sj.rate : '–'}/s (ms)`, sl ? ms(sl.p99_us) : '–', sj ? ms(sj.p99_us) : '–',
    ratio(sl && sl.p99_us, sj && sj.p99_us), '', '', '');
  const cost = (impl, suite, many) => srtp.find((x) => x.impl.startsWith(impl) && x.suite === suite && (x.contexts > 1) === many);
  const us = (x) => (x ? f2(x.mix_relay_ns / 1000) : '–');
  const G = 'AEAD_AES_128_GCM', C = 'AES_CM_128_HMAC_SHA1_80';
  row('SRTP unprotect + protect per relayed packet, the mix (µs), 1 / 1,001 contexts alive: AES-GCM',
    `${us(cost('lianyi', G, false))} / ${us(cost('lianyi', G, true))}`,
    `${us(cost('libsrtp', G, false))} / ${us(cost('libsrtp', G, true))}`, '', '', '', 'Janus: libsrtp (NSS)');
  row('the same, AES_CM_128_HMAC_SHA1_80 (both on libsrtp)',
    `${us(cost('lianyi', C, false))} / ${us(cost('lianyi', C, true))}`,
    `${us(cost('libsrtp', C, false))} / ${us(cost('libsrtp', C, true))}`, '', '', '', '');
  if (skipped.length) out.push('', `Not measured: ${skipped.map((s) => `${s.label} (${s.skipped})`).join('; ')}.`);
  return out.join('\n');
}

function pointsTable() {
  const out = ['| scenario | rooms | participants | forwarded pkt/s | server CPU | CPU-µs/pkt | p50 ms | p99 ms | p99.9 ms | loss % | server RSS MB | loadgen CPU | loadgen lag p99 ms | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const p of points) {
    const notes = [];
    if (p.point === 'half') notes.push('half capacity, measured after the sweep: every room of the sweep still set up');
    if (p.lgBound) notes.push('load generator bound');
    if (p.mismatched) notes.push(`${p.mismatched} header checks failed`);
    if (p.unknown) notes.push(`${p.unknown} unknown packets`);
    if (p.send_failed) notes.push(`${p.send_failed} not sent`);
    out.push(`| ${p.label} | ${p.rooms} | ${p.participants} | ${Math.round(p.fwd_pps)} | ${f1(p.cpu)} % | ${f2(p.usPkt)} | ${ms(p.p50_us)} | ${ms(p.p99_us)} | ${ms(p.p999_us)} | ${(100 * p.loss).toFixed(3)} | ${f1(p.server_rss_kb / 1024)} | ${f1(p.lg)} % | ${ms(p.lag_p99_us)} | ${notes.join('; ')} |`);
  }
  return out.join('\n');
}

function sigTable() {
  const out = ['| server | sessions | established | held | set-up s | RSS before MB | RSS after MB | KiB per session | requests/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const s of sig)
    out.push(`| ${s.label} | ${s.n} | ${s.established} | ${s.held} | ${f1(s.setup_s)} | ${f1(s.rss0_kb / 1024)} | ${f1(s.rss1_kb / 1024)} | ${f2(s.rss_per_session_kb)} | ${s.rate} | ${ms(s.p50_us)} | ${ms(s.p99_us)} | ${ms(s.p999_us)} | ${s.errors} | ${f1((100 * s.server_cpu_us) / (s.seconds * 1e6))} % |`);
  return out.join('\n');
}

function srtpTable() {
  const out = ['| implementation | suite | contexts alive | audio protect ns | audio unprotect ns | video protect ns | video unprotect ns | relayed packet (mix) ns |',
    '|---|---|---|---|---|---|---|---|'];
  for (const s of srtp) {
    if (s.audio_ns != null) out.push(`| ${s.impl} (the cipher alone, for reference) | ${s.suite} | 1 | ${s.audio_ns} | – | ${s.video_ns} | – | – |`);
    else out.push(`| ${s.impl} | ${s.suite} | ${s.contexts} | ${s.audio_protect_ns} | ${s.audio_unprotect_ns} | ${s.video_protect_ns} | ${s.video_unprotect_ns} | ${s.mix_relay_ns} |`);
  }
  return out.join('\n');
}

if (summaryOnly) {
  console.log(summary());
} else {
  console.log(`# Media benchmark: Lianyi and Janus on ${meta.host} (${meta.date})

Made by \`bench/media.sh\` (bench/README.md explains every scenario and figure).

- **Machine**: ${meta.cpu}, ${meta.cores} cores, Linux ${meta.kernel}; load average at the start ${meta.loadavg}
- **Versions**: Lianyi ${meta.lianyi}${meta.build ? ` (${meta.build} build)` : ''}; Janus ${meta.janus} (Debian); libsrtp ${meta.libsrtp}; OpenSSL ${meta.openssl}; libwebsockets ${meta.libwebsockets}
- **Set-up**: the server under test pinned to core ${meta.server_cpu}, the load generator to core ${meta.loadgen_cpu}, both ${meta.sched}; SRTP AEAD_AES_128_GCM; per participant audio 50 packets/s of 120 B and video 90 packets/s averaging 1,100 B.
- **Capacity** = the largest number of rooms with loss < 0.5 % and one-way latency p99 < 20 ms.

## Summary

${summary()}

## Janus settings

${read('janus-settings.md').trim()}

## Every point

${pointsTable()}

## Signalling sessions

${sigTable()}

## libsrtp per packet on this machine

${srtpTable()}
${read('forward.md') ? `
## Forwarding on one worker (\`bench_forward\`, issue 4)

The relay alone, driven through its command API: ${read('forward.md').trim()}
` : ''}`);
}
