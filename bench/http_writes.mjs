// Durable writes per second through the HTTP API, as a function of client
// concurrency: each request is an audited read of the access log (one audit
// entry appended and committed with synchronous=FULL before the answer).
//   node bench/http_writes.mjs [BIN] [SECONDS]
// Prints a table: clients, requests/s, p50/p99 latency (ms).
import { startServer } from '../tests/lib/server.mjs';

const seconds = Number(process.argv[3] || 4);
const srv = await startServer();
const token = await srv.login('patient1');
const rows = [];
for (const clients of [1, 4, 16, 64]) {
  const lat = [];
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const t0 = performance.now();
      const r = await fetch(`${srv.url}/api/v1/me/access-log?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      lat.push(performance.now() - t0);
    }
  }));
  lat.sort((a, b) => a - b);
  rows.push({ clients, rps: Math.round(lat.length / seconds), p50: lat[lat.length >> 1].toFixed(2), p99: lat[Math.floor(lat.length * 0.99)].toFixed(2) });
}
await srv.stop();
console.log('clients  writes/s   p50_ms   p99_ms');
for (const r of rows) console.log(`${String(r.clients).padStart(7)} ${String(r.rps).padStart(9)} ${r.p50.padStart(8)} ${r.p99.padStart(8)}`);
