// Start and stop the real lianyi binary for tests.
//
// Each server gets its own data directory under os.tmpdir() and an ephemeral
// port (--listen 127.0.0.1:0); the port is read from the "server.listening"
// log line. Demo districts are seeded once into a template directory (seeding
// hashes passwords and builds 285 pharmacies) and copied per server.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BIN = process.env.LIANYI_BIN || path.resolve('build/lianyi');
export const SRC = process.env.LIANYI_SRC || path.resolve('.');
const MASTER_KEY = '4c69616e79692d746573742d6d61737465722d6b65792d303030303030303030';

// The first lines of an AddressSanitizer / LeakSanitizer / UBSan report in a
// process's output, or null. Under build-asan (make test) a server that leaks
// or misbehaves fails the test that stopped it, not just leaves a report.
export function sanitizerReport(text) {
  const m = /(ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer)/.exec(text);
  return m ? text.slice(Math.max(0, m.index - 200), m.index + 1500) : null;
}

function tmpdir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export class Server {
  constructor(dataDir, extraArgs = [], env = {}) {
    this.data = dataDir;
    this.extraArgs = extraArgs;
    this.env = env;
    this.logPath = path.join(dataDir, 'server.log');
    this.proc = null;
    this.port = 0;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  // Start (or restart on the same data directory); resolves once listening.
  async start({ demo = true, timeoutMs = 60000 } = {}) {
    const args = ['serve', '--data', this.data, '--listen', '127.0.0.1:0', '--web-root', path.join(SRC, 'web'),
      '--log-level', 'info', ...(demo ? ['--demo'] : []), ...this.extraArgs];
    const log = fs.openSync(this.logPath, 'a');
    this.sanitizerChecked = false;
    this.proc = spawn(BIN, args, {
      env: { ...process.env, LIANYI_MASTER_KEY: MASTER_KEY, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    let buf = '';
    this.port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not listen in ${timeoutMs} ms; log: ${this.logPath}`)), timeoutMs);
      const onData = (chunk) => {
        fs.writeSync(log, chunk);
        buf += chunk.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i); buf = buf.slice(i + 1);
          if (!line.startsWith('{')) continue;
          try {
            const ev = JSON.parse(line);
            if (ev.event === 'server.listening' && ev.port) { clearTimeout(timer); resolve(ev.port); }
          } catch { /* not a log line */ }
        }
      };
      this.proc.stdout.on('data', (c) => fs.writeSync(log, c));
      this.proc.stderr.on('data', onData);
      this.proc.on('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`server exited (${code ?? signal}) before listening; log: ${this.logPath}`)); });
    });
    this.proc.stderr.on('data', (c) => { try { fs.writeSync(log, c); } catch { /* closed */ } });
    return this;
  }

  // Graceful stop (SIGTERM); resolves with the exit status, and throws if the
  // server's output holds a sanitizer report (a leak is reported at exit).
  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const st = await this.exited;
    if (this.proc && !this.sanitizerChecked) {
      this.sanitizerChecked = true;
      const report = sanitizerReport(this.logText());
      if (report) throw new Error(`sanitizer report from the server (log: ${this.logPath}):\n${report}`);
    }
    return st;
  }

  // Crash: SIGKILL, no chance to clean up.
  async kill() {
    if (!this.proc || this.proc.exitCode !== null) return this.exited;
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  logText() { return fs.readFileSync(this.logPath, 'utf8'); }

  // fetch wrapper: JSON in/out; returns {status, headers, body, text}.
  async api(method, p, { token, body, headers = {}, raw } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload = raw;
    if (body !== undefined) { h['content-type'] = 'application/json'; payload = JSON.stringify(body); }
    const res = await fetch(this.url + p, { method, headers: h, body: payload });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: json, text };
  }

  async login(username, password = 'lianyi-demo') {
    const r = await this.api('POST', '/api/v1/sessions', { body: { username, password } });
    if (r.status !== 201) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return r.body.token;
  }
}

// A seeded demo district, made once per build and copied for each server.
async function demoTemplate() {
  const root = path.join(os.tmpdir(), `lianyi-demo-template-${fs.statSync(BIN).mtimeMs | 0}`);
  const done = path.join(root, 'READY');
  const lock = root + '.lock';
  for (let i = 0; i < 600 && !fs.existsSync(done); i++) {
    try {
      fs.mkdirSync(lock);
    } catch {
      await new Promise((r) => setTimeout(r, 250)); // another test file is seeding it
      continue;
    }
    try {
      fs.rmSync(root, { recursive: true, force: true });
      fs.mkdirSync(root);
      const s = new Server(root);
      await s.start({ demo: true, timeoutMs: 120000 });
      await s.stop();
      fs.rmSync(s.logPath, { force: true });
      fs.writeFileSync(done, 'ok');
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  if (!fs.existsSync(done)) throw new Error('demo template was not created');
  return root;
}

// A running server on a fresh copy of the demo district (or an empty one).
export async function startServer({ demo = true, args = [], env = {} } = {}) {
  const dir = tmpdir('lianyi-test-');
  if (demo) {
    const tpl = await demoTemplate();
    for (const f of fs.readdirSync(tpl)) {
      if (f === 'READY') continue;
      fs.cpSync(path.join(tpl, f), path.join(dir, f), { recursive: true });
    }
  }
  const s = new Server(dir, args, env);
  await s.start({ demo });
  return s;
}

// Run the lianyi binary as a command (e.g. `audit verify`); resolves {code, stdout, stderr}.
export function runCli(args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { env: { ...process.env, LIANYI_MASTER_KEY: MASTER_KEY, ...env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    p.on('exit', (code) => {
      const report = sanitizerReport(stderr);
      if (report) reject(new Error(`sanitizer report from lianyi ${args.join(' ')}:\n${report}`));
      else resolve({ code, stdout, stderr });
    });
  });
}
