// The signed-in user: token in localStorage ('lianyi.token'), the account in
// memory (reloaded from GET /api/v1/me after a page load), and the route the
// user wanted before being sent to the login page (sessionStorage).

const TOKEN_KEY = 'lianyi.token';
const RETURN_KEY = 'lianyi.return';

let account = null;

function store(kind) {
  try { return kind === 'local' ? localStorage : sessionStorage; } catch { return null; }
}

export function getToken() { return store('local')?.getItem(TOKEN_KEY) || null; }

export function setSession(token, acct) {
  store('local')?.setItem(TOKEN_KEY, token);
  account = acct;
}

export function clearSession() {
  store('local')?.removeItem(TOKEN_KEY);
  account = null;
}

export function getAccount() { return account; }
export function setAccount(acct) { account = acct; }

export function setReturnRoute(hash) {
  if (hash && !hash.startsWith('#/login')) store('session')?.setItem(RETURN_KEY, hash);
}

// Returns and forgets the remembered route (null when none).
export function takeReturnRoute() {
  const s = store('session');
  const v = s?.getItem(RETURN_KEY) || null;
  s?.removeItem(RETURN_KEY);
  return v;
}

// URL segment of each role: '#/<segment>/<screen>', and web/<segment>/home.js.
const SEGMENTS = {
  patient: 'patient',
  doctor: 'doctor',
  pharmacist: 'pharmacist',
  pharmacy_staff: 'pharmacy',
  admin: 'admin',
  supervisor: 'supervisor',
};

export function roleSegment(role) { return SEGMENTS[role] || null; }
