// bench/rx_flow_http.mjs — complete e-prescription flows per second through
// HTTP against the real binary: POST /api/v1/prescriptions → …/sign →
// …/approve, by CLIENTS concurrent clients on keep-alive connections, on a
// demo district in a fresh data directory (WAL, synchronous=FULL: the
// server answers a write only after its COMMIT). Node's fetch keeps its
// connections alive between requests. Prints flows/s and the
// p50/p99 latency of each call as the client sees it.
//
//   node bench/rx_flow_http.mjs [FLOWS=2000] [CLIENTS=16]
// Env: LIANYI_BIN (default build/lianyi), LIANYI_SRC (default .).
import { startServer } from '../tests/lib/server.mjs';
import { draft, endedConsultation, logins } from '../tests/integration/rx-helpers.mjs';

const FLOWS = Number(process.argv[2] || 2000);
const CLIENTS = Number(process.argv[3] || 16);

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))] : 0;
}

const srv = await startServer();
try {
  const { tok, id } = await logins(srv, ['patient1', 'doctor1', 'pharmacist1']);
  const cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1');
  const body = draft(cons);
  const lat = { create: [], sign: [], approve: [] };
  const call = async (name, method, path, token, b) => {
    const t0 = performance.now();
    const r = await srv.api(method, path, { token, body: b });
    lat[name].push(performance.now() - t0);
    if (r.status >= 300) throw new Error(`${name}: ${r.status} ${r.text}`);
    return r.body;
  };
  let next = 0;
  const worker = async () => {
    while (next < FLOWS) {
      next++;
      const rx = (await call('create', 'POST', '/api/v1/prescriptions', tok.doctor1, body)).prescription.id;
      await call('sign', 'POST', `/api/v1/prescriptions/${rx}/sign`, tok.doctor1);
      await call('approve', 'POST', `/api/v1/prescriptions/${rx}/approve`, tok.pharmacist1);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  const secs = (performance.now() - t0) / 1000;
  let line = `http       ${String(FLOWS).padStart(6)} flows ${secs.toFixed(2).padStart(6)} s ` +
    `${(FLOWS / secs).toFixed(0).padStart(8)} flows/s  ${CLIENTS} clients`;
  for (const [k, v] of Object.entries(lat)) {
    v.sort((a, b) => a - b);
    line += `  ${k} p50 ${pct(v, 0.5).toFixed(2)} p99 ${pct(v, 0.99).toFixed(2)} ms`;
  }
  console.log(line);
} finally {
  await srv.stop();
}
