// Run a command with a fresh demo server: LIANYI_URL and LIANYI_DATA are set
// for it, and the server is stopped afterwards. Exit code is the command's.
//   node tests/lib/with-server.mjs node --test tests/e2e/shell.test.mjs
import { spawn } from 'node:child_process';
import { startServer } from './server.mjs';

const [cmd, ...args] = process.argv.slice(2);
const srv = await startServer();
const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, LIANYI_URL: srv.url, LIANYI_DATA: srv.data } });
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
await srv.stop();
process.exit(code);
