// make soak: the mixed load of tests/integration/load-workers.mjs (bookings,
// calls with chat, prescriptions through review, claims and dispenses,
// settlements, sign-in churn, readers) plus IDLE idle WebSocket sessions,
// against one server for SOAK_SECONDS (default 600), the server's resident
// memory (VmRSS) sampled every 10 s. Prints the samples, then the RSS at the
// start, at the end and at its peak, and the medians over minutes 1-3 and
// over the last two minutes; exits 1 when the last two minutes sit more than
// 20% (and 16 MiB) above minutes 1-3: memory that keeps growing under a
// steady load is a leak. `make soak` runs it; not part of `make test`.
//   SOAK_SECONDS=600 node tests/soak/soak.mjs [--idle N]     (LIANYI_BIN selects the binary)
import fs from 'node:fs';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';
import { MixedLoad } from '../integration/load-workers.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = Number(process.env.SOAK_SECONDS || 600), IDLE = arg('idle', 500), SAMPLE_MS = 10000, WARMUP_MS = 60000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const mib = (kb) => (kb / 1024).toFixed(1);

const srv = await startServer({ args: ['--billing-interval-ms', '1000'] });
const load = await new MixedLoad(srv).setup();
const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => srv.login(`doctor${i + 10}`)));
const idle = await Promise.all(Array.from({ length: IDLE }, (_, i) => new Promise((resolve) => {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws`, { perMessageDeflate: false });
  ws.on('open', () => ws.send(JSON.stringify({ id: '1', type: 'auth', data: { token: tokens[i % tokens.length] } })));
  ws.on('message', () => resolve(ws));
  ws.on('error', () => resolve(null));
})));
const pid = srv.proc.pid, t0 = Date.now(), samples = [];
console.log(`soak: ${SECONDS} s, ${idle.filter(Boolean).length} idle sessions, server pid ${pid}`);
console.log('   t (s)   RSS (MiB)   answered calls');
const work = Promise.all(load.workers({ extra: true }));
while (Date.now() - t0 < SECONDS * 1000) {
  const s = { t: Date.now() - t0, kb: rssKb(pid), ops: load.stats.ops };
  samples.push(s);
  console.log(`${String(Math.round(s.t / 1000)).padStart(8)}   ${mib(s.kb).padStart(9)}   ${String(s.ops).padStart(14)}`);
  await sleep(SAMPLE_MS);
}
load.stop();
await work;
const end = { t: Date.now() - t0, kb: rssKb(pid), ops: load.stats.ops };
samples.push(end);
for (const ws of idle) ws?.terminate();
await srv.stop();
// medians, not single samples: a sample taken while the offload thread runs a
// scrypt (32 MiB, freed right after) would otherwise read as growth
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const early = samples.filter((s) => s.t >= WARMUP_MS && s.t < WARMUP_MS + 120000);
const late = samples.slice(-12);
const warm = { kb: median((early.length ? early : samples.slice(0, 3)).map((s) => s.kb)) };
const last = { kb: median(late.map((s) => s.kb)) };
const growth = last.kb - warm.kb;
const peak = samples.reduce((a, x) => (x.kb > a.kb ? x : a));
console.log(`soak: ${(end.t / 1000).toFixed(0)} s; RSS start ${mib(samples[0].kb)} MiB, end ${mib(end.kb)} MiB, `
  + `peak ${mib(peak.kb)} MiB at ${(peak.t / 1000).toFixed(0)} s; minutes 1-3 (median) ${mib(warm.kb)} MiB, `
  + `last 2 min (median) ${mib(last.kb)} MiB (${growth >= 0 ? '+' : ''}${mib(growth)} MiB); ${end.ops} answered calls, `
  + `${load.acked.rx.size} prescriptions, ${load.acked.dispenses.size} dispenses, ${load.acked.claims.size} settlements, `
  + `${load.acked.chat.size} chat messages`);
const leak = growth > Math.max(16 * 1024, warm.kb * 0.2);
if (leak) console.log('soak: FAIL — resident memory kept growing under a steady load');
process.exit(leak ? 1 : 0);
